/*
 * kq_cli.c - the command-line table, its parser and the help texts (see
 * kq_cli.h).  Owns nothing beyond the parsed arguments' --resource list.
 */
#include "kq_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kq_compiler.h"
#include "kq_duration.h"
#include "kq_utf8.h"
#include "kq_wfspec.h"

const char kq_cli_about[] =
    "A robust, user-level, work-stealing, distributed task scheduler.";
const char kq_cli_version[] = "kueue " KQ_VERSION;

/* ---- the table -------------------------------------------------------- */

static const kq_cli_opt opt_config = {
    KQ_OPT_CONFIG, 'c', "config", "PATH", KQ_ARG_PATH, false,
    "Path to the configuration file"};
static const kq_cli_opt opt_init = {
    KQ_OPT_INIT, 0, "init", NULL, KQ_ARG_FLAG, false,
    "Write a new configuration (with a fresh shared secret) to that path or "
    "the default one, and exit"};
static const kq_cli_opt opt_help = {
    KQ_OPT_HELP, 'h', "help", NULL, KQ_ARG_FLAG, false, "Print help"};
static const kq_cli_opt opt_version = {
    KQ_OPT_VERSION, 'V', "version", NULL, KQ_ARG_FLAG, false, "Print version"};
static const kq_cli_opt opt_job_slots = {
    KQ_OPT_JOB_SLOTS, 'j', "job-slots", "N", KQ_ARG_U64, false,
    "Job slots the job occupies [default: 1]"};
static const kq_cli_opt opt_cpus = {
    KQ_OPT_CPUS, 'c', "cpus", "N", KQ_ARG_U64, false,
    "CPU cores the job needs [default: client_settings.job_default_cpus]"};
static const kq_cli_opt opt_ram_mb = {
    KQ_OPT_RAM_MB, 'r', "ram-mb", "N", KQ_ARG_U64, false,
    "RAM in megabytes the job needs [default: client_settings.job_default_ram_mb]"};
static const kq_cli_opt opt_resource = {
    KQ_OPT_RESOURCE, 0, "resource", "NAME[=N]", KQ_ARG_TEXT, true,
    "Global resource (e.g. a licence) the job holds while it runs; NAME alone "
    "means 1; repeatable"};
static const kq_cli_opt opt_stdout = {
    KQ_OPT_STDOUT, 'o', "stdout", "PATH", KQ_ARG_PATH, false,
    "Write stdout to this file (relative to the working directory); \"null\" "
    "discards it"};
static const kq_cli_opt opt_stderr = {
    KQ_OPT_STDERR, 'e', "stderr", "PATH", KQ_ARG_PATH, false,
    "Write stderr to this file (relative to the working directory); \"null\" "
    "discards it"};
static const kq_cli_opt opt_wait = {
    KQ_OPT_WAIT, 'w', "wait", NULL, KQ_ARG_FLAG, false,
    "Block until the job has ended; print its return code and exit with it"};
static const kq_cli_opt opt_batch_wait = {
    KQ_OPT_WAIT, 'w', "wait", NULL, KQ_ARG_FLAG, false,
    "Block until every job has ended; exit 1 if any failed or was canceled"};
static const kq_cli_opt opt_num_jobs = {
    KQ_OPT_NUM_JOBS, 'n', "num-jobs", "N", KQ_ARG_U64, false,
    "Number of most recent jobs to list [default: terminal height - 4, or "
    "996 off a terminal]"};
static const kq_cli_opt opt_pending = {
    KQ_OPT_PENDING, 'p', "pending", NULL, KQ_ARG_FLAG, false, "List pending jobs"};
static const kq_cli_opt opt_offered = {
    KQ_OPT_OFFERED, 'o', "offered", NULL, KQ_ARG_FLAG, false, "List offered jobs"};
static const kq_cli_opt opt_running = {
    KQ_OPT_RUNNING, 'r', "running", NULL, KQ_ARG_FLAG, false, "List running jobs"};
static const kq_cli_opt opt_succeeded = {
    KQ_OPT_SUCCEEDED, 's', "succeeded", NULL, KQ_ARG_FLAG, false,
    "List jobs that finished with code 0"};
static const kq_cli_opt opt_failed = {
    KQ_OPT_FAILED, 'f', "failed", NULL, KQ_ARG_FLAG, false,
    "List jobs that finished with another code"};
static const kq_cli_opt opt_canceled = {
    KQ_OPT_CANCELED, 'c', "canceled", NULL, KQ_ARG_FLAG, false,
    "List canceled jobs"};
static const kq_cli_opt opt_kill = {
    KQ_OPT_KILL, 'k', "kill", NULL, KQ_ARG_FLAG, false,
    "Also cancel the job if it is already running, by killing it"};
static const kq_cli_opt opt_all = {
    KQ_OPT_ALL, 'a', "all", NULL, KQ_ARG_FLAG, false,
    "Also remove jobs that failed"};
static const kq_cli_opt opt_after = {
    KQ_OPT_AFTER, 0, "after", "IDS", KQ_ARG_IDS, false,
    "Start only after these jobs finished with return code 0 (ids and ranges: "
    "12,15,20-29); if one fails or is canceled, this job is canceled too"};
static const kq_cli_opt opt_after_any = {
    KQ_OPT_AFTER_ANY, 0, "after-any", "IDS", KQ_ARG_IDS, false,
    "Start only after these jobs ended, whatever their result"};
static const kq_cli_opt opt_priority = {
    KQ_OPT_PRIORITY, 0, "priority", "N", KQ_ARG_I32, false,
    "Jobs of a higher priority start first, in the order they came within one "
    "priority (-2147483648 to 2147483647) [default: 0]"};
static const kq_cli_opt opt_time_limit = {
    KQ_OPT_TIME_LIMIT, 0, "time-limit", "DURATION", KQ_ARG_DURATION, false,
    "Kill the job once it has run this long (90s, 45m, 2h30m, 1d); it ends "
    "with return code -47"};
static const kq_cli_opt opt_retries = {
    KQ_OPT_RETRIES, 0, "retries", "N", KQ_ARG_RETRIES, false,
    "Run the job again when it fails (return code not 0), up to N more times "
    "(at most 100)"};
static const kq_cli_opt opt_array = {
    KQ_OPT_ARRAY, 0, "array", "RANGE", KQ_ARG_RANGE, false,
    "Submit one job per index of RANGE (0-99, or 1-1000:10 for every 10th), "
    "with {index} in the command, --stdout, --stderr and --name replaced by "
    "it; prints the array's ID (its first job's; the jobs have consecutive "
    "IDs); at most 100000 jobs"};
static const kq_cli_opt opt_job_name = {
    KQ_OPT_NAME, 0, "name", "NAME", KQ_ARG_NAME, false,
    "A label for the job (not unique), shown by list-jobs and show-job"};
static const kq_cli_opt opt_name_filter = {
    KQ_OPT_NAME_PATTERN, 0, "name", "PATTERN", KQ_ARG_TEXT, false,
    "Only jobs whose name matches this pattern (*, ? and [...] as in the shell)"};
static const kq_cli_opt opt_list_array = {
    KQ_OPT_ARRAY_ID, 0, "array", "ID", KQ_ARG_U64, false,
    "Only the jobs of this array (kueue cmd --array)"};
static const kq_cli_opt opt_wait_array = {
    KQ_OPT_ARRAY_ID, 0, "array", "ID", KQ_ARG_U64, false,
    "Wait for every job of this array instead (exit 1 if any failed or was "
    "canceled)"};
static const kq_cli_opt opt_remove_array = {
    KQ_OPT_ARRAY_ID, 0, "array", "ID", KQ_ARG_U64, false,
    "Remove every job of this array that has not ended instead"};
/* kueue alloc (allocation queues, kq_alloc_cmd.c). */
static const kq_cli_opt opt_max_workers = {
    KQ_OPT_MAX_WORKERS, 0, "max-workers", "N", KQ_ARG_U64, false,
    "add: workers queued or running at most [default: 1]"};
static const kq_cli_opt opt_workers_per_alloc = {
    KQ_OPT_WORKERS_PER_ALLOC, 0, "workers-per-alloc", "N", KQ_ARG_U64, false,
    "add: workers (nodes) per allocation [default: 1]"};
static const kq_cli_opt opt_alloc_time_limit = {
    KQ_OPT_TIME_LIMIT, 0, "time-limit", "DURATION", KQ_ARG_DURATION, false,
    "add: each allocation's time limit (45m, 2h, 1d; at least 1m); its workers "
    "take only jobs that fit in what is left (required)"};
static const kq_cli_opt opt_idle_exit = {
    KQ_OPT_IDLE_EXIT, 0, "idle-exit", "DURATION", KQ_ARG_DURATION, false,
    "add: a worker exits, ending its allocation, once it had no job this long "
    "[default: 5m]"};
static const kq_cli_opt opt_margin = {
    KQ_OPT_MARGIN, 0, "margin", "DURATION", KQ_ARG_DURATION, false,
    "add: workers take jobs without a time limit while more than this is left "
    "[default: a quarter of the time limit, at most 10m]"};
static const kq_cli_opt opt_max_failures = {
    KQ_OPT_MAX_FAILURES, 0, "max-failures", "N", KQ_ARG_U64, false,
    "add: failures in a row (a submission refused, an allocation failed or "
    "never connected) that stop the queue [default: 3]"};
static const kq_cli_opt opt_connect_timeout = {
    KQ_OPT_CONNECT_TIMEOUT, 0, "connect-timeout", "DURATION", KQ_ARG_DURATION, false,
    "add: an allocation running this long without a worker connected is "
    "canceled [default: 10m]"};
static const kq_cli_opt opt_server = {
    KQ_OPT_SERVER, 0, "server", "HOST:PORT", KQ_ARG_TEXT, false,
    "add: where the workers connect [default: server_name:server_port of the "
    "configuration]"};
static const kq_cli_opt opt_worker_program = {
    KQ_OPT_WORKER_PROGRAM, 0, "worker-program", "PATH", KQ_ARG_PATH, false,
    "add: the kueue_worker the allocations run [default: the one installed "
    "beside kueue, else kueue_worker from PATH]"};
static const kq_cli_opt opt_worker_config = {
    KQ_OPT_WORKER_CONFIG, 0, "worker-config", "PATH", KQ_ARG_PATH, false,
    "add: the configuration file the workers read, on the nodes (it holds the "
    "secret) [default: this configuration file]"};
static const kq_cli_opt opt_cancel = {
    KQ_OPT_CANCEL, 0, "cancel", NULL, KQ_ARG_FLAG, false,
    "remove: also cancel the running allocations (their jobs go back to the "
    "queue); without it their workers exit once idle"};
static const kq_cli_opt opt_json = {
    KQ_OPT_JSON, 0, "json", NULL, KQ_ARG_FLAG, false,
    "Print the server's answer as one JSON protocol message instead of text"};

/* Issue 13 (a new user's first day). */
static const kq_cli_opt opt_queue_anyway = {
    KQ_OPT_QUEUE_ANYWAY, 0, "queue-anyway", NULL, KQ_ARG_FLAG, false,
    "Queue the job even if no connected worker could ever run it (for a "
    "machine that is off now); a Kueue-C server refuses it otherwise"};
static const kq_cli_opt opt_no_env = {
    KQ_OPT_NO_ENV, 0, "no-env", NULL, KQ_ARG_FLAG, false,
    "Run the job with the worker's environment, not this shell's "
    "[default: client_settings.capture_environment]"};
static const kq_cli_opt opt_env = {
    KQ_OPT_ENV, 0, "env", "NAME=VALUE", KQ_ARG_TEXT, true,
    "Set an environment variable for the job (also with --no-env); "
    "repeatable"};
static const kq_cli_opt opt_lines = {
    KQ_OPT_LINES, 'n', "lines", "N", KQ_ARG_U64, false,
    "How many of the last lines written so far to print first [default: 20]"};
static const kq_cli_opt opt_err_stream = {
    KQ_OPT_ERR_STREAM, 0, "stderr", NULL, KQ_ARG_FLAG, false,
    "The job's stderr instead of its stdout"};
static const kq_cli_opt opt_both = {
    KQ_OPT_BOTH, 0, "both", NULL, KQ_ARG_FLAG, false,
    "Both streams, each line marked [stdout] or [stderr]"};
static const kq_cli_opt opt_follow = {
    KQ_OPT_FOLLOW, 'f', "follow", NULL, KQ_ARG_FLAG, false,
    "Go on printing the output as it is written, until the job ends (as kueue follow)"};

static const kq_cli_opt opt_stop = {
    KQ_OPT_STOP, 0, "stop", NULL, KQ_ARG_FLAG, false,
    "Stop the relay running for this configuration's server, and wait for it to exit"};

const kq_cli_opt *const kq_cli_global_opts[] = {&opt_config, &opt_init,
                                                &opt_help, &opt_version, NULL};

static const kq_cli_opt *const opts_cmd[] = {
    &opt_job_slots, &opt_cpus, &opt_ram_mb, &opt_resource, &opt_stdout,
    &opt_stderr, &opt_wait, &opt_after, &opt_after_any, &opt_priority,
    &opt_time_limit, &opt_retries, &opt_array, &opt_job_name, &opt_queue_anyway,
    &opt_no_env, &opt_env, &opt_json, &opt_help, NULL};
static const kq_cli_opt *const opts_batch[] = {
    &opt_job_slots, &opt_cpus, &opt_ram_mb, &opt_resource, &opt_stdout,
    &opt_stderr, &opt_batch_wait, &opt_after, &opt_after_any, &opt_priority,
    &opt_time_limit, &opt_retries, &opt_job_name, &opt_queue_anyway, &opt_no_env,
    &opt_env, &opt_help, NULL};
static const kq_cli_opt *const opts_list_jobs[] = {
    &opt_num_jobs, &opt_pending, &opt_offered, &opt_running, &opt_succeeded,
    &opt_failed, &opt_canceled, &opt_name_filter, &opt_list_array, &opt_json,
    &opt_help, NULL};
static const kq_cli_opt *const opts_json[] = {&opt_json, &opt_help, NULL};
static const kq_cli_opt *const opts_restart[] = {&opt_after, &opt_after_any, &opt_json,
                                                 &opt_help, NULL};
static const kq_cli_opt *const opts_wait_job[] = {&opt_wait_array, &opt_json, &opt_help,
                                                  NULL};
static const kq_cli_opt *const opts_remove_job[] = {&opt_kill, &opt_remove_array, &opt_json,
                                                    &opt_help, NULL};
static const kq_cli_opt *const opts_clean_jobs[] = {&opt_all, &opt_json,
                                                    &opt_help, NULL};
static const kq_cli_opt *const opts_help_only[] = {&opt_help, NULL};
static const kq_cli_opt *const opts_follow[] = {&opt_lines, &opt_err_stream, &opt_both,
                                                &opt_help, NULL};
static const kq_cli_opt *const opts_log[] = {&opt_follow, &opt_lines, &opt_err_stream,
                                             &opt_both, &opt_help, NULL};
static const kq_cli_opt *const opts_relay[] = {&opt_stop, &opt_help, NULL};
static const kq_cli_opt *const opts_alloc[] = {
    &opt_max_workers, &opt_workers_per_alloc, &opt_alloc_time_limit, &opt_idle_exit,
    &opt_margin, &opt_max_failures, &opt_connect_timeout, &opt_server, &opt_worker_program,
    &opt_worker_config, &opt_cancel, &opt_json, &opt_help, NULL};

static const kq_cli_pos pos_cmdline[] = {
    {"COMMAND", KQ_ARG_CMDLINE, KQ_POS_TRAILING,
     "The program to run (no shell), then its arguments, passed verbatim", NULL}};
static const kq_cli_pos pos_file[] = {
    {"FILE", KQ_ARG_PATH, KQ_POS_OPTIONAL,
     "One command line per job; standard input when absent or -", NULL}};
static const kq_cli_pos pos_job_id[] = {
    {"JOB_ID", KQ_ARG_U64, KQ_POS_REQUIRED, "ID of the job", NULL}};
static const kq_cli_pos pos_job_or_array[] = {
    {"JOB_ID", KQ_ARG_U64, KQ_POS_OPTIONAL, "ID of the job (or --array ID)", NULL}};
static const kq_cli_pos pos_worker_id[] = {
    {"WORKER_ID", KQ_ARG_U64, KQ_POS_REQUIRED, "ID of the worker", NULL}};
static const kq_cli_pos pos_worker[] = {
    {"WORKER", KQ_ARG_TEXT, KQ_POS_REQUIRED, "ID or name of the worker", NULL}};
static const kq_cli_pos pos_job_priority[] = {
    {"JOB_ID", KQ_ARG_U64, KQ_POS_REQUIRED, "ID of the job", NULL},
    {"PRIORITY", KQ_ARG_I32, KQ_POS_REQUIRED,
     "The new priority (-2147483648 to 2147483647; higher starts first)", NULL}};
static const kq_cli_pos pos_shell[] = {
    {"SHELL", KQ_ARG_SHELL, KQ_POS_REQUIRED,
     "Shell to generate the script for", NULL}};
static const kq_cli_pos pos_alloc[] = {
    {"ACTION", KQ_ARG_TEXT, KQ_POS_REQUIRED,
     "add, list, remove, events or dry-run", "add list remove events dry-run"},
    {"ARG", KQ_ARG_TEXT, KQ_POS_OPTIONAL,
     "add: the backend (slurm); remove, events, dry-run: the queue's ID", NULL},
    {"BACKEND_ARGS", KQ_ARG_TEXT, KQ_POS_REST,
     "add: arguments of every submission (sbatch's), after --", NULL}};
static const kq_cli_pos pos_subcommand[] = {
    {"COMMAND", KQ_ARG_SUBCOMMAND, KQ_POS_OPTIONAL,
     "Subcommand to describe", NULL}};

#define POS(a) a, sizeof(a) / sizeof *(a)

const kq_cli_cmd kq_cli_commands[] = {
    {KQ_CMD_CMD, "cmd", "Issue a command to be run on a remote worker",
     "Prints the ID of the new job.  With --wait, prints the job's return "
     "code once it has ended and exits with it (codes outside 0-255 and "
     "canceled jobs exit 1).\n\n"
     "The first word that is not an option starts the command: it and "
     "everything after it are the job's command line, verbatim, even words "
     "that look like options.  The command runs without a shell in the "
     "current directory (resolved to its real path), with this shell's "
     "environment (but DISPLAY, SSH_*, KUEUE_* and the other host- or "
     "session-specific variables the README lists) on a Kueue-C worker.  "
     "-o and -e take {id} and {worker} in the file name (one file per job; "
     "{{ and }} for braces).",
     opts_cmd, POS(pos_cmdline), true},
    {KQ_CMD_BATCH, "batch",
     "Issue one job per line of a file, each run by sh -c",
     "Reads FILE, or standard input when FILE is - or absent.  Every line "
     "that is not empty and does not start with # becomes a job running "
     "`sh -c LINE` with the given resources.  All jobs go over one "
     "connection.  Prints the job IDs, one per line, in the order of the "
     "lines.  With --wait, also waits until every job has ended and exits 1 "
     "if any failed or was canceled.",
     opts_batch, POS(pos_file), true},
    {KQ_CMD_LIST_JOBS, "list-jobs",
     "List pending, running and finished jobs",
     "Without a filter flag all kinds of jobs are listed; with some, only "
     "those kinds.",
     opts_list_jobs, NULL, 0, true},
    {KQ_CMD_SHOW_JOB, "show-job", "Show a job with its captured output", NULL,
     opts_json, POS(pos_job_id), true},
    {KQ_CMD_WAIT_JOB, "wait-job",
     "Block until a job has ended and exit with its return code",
     "Codes outside 0-255 and canceled jobs exit 1.  With --array ID, waits "
     "for every job of the array and exits 1 if any of them did not succeed.",
     opts_wait_job, POS(pos_job_or_array), true},
    {KQ_CMD_REMOVE_JOB, "remove-job",
     "Cancel a job; with --kill also a running one",
     "A waiting job is canceled and never runs.  A running job is refused "
     "unless --kill is given: then its worker kills it (all its processes).  "
     "A canceled job stays in list-jobs until clean-jobs (or the server's "
     "cleanup after server_settings.job_cleanup_after_minutes) removes it; "
     "a finished job cannot be canceled.  --array ID cancels every job of "
     "the array that has not ended.",
     opts_remove_job, POS(pos_job_or_array), true},
    {KQ_CMD_CLEAN_JOBS, "clean-jobs",
     "Remove finished and canceled jobs from the server",
     "Jobs that failed are kept unless --all is given.", opts_clean_jobs,
     NULL, 0, true},
    {KQ_CMD_LIST_WORKERS, "list-workers", "List the connected workers", NULL,
     opts_json, NULL, 0, true},
    {KQ_CMD_SHOW_WORKER, "show-worker", "Show a worker", NULL, opts_json,
     POS(pos_worker_id), true},
    {KQ_CMD_LIST_RESOURCES, "list-resources",
     "List the global resources configured on the server", NULL, opts_json,
     NULL, 0, true},
    {KQ_CMD_DRAIN, "drain",
     "Give a worker no new jobs and let its running jobs finish",
     "For maintenance: the worker, by its ID or name, is offered no jobs "
     "until `kueue undrain`; the jobs it runs finish, and list-workers and "
     "show-worker mark it drained.  A drain outlasts the worker's "
     "reconnects and, with a state file, a restart of the server.  Needs "
     "a Kueue-C server.",
     opts_json, POS(pos_worker), true},
    {KQ_CMD_UNDRAIN, "undrain", "Give a drained worker jobs again", NULL,
     opts_json, POS(pos_worker), true},
    {KQ_CMD_SET_PRIORITY, "set-priority", "Change the priority of a pending job",
     "Jobs of a higher priority start first; a job keeps its place among those of "
     "its new priority by its ID.  Needs a Kueue-C server.",
     opts_json, POS(pos_job_priority), true},
    {KQ_CMD_RESTART, "restart", "Queue an ended job again as a new job",
     "Queues a job that finished, failed or was canceled again as a new job with "
     "the same command, working directory, resources and redirections, and its "
     "name, priority, time limit and retries; prints the new job's ID.  It does "
     "not wait for what the old job waited for (that ended): give --after or "
     "--after-any for the new one.",
     opts_restart, POS(pos_job_id), true},
    {KQ_CMD_FOLLOW, "follow",
     "Print a job's output as it is written, until the job ends",
     "Prints the last lines the job has written so far (--lines), then every "
     "new line as it comes, until the job ends, and exits with its return "
     "code as wait-job does (Ctrl-C stops following; the job goes on).  A "
     "pending job is waited for.  Notes (the job started, bytes skipped by a "
     "slow terminal, where a redirected stream goes) go to stderr, prefixed "
     "\"kueue:\".\n"
     "Live output needs a Kueue-C server and worker; with an original worker "
     "the output comes when the job ends.  A stream redirected to a file "
     "(cmd -o/-e) is not captured: follow that file on the worker.",
     opts_follow, POS(pos_job_id), true},
    {KQ_CMD_LOG, "log", "Print the last lines of a job's output; -f follows it",
     "The last lines (--lines) the job has written so far, from the server: "
     "while it runs, what the server keeps of it (the last 64 KiB by "
     "default); once it ended, its final output.  With -f, the same as "
     "kueue follow.",
     opts_log, POS(pos_job_id), true},
    {KQ_CMD_ALLOC, "alloc",
     "Workers in Slurm allocations, on demand (allocation queues)",
     "While jobs wait that no connected worker can take, the server submits "
     "allocations of a queue to Slurm (sbatch), each running kueue_worker, "
     "which connects back, takes the jobs that fit in the allocation's time, "
     "and exits when idle.  Needs a Kueue-C server that can run sbatch.\n\n"
     "  kueue alloc add slurm --max-workers 8 --time-limit 2h -- --partition=short\n"
     "  kueue alloc list\n"
     "  kueue alloc events ID       (submissions, starts, failures and Slurm's "
     "reasons)\n"
     "  kueue alloc dry-run ID      (the next submission and its batch script)\n"
     "  kueue alloc remove ID [--cancel]\n\n"
     "add prints the new queue's ID.",
     opts_alloc, POS(pos_alloc), true},
    {KQ_CMD_RELAY, "relay",
     "Keep TLS connections ready for this user's calls",
     "Runs the relay in the foreground (a kueue call over TLS starts one in "
     "the background by itself, unless client_settings.relay_idle_seconds is "
     "0).  The relay keeps two connections to the server open, with their TLS "
     "handshake and authentication done, and hands each kueue call of this "
     "user one of them through a Unix socket in a private directory "
     "($XDG_RUNTIME_DIR/kueue, else /tmp/kueue-UID): a call then skips the "
     "handshake, about half of its time.  It exits after relay_idle_seconds "
     "without a call, as soon as the server cannot be reached, or on "
     "SIGTERM; --stop stops it.",
     opts_relay, NULL, 0, true},
    {KQ_CMD_COMPLETE, "complete", "Print a shell completion script",
     "For example, add  eval \"$(kueue complete bash)\"  to ~/.bashrc, or "
     "save the output where your shell looks for completions.",
     opts_help_only, POS(pos_shell), false},
    {KQ_CMD_HELP, "help",
     "Print this message or the help of the given subcommand", NULL,
     opts_help_only, POS(pos_subcommand), false},
};
const size_t kq_cli_command_count =
    sizeof kq_cli_commands / sizeof *kq_cli_commands;

const char *const kq_cli_shells[KQ_SHELL_COUNT + 1] = {
    [KQ_SHELL_BASH] = "bash",
    [KQ_SHELL_ZSH] = "zsh",
    [KQ_SHELL_FISH] = "fish",
    [KQ_SHELL_COUNT] = NULL,
};

const kq_cli_cmd *kq_cli_find(const char *name)
{
    for (size_t i = 0; i < kq_cli_command_count; i++)
        if (strcmp(kq_cli_commands[i].name, name) == 0)
            return &kq_cli_commands[i];
    return NULL;
}

/* ---- numbers ---------------------------------------------------------- */

int kq_cli_parse_u64(const char *text, uint64_t *out, const char **why)
{
    const char *p = text;
    uint64_t v = 0;

    if (*p == '+')
        p++;
    if (*p == '\0') {
        *why = *text ? "invalid digit found in string"
                     : "cannot parse integer from empty string";
        return -EINVAL;
    }
    for (; *p; p++) {
        unsigned d = (unsigned)(*p - '0');

        if (d > 9) {
            *why = "invalid digit found in string";
            return -EINVAL;
        }
        if (v > (UINT64_MAX - d) / 10) {
            *why = "number too large to fit in target type";
            return -EINVAL;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* ---- help ------------------------------------------------------------- */

/* Help text is wrapped to this many columns. */
#define HELP_WIDTH 79

/* "-j, --job-slots <N>" (long-only options are indented to line up). */
static void opt_label(char *buf, size_t n, const kq_cli_opt *o)
{
    int w;

    if (o->short_name)
        w = snprintf(buf, n, "-%c, --%s", o->short_name, o->long_name);
    else
        w = snprintf(buf, n, "    --%s", o->long_name);
    if (o->value_name && w > 0 && (size_t)w < n)
        snprintf(buf + w, n - (size_t)w, " <%s>", o->value_name);
}

static void pos_label(char *buf, size_t n, const kq_cli_pos *p)
{
    switch (p->kind) {
    case KQ_POS_REQUIRED:
        snprintf(buf, n, "<%s>", p->name);
        break;
    case KQ_POS_OPTIONAL:
        snprintf(buf, n, "[%s]", p->name);
        break;
    case KQ_POS_TRAILING:
        snprintf(buf, n, "<%s> [ARGS]...", p->name);
        break;
    case KQ_POS_REST:
        snprintf(buf, n, "[-- <%s>...]", p->name);
        break;
    }
}

static bool has_real_options(const kq_cli_opt *const *opts)
{
    for (; *opts; opts++)
        if ((*opts)->id != KQ_OPT_HELP)
            return true;
    return false;
}

static void print_usage_line(FILE *out, const kq_cli_cmd *cmd)
{
    char label[64];

    if (!cmd) {
        fprintf(out, "Usage: kueue [OPTIONS] <COMMAND>\n");
        return;
    }
    fprintf(out, "Usage: kueue %s", cmd->name);
    if (has_real_options(cmd->opts))
        fprintf(out, " [OPTIONS]");
    for (size_t i = 0; i < cmd->npos; i++) {
        pos_label(label, sizeof label, &cmd->pos[i]);
        fprintf(out, " %s", label);
    }
    fputc('\n', out);
}

/*
 * Prints text from column col on, wrapped at HELP_WIDTH columns with
 * continuation lines indented by indent, and ends the line.  A blank line
 * in text separates paragraphs (which start at column 0).
 */
static void put_wrapped(FILE *out, const char *text, size_t col, size_t indent)
{
    const char *p = text;
    bool first = true;

    while (*p) {
        size_t len;

        if (p[0] == '\n') {
            fputs("\n\n", out);
            p += strspn(p, "\n");
            col = 0;
            first = true;
            continue;
        }
        if (*p == ' ') {
            p++;
            continue;
        }
        len = strcspn(p, " \n");
        if (!first && col + 1 + len > HELP_WIDTH && col > indent) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
            first = true;
        }
        if (!first) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, len, out);
        col += len;
        p += len;
        first = false;
    }
    fputc('\n', out);
}

/* Prints one "  label   help" line of a section whose labels are width
 * columns wide. */
static void help_line(FILE *out, const char *label, size_t width,
                      const char *help)
{
    fprintf(out, "  %-*s  ", (int)width, label);
    put_wrapped(out, help, width + 4, width + 4);
}

void kq_cli_help(FILE *out, const kq_cli_cmd *cmd)
{
    const kq_cli_opt *const *opts = cmd ? cmd->opts : kq_cli_global_opts;
    char label[64];
    size_t width = 0;

    if (cmd) {
        fprintf(out, "%s\n\n", cmd->about);
        if (cmd->long_about) {
            put_wrapped(out, cmd->long_about, 0, 0);
            fputc('\n', out);
        }
    } else {
        fprintf(out, "%s\n\n", kq_cli_about);
    }
    print_usage_line(out, cmd);

    if (!cmd) {
        for (size_t i = 0; i < kq_cli_command_count; i++) {
            size_t n = strlen(kq_cli_commands[i].name);
            width = n > width ? n : width;
        }
        fprintf(out, "\nCommands:\n");
        for (size_t i = 0; i < kq_cli_command_count; i++)
            help_line(out, kq_cli_commands[i].name, width,
                      kq_cli_commands[i].about);
        width = 0;
    }
    for (size_t i = 0; cmd && i < cmd->npos; i++) {
        pos_label(label, sizeof label, &cmd->pos[i]);
        width = strlen(label) > width ? strlen(label) : width;
    }
    for (const kq_cli_opt *const *o = opts; *o; o++) {
        opt_label(label, sizeof label, *o);
        width = strlen(label) > width ? strlen(label) : width;
    }
    if (cmd && cmd->npos) {
        fprintf(out, "\nArguments:\n");
        for (size_t i = 0; i < cmd->npos; i++) {
            pos_label(label, sizeof label, &cmd->pos[i]);
            help_line(out, label, width, cmd->pos[i].help);
        }
    }
    fprintf(out, "\nOptions:\n");
    for (const kq_cli_opt *const *o = opts; *o; o++) {
        opt_label(label, sizeof label, *o);
        help_line(out, label, width, (*o)->help);
    }
    if (cmd && cmd->id == KQ_CMD_COMPLETE) {
        fprintf(out, "\nShells:");
        for (const char *const *s = kq_cli_shells; *s; s++)
            fprintf(out, " %s", *s);
        fputc('\n', out);
    }
}

/* ---- parsing ---------------------------------------------------------- */

typedef struct parser {
    int argc;
    char *const *argv;
    int i;                  /* next word */
    const kq_cli_cmd *cmd;  /* NULL while reading global options */
    kq_cli_args *args;
    FILE *out, *err;
} parser;

/* Prints "error: ..." and the usage; returns KQ_CLI_USAGE. */
static int usage_error(const parser *p, const char *fmt, ...) KQ_PRINTF(2, 3);
static int usage_error(const parser *p, const char *fmt, ...)
{
    va_list ap;

    fputs("error: ", p->err);
    va_start(ap, fmt);
    vfprintf(p->err, fmt, ap);
    va_end(ap);
    fputs("\n\n", p->err);
    print_usage_line(p->err, p->cmd);
    fputs("\nFor more information, try '--help'.\n", p->err);
    return KQ_CLI_USAGE;
}

/* ---- suggestions ------------------------------------------------------ */

/* Longest word compared for a suggestion. */
#define SUGGEST_MAX 64

/*
 * Edit distance between a[0..an) and b: insertions, deletions,
 * substitutions and swaps of two neighbours count 1 each (optimal string
 * alignment).  SIZE_MAX for words longer than SUGGEST_MAX.
 */
static size_t edit_distance(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b), rows[3][SUGGEST_MAX + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

    if (an > SUGGEST_MAX || bn > SUGGEST_MAX)
        return SIZE_MAX;
    for (size_t j = 0; j <= bn; j++)
        prev[j] = j;
    for (size_t i = 1; i <= an; i++) {
        size_t *t;

        cur[0] = i;
        for (size_t j = 1; j <= bn; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            size_t d = sub < del ? sub : del;

            d = d < ins ? d : ins;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[bn];
}

/*
 * The name among names[0..n) that word[0..len) was most likely meant to
 * be: the closest within an edit distance of about a third of the word,
 * else the only one it begins; NULL when none is close.
 */
static const char *closest(const char *word, size_t len,
                           const char *const *names, size_t n)
{
    const char *best = NULL, *prefixed = NULL;
    size_t best_d = (len + 2) / 3 + 1, prefixes = 0;

    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, len, names[i]);

        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
        if (len >= 2 && strncmp(names[i], word, len) == 0) {
            prefixed = names[i];
            prefixes++;
        }
    }
    if (best)
        return best;
    return prefixes == 1 ? prefixed : NULL;
}

/* The subcommand closest to word, or NULL. */
static const char *closest_command(const char *word)
{
    const char *names[sizeof kq_cli_commands / sizeof *kq_cli_commands];

    for (size_t i = 0; i < kq_cli_command_count; i++)
        names[i] = kq_cli_commands[i].name;
    return closest(word, strlen(word), names, kq_cli_command_count);
}

/* The long option of opts closest to name[0..len), or NULL. */
static const char *closest_option(const kq_cli_opt *const *opts,
                                  const char *name, size_t len)
{
    const char *names[KQ_OPT_COUNT];
    size_t n = 0;

    for (; *opts && n < KQ_OPT_COUNT; opts++)
        names[n++] = (*opts)->long_name;
    return closest(name, len, names, n);
}

/* "--cpus <N>" as clap names an option in messages. */
static void opt_name(char *buf, size_t n, const kq_cli_opt *o)
{
    if (o->value_name)
        snprintf(buf, n, "--%s <%s>", o->long_name, o->value_name);
    else
        snprintf(buf, n, "--%s", o->long_name);
}

/* "unrecognized subcommand", with the closest one as clap suggests it. */
static int unknown_command(const parser *p, const char *word)
{
    const char *tip = closest_command(word);

    if (tip)
        return usage_error(p, "unrecognized subcommand '%s'\n\n  tip: a similar "
                              "subcommand exists: '%s'", word, tip);
    return usage_error(p, "unrecognized subcommand '%s'", word);
}

static const kq_cli_opt *find_long(const kq_cli_opt *const *opts,
                                   const char *name, size_t len)
{
    for (; *opts; opts++)
        if (strlen((*opts)->long_name) == len &&
            memcmp((*opts)->long_name, name, len) == 0)
            return *opts;
    return NULL;
}

static const kq_cli_opt *find_short(const kq_cli_opt *const *opts, char c)
{
    for (; *opts; opts++)
        if ((*opts)->short_name == c)
            return *opts;
    return NULL;
}

/* Parses and checks value as o's type says, into a's numbers.  0 or
 * -EINVAL with *why. */
static int check_value(const kq_cli_opt *o, const char *value, kq_cli_args *a,
                       const char **why)
{
    kq_job_array range;
    uint64_t count;
    int32_t v;
    int rc = 0;

    switch (o->type) {
    case KQ_ARG_U64:
        rc = kq_cli_parse_u64(value, &a->number[o->id], why);
        break;
    case KQ_ARG_RETRIES:
        rc = kq_cli_parse_u64(value, &a->number[o->id], why);
        if (rc == 0 && a->number[o->id] > KQ_WF_MAX_RETRIES) {
            *why = "at most 100";
            rc = -EINVAL;
        }
        break;
    case KQ_ARG_I32:
        if ((rc = kq_wf_parse_i32(value, &v, why)) == 0)
            a->signed_number[o->id] = v;
        break;
    case KQ_ARG_DURATION:
        rc = kq_duration_parse(value, &a->number[o->id], why);
        break;
    case KQ_ARG_IDS:
        rc = kq_wf_parse_ids(value, NULL, why);
        break;
    case KQ_ARG_RANGE:
        rc = kq_wf_parse_array(value, &range, &count, why);
        break;
    case KQ_ARG_NAME:
        if (!*value || strlen(value) > KQ_LIMIT_NAME || !kq_utf8_valid(value, strlen(value))) {
            *why = "a name is 1 to 256 bytes of UTF-8 text";
            rc = -EINVAL;
        }
        break;
    default:
        break;
    }
    return rc;
}

/*
 * Records one occurrence of o with value (NULL for a flag).  Help and
 * version are acted on at once, as clap does.  Returns KQ_CLI_RUN to go
 * on, or a final parse result.
 */
static int store(parser *p, const kq_cli_opt *o, const char *value)
{
    kq_cli_args *a = p->args;
    char name[64];
    const char *why;

    opt_name(name, sizeof name, o);
    if (o->id == KQ_OPT_HELP) {
        kq_cli_help(p->out, p->cmd);
        return KQ_CLI_DONE;
    }
    if (o->id == KQ_OPT_VERSION) {
        fprintf(p->out, "%s\n", kq_cli_version);
        return KQ_CLI_DONE;
    }
    if (a->given[o->id] && !o->repeatable)
        return usage_error(p, "the argument '%s' cannot be used multiple times",
                           name);
    a->given[o->id] = true;
    if (check_value(o, value, a, &why) < 0)
        return usage_error(p, "invalid value '%s' for '%s': %s", value, name,
                           why);
    if (o->id == KQ_OPT_RESOURCE) {
        /* argc bounds the number of values: allocated once, on first use. */
        if (!a->resources &&
            !(a->resources = calloc((size_t)p->argc, sizeof *a->resources)))
            return -ENOMEM;
        a->resources[a->nresources++] = value;
    }
    if (o->id == KQ_OPT_ENV) {
        if (!a->envs && !(a->envs = calloc((size_t)p->argc, sizeof *a->envs)))
            return -ENOMEM;
        a->envs[a->nenvs++] = value;
    }
    a->value[o->id] = value;
    return KQ_CLI_RUN;
}

/* The command's KQ_POS_REST positional, or NULL. */
static const kq_cli_pos *rest_pos(const kq_cli_cmd *cmd)
{
    return cmd && cmd->npos && cmd->pos[cmd->npos - 1].kind == KQ_POS_REST
               ? &cmd->pos[cmd->npos - 1]
               : NULL;
}

/* Parses the option word argv[i] (which starts with '-') and its value. */
static int parse_option(parser *p, const kq_cli_opt *const *opts)
{
    const char *word = p->argv[p->i++];
    char name[64];

    if (word[1] == '-') {
        const char *eq = strchr(word + 2, '=');
        size_t len = eq ? (size_t)(eq - word - 2) : strlen(word + 2);
        const kq_cli_opt *o = find_long(opts, word + 2, len);

        if (!o) {
            const char *tip = closest_option(opts, word + 2, len);
            const kq_cli_pos *rest = rest_pos(p->cmd);

            if (tip)
                return usage_error(p, "unexpected argument '%s' found\n\n  tip: a "
                                      "similar argument exists: '--%s'", word, tip);
            if (rest)
                return usage_error(p, "unexpected argument '%s' found\n\n  tip: "
                                      "arguments for <%s> go after '--'", word, rest->name);
            return usage_error(p, "unexpected argument '%s' found", word);
        }
        opt_name(name, sizeof name, o);
        if (!o->value_name) {
            if (eq)
                return usage_error(p, "unexpected value '%s' for '%s' found; "
                                      "no more were expected", eq + 1, name);
            return store(p, o, NULL);
        }
        if (eq)
            return store(p, o, eq + 1);
        if (p->i >= p->argc)
            return usage_error(p, "a value is required for '%s' but none was "
                                  "supplied", name);
        return store(p, o, p->argv[p->i++]);
    }
    for (const char *c = word + 1; *c; c++) {
        const kq_cli_opt *o = find_short(opts, *c);
        int rc;

        if (!o)
            return usage_error(p, "unexpected argument '-%c' found", *c);
        if (!o->value_name) {
            if ((rc = store(p, o, NULL)) != KQ_CLI_RUN)
                return rc;
            continue;
        }
        if (c[1])
            return store(p, o, c + 1);
        opt_name(name, sizeof name, o);
        if (p->i >= p->argc)
            return usage_error(p, "a value is required for '%s' but none was "
                                  "supplied", name);
        return store(p, o, p->argv[p->i++]);
    }
    return KQ_CLI_RUN;
}

/* Checks and stores the positional word argv[i]. */
static int parse_positional(parser *p, size_t n)
{
    const kq_cli_pos *pos = &p->cmd->pos[n];
    const char *word = p->argv[p->i];
    const char *why;

    if (pos->kind == KQ_POS_TRAILING || pos->kind == KQ_POS_REST) {
        p->args->trailing = p->argv + p->i;
        p->args->ntrailing = (size_t)(p->argc - p->i);
        p->i = p->argc;
        return KQ_CLI_RUN;
    }
    p->i++;
    if (pos->type == KQ_ARG_U64 &&
        kq_cli_parse_u64(word, &p->args->pos_number[n], &why) < 0)
        return usage_error(p, "invalid value '%s' for '<%s>': %s", word,
                           pos->name, why);
    if (pos->type == KQ_ARG_I32) {
        int32_t v;

        if (kq_wf_parse_i32(word, &v, &why) < 0)
            return usage_error(p, "invalid value '%s' for '<%s>': %s", word,
                               pos->name, why);
        p->args->pos_signed[n] = v;
    }
    if (pos->type == KQ_ARG_SHELL) {
        char values[64] = "";
        size_t used = 0;
        bool known = false;

        for (const char *const *s = kq_cli_shells; *s; s++) {
            known |= strcmp(*s, word) == 0;
            if (used < sizeof values)
                used += (size_t)snprintf(values + used, sizeof values - used,
                                         "%s%s", used ? ", " : "", *s);
        }
        if (!known)
            return usage_error(p, "invalid value '%s' for '<%s>'\n  "
                                  "[possible values: %s]", word, pos->name, values);
    }
    if (pos->type == KQ_ARG_SUBCOMMAND && !kq_cli_find(word))
        return unknown_command(p, word);
    p->args->pos[n] = word;
    return KQ_CLI_RUN;
}

static bool is_option(const char *word)
{
    return word[0] == '-' && word[1] != '\0';
}

/* Options and positionals of the subcommand p->cmd. */
static int parse_subcommand(parser *p)
{
    const kq_cli_cmd *cmd = p->cmd;
    bool options_done = false;
    size_t npos = 0;
    int rc;

    while (p->i < p->argc) {
        const char *word = p->argv[p->i];

        if (!options_done && strcmp(word, "--") == 0) {
            options_done = true;
            p->i++;
            continue;
        }
        /* A negative number where one is expected is a value (clap's
         * allow_negative_numbers). */
        if (!options_done && is_option(word) &&
            !(npos < cmd->npos && cmd->pos[npos].type == KQ_ARG_I32 && word[1] >= '0' &&
              word[1] <= '9')) {
            if ((rc = parse_option(p, cmd->opts)) != KQ_CLI_RUN)
                return rc;
            continue;
        }
        if (npos < cmd->npos && cmd->pos[npos].kind == KQ_POS_REST && !options_done)
            return usage_error(p, "unexpected argument '%s' found\n\n  tip: arguments for "
                                  "<%s> go after '--'", word, cmd->pos[npos].name);
        if (npos >= cmd->npos)
            return usage_error(p, "unexpected argument '%s' found", word);
        if ((rc = parse_positional(p, npos++)) != KQ_CLI_RUN)
            return rc;
    }
    for (size_t n = npos; n < cmd->npos; n++) {
        char label[64];

        if (cmd->pos[n].kind == KQ_POS_OPTIONAL || cmd->pos[n].kind == KQ_POS_REST)
            continue;
        pos_label(label, sizeof label, &cmd->pos[n]);
        return usage_error(p, "the following required arguments were not "
                              "provided:\n  %s", label);
    }
    return KQ_CLI_RUN;
}

/* Whether text holds {index}, which only an array's jobs replace. */
static bool has_index(const char *text)
{
    return text && strstr(text, "{index}");
}

/* kueue alloc: the action, what it takes, and the values of add. */
static int check_alloc(parser *p)
{
    static const kq_cli_opt *const add_only[] = {
        &opt_max_workers, &opt_workers_per_alloc, &opt_alloc_time_limit, &opt_idle_exit,
        &opt_margin, &opt_max_failures, &opt_connect_timeout, &opt_server,
        &opt_worker_program, &opt_worker_config, NULL};
    static const char *const actions[] = {"add", "list", "remove", "events", "dry-run", NULL};
    const kq_cli_args *a = p->args;
    const char *action = a->pos[0], *arg = a->pos[1], *why;
    bool known = false, add;
    char name[64];
    uint64_t id;

    for (const char *const *x = actions; *x; x++)
        known |= strcmp(*x, action) == 0;
    if (!known)
        return usage_error(p, "invalid value '%s' for '<ACTION>'\n  [possible values: add, "
                              "list, remove, events, dry-run]", action);
    add = strcmp(action, "add") == 0;
    for (const kq_cli_opt *const *o = add_only; *o && !add; o++) {
        if (a->given[(*o)->id]) {
            opt_name(name, sizeof name, *o);
            return usage_error(p, "the argument '%s' is for 'alloc add' only", name);
        }
    }
    if (a->given[KQ_OPT_CANCEL] && strcmp(action, "remove") != 0)
        return usage_error(p, "the argument '--cancel' is for 'alloc remove' only");
    if (a->ntrailing && !add)
        return usage_error(p, "arguments after '--' (<BACKEND_ARGS>) are for 'alloc add' only");
    if (strcmp(action, "list") == 0) {
        if (arg)
            return usage_error(p, "unexpected argument '%s' found ('alloc list' lists every "
                                  "queue)", arg);
        return KQ_CLI_RUN;
    }
    if (!add) {
        if (!arg)
            return usage_error(p, "the following required arguments were not provided:\n  "
                                  "<ID> (the allocation queue's, as 'alloc list' shows)");
        if (kq_cli_parse_u64(arg, &id, &why) < 0)
            return usage_error(p, "invalid value '%s' for '<ID>': %s", arg, why);
        p->args->pos_number[1] = id;
        return KQ_CLI_RUN;
    }
    if (!arg)
        return usage_error(p, "the following required arguments were not provided:\n  "
                              "<BACKEND> (slurm)");
    if (strcmp(arg, "slurm") != 0)
        return usage_error(p, "invalid value '%s' for '<BACKEND>': unknown backend\n  "
                              "[possible values: slurm]", arg);
    if (!a->given[KQ_OPT_TIME_LIMIT])
        return usage_error(p, "the following required arguments were not provided:\n  "
                              "--time-limit <DURATION>");
    if (a->number[KQ_OPT_TIME_LIMIT] < 60)
        return usage_error(p, "invalid value '%s' for '--time-limit <DURATION>': an "
                              "allocation's time limit must be at least 1m (Slurm counts "
                              "minutes)", a->value[KQ_OPT_TIME_LIMIT]);
    if (a->given[KQ_OPT_MAX_WORKERS] && a->number[KQ_OPT_MAX_WORKERS] == 0)
        return usage_error(p, "invalid value '0' for '--max-workers <N>': at least 1");
    if (a->given[KQ_OPT_WORKERS_PER_ALLOC] && a->number[KQ_OPT_WORKERS_PER_ALLOC] == 0)
        return usage_error(p, "invalid value '0' for '--workers-per-alloc <N>': at least 1");
    if (a->given[KQ_OPT_MAX_FAILURES] && a->number[KQ_OPT_MAX_FAILURES] == 0)
        return usage_error(p, "invalid value '0' for '--max-failures <N>': at least 1");
    if (a->given[KQ_OPT_WORKERS_PER_ALLOC] &&
        a->number[KQ_OPT_WORKERS_PER_ALLOC] >
            (a->given[KQ_OPT_MAX_WORKERS] ? a->number[KQ_OPT_MAX_WORKERS] : 1))
        return usage_error(p, "'--workers-per-alloc <N>' (%s) is more than '--max-workers <N>' "
                              "(%s)", a->value[KQ_OPT_WORKERS_PER_ALLOC],
                           a->given[KQ_OPT_MAX_WORKERS] ? a->value[KQ_OPT_MAX_WORKERS] : "1");
    if (a->given[KQ_OPT_SERVER]) {
        const char *colon = strrchr(a->value[KQ_OPT_SERVER], ':');

        if (!colon || colon == a->value[KQ_OPT_SERVER] || !colon[1] ||
            kq_cli_parse_u64(colon + 1, &id, &why) < 0 || id == 0 || id > 65535)
            return usage_error(p, "invalid value '%s' for '--server <HOST:PORT>': a host, ':' "
                                  "and a port (1 to 65535)", a->value[KQ_OPT_SERVER]);
    }
    return KQ_CLI_RUN;
}

/* What the table cannot say: choices between options and positionals,
 * and {index} only with --array. */
static int check_combinations(parser *p)
{
    const kq_cli_args *a = p->args;
    bool index = has_index(a->value[KQ_OPT_STDOUT]) || has_index(a->value[KQ_OPT_STDERR]) ||
                 has_index(a->value[KQ_OPT_NAME]);

    switch (p->cmd->id) {
    case KQ_CMD_CMD:
        for (size_t i = 0; i < a->ntrailing; i++)
            index |= has_index(a->trailing[i]);
        if (index && !a->given[KQ_OPT_ARRAY])
            return usage_error(p, "{index} is replaced only in the jobs of an array: add "
                                  "'--array <RANGE>'");
        break;
    case KQ_CMD_ALLOC:
        return check_alloc(p);
    case KQ_CMD_WAIT_JOB:
    case KQ_CMD_REMOVE_JOB:
        if (!a->pos[0] && !a->given[KQ_OPT_ARRAY_ID])
            return usage_error(p, "the following required arguments were not provided:\n"
                                  "  <JOB_ID> (or '--array <ID>')");
        if (a->pos[0] && a->given[KQ_OPT_ARRAY_ID])
            return usage_error(p, "the argument '--array <ID>' cannot be used with '<JOB_ID>'");
        break;
    default:
        break;
    }
    return KQ_CLI_RUN;
}

int kq_cli_parse(int argc, char *const *argv, kq_cli_args *args, FILE *out,
                 FILE *err)
{
    parser p = {argc, argv, 1, NULL, args, out, err};
    int rc;

    memset(args, 0, sizeof *args);
    while (p.i < argc && is_option(argv[p.i])) {
        if (strcmp(argv[p.i], "--") == 0) {
            p.i++;
            break;
        }
        if ((rc = parse_option(&p, kq_cli_global_opts)) != KQ_CLI_RUN)
            goto done;
    }
    if (args->given[KQ_OPT_INIT]) {
        rc = p.i < argc ? usage_error(&p, "the argument '--init' cannot be used "
                                          "with a subcommand ('%s')", argv[p.i])
                        : KQ_CLI_INIT;
        goto done;
    }
    if (p.i >= argc) {
        kq_cli_help(err, NULL);
        rc = KQ_CLI_USAGE;
        goto done;
    }
    if (!(p.cmd = kq_cli_find(argv[p.i]))) {
        rc = unknown_command(&p, argv[p.i]);
        goto done;
    }
    args->cmd = p.cmd;
    p.i++;
    rc = parse_subcommand(&p);
    if (rc == KQ_CLI_RUN)
        rc = check_combinations(&p);
done:
    if (rc != KQ_CLI_RUN && rc != KQ_CLI_INIT)
        kq_cli_args_free(args);
    return rc;
}

void kq_cli_args_free(kq_cli_args *args)
{
    free(args->resources);
    args->resources = NULL;
    args->nresources = 0;
    free(args->envs);
    args->envs = NULL;
    args->nenvs = 0;
}
