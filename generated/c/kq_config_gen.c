/*
 * kq_config_gen.c - defaults, checks and template of kq_config.
 *
 * Generated from schema/config.yaml by codegen/kqgen.py; do not edit.
 */
#include "kq_config_gen.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_cfgval.h"

static const char *const common_settings_log_level_choices[] = {
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    NULL,
};

static const char *const common_settings_encryption_choices[] = {
    "auto",
    "required",
    "off",
    NULL,
};

static const char *const worker_settings_on_shutdown_choices[] = {
    "requeue",
    "fail",
    NULL,
};

int kq_config_init(kq_config *c)
{
    memset(c, 0, sizeof *c);
    if (!(c->common_settings.server_name = strdup("localhost")))
        goto fail;
    c->common_settings.server_port = 11236;
    if (!(c->common_settings.log_level = strdup("info")))
        goto fail;
    if (!(c->common_settings.encryption = strdup("auto")))
        goto fail;
    if (!(c->server_settings.bind_addresses = strdup("0.0.0.0 [::]")))
        goto fail;
    c->server_settings.maintenance_interval_seconds = 60;
    c->server_settings.worker_timeout_seconds = 300;
    c->server_settings.job_offer_timeout_seconds = 60;
    c->server_settings.job_cleanup_after_minutes = 2880;
    c->server_settings.global_max_parallel_jobs = 100;
    if (!(c->server_settings.state_file = strdup("")))
        goto fail;
    c->server_settings.state_journal_max_mb = 256;
    c->server_settings.unauthenticated_message_max_bytes = 65536;
    c->server_settings.message_timeout_seconds = 60;
    c->server_settings.unread_output_timeout_seconds = 60;
    c->server_settings.allow_plaintext = true;
    c->server_settings.connection_memory_max_mb = 1024;
    if (!(c->server_settings.status_address = strdup("127.0.0.1:11237")))
        goto fail;
    if (!(c->server_settings.status_token = strdup("")))
        goto fail;
    c->server_settings.status_show_output = false;
    c->server_settings.rejected_retry_seconds = 60;
    c->server_settings.live_output_buffer_bytes = 65536;
    c->worker_settings.system_update_interval_seconds = 60;
    c->worker_settings.worker_max_parallel_jobs = 10;
    c->worker_settings.dynamic_check_free_resources = true;
    c->worker_settings.dynamic_cpu_load_scale_factor = 1.0;
    if (!(c->worker_settings.worker_name = strdup("")))
        goto fail;
    c->worker_settings.output_limit_bytes = 1048576;
    c->worker_settings.kill_grace_seconds = 5.0;
    c->worker_settings.reconnect_max_seconds = 60;
    if (!(c->worker_settings.on_shutdown = strdup("requeue")))
        goto fail;
    c->client_settings.job_default_cpus = 8;
    c->client_settings.job_default_ram_mb = 8192;
    c->client_settings.capture_environment = true;
    c->client_settings.relay_idle_seconds = 300;
    c->restart_workers.sleep_minutes_before_recheck = 60.0;
    return 0;
fail:
    kq_config_free(c);
    return -ENOMEM;
}

void kq_config_use_template(kq_config *c)
{
    c->client_settings.job_default_cpus = 1;
    c->client_settings.job_default_ram_mb = 1024;
}

int kq_config_fill_random(kq_config *c)
{
    int rc;

    if (!c->common_settings.shared_secret &&
        (rc = kq_cfgval_random(&c->common_settings.shared_secret, 64)) < 0)
        return rc;
    return 0;
}

void kq_config_free(kq_config *c)
{
    free(c->file);
    free(c->common_settings.shared_secret);
    free(c->common_settings.server_name);
    free(c->common_settings.log_level);
    free(c->common_settings.encryption);
    free(c->server_settings.bind_addresses);
    free(c->server_settings.state_file);
    free(c->server_settings.status_address);
    free(c->server_settings.status_token);
    free(c->worker_settings.worker_name);
    free(c->worker_settings.on_shutdown);
    free(c->restart_workers.ssh_user);
    free(c->restart_workers.hostnames);
    kq_u64_map_free(&c->global_resources);
    memset(c, 0, sizeof *c);
}

int kq_config_apply(kq_config *c, const kq_toml_doc *doc, const char *file,
                    kq_config_warn_fn *warn, void *ctx, kq_error *err)
{
    bool seen[39] = {false};
    int rc = 0;

    for (size_t i = 0; i < doc->count && rc == 0; i++) {
        const kq_toml_entry *e = &doc->entries[i];
        const char *key;

        if ((key = kq_cfgval_in_section(e, "common_settings"))) {
            if (strcmp(key, "shared_secret") == 0) {
                seen[0] = true;
                rc = kq_cfgval_string(e, file, "common_settings.shared_secret", NULL, &c->common_settings.shared_secret, err);
            } else if (strcmp(key, "server_name") == 0) {
                seen[1] = true;
                rc = kq_cfgval_string(e, file, "common_settings.server_name", NULL, &c->common_settings.server_name, err);
            } else if (strcmp(key, "server_port") == 0) {
                seen[2] = true;
                rc = kq_cfgval_u16(e, file, "common_settings.server_port", 0, 65535, &c->common_settings.server_port, err);
            } else if (strcmp(key, "log_level") == 0) {
                seen[3] = true;
                rc = kq_cfgval_string(e, file, "common_settings.log_level", common_settings_log_level_choices, &c->common_settings.log_level, err);
            } else if (strcmp(key, "encryption") == 0) {
                seen[4] = true;
                rc = kq_cfgval_string(e, file, "common_settings.encryption", common_settings_encryption_choices, &c->common_settings.encryption, err);
            } else {
                kq_cfgval_unknown_key(e, file, warn, ctx);
            }
        } else if ((key = kq_cfgval_in_section(e, "server_settings"))) {
            if (strcmp(key, "bind_addresses") == 0) {
                seen[5] = true;
                rc = kq_cfgval_string(e, file, "server_settings.bind_addresses", NULL, &c->server_settings.bind_addresses, err);
            } else if (strcmp(key, "maintenance_interval_seconds") == 0) {
                seen[6] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.maintenance_interval_seconds", UINT64_C(1), UINT64_C(1000000000), &c->server_settings.maintenance_interval_seconds, err);
            } else if (strcmp(key, "worker_timeout_seconds") == 0) {
                seen[7] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.worker_timeout_seconds", UINT64_C(0), UINT64_C(1000000000), &c->server_settings.worker_timeout_seconds, err);
            } else if (strcmp(key, "job_offer_timeout_seconds") == 0) {
                seen[8] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.job_offer_timeout_seconds", UINT64_C(0), UINT64_C(1000000000), &c->server_settings.job_offer_timeout_seconds, err);
            } else if (strcmp(key, "job_cleanup_after_minutes") == 0) {
                seen[9] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.job_cleanup_after_minutes", UINT64_C(0), UINT64_C(1000000000), &c->server_settings.job_cleanup_after_minutes, err);
            } else if (strcmp(key, "global_max_parallel_jobs") == 0) {
                seen[10] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.global_max_parallel_jobs", UINT64_C(0), UINT64_MAX, &c->server_settings.global_max_parallel_jobs, err);
            } else if (strcmp(key, "state_file") == 0) {
                seen[11] = true;
                rc = kq_cfgval_string(e, file, "server_settings.state_file", NULL, &c->server_settings.state_file, err);
            } else if (strcmp(key, "state_journal_max_mb") == 0) {
                seen[12] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.state_journal_max_mb", UINT64_C(1), UINT64_C(1048576), &c->server_settings.state_journal_max_mb, err);
            } else if (strcmp(key, "unauthenticated_message_max_bytes") == 0) {
                seen[13] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.unauthenticated_message_max_bytes", UINT64_C(1024), UINT64_C(16777216), &c->server_settings.unauthenticated_message_max_bytes, err);
            } else if (strcmp(key, "message_timeout_seconds") == 0) {
                seen[14] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.message_timeout_seconds", UINT64_C(1), UINT64_C(1000000000), &c->server_settings.message_timeout_seconds, err);
            } else if (strcmp(key, "unread_output_timeout_seconds") == 0) {
                seen[15] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.unread_output_timeout_seconds", UINT64_C(1), UINT64_C(1000000000), &c->server_settings.unread_output_timeout_seconds, err);
            } else if (strcmp(key, "allow_plaintext") == 0) {
                seen[16] = true;
                rc = kq_cfgval_bool(e, file, "server_settings.allow_plaintext", &c->server_settings.allow_plaintext, err);
            } else if (strcmp(key, "connection_memory_max_mb") == 0) {
                seen[17] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.connection_memory_max_mb", UINT64_C(1), UINT64_C(1048576), &c->server_settings.connection_memory_max_mb, err);
            } else if (strcmp(key, "status_address") == 0) {
                seen[18] = true;
                rc = kq_cfgval_string(e, file, "server_settings.status_address", NULL, &c->server_settings.status_address, err);
            } else if (strcmp(key, "status_token") == 0) {
                seen[19] = true;
                rc = kq_cfgval_string(e, file, "server_settings.status_token", NULL, &c->server_settings.status_token, err);
            } else if (strcmp(key, "status_show_output") == 0) {
                seen[20] = true;
                rc = kq_cfgval_bool(e, file, "server_settings.status_show_output", &c->server_settings.status_show_output, err);
            } else if (strcmp(key, "rejected_retry_seconds") == 0) {
                seen[21] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.rejected_retry_seconds", UINT64_C(1), UINT64_C(3600), &c->server_settings.rejected_retry_seconds, err);
            } else if (strcmp(key, "live_output_buffer_bytes") == 0) {
                seen[22] = true;
                rc = kq_cfgval_u64(e, file, "server_settings.live_output_buffer_bytes", UINT64_C(0), UINT64_C(16777216), &c->server_settings.live_output_buffer_bytes, err);
            } else {
                kq_cfgval_unknown_key(e, file, warn, ctx);
            }
        } else if ((key = kq_cfgval_in_section(e, "worker_settings"))) {
            if (strcmp(key, "system_update_interval_seconds") == 0) {
                seen[23] = true;
                rc = kq_cfgval_u64(e, file, "worker_settings.system_update_interval_seconds", UINT64_C(1), UINT64_C(1000000000), &c->worker_settings.system_update_interval_seconds, err);
            } else if (strcmp(key, "worker_max_parallel_jobs") == 0) {
                seen[24] = true;
                rc = kq_cfgval_u64(e, file, "worker_settings.worker_max_parallel_jobs", UINT64_C(0), UINT64_MAX, &c->worker_settings.worker_max_parallel_jobs, err);
            } else if (strcmp(key, "dynamic_check_free_resources") == 0) {
                seen[25] = true;
                rc = kq_cfgval_bool(e, file, "worker_settings.dynamic_check_free_resources", &c->worker_settings.dynamic_check_free_resources, err);
            } else if (strcmp(key, "dynamic_cpu_load_scale_factor") == 0) {
                seen[26] = true;
                rc = kq_cfgval_f64(e, file, "worker_settings.dynamic_cpu_load_scale_factor", -INFINITY, false, INFINITY, &c->worker_settings.dynamic_cpu_load_scale_factor, err);
            } else if (strcmp(key, "worker_name") == 0) {
                seen[27] = true;
                rc = kq_cfgval_string(e, file, "worker_settings.worker_name", NULL, &c->worker_settings.worker_name, err);
            } else if (strcmp(key, "output_limit_bytes") == 0) {
                seen[28] = true;
                rc = kq_cfgval_u64(e, file, "worker_settings.output_limit_bytes", UINT64_C(1024), UINT64_MAX, &c->worker_settings.output_limit_bytes, err);
            } else if (strcmp(key, "kill_grace_seconds") == 0) {
                seen[29] = true;
                rc = kq_cfgval_f64(e, file, "worker_settings.kill_grace_seconds", 0.0, false, 3600.0, &c->worker_settings.kill_grace_seconds, err);
            } else if (strcmp(key, "reconnect_max_seconds") == 0) {
                seen[30] = true;
                rc = kq_cfgval_u64(e, file, "worker_settings.reconnect_max_seconds", UINT64_C(1), UINT64_C(1000000000), &c->worker_settings.reconnect_max_seconds, err);
            } else if (strcmp(key, "on_shutdown") == 0) {
                seen[31] = true;
                rc = kq_cfgval_string(e, file, "worker_settings.on_shutdown", worker_settings_on_shutdown_choices, &c->worker_settings.on_shutdown, err);
            } else {
                kq_cfgval_unknown_key(e, file, warn, ctx);
            }
        } else if ((key = kq_cfgval_in_section(e, "client_settings"))) {
            if (strcmp(key, "job_default_cpus") == 0) {
                seen[32] = true;
                rc = kq_cfgval_u64(e, file, "client_settings.job_default_cpus", UINT64_C(0), UINT64_MAX, &c->client_settings.job_default_cpus, err);
            } else if (strcmp(key, "job_default_ram_mb") == 0) {
                seen[33] = true;
                rc = kq_cfgval_u64(e, file, "client_settings.job_default_ram_mb", UINT64_C(0), UINT64_MAX, &c->client_settings.job_default_ram_mb, err);
            } else if (strcmp(key, "capture_environment") == 0) {
                seen[34] = true;
                rc = kq_cfgval_bool(e, file, "client_settings.capture_environment", &c->client_settings.capture_environment, err);
            } else if (strcmp(key, "relay_idle_seconds") == 0) {
                seen[35] = true;
                rc = kq_cfgval_u64(e, file, "client_settings.relay_idle_seconds", UINT64_C(0), UINT64_C(1000000000), &c->client_settings.relay_idle_seconds, err);
            } else {
                kq_cfgval_unknown_key(e, file, warn, ctx);
            }
        } else if ((key = kq_cfgval_in_section(e, "restart_workers"))) {
            if (strcmp(key, "ssh_user") == 0) {
                seen[36] = true;
                rc = kq_cfgval_string(e, file, "restart_workers.ssh_user", NULL, &c->restart_workers.ssh_user, err);
            } else if (strcmp(key, "hostnames") == 0) {
                seen[37] = true;
                rc = kq_cfgval_string(e, file, "restart_workers.hostnames", NULL, &c->restart_workers.hostnames, err);
            } else if (strcmp(key, "sleep_minutes_before_recheck") == 0) {
                seen[38] = true;
                rc = kq_cfgval_f64(e, file, "restart_workers.sleep_minutes_before_recheck", 0.0, true, 1000000000.0, &c->restart_workers.sleep_minutes_before_recheck, err);
            } else {
                kq_cfgval_unknown_key(e, file, warn, ctx);
            }
        } else if ((key = kq_cfgval_in_section(e, "global_resources"))) {
            rc = kq_cfgval_map_u64(e, key, file, "global_resources", &c->global_resources, err);
        } else {
            kq_cfgval_unknown_key(e, file, warn, ctx);
        }
    }
    if (rc < 0)
        return rc;
    kq_cfgval_unknown_tables(doc, file, (const char *const[]){
        "common_settings",
        "server_settings",
        "worker_settings",
        "client_settings",
        "restart_workers",
        "global_resources",
        NULL}, warn, ctx);
    c->has_restart_workers = kq_cfgval_has_table(doc, "restart_workers");
    c->has_global_resources = kq_cfgval_has_table(doc, "global_resources");
    if (c->has_restart_workers && !seen[36]) {
        kq_error_set(err, "%s: [restart_workers] needs the key ssh_user", file);
        return -EINVAL;
    }
    if (c->has_restart_workers && !seen[37]) {
        kq_error_set(err, "%s: [restart_workers] needs the key hostnames", file);
        return -EINVAL;
    }
    (void)seen;
    return 0;
}

void kq_config_write(const kq_config *c, kq_buf *out)
{
    kq_buf_puts(out, "# Settings of every program.\n[common_settings]\n");
    kq_buf_puts(out, "# Secret shared by server, workers and clients (authentication); generated on\n# first start. Copy it to every machine.\nshared_secret = ");
    kq_cfgval_write_string(out, c->common_settings.shared_secret);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Host name or address of the server (for workers and clients).\nserver_name = ");
    kq_cfgval_write_string(out, c->common_settings.server_name);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# TCP port of the server.\nserver_port = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->common_settings.server_port);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Least severe log messages shown: trace, debug, info, warn or error.\nlog_level = ");
    kq_cfgval_write_string(out, c->common_settings.log_level);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Clients and workers: \"auto\" speaks TLS 1.3 keyed with shared_secret\n# and falls back to plain text, with a warning, when the server does not speak\n# it (an original Kueue); \"required\" never falls back: recommended once the\n# server is Kueue-C, since an attacker on the path can make \"auto\" fall back;\n# \"off\" speaks plain text, as the original does.\nencryption = ");
    kq_cfgval_write_string(out, c->common_settings.encryption);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "\n# Settings of kueue_server.\n[server_settings]\n");
    kq_buf_puts(out, "# Addresses to listen on, separated by spaces; IPv6 in brackets.\nbind_addresses = ");
    kq_cfgval_write_string(out, c->server_settings.bind_addresses);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Seconds between maintenance passes (offer timeouts, lost workers, cleanup).\nmaintenance_interval_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.maintenance_interval_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# A worker silent this long is considered gone and its jobs are queued again.\nworker_timeout_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.worker_timeout_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# An offer unanswered this long goes back to the queue.\njob_offer_timeout_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.job_offer_timeout_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Finished and canceled jobs are removed after this many minutes.\njob_cleanup_after_minutes = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.job_cleanup_after_minutes);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Most job slots offered or running at once across all workers.\nglobal_max_parallel_jobs = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.global_max_parallel_jobs);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: SQLite file holding jobs across restarts, beside its journal (the\n# same name plus -changes); empty means $XDG_DATA_HOME/kueue/server.sqlite3.\nstate_file = ");
    kq_cfgval_write_string(out, c->server_settings.state_file);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: MiB the state journal may hold before it is folded into the SQLite\n# file even while the server is busy (it is folded anyway after a second\n# without changes); it is replayed at a start after a crash.\nstate_journal_max_mb = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.state_journal_max_mb);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Largest message a connection may send before it authenticates (a\n# hello, the authentication and read-only requests take a few hundred bytes);\n# 16 MiB after.\nunauthenticated_message_max_bytes = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.unauthenticated_message_max_bytes);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: A message must arrive whole within this many seconds of its first\n# byte, or the connection is closed.\nmessage_timeout_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.message_timeout_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: A peer that reads nothing of what waits for it for this many seconds\n# is disconnected.\nunread_output_timeout_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.unread_output_timeout_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Accept plain-text connections (original Kueue clients and workers,\n# or encryption = \"off\") beside TLS on the same port. false refuses them: then\n# only holders of shared_secret can connect at all, which also protects the\n# read-only requests (job lists, commands, output) that the protocol answers\n# without authentication.\nallow_plaintext = ");
    kq_buf_puts(out, c->server_settings.allow_plaintext ? "true" : "false");
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: MiB the input and output buffers of all connections may hold\n# together; past it the connections holding the most are closed,\n# unauthenticated ones first.\nconnection_memory_max_mb = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.connection_memory_max_mb);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: host:port of the status page and metrics (HTTP: /, /api/jobs,\n# /api/workers, /api/resources, /metrics; IPv6 in brackets); empty turns them\n# off. The default serves this machine only; any address that is not loopback\n# (127.0.0.0/8, [::1]) needs status_token.\nstatus_address = ");
    kq_cfgval_write_string(out, c->server_settings.status_address);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Token the status page and metrics require, sent as the header\n# 'Authorization: Bearer TOKEN' or as ?token=TOKEN; required when\n# status_address is not loopback (use a long random string), optional on\n# loopback; empty: no token.\nstatus_token = ");
    kq_cfgval_write_string(out, c->server_settings.status_token);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Show the captured output of jobs on the status page and in\n# /api/jobs/ID (off: lists only, as any client may see them).\nstatus_show_output = ");
    kq_buf_puts(out, c->server_settings.status_show_output ? "true" : "false");
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: A job a worker rejected (its directory is missing there) is offered\n# to that worker again after its next report once this long has passed, the\n# wait doubling at each rejection up to an hour.\nrejected_retry_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.rejected_retry_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Bytes of each running job's stdout and stderr the server keeps, the\n# last ones, for kueue follow and show-job (the worker sends them while the job\n# runs); 0 keeps none (followers then see only what comes after they start).\nlive_output_buffer_bytes = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->server_settings.live_output_buffer_bytes);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "\n# Settings of kueue_worker.\n[worker_settings]\n");
    kq_buf_puts(out, "# Seconds between reports of system information and free resources.\nsystem_update_interval_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->worker_settings.system_update_interval_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Most jobs (job slots) this worker runs at once.\nworker_max_parallel_jobs = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->worker_settings.worker_max_parallel_jobs);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Count CPU load and available memory, not only the resources of running jobs.\ndynamic_check_free_resources = ");
    kq_buf_puts(out, c->worker_settings.dynamic_check_free_resources ? "true" : "false");
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Multiplies the CPU load before it counts as busy cores.\ndynamic_cpu_load_scale_factor = ");
    kq_cfgval_write_f64(out, c->worker_settings.dynamic_cpu_load_scale_factor);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Name shown for this worker; empty means the host name up to the\n# first dot.\nworker_name = ");
    kq_cfgval_write_string(out, c->worker_settings.worker_name);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Captured stdout and stderr are each cut after this many bytes.\noutput_limit_bytes = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->worker_settings.output_limit_bytes);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: After SIGTERM, a killed job's processes get this long before\n# SIGKILL.\nkill_grace_seconds = ");
    kq_cfgval_write_f64(out, c->worker_settings.kill_grace_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Longest wait between attempts to reach a lost server (it doubles\n# from 1 s).\nreconnect_max_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->worker_settings.reconnect_max_seconds);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: What a worker stopped by SIGTERM or SIGINT does with its running\n# jobs, which it kills: \"requeue\" gives them back to the server, which queues\n# them again (a Kueue-C server; with the original they fail), \"fail\" reports\n# them failed (-46).\non_shutdown = ");
    kq_cfgval_write_string(out, c->worker_settings.on_shutdown);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "\n# Settings of the kueue client.\n[client_settings]\n");
    kq_buf_puts(out, "# CPU cores a job requests unless given with kueue cmd --cpus; it runs only on\n# a worker with this many cores free. Without this key: 8, as in the original.\njob_default_cpus = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->client_settings.job_default_cpus);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# RAM (MiB) a job requests unless given with kueue cmd --ram-mb; it runs only\n# on a worker with this much memory free. Without this key: 8192, as in the\n# original.\njob_default_ram_mb = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->client_settings.job_default_ram_mb);
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Jobs run with the environment of the shell that submits them (as\n# sbatch does), except the variables the README lists (DISPLAY, SSH_*, ...);\n# false keeps the worker's own, as --no-env does.\ncapture_environment = ");
    kq_buf_puts(out, c->client_settings.capture_environment ? "true" : "false");
    kq_buf_putc(out, '\n');
    kq_buf_puts(out, "# Kueue-C: Over TLS, a kueue call starts a relay for this user, server and\n# secret (kueue relay) that keeps TLS connections to the server open and\n# authenticated, so that later calls skip the handshake; it exits after this\n# many seconds without a call, or as soon as the server cannot be reached. 0:\n# no relay, each call makes its own TLS connection.\nrelay_idle_seconds = ");
    kq_buf_printf(out, "%llu", (unsigned long long)c->client_settings.relay_idle_seconds);
    kq_buf_putc(out, '\n');
    if (c->has_restart_workers) {
        kq_buf_puts(out, "\n# Settings of kueue_restart_workers, which starts workers over ssh.\n[restart_workers]\n");
        kq_buf_puts(out, "# User to log in as on every host.\nssh_user = ");
        kq_cfgval_write_string(out, c->restart_workers.ssh_user);
        kq_buf_putc(out, '\n');
        kq_buf_puts(out, "# Hosts to keep a worker running on, separated by spaces.\nhostnames = ");
        kq_cfgval_write_string(out, c->restart_workers.hostnames);
        kq_buf_putc(out, '\n');
        kq_buf_puts(out, "# Minutes between rounds.\nsleep_minutes_before_recheck = ");
        kq_cfgval_write_f64(out, c->restart_workers.sleep_minutes_before_recheck);
        kq_buf_putc(out, '\n');
    } else {
        kq_buf_puts(out, "\n# Settings of kueue_restart_workers, which starts workers over ssh.\n# [restart_workers]\n");
        kq_buf_puts(out, "# ssh_user = \"alice\"\n");
        kq_buf_puts(out, "# hostnames = \"node1 node2\"\n");
        kq_buf_puts(out, "# sleep_minutes_before_recheck = 60.0\n");
    }
    if (c->has_global_resources) {
        kq_buf_puts(out, "\n# Resources shared by all jobs, such as licences, with how many exist: name =\n# amount. A job asks for some with kueue cmd --resource matlab=1 and holds them\n# while it runs; jobs that would exceed the amount wait.\n[global_resources]\n");
        kq_cfgval_write_map_u64(out, &c->global_resources);
    } else {
        kq_buf_puts(out, "\n# Resources shared by all jobs, such as licences, with how many exist: name =\n# amount. A job asks for some with kueue cmd --resource matlab=1 and holds them\n# while it runs; jobs that would exceed the amount wait.\n# [global_resources]\n");
        kq_buf_puts(out, "# matlab = 4\n");
        kq_buf_puts(out, "# gpu_licence = 1\n");
    }
}
