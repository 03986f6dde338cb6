/*
 * test_config.c - the configuration on top of the TOML reader: defaults,
 * the template, type and range errors with file and line, warnings, the
 * optional sections, and first-start writing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kq_config.h"
#include "kq_test.h"

static char warnings[2048];

static void collect(void *ctx, const char *message)
{
    (void)ctx;
    strncat(warnings, message, sizeof warnings - strlen(warnings) - 2);
    strcat(warnings, "\n");
}

/* Applies text over the defaults; returns the rc, err holds the message. */
static int apply(const char *text, kq_config *c, kq_error *err)
{
    kq_toml_doc doc;
    int rc;

    warnings[0] = '\0';
    CHECK_INT(kq_config_init(c), 0);
    if ((rc = kq_toml_parse(text, strlen(text), "test.toml", &doc, err)) < 0) {
        kq_config_free(c);
        return rc;
    }
    rc = kq_config_apply(c, &doc, "test.toml", collect, NULL, err);
    kq_toml_free(&doc);
    if (rc < 0)
        kq_config_free(c);
    return rc;
}

static void expect_error(const char *text, const char *message)
{
    kq_config c;
    kq_error err = {{0}};

    CHECK_INT(apply(text, &c, &err), -EINVAL);
    CHECK_STR(err.msg, message);
}

static void test_defaults_and_values(void)
{
    kq_config c;
    kq_error err;

    CHECK_INT(apply("[common_settings]\nserver_port = 4242\nlog_level = \"DEBUG\"\n"
                    "[worker_settings]\ndynamic_cpu_load_scale_factor = 2\n"
                    "dynamic_check_free_resources = false\n"
                    "[global_resources]\ngenus = 3\nprimelib = 31\n"
                    "server_settings.worker_timeout_seconds = 5\n",
                    &c, &err), -EINVAL);
    /* A root key after a table belongs to that table in TOML; put it first. */
    CHECK_INT(apply("server_settings.worker_timeout_seconds = 5\n"
                    "[common_settings]\nserver_port = 4242\nlog_level = \"DEBUG\"\n"
                    "[worker_settings]\ndynamic_cpu_load_scale_factor = 2\n"
                    "dynamic_check_free_resources = false\n"
                    "[global_resources]\ngenus = 3\nprimelib = 31\n",
                    &c, &err), 0);
    CHECK_INT(c.common_settings.server_port, 4242);
    CHECK_STR(c.common_settings.log_level, "DEBUG");
    CHECK_STR(c.common_settings.server_name, "localhost");
    CHECK(c.common_settings.shared_secret == NULL); /* drawn only when needed */
    CHECK_INT(c.server_settings.worker_timeout_seconds, 5);
    CHECK_INT(c.server_settings.job_cleanup_after_minutes, 2880);
    CHECK(c.worker_settings.dynamic_cpu_load_scale_factor == 2.0);
    CHECK(!c.worker_settings.dynamic_check_free_resources);
    CHECK(c.has_global_resources);
    CHECK_INT(c.global_resources.len, 2);
    CHECK_INT(kq_u64_map_get(&c.global_resources, "primelib")->value, 31);
    CHECK(!c.has_restart_workers);
    CHECK_INT(kq_config_fill_random(&c), 0);
    CHECK_INT(strlen(c.common_settings.shared_secret), 64);
    CHECK_STR(warnings, "");
    /* Keys a file leaves out mean the original's defaults, also those a
     * new file sets otherwise. */
    CHECK_INT(c.client_settings.job_default_cpus, 8);
    CHECK_INT(c.client_settings.job_default_ram_mb, 8192);
    kq_config_use_template(&c);
    CHECK_INT(c.client_settings.job_default_cpus, 1);
    CHECK_INT(c.client_settings.job_default_ram_mb, 1024);
    kq_config_free(&c);
}

static void test_errors_name_file_line_and_key(void)
{
    expect_error("[server_settings]\n\nworker_timeout_seconds = \"300\"\n",
                 "test.toml:3: server_settings.worker_timeout_seconds: expected an "
                 "integer from 0 to 1000000000, got the string \"300\"");
    expect_error("[common_settings]\nserver_port = 70000\n",
                 "test.toml:2: common_settings.server_port: expected an integer "
                 "from 0 to 65535, got the integer 70000");
    expect_error("[server_settings]\nmaintenance_interval_seconds = 0\n",
                 "test.toml:2: server_settings.maintenance_interval_seconds: "
                 "expected an integer from 1 to 1000000000, got the integer 0");
    expect_error("[common_settings]\nlog_level = \"loud\"\n",
                 "test.toml:2: common_settings.log_level: expected one of trace, "
                 "debug, info, warn, error, got \"loud\"");
    expect_error("[worker_settings]\ndynamic_check_free_resources = 1\n",
                 "test.toml:2: worker_settings.dynamic_check_free_resources: "
                 "expected true or false, got the integer 1");
    expect_error("[client_settings]\njob_default_cpus = 8.5\n",
                 "test.toml:2: client_settings.job_default_cpus: expected an "
                 "integer from 0 to 9223372036854775807, got the float 8.5");
    expect_error("[global_resources]\ngenus = -1\n",
                 "test.toml:2: global_resources.genus: expected an integer from 0 "
                 "to 9223372036854775807, got the integer -1");
    expect_error("[server_settings]\nworker_timeout_seconds = 1000000001\n",
                 "test.toml:2: server_settings.worker_timeout_seconds: expected an "
                 "integer from 0 to 1000000000, got the integer 1000000001");
    expect_error("[worker_settings]\nkill_grace_seconds = 3600.5\n",
                 "test.toml:2: worker_settings.kill_grace_seconds: expected a number "
                 "from 0.0 to 3600.0, got the float 3600.5");
    expect_error("[worker_settings]\nkill_grace_seconds = -1\n",
                 "test.toml:2: worker_settings.kill_grace_seconds: expected a number "
                 "from 0.0 to 3600.0, got the integer -1");
    expect_error("[worker_settings]\nkill_grace_seconds = nan\n",
                 "test.toml:2: worker_settings.kill_grace_seconds: expected a number "
                 "from 0.0 to 3600.0, got the float nan");
    expect_error("[restart_workers]\nhostnames = \"a\"\nsleep_minutes_before_recheck = 0\n",
                 "test.toml:3: restart_workers.sleep_minutes_before_recheck: expected a "
                 "number greater than 0.0 and at most 1000000000.0, got the integer 0");
    expect_error("[restart_workers]\nssh_user = \"alice\"\n",
                 "test.toml: [restart_workers] needs the key hostnames");
}

static void test_unknown_keys_warn(void)
{
    kq_config c;
    kq_error err;

    CHECK_INT(apply("[common_settings]\nserver_prot = 1\n[sever_settings]\nx = 1\n",
                    &c, &err), 0);
    CHECK_STR(warnings, "test.toml:2: unknown key common_settings.server_prot is ignored\n"
                        "test.toml:4: unknown key sever_settings.x is ignored\n"
                        "test.toml:3: unknown section [sever_settings] is ignored\n");
    kq_config_free(&c);
}

/* The optional sections absent from a template are shown as commented
 * examples, which work once the comment marks are removed. */
static void test_template_examples(void)
{
    kq_config a, b;
    kq_buf text = KQ_BUF_INIT, uncommented = KQ_BUF_INIT;
    kq_error err;
    const char *p, *s;
    bool example = false;

    CHECK_INT(apply("", &a, &err), 0);
    CHECK_INT(kq_config_fill_random(&a), 0);
    kq_config_write(&a, &text);
    s = kq_buf_ptr(&text);
    CHECK(strstr(s, "\n# [global_resources]\n# matlab = 4\n# gpu_licence = 1\n") != NULL);
    CHECK(strstr(s, "\n# [restart_workers]\n# ssh_user = \"alice\"\n") != NULL);
    /* Remove "# " from each example: a "# [section]" line and the lines
     * after it up to a blank one. */
    for (p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);

        example = strncmp(p, "# [", 3) == 0 || (example && *p != '\n');
        if (example)
            kq_buf_append(&uncommented, p + 2, len - 2);
        else
            kq_buf_append(&uncommented, p, len);
        p += len;
    }
    CHECK_INT(apply(kq_buf_ptr(&uncommented), &b, &err), 0);
    CHECK(b.has_global_resources && b.has_restart_workers);
    CHECK_INT(kq_u64_map_get(&b.global_resources, "matlab")->value, 4);
    CHECK_STR(b.restart_workers.hostnames, "node1 node2");
    kq_config_free(&a);
    kq_config_free(&b);
    kq_buf_free(&text);
    kq_buf_free(&uncommented);
}

/* The template reads back to the same configuration. */
static void test_template_round_trip(const char *dir)
{
    kq_config a, b;
    kq_buf text = KQ_BUF_INIT, again = KQ_BUF_INIT;
    kq_toml_doc doc;
    kq_error err;
    char path[512];

    CHECK_INT(apply("[restart_workers]\nssh_user = \"a \\\"b\\\"\"\nhostnames = \"n1 n2\"\n"
                    "[global_resources]\nlic = 2\n", &a, &err), 0);
    CHECK_INT(kq_config_fill_random(&a), 0);
    kq_config_write(&a, &text);
    CHECK_INT(kq_toml_parse(kq_buf_ptr(&text), text.len, "template", &doc, &err), 0);
    CHECK_INT(kq_config_init(&b), 0);
    CHECK_INT(kq_config_apply(&b, &doc, "template", collect, NULL, &err), 0);
    kq_toml_free(&doc);
    kq_config_write(&b, &again);
    CHECK_STR(kq_buf_ptr(&again), kq_buf_ptr(&text));
    CHECK_STR(b.restart_workers.ssh_user, "a \"b\"");
    kq_config_free(&a);
    kq_config_free(&b);
    kq_buf_free(&text);
    kq_buf_free(&again);

    /* The reference's own template is read as it is. */
    snprintf(path, sizeof path, "%s/config/template.toml", dir);
    CHECK_INT(kq_config_load(path, false, &a, &err), 0);
    CHECK_INT(a.server_settings.global_max_parallel_jobs, 100);
    CHECK_INT(strlen(a.common_settings.shared_secret), 64);
    CHECK_INT(a.client_settings.job_default_cpus, 8);
    CHECK_INT(a.client_settings.job_default_ram_mb, 8192);
    kq_config_free(&a);
}

static void test_first_start_writes_a_private_template(void)
{
    char dir[] = "/tmp/kq-config-XXXXXX", home[256], path[512], cmd[1200];
    kq_config a, b;
    kq_error err = {{0}};
    struct stat st;

    CHECK(mkdtemp(dir) != NULL);
    /* The default path follows XDG_CONFIG_HOME. */
    snprintf(home, sizeof home, "%s/sub", dir);
    setenv("XDG_CONFIG_HOME", home, 1);
    CHECK_INT(kq_config_path(NULL, path, sizeof path), 0);
    CHECK_STR(path, strcat(home, "/kueue/config.toml"));
    CHECK_INT(kq_config_load(NULL, true, &a, &err), 0);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    /* A new file asks for what a laptop has: the run that writes it too. */
    CHECK_INT(a.client_settings.job_default_cpus, 1);
    CHECK_INT(a.client_settings.job_default_ram_mb, 1024);
    CHECK_INT(kq_config_load(NULL, true, &b, &err), 0);
    CHECK_STR(b.common_settings.shared_secret, a.common_settings.shared_secret);
    CHECK_INT(b.client_settings.job_default_cpus, 1);
    CHECK_INT(b.client_settings.job_default_ram_mb, 1024);
    kq_config_free(&b);
    CHECK_INT(kq_config_load(path, true, &b, &err), 0);
    CHECK_STR(b.common_settings.shared_secret, a.common_settings.shared_secret);
    kq_config_free(&a);
    kq_config_free(&b);

    /* A path given that names no file is an error, not a new secret. */
    snprintf(path, sizeof path, "%s/other.toml", dir);
    CHECK_INT(kq_config_load(path, true, &a, &err), -ENOENT);
    snprintf(cmd, sizeof cmd, "no configuration at %s (copy the server's there, or "
                              "write a new one with: kueue --init -c %s)", path, path);
    CHECK_STR(err.msg, cmd);
    CHECK(access(path, F_OK) != 0);

    /* Without write_template nothing is written, also at the default path. */
    snprintf(home, sizeof home, "%s/none", dir);
    setenv("XDG_CONFIG_HOME", home, 1);
    CHECK_INT(kq_config_load(NULL, false, &a, &err), 0);
    CHECK_INT(a.client_settings.job_default_cpus, 8);
    CHECK(access(home, F_OK) != 0);
    kq_config_free(&a);

    /* --init writes where it is told, once. */
    CHECK_INT(kq_config_init_file(path), 0);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    CHECK_INT(kq_config_load(path, false, &a, &err), 0);
    CHECK_INT(a.client_settings.job_default_cpus, 1);
    CHECK_INT(kq_config_init_file(path), 1);
    CHECK_INT(kq_config_load(path, false, &b, &err), 0);
    CHECK_STR(b.common_settings.shared_secret, a.common_settings.shared_secret);
    kq_config_free(&a);
    kq_config_free(&b);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* Applies text and runs kq_config_check_shared; returns its rc, with any
 * warning in warnings and the error in err. */
static int check_shared(const char *text, kq_error *err)
{
    kq_config c;
    kq_toml_doc doc;
    int rc;

    warnings[0] = '\0';
    CHECK_INT(kq_config_init(&c), 0);
    CHECK_INT(kq_toml_parse(text, strlen(text), "test.toml", &doc, err), 0);
    CHECK_INT(kq_config_apply(&c, &doc, "test.toml", collect, NULL, err), 0);
    rc = kq_config_check_shared(&c, &doc, "test.toml", collect, NULL, err);
    kq_toml_free(&doc);
    kq_config_free(&c);
    return rc;
}

/* Issue 12.8: a worker timeout not longer than the workers' update
 * interval drops every worker between its updates. */
static void test_worker_timeout_against_update_interval(void)
{
    kq_error err = {{0}};

    CHECK_INT(check_shared("", &err), 0);
    CHECK_STR(warnings, "");
    CHECK_INT(check_shared("[server_settings]\nworker_timeout_seconds = 61\n"
                           "[worker_settings]\nsystem_update_interval_seconds = 60\n",
                           &err), 0);
    CHECK_STR(warnings, "");
    /* Both set in one file: an error naming both lines. */
    CHECK_INT(check_shared("[server_settings]\nworker_timeout_seconds = 30\n"
                           "[worker_settings]\nsystem_update_interval_seconds = 30\n",
                           &err), -EINVAL);
    CHECK_STR(err.msg, "test.toml:2: server_settings.worker_timeout_seconds = 30 must "
                       "be longer than worker_settings.system_update_interval_seconds "
                       "= 30 (line 4): the server would drop workers between their "
                       "updates");
    /* One of them a default: the other program's file may differ. */
    CHECK_INT(check_shared("[server_settings]\nworker_timeout_seconds = 30\n", &err), 0);
    CHECK_STR(warnings, "server_settings.worker_timeout_seconds = 30 is not longer than "
                        "worker_settings.system_update_interval_seconds = 60 (the "
                        "default): the server drops workers between their updates "
                        "unless the other side's configuration differs\n");
    CHECK_INT(check_shared("[worker_settings]\nsystem_update_interval_seconds = 900\n",
                           &err), 0);
    CHECK_STR(warnings, "server_settings.worker_timeout_seconds = 300 (the default) is "
                        "not longer than worker_settings.system_update_interval_seconds "
                        "= 900: the server drops workers between their updates unless "
                        "the other side's configuration differs\n");
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data";

    test_defaults_and_values();
    test_errors_name_file_line_and_key();
    test_unknown_keys_warn();
    test_template_examples();
    test_template_round_trip(dir);
    test_first_start_writes_a_private_template();
    test_worker_timeout_against_update_interval();
    KQ_TEST_DONE();
}
