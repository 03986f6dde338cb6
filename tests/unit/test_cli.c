/*
 * test_cli.c - the kueue command line without a server: parsing (the
 * reference's clap conventions, cmd's verbatim command, usage errors),
 * the table's consistency, help, --resource parsing, the exit status of a
 * waited-for job, "Expected ..." messages, the completion scripts and
 * shell quoting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_cli.h"
#include "kq_complete.h"
#include "kq_jobspec.h"
#include "kq_session.h"
#include "kq_shell_quote.h"
#include "kq_test.h"
#include "kq_wait.h"

/* What one parse did: its result and what it printed. */
typedef struct parsed {
    int rc;
    kq_cli_args args;
    char *out, *err;
} parsed;

/* The words live as long as the calling function's block: the parsed
 * arguments point into them. */
#define PARSE(p, ...) parse(p, (char *[]){"kueue", __VA_ARGS__, NULL})

static void parse(parsed *p, char **argv)
{
    size_t n;
    int argc = 0;
    FILE *out = open_memstream(&p->out, &n), *err = open_memstream(&p->err, &n);

    while (argv[argc])
        argc++;
    p->rc = kq_cli_parse(argc, argv, &p->args, out, err);
    fclose(out);
    fclose(err);
}

static void done(parsed *p)
{
    if (p->rc == KQ_CLI_RUN)
        kq_cli_args_free(&p->args);
    free(p->out);
    free(p->err);
}

static void test_cmd_takes_the_rest_verbatim(void)
{
    parsed p;

    /* The reference's verified example. */
    PARSE(&p, "cmd", "-w", "./s.sh", "--flag", "-x");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK_INT(p.args.cmd->id, KQ_CMD_CMD);
    CHECK(p.args.given[KQ_OPT_WAIT]);
    CHECK_INT(p.args.ntrailing, 3);
    CHECK_STR(p.args.trailing[0], "./s.sh");
    CHECK_STR(p.args.trailing[1], "--flag");
    CHECK_STR(p.args.trailing[2], "-x");
    done(&p);

    PARSE(&p, "-c", "conf.toml", "cmd", "-c", "4", "-j2", "--ram-mb=5",
          "--resource", "a", "--resource=b=2", "-o", "out", "--", "-x", "-c");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK_STR(p.args.value[KQ_OPT_CONFIG], "conf.toml");
    CHECK_INT(p.args.number[KQ_OPT_CPUS], 4);
    CHECK_INT(p.args.number[KQ_OPT_JOB_SLOTS], 2);
    CHECK_INT(p.args.number[KQ_OPT_RAM_MB], 5);
    CHECK_INT(p.args.nresources, 2);
    CHECK_STR(p.args.resources[0], "a");
    CHECK_STR(p.args.resources[1], "b=2");
    CHECK_STR(p.args.value[KQ_OPT_STDOUT], "out");
    CHECK(!p.args.given[KQ_OPT_WAIT]);
    CHECK_INT(p.args.ntrailing, 2);
    CHECK_STR(p.args.trailing[0], "-x");
    done(&p);

    /* The command's own -c is not the global one. */
    PARSE(&p, "cmd", "sh", "-c", "exit 3");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK(p.args.value[KQ_OPT_CONFIG] == NULL);
    CHECK(!p.args.given[KQ_OPT_CPUS]);
    CHECK_INT(p.args.ntrailing, 3);
    done(&p);
}

static void test_options_and_positionals(void)
{
    parsed p;

    PARSE(&p, "list-jobs", "-prn", "5", "--json");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK(p.args.given[KQ_OPT_PENDING] && p.args.given[KQ_OPT_RUNNING]);
    CHECK(!p.args.given[KQ_OPT_OFFERED]);
    CHECK_INT(p.args.number[KQ_OPT_NUM_JOBS], 5);
    CHECK(p.args.given[KQ_OPT_JSON]);
    done(&p);

    PARSE(&p, "list-jobs", "-n5", "-c");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK(p.args.given[KQ_OPT_CANCELED]);
    CHECK_INT(p.args.number[KQ_OPT_NUM_JOBS], 5);
    done(&p);

    /* Options may follow positionals, as with clap. */
    PARSE(&p, "remove-job", "18446744073709551615", "-k");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK(p.args.pos_number[0] == UINT64_MAX);
    CHECK(p.args.given[KQ_OPT_KILL]);
    done(&p);

    PARSE(&p, "batch", "-");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK_STR(p.args.pos[0], "-");
    done(&p);

    PARSE(&p, "batch");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK(p.args.pos[0] == NULL);
    done(&p);

    PARSE(&p, "complete", "fish");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK(!p.args.cmd->connects);
    CHECK_STR(p.args.pos[0], "fish");
    done(&p);
}

static void test_help_and_version(void)
{
    parsed p;

    PARSE(&p, "-V");
    CHECK_INT(p.rc, KQ_CLI_DONE);
    CHECK_STR(p.out, "kueue 0.20.0\n");
    CHECK_STR(p.err, "");
    done(&p);

    PARSE(&p, "--help");
    CHECK_INT(p.rc, KQ_CLI_DONE);
    CHECK(strstr(p.out, "Usage: kueue [OPTIONS] <COMMAND>\n") != NULL);
    for (size_t i = 0; i < kq_cli_command_count; i++)
        CHECK(strstr(p.out, kq_cli_commands[i].about) != NULL);
    done(&p);

    /* Help wins wherever it appears before cmd's command. */
    PARSE(&p, "cmd", "-j", "2", "--help", "ls");
    CHECK_INT(p.rc, KQ_CLI_DONE);
    CHECK(strstr(p.out, "Usage: kueue cmd [OPTIONS] <COMMAND> [ARGS]...\n") != NULL);
    done(&p);

    PARSE(&p, "cmd", "ls", "--help");
    CHECK_INT(p.rc, KQ_CLI_RUN);
    CHECK_INT(p.args.ntrailing, 2);
    done(&p);

    /* No subcommand: the help, on stderr, as a usage error. */
    PARSE(&p, "-c", "x");
    CHECK_INT(p.rc, KQ_CLI_USAGE);
    CHECK_STR(p.out, "");
    CHECK(strstr(p.err, "Commands:\n") != NULL);
    done(&p);
}

static void check_usage_error(parsed *p, const char *message)
{
    const char *nl;

    CHECK_INT(p->rc, KQ_CLI_USAGE);
    CHECK_STR(p->out, "");
    CHECK(strncmp(p->err, "error: ", 7) == 0);
    nl = strstr(p->err, "\n\nUsage: ");
    CHECK(nl != NULL);
    if (nl && strncmp(p->err, "error: ", 7) == 0) {
        size_t n = (size_t)(nl - p->err - 7);

        CHECK(strlen(message) == n && strncmp(p->err + 7, message, n) == 0);
        if (!(strlen(message) == n && strncmp(p->err + 7, message, n) == 0))
            fprintf(stderr, "  got: %s\n  expected: %s\n", p->err, message);
    }
    CHECK(strstr(p->err, "For more information, try '--help'.\n") != NULL);
    done(p);
}

static void test_usage_errors(void)
{
    parsed p;

    PARSE(&p, "nope");
    check_usage_error(&p, "unrecognized subcommand 'nope'");
    PARSE(&p, "cmd", "-w");
    check_usage_error(&p, "the following required arguments were not provided:\n"
                          "  <COMMAND> [ARGS]...");
    PARSE(&p, "cmd", "--cpus");
    check_usage_error(&p, "a value is required for '--cpus <N>' but none was supplied");
    PARSE(&p, "cmd", "-j", "x", "ls");
    check_usage_error(&p, "invalid value 'x' for '--job-slots <N>': invalid digit "
                          "found in string");
    PARSE(&p, "cmd", "-w", "-w", "ls");
    check_usage_error(&p, "the argument '--wait' cannot be used multiple times");
    PARSE(&p, "cmd", "--json=1", "ls");
    check_usage_error(&p, "unexpected value '1' for '--json' found; no more were expected");
    PARSE(&p, "cmd", "-q", "ls");
    check_usage_error(&p, "unexpected argument '-q' found");
    PARSE(&p, "show-job");
    check_usage_error(&p, "the following required arguments were not provided:\n"
                          "  <JOB_ID>");
    PARSE(&p, "show-worker", "");
    check_usage_error(&p, "invalid value '' for '<WORKER_ID>': cannot parse integer "
                          "from empty string");
    PARSE(&p, "wait-job", "1", "2");
    check_usage_error(&p, "unexpected argument '2' found");
    PARSE(&p, "batch", "a", "b");
    check_usage_error(&p, "unexpected argument 'b' found");
    PARSE(&p, "complete", "elvish");
    check_usage_error(&p, "invalid value 'elvish' for '<SHELL>'\n"
                          "  [possible values: bash, zsh, fish]");
    PARSE(&p, "--config");
    check_usage_error(&p, "a value is required for '--config <PATH>' but none was "
                          "supplied");
    PARSE(&p, "list-workers", "-c", "x");
    check_usage_error(&p, "unexpected argument '-c' found");
    PARSE(&p, "--init", "list-jobs");
    check_usage_error(&p, "the argument '--init' cannot be used with a subcommand "
                          "('list-jobs')");
}

/* Mistyped names: the closest by edit distance (a swap of neighbours is
 * one edit), else the only name the word begins. */
static void test_suggestions(void)
{
    parsed p;

    PARSE(&p, "list-jbos");
    check_usage_error(&p, "unrecognized subcommand 'list-jbos'\n\n"
                          "  tip: a similar subcommand exists: 'list-jobs'");
    PARSE(&p, "lst-workers");
    check_usage_error(&p, "unrecognized subcommand 'lst-workers'\n\n"
                          "  tip: a similar subcommand exists: 'list-workers'");
    PARSE(&p, "show-wroker", "1");
    check_usage_error(&p, "unrecognized subcommand 'show-wroker'\n\n"
                          "  tip: a similar subcommand exists: 'show-worker'");
    PARSE(&p, "list");  /* three begin so: none is suggested */
    check_usage_error(&p, "unrecognized subcommand 'list'");
    PARSE(&p, "xyz");
    check_usage_error(&p, "unrecognized subcommand 'xyz'");
    PARSE(&p, "--ini");
    check_usage_error(&p, "unexpected argument '--ini' found\n\n"
                          "  tip: a similar argument exists: '--init'");
    PARSE(&p, "list-jobs", "--runing");
    check_usage_error(&p, "unexpected argument '--runing' found\n\n"
                          "  tip: a similar argument exists: '--running'");
    PARSE(&p, "list-jobs", "--fail");
    check_usage_error(&p, "unexpected argument '--fail' found\n\n"
                          "  tip: a similar argument exists: '--failed'");
    PARSE(&p, "list-jobs", "--jsno");
    check_usage_error(&p, "unexpected argument '--jsno' found\n\n"
                          "  tip: a similar argument exists: '--json'");
    PARSE(&p, "list-jobs", "--wait");
    check_usage_error(&p, "unexpected argument '--wait' found");
}

static void test_u64(void)
{
    uint64_t v = 0;
    const char *why = NULL;

    CHECK_INT(kq_cli_parse_u64("+42", &v, &why), 0);
    CHECK_INT(v, 42);
    CHECK_INT(kq_cli_parse_u64("18446744073709551615", &v, &why), 0);
    CHECK(v == UINT64_MAX);
    CHECK_INT(kq_cli_parse_u64("18446744073709551616", &v, &why), -EINVAL);
    CHECK_STR(why, "number too large to fit in target type");
    CHECK_INT(kq_cli_parse_u64("1.0", &v, &why), -EINVAL);
    CHECK_STR(why, "invalid digit found in string");
    CHECK_INT(kq_cli_parse_u64("-1", &v, &why), -EINVAL);
    CHECK_INT(kq_cli_parse_u64("+", &v, &why), -EINVAL);
    CHECK_STR(why, "invalid digit found in string");
    CHECK_INT(kq_cli_parse_u64("", &v, &why), -EINVAL);
    CHECK_STR(why, "cannot parse integer from empty string");
}

/* Every option of a command has names no other option of it shares, and
 * its help lists it. */
static void test_table_is_consistent(void)
{
    for (size_t i = 0; i < kq_cli_command_count; i++) {
        const kq_cli_cmd *c = &kq_cli_commands[i];
        char *text;
        size_t n;
        FILE *f = open_memstream(&text, &n);

        kq_cli_help(f, c);
        fclose(f);
        CHECK(kq_cli_find(c->name) == c);
        for (const kq_cli_opt *const *a = c->opts; *a; a++) {
            char name[64];

            snprintf(name, sizeof name, "--%s", (*a)->long_name);
            CHECK(strstr(text, name) != NULL);
            for (const kq_cli_opt *const *b = a + 1; *b; b++) {
                CHECK(strcmp((*a)->long_name, (*b)->long_name) != 0);
                CHECK(!(*a)->short_name || (*a)->short_name != (*b)->short_name);
            }
        }
        CHECK(c->npos <= KQ_CLI_MAX_POS);
        free(text);
    }
}

static void test_resources(void)
{
    kq_u64_map m = {0};
    kq_error err;

    CHECK_INT(kq_jobspec_add_resource(&m, "genus", &err), 0);
    CHECK_INT(kq_jobspec_add_resource(&m, "primelib=4", &err), 0);
    CHECK_INT(kq_jobspec_add_resource(&m, "genus=2", &err), 0);
    CHECK_INT(m.len, 2);
    CHECK_STR(m.items[0].key.ptr, "genus");
    CHECK_INT(m.items[0].value, 2);
    CHECK_STR(m.items[1].key.ptr, "primelib");
    CHECK_INT(m.items[1].value, 4);
    CHECK_INT(kq_jobspec_add_resource(&m, "a=b=c", &err), -EINVAL);
    CHECK_STR(err.msg, "Failed to parse resource: a=b=c");
    CHECK_INT(kq_jobspec_add_resource(&m, "a=x", &err), -EINVAL);
    CHECK_STR(err.msg, "Failed to parse resource: 'a=x', invalid digit found in string");
    CHECK_INT(kq_jobspec_add_resource(&m, "a=", &err), -EINVAL);
    CHECK_STR(err.msg, "Failed to parse resource: 'a=', cannot parse integer from "
                       "empty string");
    CHECK_INT(kq_jobspec_add_resource(&m, "=3", &err), -EINVAL);
    CHECK_STR(err.msg, "Failed to parse resource: '=3', empty resource name");
    CHECK_INT(m.len, 2);
    kq_u64_map_free(&m);
}

static void test_exit_codes(void)
{
    kq_job_status st;

    memset(&st, 0, sizeof st);
    st.tag = KQ_JOB_STATUS_FINISHED;
    st.finished.return_code = 0;
    CHECK_INT(kq_wait_exit_code(&st), 0);
    st.finished.return_code = 3;
    CHECK_INT(kq_wait_exit_code(&st), 3);
    st.finished.return_code = 255;
    CHECK_INT(kq_wait_exit_code(&st), 255);
    st.finished.return_code = 256;
    CHECK_INT(kq_wait_exit_code(&st), 1);
    st.finished.return_code = -44;
    CHECK_INT(kq_wait_exit_code(&st), 1);
    st.tag = KQ_JOB_STATUS_CANCELED;
    CHECK_INT(kq_wait_exit_code(&st), 1);
}

static void test_unexpected(void)
{
    kq_s2c m = {.tag = KQ_S2C_REQUEST_RESPONSE};
    kq_error err;
    char big[1000];

    m.request_response.text = KQ_STR_LIT("Job not found!");
    CHECK_INT(kq_session_unexpected(&err, "JobInfo", &m), -EPERM);
    CHECK_STR(err.msg, "Job not found!");
    m.request_response.success = true;
    CHECK_INT(kq_session_unexpected(&err, "JobInfo", &m), -EPROTO);
    CHECK_STR(err.msg, "Expected JobInfo, received: "
                       "{\"RequestResponse\":{\"success\":true,\"text\":\"Job not found!\"}}");
    m.tag = KQ_S2C_BYE;
    CHECK_INT(kq_session_unexpected(&err, "JobList", &m), -EPIPE);
    m.tag = KQ_S2C_WORKER_LIST;
    m.worker_list.len = 0;
    CHECK_INT(kq_session_unexpected(&err, "JobList", &m), -EPROTO);
    CHECK_STR(err.msg, "Expected JobList, received: {\"WorkerList\":[]}");
    /* Long messages are cut, on a character boundary. */
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    m.tag = KQ_S2C_REQUEST_RESPONSE;
    m.request_response.success = true;
    m.request_response.text = kq_str_view(big);
    kq_session_unexpected(&err, "JobList", &m);
    CHECK(strlen(err.msg) < 400);
    CHECK(strcmp(err.msg + strlen(err.msg) - 3, "...") == 0);
}

static void test_completion_scripts(void)
{
    static const char *const shells[] = {"bash", "zsh", "fish"};
    kq_buf b = KQ_BUF_INIT;

    for (size_t s = 0; s < 3; s++) {
        kq_buf_clear(&b);
        CHECK_INT(kq_complete_script(&b, shells[s]), 0);
        CHECK(!b.oom);
        for (size_t i = 0; i < kq_cli_command_count; i++) {
            const kq_cli_cmd *c = &kq_cli_commands[i];

            CHECK(strstr(kq_buf_ptr(&b), c->name) != NULL);
            for (const kq_cli_opt *const *o = c->opts; *o; o++)
                CHECK(strstr(kq_buf_ptr(&b), (*o)->long_name) != NULL);
        }
    }
    CHECK(strncmp(kq_buf_ptr(&b), "# fish completion", 17) == 0);
    CHECK_INT(kq_complete_script(&b, "tcsh"), -EINVAL);
    kq_buf_free(&b);
}

/* s as one shell word, and s between single quotes. */
static void test_shell_quote(void)
{
    static const struct {
        const char *in, *word, *quoted;
    } cases[] = {
        {"host-1.example.org", "host-1.example.org", "host-1.example.org"},
        {"user@host:/a_b,c=d+e%", "user@host:/a_b,c=d+e%",
         "user@host:/a_b,c=d+e%"},
        {"", "''", ""},
        {"a b", "'a b'", "a b"},
        {"it's", "'it'\\''s'", "it'\\''s"},
        {"$HOME;*", "'$HOME;*'", "$HOME;*"},
    };
    kq_buf b = KQ_BUF_INIT;

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kq_buf_clear(&b);
        kq_sh_put_word(&b, cases[i].in);
        CHECK_STR(kq_buf_ptr(&b), cases[i].word);
        kq_buf_clear(&b);
        kq_sh_put_quoted(&b, cases[i].in);
        CHECK_STR(kq_buf_ptr(&b), cases[i].quoted);
    }
    kq_buf_free(&b);
}

int main(void)
{
    test_cmd_takes_the_rest_verbatim();
    test_options_and_positionals();
    test_help_and_version();
    test_usage_errors();
    test_suggestions();
    test_u64();
    test_table_is_consistent();
    test_resources();
    test_exit_codes();
    test_unexpected();
    test_completion_scripts();
    test_shell_quote();
    KQ_TEST_DONE();
}
