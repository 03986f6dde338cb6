/*
 * kq_config_gen.h - the configuration file's keys as a C struct.
 *
 * Generated from schema/config.yaml by codegen/kqgen.py; do not edit.
 *
 * Strings are owned (malloc'ed) by the struct; kq_config_free releases
 * them.  Reading files, first-start templates and permissions are in
 * src/common/kq_config.h, which builds on this.
 */
#ifndef KQ_CONFIG_GEN_H
#define KQ_CONFIG_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_codec.h"
#include "kq_error.h"
#include "kq_toml.h"

typedef struct kq_config {
    /* The file read, as messages name it ("~/.config/kueue/config.toml"),
     * or NULL; set by kq_config_load. */
    char *file;
    /* [common_settings] Settings of every program. */
    struct {
        char *shared_secret; /* Secret shared by server, workers and clients (authentication); generated on first start. Copy it to every machine. */
        char *server_name; /* Host name or address of the server (for workers and clients). */
        uint16_t server_port; /* TCP port of the server. */
        char *log_level; /* Least severe log messages shown: trace, debug, info, warn or error. */
        char *encryption; /* Clients and workers: "auto" speaks TLS 1.3 keyed with shared_secret and falls back to plain text, with a warning, when the server does not speak it (an original Kueue); "required" never falls back: recommended once the server is Kueue-C, since an attacker on the path can make "auto" fall back; "off" speaks plain text, as the original does. */
    } common_settings;
    /* [server_settings] Settings of kueue_server. */
    struct {
        char *bind_addresses; /* Addresses to listen on, separated by spaces; IPv6 in brackets. */
        uint64_t maintenance_interval_seconds; /* Seconds between maintenance passes (offer timeouts, lost workers, cleanup). */
        uint64_t worker_timeout_seconds; /* A worker silent this long is considered gone and its jobs are queued again. */
        uint64_t job_offer_timeout_seconds; /* An offer unanswered this long goes back to the queue. */
        uint64_t job_cleanup_after_minutes; /* Finished and canceled jobs are removed after this many minutes. */
        uint64_t global_max_parallel_jobs; /* Most job slots offered or running at once across all workers. */
        char *state_file; /* SQLite file holding jobs across restarts, beside its journal (the same name plus -changes); empty means $XDG_DATA_HOME/kueue/server.sqlite3. */
        uint64_t state_journal_max_mb; /* MiB the state journal may hold before it is folded into the SQLite file even while the server is busy (it is folded anyway after a second without changes); it is replayed at a start after a crash. */
        uint64_t unauthenticated_message_max_bytes; /* Largest message a connection may send before it authenticates (a hello, the authentication and read-only requests take a few hundred bytes); 16 MiB after. */
        uint64_t message_timeout_seconds; /* A message must arrive whole within this many seconds of its first byte, or the connection is closed. */
        uint64_t unread_output_timeout_seconds; /* A peer that reads nothing of what waits for it for this many seconds is disconnected. */
        bool allow_plaintext; /* Accept plain-text connections (original Kueue clients and workers, or encryption = "off") beside TLS on the same port. false refuses them: then only holders of shared_secret can connect at all, which also protects the read-only requests (job lists, commands, output) that the protocol answers without authentication. */
        uint64_t connection_memory_max_mb; /* MiB the input and output buffers of all connections may hold together; past it the connections holding the most are closed, unauthenticated ones first. */
        char *status_address; /* host:port of the status page and metrics (HTTP: /, /api/jobs, /api/workers, /api/resources, /metrics; IPv6 in brackets); empty turns them off. The default serves this machine only; any address that is not loopback (127.0.0.0/8, [::1]) needs status_token. */
        char *status_token; /* Token the status page and metrics require, sent as the header 'Authorization: Bearer TOKEN' or as ?token=TOKEN; required when status_address is not loopback (use a long random string), optional on loopback; empty: no token. */
        bool status_show_output; /* Show the captured output of jobs on the status page and in /api/jobs/ID (off: lists only, as any client may see them). */
        uint64_t rejected_retry_seconds; /* A job a worker rejected (its directory is missing there) is offered to that worker again after its next report once this long has passed, the wait doubling at each rejection up to an hour. */
        uint64_t live_output_buffer_bytes; /* Bytes of each running job's stdout and stderr the server keeps, the last ones, for kueue follow and show-job (the worker sends them while the job runs); 0 keeps none (followers then see only what comes after they start). */
    } server_settings;
    /* [worker_settings] Settings of kueue_worker. */
    struct {
        uint64_t system_update_interval_seconds; /* Seconds between reports of system information and free resources. */
        uint64_t worker_max_parallel_jobs; /* Most jobs (job slots) this worker runs at once. */
        bool dynamic_check_free_resources; /* Count CPU load and available memory, not only the resources of running jobs. */
        double dynamic_cpu_load_scale_factor; /* Multiplies the CPU load before it counts as busy cores. */
        char *worker_name; /* Name shown for this worker; empty means the host name up to the first dot. */
        uint64_t output_limit_bytes; /* Captured stdout and stderr are each cut after this many bytes. */
        double kill_grace_seconds; /* After SIGTERM, a killed job's processes get this long before SIGKILL. */
        uint64_t reconnect_max_seconds; /* Longest wait between attempts to reach a lost server (it doubles from 1 s). */
        char *on_shutdown; /* What a worker stopped by SIGTERM or SIGINT does with its running jobs, which it kills: "requeue" gives them back to the server, which queues them again (a Kueue-C server; with the original they fail), "fail" reports them failed (-46). */
    } worker_settings;
    /* [client_settings] Settings of the kueue client. */
    struct {
        uint64_t job_default_cpus; /* CPU cores a job requests unless given with kueue cmd --cpus; it runs only on a worker with this many cores free. Without this key: 8, as in the original. */
        uint64_t job_default_ram_mb; /* RAM (MiB) a job requests unless given with kueue cmd --ram-mb; it runs only on a worker with this much memory free. Without this key: 8192, as in the original. */
        bool capture_environment; /* Jobs run with the environment of the shell that submits them (as sbatch does), except the variables the README lists (DISPLAY, SSH_*, ...); false keeps the worker's own, as --no-env does. */
        uint64_t relay_idle_seconds; /* Over TLS, a kueue call starts a relay for this user, server and secret (kueue relay) that keeps TLS connections to the server open and authenticated, so that later calls skip the handshake; it exits after this many seconds without a call, or as soon as the server cannot be reached. 0: no relay, each call makes its own TLS connection. */
    } client_settings;
    /* [restart_workers] Settings of kueue_restart_workers, which starts workers over ssh. */
    bool has_restart_workers; /* the section is present */
    struct {
        char *ssh_user; /* User to log in as on every host. */
        char *hostnames; /* Hosts to keep a worker running on, separated by spaces. */
        double sleep_minutes_before_recheck; /* Minutes between rounds. */
    } restart_workers;
    /* [global_resources] Resources shared by all jobs, such as licences, with how many exist: name = amount. A job asks for some with kueue cmd --resource matlab=1 and holds them while it runs; jobs that would exceed the amount wait. */
    bool has_global_resources; /* the section is present */
    kq_u64_map global_resources;
} kq_config;

/* Called with each warning (unknown keys and sections) while applying. */
typedef void kq_config_warn_fn(void *ctx, const char *message);

/* Fills c with the defaults, except those drawn at random (the shared
 * secret), which stay NULL until kq_config_fill_random: drawing them costs
 * a random-number generator start-up that most runs do not need.
 * 0 or -ENOMEM. */
KQ_NODISCARD int kq_config_init(kq_config *c);

/*
 * Sets the keys whose value in a new file differs from their default (the
 * schema's `template`) to that value: what the template holds, and so the
 * run that writes it.  A key absent from a file keeps its default, the
 * original's, so a file read by original and Kueue-C programs alike means
 * the same to both.
 */
void kq_config_use_template(kq_config *c);

/* Draws the random defaults still unset (a file without shared_secret, or
 * no file).  0, -ENOMEM or -EIO. */
KQ_NODISCARD int kq_config_fill_random(kq_config *c);

void kq_config_free(kq_config *c);

/*
 * Applies the values of a parsed file over c.  A value of the wrong type or
 * out of range is an error naming file, line and key; an unknown key or
 * section is a warning (the original ignores them too).  0 or -EINVAL.
 */
KQ_NODISCARD int kq_config_apply(kq_config *c, const kq_toml_doc *doc,
                                 const char *file, kq_config_warn_fn *warn,
                                 void *ctx, kq_error *err);

/* Appends c as a commented TOML file (the first-start template). */
void kq_config_write(const kq_config *c, kq_buf *out);

#endif
