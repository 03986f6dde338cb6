/*
 * kq_protocol.h - the Kueue wire protocol in C.
 *
 * Generated from schema/protocol.yaml by codegen/kqgen.py; do not edit.
 * Change the schema and run the `regen` build target instead.
 *
 * For every type T of the schema (C name kq_T):
 *   void kq_T_init(kq_T *v);             zeroes v (an empty, valid value)
 *   void kq_T_free(kq_T *v);             frees what v owns and zeroes it
 *   int  kq_T_copy(kq_T *dst, const kq_T *src);  deep copy; 0 or -ENOMEM
 *   int  kq_T_encode(const kq_T *v, kq_buf *out);
 *        appends the reference's compact JSON, with every extension field
 *        that is set; 0 or -ENOMEM
 *   int  kq_T_encode_at(const kq_T *v, unsigned level, kq_buf *out);
 *        the same for a peer of extension level `level` (0: the
 *        original): extension fields above it are left out, and a message
 *        of an extension variant above it is refused with -EPROTO
 *        (nothing appended).  Senders to peers use this one.
 *   int  kq_T_decode(const char *json, size_t len, kq_T *out, kq_error *err);
 *        parses and validates one JSON value; 0, -EBADMSG (not JSON),
 *        -EMSGSIZE (more values than kq_json_max_nodes(len) allows),
 *        -EINVAL (JSON but not a valid T: err names the path of the first
 *        problem) or -ENOMEM.  out owns the result on success and holds
 *        nothing on failure.
 *   int  kq_T_decode_framed(json, len, out, err);
 *        the same for a value a kq_framer delimited (its syntax is known
 *        valid and not checked again).
 * Enums are tagged unions: v.tag is a kq_T_tag constant and the payload of
 * a newtype or struct variant is the union member named after the variant.
 * An option<string> is a kq_str with ptr == NULL for null; a boxed
 * option<Struct> is a pointer to a malloc'ed struct, NULL for null (the
 * value owns it); any other option<X> field has a bool has_<field> beside
 * it.
 *
 * Kueue-C extensions (see the schema's header): an extension field is an
 * option that is left out of the JSON when unset (never written as null);
 * kq_T_tag_level(tag) tells the extension level of a variant (0 for the
 * original's), which a peer may only receive once it said it speaks it.
 */
#ifndef KQ_PROTOCOL_H
#define KQ_PROTOCOL_H

#include "kq_codec.h"

#define KQ_PROTOCOL_SCHEMA_VERSION 1

/* The highest Kueue-C extension level this code speaks (0: the original
 * protocol only). */
#define KQ_PROTOCOL_EXTENSION_LEVEL 1
/* Extension 1 (Kueue-C 0.20.0): Level negotiation between worker and server; reports acknowledged once stored (ReportStored); the server's state id; jobs given back by a worker that shuts down (RequeueJob, JobInfo.note); drained workers (DrainWorker, WorkerInfo.drained); workflows: dependencies, priorities, time limits, retries, arrays and names (JobInfo.workflow, SubmitJob, SetJobPriority, ListJobsMatching, RemoveArray); why a job waits and the submitter's environment (JobInfo.wait_reason, queue_anyway, environment); live output of running jobs (HelloFromWorker.output_limit, AuthChallenge.output_keep, OutputChunk, WatchOutput, FollowJob, JobOutput); workers in batch-system allocations requested by the server (SystemInfo.lifetime, HelloFromWorker.allocation, WorkerInfo.allocation, AddAllocQueue, ListAllocQueues, RemoveAllocQueue, AllocQueueList). */

/* The Kueue-C release ("0.20.0") that introduced extension level `level`
 * (1 to KQ_PROTOCOL_EXTENSION_LEVEL), or NULL. */
const char *kq_protocol_extension_release(unsigned level);

/* Limits the decoders enforce (bytes of a string, items of a list). */
#define KQ_LIMIT_STRING 65536
#define KQ_LIMIT_LIST 65536
#define KQ_LIMIT_NAME 256
#define KQ_LIMIT_PATH 4096
#define KQ_LIMIT_ARGUMENT 131072
#define KQ_LIMIT_ARGUMENTS 4096
#define KQ_LIMIT_TEXT 8388608
#define KQ_LIMIT_JOBS 10000000
#define KQ_LIMIT_WORKERS 1000000
#define KQ_LIMIT_SALT 1024
#define KQ_LIMIT_DEPS 100000
#define KQ_LIMIT_ATTEMPTS 128

/* Resources: Job slots, CPU cores and RAM; free ones on a worker, required ones for a job. */
typedef struct kq_resources {
    uint64_t job_slots; /* Job slots (on a worker: free slots; for a job: slots used, normally 1). */
    uint64_t cpus; /* CPU cores. */
    uint64_t ram_mb; /* RAM in MiB. */
} kq_resources;

void kq_resources_init(kq_resources *v);
void kq_resources_free(kq_resources *v);
KQ_NODISCARD int kq_resources_copy(kq_resources *dst, const kq_resources *src);
int kq_resources_encode(const kq_resources *v, kq_buf *out);
KQ_NODISCARD int kq_resources_encode_at(const kq_resources *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_resources_decode(const char *json, size_t len, kq_resources *out, kq_error *err);
KQ_NODISCARD int kq_resources_decode_framed(const char *json, size_t len, kq_resources *out,
                                kq_error *err);

/* JobStatus: Where a job is in its life cycle, with the times of each step. */
typedef enum kq_job_status_tag {
    KQ_JOB_STATUS_PENDING, /* Pending: Waiting in the queue for a worker. */
    KQ_JOB_STATUS_OFFERED, /* Offered: Offered to a worker that has not answered yet. */
    KQ_JOB_STATUS_RUNNING, /* Running: Accepted by a worker and started. */
    KQ_JOB_STATUS_FINISHED, /* Finished: Ran to completion, failed to start, or was killed by a signal. */
    KQ_JOB_STATUS_CANCELED, /* Canceled: Removed by a user before it finished. */
} kq_job_status_tag;

/* JobStatus::Pending: Waiting in the queue for a worker. */
typedef struct kq_job_status_pending {
    kq_time issued; /* When the server accepted the job. */
} kq_job_status_pending;

/* JobStatus::Offered: Offered to a worker that has not answered yet. */
typedef struct kq_job_status_offered {
    kq_time issued; /* When the server accepted the job. */
    kq_time offered; /* When the offer was made. */
    kq_str worker; /* Name of the worker offered the job. */
} kq_job_status_offered;

/* JobStatus::Running: Accepted by a worker and started. */
typedef struct kq_job_status_running {
    kq_time issued; /* When the server accepted the job. */
    kq_time started; /* When the worker accepted the offer (server clock). */
    kq_str worker; /* Name of the worker running the job. */
} kq_job_status_running;

/* JobStatus::Finished: Ran to completion, failed to start, or was killed by a signal. */
typedef struct kq_job_status_finished {
    kq_time issued; /* When the server accepted the job. */
    kq_time started; /* When the job started (server clock). */
    kq_time finished; /* When the job ended (worker clock). */
    int32_t return_code; /* Exit status; -43 start failure, -44 signal, -45 wait error, -46 killed on request; from a Kueue-C server also -47, killed at its time limit. */
    kq_str worker; /* Name of the worker that ran the job. */
    int64_t run_time_seconds; /* Wall time of the run in whole seconds. */
    kq_str comment; /* What happened, for people. */
} kq_job_status_finished;

/* JobStatus::Canceled: Removed by a user before it finished. */
typedef struct kq_job_status_canceled {
    kq_time issued; /* When the server accepted the job. */
    kq_time canceled; /* When it was canceled. */
} kq_job_status_canceled;

typedef struct kq_job_status {
    kq_job_status_tag tag;
    union {
        kq_job_status_pending pending;
        kq_job_status_offered offered;
        kq_job_status_running running;
        kq_job_status_finished finished;
        kq_job_status_canceled canceled;
    };
} kq_job_status;

/* The variant's name as on the wire ("Pending"). */
const char *kq_job_status_tag_name(kq_job_status_tag tag);
/* The extension level that introduced the variant; 0 for the original's. */
unsigned kq_job_status_tag_level(kq_job_status_tag tag);

void kq_job_status_init(kq_job_status *v);
void kq_job_status_free(kq_job_status *v);
KQ_NODISCARD int kq_job_status_copy(kq_job_status *dst, const kq_job_status *src);
int kq_job_status_encode(const kq_job_status *v, kq_buf *out);
KQ_NODISCARD int kq_job_status_encode_at(const kq_job_status *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_job_status_decode(const char *json, size_t len, kq_job_status *out, kq_error *err);
KQ_NODISCARD int kq_job_status_decode_framed(const char *json, size_t len, kq_job_status *out,
                                kq_error *err);

/* Attempt: Kueue-C: an earlier run of a job that failed and was tried again (--retries). */
typedef struct kq_attempt {
    int32_t return_code; /* Its return code (the worker's own codes as in Finished). */
    kq_str worker; /* The worker it ran on. */
    kq_time finished; /* When it ended (worker clock). */
} kq_attempt;

void kq_attempt_init(kq_attempt *v);
void kq_attempt_free(kq_attempt *v);
KQ_NODISCARD int kq_attempt_copy(kq_attempt *dst, const kq_attempt *src);
int kq_attempt_encode(const kq_attempt *v, kq_buf *out);
KQ_NODISCARD int kq_attempt_encode_at(const kq_attempt *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_attempt_decode(const char *json, size_t len, kq_attempt *out, kq_error *err);
KQ_NODISCARD int kq_attempt_decode_framed(const char *json, size_t len, kq_attempt *out,
                                kq_error *err);

typedef struct kq_attempt_list {
    size_t len;
    kq_attempt *items;
} kq_attempt_list;

void kq_attempt_list_free(kq_attempt_list *l);

/* Workflow: Kueue-C: what a job asks for beyond the original's JobInfo (dependencies, priority, time limit, retries, name), and what the server adds to it (its array, what it waits for, its earlier attempts). */
typedef struct kq_workflow {
    int32_t priority; /* Higher runs first, FIFO within one priority; 0 is the default, and the priority of every job without a workflow. */
    kq_str name; /* A label, not unique (kueue cmd --name); list-jobs can filter by it. */
    bool has_after;
    kq_u64_set after; /* Jobs that must finish with return code 0 before this one runs (--after); if one fails or is canceled, this job is canceled with a note naming it.  Only ids of existing jobs are accepted. */
    bool has_after_any;
    kq_u64_set after_any; /* Jobs that must end, whatever their result, before this one runs (--after-any). */
    bool has_time_limit_seconds;
    uint64_t time_limit_seconds; /* A running job is killed after this long (server clock) and ends Finished with return code -47. */
    bool has_retries;
    uint64_t retries; /* A run that fails (return code not 0) is queued again up to this many times (at most 100). */
    bool has_array_id;
    uint64_t array_id; /* Set by the server: the array the job belongs to (the id of its first job). */
    bool has_array_index;
    uint64_t array_index; /* Set by the server: the job's index in its array ({index} in its command). */
    bool has_waiting;
    uint64_t waiting; /* Set by the server: how many jobs of after and after_any have not ended as needed yet; absent once none (the job is queued, or past that). */
    bool has_attempts;
    kq_attempt_list attempts; /* Set by the server: the earlier runs of the job that failed and were tried again, oldest first. */
} kq_workflow;

void kq_workflow_init(kq_workflow *v);
void kq_workflow_free(kq_workflow *v);
KQ_NODISCARD int kq_workflow_copy(kq_workflow *dst, const kq_workflow *src);
int kq_workflow_encode(const kq_workflow *v, kq_buf *out);
KQ_NODISCARD int kq_workflow_encode_at(const kq_workflow *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_workflow_decode(const char *json, size_t len, kq_workflow *out, kq_error *err);
KQ_NODISCARD int kq_workflow_decode_framed(const char *json, size_t len, kq_workflow *out,
                                kq_error *err);

/* JobArray: Kueue-C: the indices of an array of jobs: first, first + step, ... up to last. */
typedef struct kq_job_array {
    uint64_t first; /* The first index. */
    uint64_t last; /* The last index (included when first + k * step reaches it). */
    uint64_t step; /* At least 1. */
} kq_job_array;

void kq_job_array_init(kq_job_array *v);
void kq_job_array_free(kq_job_array *v);
KQ_NODISCARD int kq_job_array_copy(kq_job_array *dst, const kq_job_array *src);
int kq_job_array_encode(const kq_job_array *v, kq_buf *out);
KQ_NODISCARD int kq_job_array_encode_at(const kq_job_array *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_job_array_decode(const char *json, size_t len, kq_job_array *out, kq_error *err);
KQ_NODISCARD int kq_job_array_decode_framed(const char *json, size_t len, kq_job_array *out,
                                kq_error *err);

/* JobEnvironment: Kueue-C: the environment variables a job runs with (JobInfo.environment). */
typedef struct kq_job_env {
    kq_str_list variables; /* NAME=VALUE entries, sorted by name, each name once. */
    bool add_to_worker; /* false: they are the job's whole environment (the submitter's, captured by kueue cmd); true: they are added to the worker's own (kueue cmd --no-env --env NAME=VALUE). */
} kq_job_env;

void kq_job_env_init(kq_job_env *v);
void kq_job_env_free(kq_job_env *v);
KQ_NODISCARD int kq_job_env_copy(kq_job_env *dst, const kq_job_env *src);
int kq_job_env_encode(const kq_job_env *v, kq_buf *out);
KQ_NODISCARD int kq_job_env_encode_at(const kq_job_env *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_job_env_decode(const char *json, size_t len, kq_job_env *out, kq_error *err);
KQ_NODISCARD int kq_job_env_decode_framed(const char *json, size_t len, kq_job_env *out,
                                kq_error *err);

/* JobInfo: Everything about one job; the unit that clients, server and workers exchange. */
typedef struct kq_job_info {
    uint64_t job_id; /* Assigned by the server; ignored in IssueJob. */
    kq_str_list cmd; /* Program and arguments, run without a shell. */
    kq_str cwd; /* Absolute working directory. */
    kq_resources worker_resources; /* Resources the job needs on its worker. */
    bool has_global_resources;
    kq_u64_map global_resources; /* Server-wide resources (licences) the job holds while it runs; null for none. */
    kq_job_status status; /* Life-cycle state. */
    kq_str stdout_path; /* File for stdout, relative to cwd; "null" discards; null captures. */
    kq_str stderr_path; /* File for stderr, like stdout_path. */
    kq_str note; /* Kueue-C: what happened to the job besides its status, for people (why it went back to the queue); set by the server only, absent when nothing happened. */
    struct kq_workflow *workflow; /* Kueue-C: the job's workflow fields (dependencies, priority, time limit, retries, array, name); absent for a job that uses none. (NULL: absent) */
    kq_str wait_reason; /* Kueue-C: why a pending job waits, for people ("no worker has 8 CPUs (largest connected: 2)"); computed by the server when it sends the job to a client (never stored, never sent to workers), absent for other states. */
    bool has_queue_anyway;
    bool queue_anyway; /* Kueue-C: in IssueJob, queue the job even if no connected worker could ever run it (a machine that is off now); a Kueue-C server refuses such a job otherwise.  Not kept with the job. */
    bool has_environment;
    kq_job_env environment; /* Kueue-C: the environment the job runs with (the submitter's, unless kueue cmd --no-env); absent: the worker's own.  The server keeps each distinct one once; it goes to workers and in answers to ShowJob, not in lists and notifications. */
} kq_job_info;

void kq_job_info_init(kq_job_info *v);
void kq_job_info_free(kq_job_info *v);
KQ_NODISCARD int kq_job_info_copy(kq_job_info *dst, const kq_job_info *src);
int kq_job_info_encode(const kq_job_info *v, kq_buf *out);
KQ_NODISCARD int kq_job_info_encode_at(const kq_job_info *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_job_info_decode(const char *json, size_t len, kq_job_info *out, kq_error *err);
KQ_NODISCARD int kq_job_info_decode_framed(const char *json, size_t len, kq_job_info *out,
                                kq_error *err);

typedef struct kq_job_info_list {
    size_t len;
    kq_job_info *items;
} kq_job_info_list;

void kq_job_info_list_free(kq_job_info_list *l);

/* LoadInfo: Load averages of a worker. */
typedef struct kq_load_info {
    double one; /* 1-minute load average. */
    double five; /* 5-minute load average. */
    double fifteen; /* 15-minute load average. */
} kq_load_info;

void kq_load_info_init(kq_load_info *v);
void kq_load_info_free(kq_load_info *v);
KQ_NODISCARD int kq_load_info_copy(kq_load_info *dst, const kq_load_info *src);
int kq_load_info_encode(const kq_load_info *v, kq_buf *out);
KQ_NODISCARD int kq_load_info_encode_at(const kq_load_info *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_load_info_decode(const char *json, size_t len, kq_load_info *out, kq_error *err);
KQ_NODISCARD int kq_load_info_decode_framed(const char *json, size_t len, kq_load_info *out,
                                kq_error *err);

/* WorkerLifetime: Kueue-C: how much longer a worker with an end (its allocation's) takes jobs, as of its report. */
typedef struct kq_worker_lifetime {
    uint64_t seconds_left; /* Until it stops taking jobs: its end less what a job's end needs (the kill grace and the report).  A job with a time limit is offered to it only if the limit fits in what is left. */
    uint64_t no_limit_seconds_left; /* Until it stops taking jobs without a time limit (seconds_left less the worker's margin); 0 once it takes none. */
} kq_worker_lifetime;

void kq_worker_lifetime_init(kq_worker_lifetime *v);
void kq_worker_lifetime_free(kq_worker_lifetime *v);
KQ_NODISCARD int kq_worker_lifetime_copy(kq_worker_lifetime *dst, const kq_worker_lifetime *src);
int kq_worker_lifetime_encode(const kq_worker_lifetime *v, kq_buf *out);
KQ_NODISCARD int kq_worker_lifetime_encode_at(const kq_worker_lifetime *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_worker_lifetime_decode(const char *json, size_t len, kq_worker_lifetime *out, kq_error *err);
KQ_NODISCARD int kq_worker_lifetime_decode_framed(const char *json, size_t len, kq_worker_lifetime *out,
                                kq_error *err);

/* Allocation: Kueue-C: one allocation an allocation queue asked the batch system for, as long as it has not ended. */
typedef struct kq_allocation {
    uint64_t alloc_id; /* Its number in the queue (1, 2, ...); with the queue's, it names the allocation to its workers. */
    kq_str state; /* submitting (sbatch runs), queued (waits in the batch system), running, or ending (canceled, waiting for the batch system to say it ended). */
    kq_time submitted; /* When it was submitted. */
    uint64_t workers; /* Its workers connected now. */
    uint64_t connections; /* Its workers' connections so far (reconnects count). */
    kq_str batch_id; /* The batch system's id of it (Slurm's job id); absent while submitting. */
    bool has_started;
    kq_time started; /* When it started running, as the server saw it. */
    kq_str reason; /* Why it waits, as the batch system says (Slurm's reason: Priority, Resources, ...). */
} kq_allocation;

void kq_allocation_init(kq_allocation *v);
void kq_allocation_free(kq_allocation *v);
KQ_NODISCARD int kq_allocation_copy(kq_allocation *dst, const kq_allocation *src);
int kq_allocation_encode(const kq_allocation *v, kq_buf *out);
KQ_NODISCARD int kq_allocation_encode_at(const kq_allocation *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_allocation_decode(const char *json, size_t len, kq_allocation *out, kq_error *err);
KQ_NODISCARD int kq_allocation_decode_framed(const char *json, size_t len, kq_allocation *out,
                                kq_error *err);

typedef struct kq_allocation_list {
    size_t len;
    kq_allocation *items;
} kq_allocation_list;

void kq_allocation_list_free(kq_allocation_list *l);

/* AllocEvent: Kueue-C: something that happened to an allocation queue or one of its allocations. */
typedef struct kq_alloc_event {
    kq_time time; /* When (server clock). */
    kq_str kind; /* added (the queue), submitted, submit-failed, started, connected (a worker), ended, failed, canceled, lost (a submission cut short by the server's stop), stopped (the queue). */
    kq_str text; /* What happened, for people: the batch system's id, or its error or reason. */
    bool has_alloc_id;
    uint64_t alloc_id; /* The allocation; absent for the queue itself. */
} kq_alloc_event;

void kq_alloc_event_init(kq_alloc_event *v);
void kq_alloc_event_free(kq_alloc_event *v);
KQ_NODISCARD int kq_alloc_event_copy(kq_alloc_event *dst, const kq_alloc_event *src);
int kq_alloc_event_encode(const kq_alloc_event *v, kq_buf *out);
KQ_NODISCARD int kq_alloc_event_encode_at(const kq_alloc_event *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_alloc_event_decode(const char *json, size_t len, kq_alloc_event *out, kq_error *err);
KQ_NODISCARD int kq_alloc_event_decode_framed(const char *json, size_t len, kq_alloc_event *out,
                                kq_error *err);

typedef struct kq_alloc_event_list {
    size_t len;
    kq_alloc_event *items;
} kq_alloc_event_list;

void kq_alloc_event_list_free(kq_alloc_event_list *l);

/* AllocQueue: Kueue-C: an allocation queue: while jobs wait that no connected worker can take, the server submits allocations of this shape to the batch system, each starting workers that connect back, up to max_workers at a time. */
typedef struct kq_alloc_queue {
    uint64_t queue_id; /* Set by the server. */
    kq_str backend; /* The batch system: slurm. */
    uint64_t max_workers; /* Workers queued or running at most (at least 1). */
    uint64_t workers_per_alloc; /* Workers (nodes) per allocation (at least 1). */
    uint64_t time_limit_seconds; /* Each allocation's time limit; its workers take only jobs that fit in what is left. */
    uint64_t idle_exit_seconds; /* A worker of the queue exits when it had no job this long. */
    uint64_t max_failures; /* Failures in a row (a submission refused, an allocation failed or never connected) after which the queue stops submitting. */
    uint64_t connect_timeout_seconds; /* An allocation running this long without a worker connected is canceled (and counts as a failure). */
    kq_str server_address; /* HOST:PORT the workers connect to. */
    kq_str worker_program; /* The kueue_worker the allocations run. */
    kq_str worker_config; /* The configuration file the workers read (it holds the secret, which is never on a command line). */
    kq_str_list backend_args; /* Further arguments of each submission (sbatch's, e.g. --partition=short). */
    uint64_t failures; /* Set by the server: failures in a row so far. */
    kq_allocation_list allocations; /* Set by the server: its allocations that have not ended. */
    kq_str stopped; /* Set by the server: why the queue stopped submitting; absent while it submits. */
    bool has_margin_seconds;
    uint64_t margin_seconds; /* The workers take jobs without a time limit while more than this is left (kueue_worker --margin); absent: the worker's default, a quarter of the time limit, at most 10 minutes. */
    bool has_events;
    kq_alloc_event_list events; /* Set by the server when asked: what happened, oldest first (the latest 200). */
    kq_str script; /* Set by the server when asked (dry-run): the submission command and batch script of its next allocation. */
} kq_alloc_queue;

void kq_alloc_queue_init(kq_alloc_queue *v);
void kq_alloc_queue_free(kq_alloc_queue *v);
KQ_NODISCARD int kq_alloc_queue_copy(kq_alloc_queue *dst, const kq_alloc_queue *src);
int kq_alloc_queue_encode(const kq_alloc_queue *v, kq_buf *out);
KQ_NODISCARD int kq_alloc_queue_encode_at(const kq_alloc_queue *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_alloc_queue_decode(const char *json, size_t len, kq_alloc_queue *out, kq_error *err);
KQ_NODISCARD int kq_alloc_queue_decode_framed(const char *json, size_t len, kq_alloc_queue *out,
                                kq_error *err);

typedef struct kq_alloc_queue_list {
    size_t len;
    kq_alloc_queue *items;
} kq_alloc_queue_list;

void kq_alloc_queue_list_free(kq_alloc_queue_list *l);

/* SystemInfo: What a worker reports about its machine. */
typedef struct kq_system_info {
    kq_str kernel; /* Kernel release (uname -r). */
    kq_str distribution; /* Operating system, e.g. "Linux 12 Debian GNU/Linux". */
    uint64_t cpu_cores; /* Logical CPUs. */
    uint64_t cpu_frequency; /* Mean CPU frequency in MHz. */
    uint64_t total_ram_mb; /* Total memory in MiB (cgroup limit honoured). */
    kq_load_info load_info; /* Load averages. */
    bool has_lifetime;
    kq_worker_lifetime lifetime; /* Kueue-C (allocations): how much longer the worker takes jobs, when it has an end (it runs in an allocation); absent otherwise. */
} kq_system_info;

void kq_system_info_init(kq_system_info *v);
void kq_system_info_free(kq_system_info *v);
KQ_NODISCARD int kq_system_info_copy(kq_system_info *dst, const kq_system_info *src);
int kq_system_info_encode(const kq_system_info *v, kq_buf *out);
KQ_NODISCARD int kq_system_info_encode_at(const kq_system_info *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_system_info_decode(const char *json, size_t len, kq_system_info *out, kq_error *err);
KQ_NODISCARD int kq_system_info_decode_framed(const char *json, size_t len, kq_system_info *out,
                                kq_error *err);

/* WorkerInfo: A worker as the server sees it. */
typedef struct kq_worker_info {
    uint64_t worker_id; /* Assigned by the server. */
    kq_str worker_name; /* Name the worker said hello with. */
    kq_time connected_since; /* When the connection was registered. */
    kq_system_info system_info; /* Last UpdateSystemInfo. */
    kq_time last_updated; /* Time of the last UpdateSystemInfo. */
    kq_u64_set jobs_offered; /* Jobs offered to this worker and not answered. */
    kq_u64_set jobs_running; /* Jobs running on this worker. */
    kq_resources free_resources; /* Last UpdateResources. */
    bool has_drained;
    bool drained; /* Kueue-C: true while the worker is drained (kueue drain): no new jobs, its running ones finish; absent otherwise. */
    kq_str allocation; /* Kueue-C (allocations): the allocation queue and allocation the worker runs in, as the server recognised it (queue 1, allocation 7, Slurm job 4711); absent for other workers. */
} kq_worker_info;

void kq_worker_info_init(kq_worker_info *v);
void kq_worker_info_free(kq_worker_info *v);
KQ_NODISCARD int kq_worker_info_copy(kq_worker_info *dst, const kq_worker_info *src);
int kq_worker_info_encode(const kq_worker_info *v, kq_buf *out);
KQ_NODISCARD int kq_worker_info_encode_at(const kq_worker_info *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_worker_info_decode(const char *json, size_t len, kq_worker_info *out, kq_error *err);
KQ_NODISCARD int kq_worker_info_decode_framed(const char *json, size_t len, kq_worker_info *out,
                                kq_error *err);

typedef struct kq_worker_info_list {
    size_t len;
    kq_worker_info *items;
} kq_worker_info_list;

void kq_worker_info_list_free(kq_worker_info_list *l);

/* StreamText: Kueue-C: new text of one output stream (stdout or stderr) of a running job. */
typedef struct kq_stream_text {
    uint64_t offset; /* Where text starts in the stream's text of this run: the bytes of it that came before.  A gap after what the receiver had is text skipped (not kept, or not sent to a slow follower). */
    kq_str text; /* The job's bytes, invalid UTF-8 repaired as in its final output; a character is never split between two pieces, so the pieces of a stream joined are its final text (up to output_limit_bytes of the worker). */
} kq_stream_text;

void kq_stream_text_init(kq_stream_text *v);
void kq_stream_text_free(kq_stream_text *v);
KQ_NODISCARD int kq_stream_text_copy(kq_stream_text *dst, const kq_stream_text *src);
int kq_stream_text_encode(const kq_stream_text *v, kq_buf *out);
KQ_NODISCARD int kq_stream_text_encode_at(const kq_stream_text *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_stream_text_decode(const char *json, size_t len, kq_stream_text *out, kq_error *err);
KQ_NODISCARD int kq_stream_text_decode_framed(const char *json, size_t len, kq_stream_text *out,
                                kq_error *err);

/* HelloMessage: First message on every connection, sent by the side that connected. */
typedef enum kq_hello_tag {
    KQ_HELLO_HELLO_FROM_CLIENT, /* HelloFromClient: A kueue client. */
    KQ_HELLO_HELLO_FROM_WORKER, /* HelloFromWorker: A worker, with its name. */
} kq_hello_tag;

/* HelloMessage::HelloFromWorker: A worker, with its name. */
typedef struct kq_hello_hello_from_worker {
    kq_str worker_name; /* Host name up to the first dot. */
    bool has_extension_level;
    uint64_t extension_level; /* Kueue-C: the highest extension level the worker speaks; absent from the original. */
    bool has_output_limit;
    uint64_t output_limit; /* Kueue-C: the worker's output_limit_bytes: the live output of a job's stream (OutputChunk) ends within it (3 bytes of text per byte at most, once repaired, and the truncation note). */
    kq_str allocation; /* Kueue-C (allocations): the allocation the worker runs in (KUEUE_ALLOCATION, set by the batch script a server submitted), so that the server knows it as one of its own. */
} kq_hello_hello_from_worker;

typedef struct kq_hello {
    kq_hello_tag tag;
    union {
        kq_hello_hello_from_worker hello_from_worker;
    };
} kq_hello;

/* The variant's name as on the wire ("HelloFromClient"). */
const char *kq_hello_tag_name(kq_hello_tag tag);
/* The extension level that introduced the variant; 0 for the original's. */
unsigned kq_hello_tag_level(kq_hello_tag tag);

void kq_hello_init(kq_hello *v);
void kq_hello_free(kq_hello *v);
KQ_NODISCARD int kq_hello_copy(kq_hello *dst, const kq_hello *src);
int kq_hello_encode(const kq_hello *v, kq_buf *out);
KQ_NODISCARD int kq_hello_encode_at(const kq_hello *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_hello_decode(const char *json, size_t len, kq_hello *out, kq_error *err);
KQ_NODISCARD int kq_hello_decode_framed(const char *json, size_t len, kq_hello *out,
                                kq_error *err);

/* ClientToServerMessage: Requests from a client; the server answers each in order. */
typedef enum kq_c2s_tag {
    KQ_C2S_AUTH_REQUEST, /* AuthRequest: Ask for a challenge. */
    KQ_C2S_AUTH_RESPONSE, /* AuthResponse: Answer to the last challenge. */
    KQ_C2S_ISSUE_JOB, /* IssueJob: Queue a job (needs auth). */
    KQ_C2S_LIST_JOBS, /* ListJobs: Counters and the most recent jobs of the selected kinds (all kinds if none is set). */
    KQ_C2S_SHOW_JOB, /* ShowJob: One job with its captured output. */
    KQ_C2S_OBSERVE_JOB, /* ObserveJob: The job now, then a JobUpdated at each change. */
    KQ_C2S_REMOVE_JOB, /* RemoveJob: Cancel a job; kill it if it runs and kill is set (needs auth). */
    KQ_C2S_CLEAN_JOBS, /* CleanJobs: Drop finished and canceled jobs (needs auth). */
    KQ_C2S_LIST_WORKERS, /* ListWorkers: All connected workers. */
    KQ_C2S_SHOW_WORKER, /* ShowWorker: One worker. */
    KQ_C2S_LIST_RESOURCES, /* ListResources: Global resources configured and in use. */
    KQ_C2S_BYE, /* Bye: The client leaves. */
    KQ_C2S_DRAIN_WORKER, /* DrainWorker: Kueue-C: stop offering jobs to a worker, whose running jobs finish (drain true), or offer them again (false); needs auth, answered with RequestResponse.  The original closes the connection instead. */
    KQ_C2S_SUBMIT_JOB, /* SubmitJob: Kueue-C: queue a job that uses workflow fields (JobInfo.workflow), or an array of jobs, each with {index} in its command, stdout and stderr paths and name replaced by its index.  Answered as IssueJob is: AcceptJob (the job, or the array's first job, whose id is the array's; the array's jobs have consecutive ids) or RejectJob.  Needs auth.  The original closes the connection instead, so a job is never run without what it asked for. */
    KQ_C2S_SET_JOB_PRIORITY, /* SetJobPriority: Kueue-C: change the priority of a pending job (needs auth); answered with RequestResponse. */
    KQ_C2S_LIST_JOBS_MATCHING, /* ListJobsMatching: Kueue-C: ListJobs of the jobs that match the filters (an original server would ignore a filter field and list everything); answered with a JobList whose counters cover the matching jobs. */
    KQ_C2S_REMOVE_ARRAY, /* RemoveArray: Kueue-C: cancel every job of an array that has not ended, killing running ones if kill is set (needs auth); answered with RequestResponse. */
    KQ_C2S_FOLLOW_JOB, /* FollowJob: Kueue-C: the job now (JobUpdated), then its output as it is written (JobOutput, the first with the last of what it wrote so far) and each change of it (JobUpdated), until a JobOutput with done; RequestResponse if the job is unknown.  Needs no auth.  The original closes the connection instead. */
    KQ_C2S_ADD_ALLOC_QUEUE, /* AddAllocQueue: Kueue-C: declare an allocation queue (needs auth); answered with AllocQueueList holding it, with its id, or RequestResponse with the reason it was refused. */
    KQ_C2S_LIST_ALLOC_QUEUES, /* ListAllocQueues: Kueue-C: the allocation queues (or one); answered with AllocQueueList, or RequestResponse when the queue does not exist. */
    KQ_C2S_REMOVE_ALLOC_QUEUE, /* RemoveAllocQueue: Kueue-C: remove an allocation queue (needs auth): its allocations still waiting are canceled, running ones too if cancel is set (their jobs go back to the queue), else their workers exit once idle.  Answered with RequestResponse. */
} kq_c2s_tag;

/* ClientToServerMessage::ListJobs: Counters and the most recent jobs of the selected kinds (all kinds if none is set). */
typedef struct kq_c2s_list_jobs {
    uint64_t num_jobs; /* How many jobs to list at most. */
    bool pending; /* Include pending jobs. */
    bool offered; /* Include offered jobs. */
    bool running; /* Include running jobs. */
    bool succeeded; /* Include jobs that finished with code 0. */
    bool failed; /* Include jobs that finished with another code. */
    bool canceled; /* Include canceled jobs. */
} kq_c2s_list_jobs;

/* ClientToServerMessage::ShowJob: One job with its captured output. */
typedef struct kq_c2s_show_job {
    uint64_t job_id; /* The job. */
} kq_c2s_show_job;

/* ClientToServerMessage::ObserveJob: The job now, then a JobUpdated at each change. */
typedef struct kq_c2s_observe_job {
    uint64_t job_id; /* The job. */
} kq_c2s_observe_job;

/* ClientToServerMessage::RemoveJob: Cancel a job; kill it if it runs and kill is set (needs auth). */
typedef struct kq_c2s_remove_job {
    uint64_t job_id; /* The job. */
    bool kill; /* Kill the job if it is running. */
} kq_c2s_remove_job;

/* ClientToServerMessage::CleanJobs: Drop finished and canceled jobs (needs auth). */
typedef struct kq_c2s_clean_jobs {
    bool all; /* Also drop failed jobs. */
} kq_c2s_clean_jobs;

/* ClientToServerMessage::ShowWorker: One worker. */
typedef struct kq_c2s_show_worker {
    uint64_t worker_id; /* The worker. */
} kq_c2s_show_worker;

/* ClientToServerMessage::DrainWorker: Kueue-C: stop offering jobs to a worker, whose running jobs finish (drain true), or offer them again (false); needs auth, answered with RequestResponse.  The original closes the connection instead. */
typedef struct kq_c2s_drain_worker {
    kq_str worker; /* The worker's id (digits) or name; a drain applies to the name, across reconnects. */
    bool drain; /* Drain (true) or undrain (false). */
} kq_c2s_drain_worker;

/* ClientToServerMessage::SubmitJob: Kueue-C: queue a job that uses workflow fields (JobInfo.workflow), or an array of jobs, each with {index} in its command, stdout and stderr paths and name replaced by its index.  Answered as IssueJob is: AcceptJob (the job, or the array's first job, whose id is the array's; the array's jobs have consecutive ids) or RejectJob.  Needs auth.  The original closes the connection instead, so a job is never run without what it asked for. */
typedef struct kq_c2s_submit_job {
    kq_job_info job_info; /* The job, as in IssueJob; the server sets the workflow's array, waiting and attempts fields. */
    bool has_array;
    kq_job_array array; /* The array's indices (at most 100,000), or null for one job. */
} kq_c2s_submit_job;

/* ClientToServerMessage::SetJobPriority: Kueue-C: change the priority of a pending job (needs auth); answered with RequestResponse. */
typedef struct kq_c2s_set_job_priority {
    uint64_t job_id; /* The job. */
    int32_t priority; /* The new priority. */
} kq_c2s_set_job_priority;

/* ClientToServerMessage::ListJobsMatching: Kueue-C: ListJobs of the jobs that match the filters (an original server would ignore a filter field and list everything); answered with a JobList whose counters cover the matching jobs. */
typedef struct kq_c2s_list_jobs_matching {
    uint64_t num_jobs; /* How many jobs to list at most. */
    bool pending; /* Include pending jobs. */
    bool offered; /* Include offered jobs. */
    bool running; /* Include running jobs. */
    bool succeeded; /* Include jobs that finished with code 0. */
    bool failed; /* Include jobs that finished with another code. */
    bool canceled; /* Include canceled jobs. */
    kq_str name; /* Only jobs whose name matches this glob pattern (fnmatch: *, ?, [...]). */
    bool has_array_id;
    uint64_t array_id; /* Only the jobs of this array. */
} kq_c2s_list_jobs_matching;

/* ClientToServerMessage::RemoveArray: Kueue-C: cancel every job of an array that has not ended, killing running ones if kill is set (needs auth); answered with RequestResponse. */
typedef struct kq_c2s_remove_array {
    uint64_t array_id; /* The array (the id of its first job). */
    bool kill; /* Kill the array's running jobs too. */
} kq_c2s_remove_array;

/* ClientToServerMessage::FollowJob: Kueue-C: the job now (JobUpdated), then its output as it is written (JobOutput, the first with the last of what it wrote so far) and each change of it (JobUpdated), until a JobOutput with done; RequestResponse if the job is unknown.  Needs no auth.  The original closes the connection instead. */
typedef struct kq_c2s_follow_job {
    uint64_t job_id; /* The job. */
    bool want_stdout; /* Send its stdout. */
    bool want_stderr; /* Send its stderr. */
} kq_c2s_follow_job;

/* ClientToServerMessage::AddAllocQueue: Kueue-C: declare an allocation queue (needs auth); answered with AllocQueueList holding it, with its id, or RequestResponse with the reason it was refused. */
typedef struct kq_c2s_add_alloc_queue {
    kq_alloc_queue queue; /* The queue; the server sets the fields marked so. */
} kq_c2s_add_alloc_queue;

/* ClientToServerMessage::ListAllocQueues: Kueue-C: the allocation queues (or one); answered with AllocQueueList, or RequestResponse when the queue does not exist. */
typedef struct kq_c2s_list_alloc_queues {
    bool has_queue_id;
    uint64_t queue_id; /* Only this queue; null for all. */
    bool events; /* With the queue's events. */
    bool script; /* With the submission its next allocation would be (dry-run). */
} kq_c2s_list_alloc_queues;

/* ClientToServerMessage::RemoveAllocQueue: Kueue-C: remove an allocation queue (needs auth): its allocations still waiting are canceled, running ones too if cancel is set (their jobs go back to the queue), else their workers exit once idle.  Answered with RequestResponse. */
typedef struct kq_c2s_remove_alloc_queue {
    uint64_t queue_id; /* The queue. */
    bool cancel; /* Cancel its running allocations too. */
} kq_c2s_remove_alloc_queue;

typedef struct kq_c2s {
    kq_c2s_tag tag;
    union {
        kq_str auth_response;
        kq_job_info issue_job;
        kq_c2s_list_jobs list_jobs;
        kq_c2s_show_job show_job;
        kq_c2s_observe_job observe_job;
        kq_c2s_remove_job remove_job;
        kq_c2s_clean_jobs clean_jobs;
        kq_c2s_show_worker show_worker;
        kq_c2s_drain_worker drain_worker;
        kq_c2s_submit_job submit_job;
        kq_c2s_set_job_priority set_job_priority;
        kq_c2s_list_jobs_matching list_jobs_matching;
        kq_c2s_remove_array remove_array;
        kq_c2s_follow_job follow_job;
        kq_c2s_add_alloc_queue add_alloc_queue;
        kq_c2s_list_alloc_queues list_alloc_queues;
        kq_c2s_remove_alloc_queue remove_alloc_queue;
    };
} kq_c2s;

/* The variant's name as on the wire ("AuthRequest"). */
const char *kq_c2s_tag_name(kq_c2s_tag tag);
/* The extension level that introduced the variant; 0 for the original's. */
unsigned kq_c2s_tag_level(kq_c2s_tag tag);

void kq_c2s_init(kq_c2s *v);
void kq_c2s_free(kq_c2s *v);
KQ_NODISCARD int kq_c2s_copy(kq_c2s *dst, const kq_c2s *src);
int kq_c2s_encode(const kq_c2s *v, kq_buf *out);
KQ_NODISCARD int kq_c2s_encode_at(const kq_c2s *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_c2s_decode(const char *json, size_t len, kq_c2s *out, kq_error *err);
KQ_NODISCARD int kq_c2s_decode_framed(const char *json, size_t len, kq_c2s *out,
                                kq_error *err);

/* ServerToClientMessage: Answers and notifications from the server to a client. */
typedef enum kq_s2c_tag {
    KQ_S2C_WELCOME_CLIENT, /* WelcomeClient: Answer to HelloFromClient. */
    KQ_S2C_AUTH_CHALLENGE, /* AuthChallenge: A challenge to answer with AuthResponse. */
    KQ_S2C_AUTH_ACCEPTED, /* AuthAccepted: Whether the connection is authenticated now. */
    KQ_S2C_ACCEPT_JOB, /* AcceptJob: The job as queued, with its id. */
    KQ_S2C_REJECT_JOB, /* RejectJob: The job was not queued. */
    KQ_S2C_JOB_LIST, /* JobList: Answer to ListJobs; counters cover every job in the table. */
    KQ_S2C_JOB_INFO, /* JobInfo: Answer to ShowJob. */
    KQ_S2C_JOB_UPDATED, /* JobUpdated: An observed job changed. */
    KQ_S2C_WORKER_LIST, /* WorkerList: Answer to ListWorkers. */
    KQ_S2C_WORKER_INFO, /* WorkerInfo: Answer to ShowWorker. */
    KQ_S2C_RESOURCE_LIST, /* ResourceList: Answer to ListResources. */
    KQ_S2C_REQUEST_RESPONSE, /* RequestResponse: Outcome of a request that has no other answer. */
    KQ_S2C_BYE, /* Bye: The server shuts down. */
    KQ_S2C_JOB_OUTPUT, /* JobOutput: Kueue-C: output of a job the client follows (FollowJob): nothing promised durable, except with done. */
    KQ_S2C_ALLOC_QUEUE_LIST, /* AllocQueueList: Kueue-C (allocations): answer to AddAllocQueue and ListAllocQueues. */
} kq_s2c_tag;

/* ServerToClientMessage::AuthChallenge: A challenge to answer with AuthResponse. */
typedef struct kq_s2c_auth_challenge {
    kq_str salt; /* 64 random alphanumerics. */
} kq_s2c_auth_challenge;

/* ServerToClientMessage::RejectJob: The job was not queued. */
typedef struct kq_s2c_reject_job {
    kq_job_info job_info; /* The job as received. */
    kq_str reason; /* Why. */
} kq_s2c_reject_job;

/* ServerToClientMessage::JobList: Answer to ListJobs; counters cover every job in the table. */
typedef struct kq_s2c_job_list {
    kq_job_info_list job_infos; /* The selected jobs in ascending id order. */
    uint64_t jobs_pending; /* Pending jobs. */
    uint64_t jobs_offered; /* Offered jobs. */
    uint64_t jobs_running; /* Running jobs. */
    uint64_t jobs_succeeded; /* Jobs finished with code 0. */
    uint64_t jobs_failed; /* Jobs finished with another code. */
    uint64_t jobs_canceled; /* Canceled jobs. */
    int64_t job_avg_run_time_seconds; /* Average run time. */
    int64_t remaining_jobs_eta_seconds; /* Estimated time until the queue is empty. */
} kq_s2c_job_list;

/* ServerToClientMessage::JobInfo: Answer to ShowJob. */
typedef struct kq_s2c_job_info {
    kq_job_info job_info; /* The job. */
    kq_str stdout_text; /* Captured stdout, "Redirected to <path>", or null. */
    kq_str stderr_text; /* Captured stderr likewise. */
} kq_s2c_job_info;

/* ServerToClientMessage::ResourceList: Answer to ListResources. */
typedef struct kq_s2c_resource_list {
    bool has_used_resources;
    kq_u64_map used_resources; /* Held by offered and running jobs; null if none. */
    bool has_total_resources;
    kq_u64_map total_resources; /* Configured on the server; null if none. */
} kq_s2c_resource_list;

/* ServerToClientMessage::RequestResponse: Outcome of a request that has no other answer. */
typedef struct kq_s2c_request_response {
    bool success; /* Whether it worked. */
    kq_str text; /* What happened. */
} kq_s2c_request_response;

/* ServerToClientMessage::JobOutput: Kueue-C: output of a job the client follows (FollowJob): nothing promised durable, except with done. */
typedef struct kq_s2c_job_output {
    uint64_t job_id; /* The job. */
    bool has_stdout_chunk;
    kq_stream_text stdout_chunk; /* New stdout text, if any. */
    bool has_stderr_chunk;
    kq_stream_text stderr_chunk; /* New stderr text, if any. */
    bool live; /* Whether the job's output comes as it is written: false while it waits, and while it runs on a worker that does not send it (the original), whose output comes when the job ends. */
    bool done; /* The job ended and this is the end of its output (the last of its final output): nothing more comes for it. */
} kq_s2c_job_output;

/* ServerToClientMessage::AllocQueueList: Kueue-C (allocations): answer to AddAllocQueue and ListAllocQueues. */
typedef struct kq_s2c_alloc_queue_list {
    kq_alloc_queue_list queues; /* The queues, by id. */
} kq_s2c_alloc_queue_list;

typedef struct kq_s2c {
    kq_s2c_tag tag;
    union {
        kq_s2c_auth_challenge auth_challenge;
        bool auth_accepted;
        kq_job_info accept_job;
        kq_s2c_reject_job reject_job;
        kq_s2c_job_list job_list;
        kq_s2c_job_info job_info;
        kq_job_info job_updated;
        kq_worker_info_list worker_list;
        kq_worker_info worker_info;
        kq_s2c_resource_list resource_list;
        kq_s2c_request_response request_response;
        kq_s2c_job_output job_output;
        kq_s2c_alloc_queue_list alloc_queue_list;
    };
} kq_s2c;

/* The variant's name as on the wire ("WelcomeClient"). */
const char *kq_s2c_tag_name(kq_s2c_tag tag);
/* The extension level that introduced the variant; 0 for the original's. */
unsigned kq_s2c_tag_level(kq_s2c_tag tag);

void kq_s2c_init(kq_s2c *v);
void kq_s2c_free(kq_s2c *v);
KQ_NODISCARD int kq_s2c_copy(kq_s2c *dst, const kq_s2c *src);
int kq_s2c_encode(const kq_s2c *v, kq_buf *out);
KQ_NODISCARD int kq_s2c_encode_at(const kq_s2c *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_s2c_decode(const char *json, size_t len, kq_s2c *out, kq_error *err);
KQ_NODISCARD int kq_s2c_decode_framed(const char *json, size_t len, kq_s2c *out,
                                kq_error *err);

/* WorkerToServerMessage: Reports and answers from a worker. */
typedef enum kq_w2s_tag {
    KQ_W2S_AUTH_RESPONSE, /* AuthResponse: Answer to the challenge. */
    KQ_W2S_UPDATE_SYSTEM_INFO, /* UpdateSystemInfo: Machine information; also the keep-alive. */
    KQ_W2S_UPDATE_JOB_STATUS, /* UpdateJobStatus: A job finished or was canceled (or, after a reconnect, still runs). */
    KQ_W2S_UPDATE_JOB_RESULTS, /* UpdateJobResults: Captured output of a job that ended. */
    KQ_W2S_UPDATE_RESOURCES, /* UpdateResources: Free resources now. */
    KQ_W2S_ACCEPT_JOB_OFFER, /* AcceptJobOffer: The offered job will run here. */
    KQ_W2S_DEFER_JOB_OFFER, /* DeferJobOffer: Not enough free resources now. */
    KQ_W2S_REJECT_JOB_OFFER, /* RejectJobOffer: This worker can never run the job (no such cwd). */
    KQ_W2S_BYE, /* Bye: The worker leaves. */
    KQ_W2S_REQUEUE_JOB, /* RequeueJob: Kueue-C: the worker gave the job up before its end (it shut down, with on_shutdown = requeue): queue it again.  Acknowledged with ReportStored, as a report. */
    KQ_W2S_OUTPUT_CHUNK, /* OutputChunk: Kueue-C: new output of a running job, only to a server of level 1: at most every 200 ms while the job is watched (WatchOutput), else once a second and no more than the server keeps.  Promises nothing: the final output (UpdateJobResults) replaces it. */
} kq_w2s_tag;

/* WorkerToServerMessage::UpdateJobResults: Captured output of a job that ended. */
typedef struct kq_w2s_update_job_results {
    uint64_t job_id; /* The job. */
    kq_str stdout_text; /* Captured stdout or null. */
    kq_str stderr_text; /* Captured stderr or null. */
} kq_w2s_update_job_results;

/* WorkerToServerMessage::RequeueJob: Kueue-C: the worker gave the job up before its end (it shut down, with on_shutdown = requeue): queue it again.  Acknowledged with ReportStored, as a report. */
typedef struct kq_w2s_requeue_job {
    uint64_t job_id; /* The job. */
    kq_str reason; /* Why, for people: worker "node1" shut down (SIGTERM). */
} kq_w2s_requeue_job;

/* WorkerToServerMessage::OutputChunk: Kueue-C: new output of a running job, only to a server of level 1: at most every 200 ms while the job is watched (WatchOutput), else once a second and no more than the server keeps.  Promises nothing: the final output (UpdateJobResults) replaces it. */
typedef struct kq_w2s_output_chunk {
    uint64_t job_id; /* The job. */
    bool has_stdout_chunk;
    kq_stream_text stdout_chunk; /* New stdout text, if any. */
    bool has_stderr_chunk;
    kq_stream_text stderr_chunk; /* New stderr text, if any. */
} kq_w2s_output_chunk;

typedef struct kq_w2s {
    kq_w2s_tag tag;
    union {
        kq_str auth_response;
        kq_system_info update_system_info;
        kq_job_info update_job_status;
        kq_w2s_update_job_results update_job_results;
        kq_resources update_resources;
        kq_job_info accept_job_offer;
        kq_job_info defer_job_offer;
        kq_job_info reject_job_offer;
        kq_w2s_requeue_job requeue_job;
        kq_w2s_output_chunk output_chunk;
    };
} kq_w2s;

/* The variant's name as on the wire ("AuthResponse"). */
const char *kq_w2s_tag_name(kq_w2s_tag tag);
/* The extension level that introduced the variant; 0 for the original's. */
unsigned kq_w2s_tag_level(kq_w2s_tag tag);

void kq_w2s_init(kq_w2s *v);
void kq_w2s_free(kq_w2s *v);
KQ_NODISCARD int kq_w2s_copy(kq_w2s *dst, const kq_w2s *src);
int kq_w2s_encode(const kq_w2s *v, kq_buf *out);
KQ_NODISCARD int kq_w2s_encode_at(const kq_w2s *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_w2s_decode(const char *json, size_t len, kq_w2s *out, kq_error *err);
KQ_NODISCARD int kq_w2s_decode_framed(const char *json, size_t len, kq_w2s *out,
                                kq_error *err);

/* ServerToWorkerMessage: Offers and orders from the server to a worker. */
typedef enum kq_s2w_tag {
    KQ_S2W_WELCOME_WORKER, /* WelcomeWorker: Answer to HelloFromWorker. */
    KQ_S2W_AUTH_CHALLENGE, /* AuthChallenge: The challenge, sent unprompted after WelcomeWorker. */
    KQ_S2W_AUTH_ACCEPTED, /* AuthAccepted: Whether authentication succeeded. */
    KQ_S2W_OFFER_JOB, /* OfferJob: A job that fits; answer with Accept, Defer or Reject. */
    KQ_S2W_CONFIRM_JOB_OFFER, /* ConfirmJobOffer: Start the accepted job (status Running). */
    KQ_S2W_WITHDRAW_JOB_OFFER, /* WithdrawJobOffer: Forget the offer; the job was canceled. */
    KQ_S2W_KILL_JOB, /* KillJob: Kill the running job (status Canceled). */
    KQ_S2W_BYE, /* Bye: The server shuts down. */
    KQ_S2W_REPORT_STORED, /* ReportStored: Kueue-C: the worker's report of the job (UpdateJobStatus then UpdateJobResults) is handled for good: stored, or known already, or refused; the worker forgets it.  Sent after the server's state holds it; a report not acknowledged is sent again after a reconnect. */
    KQ_S2W_WATCH_OUTPUT, /* WatchOutput: Kueue-C: whether clients follow the job (it runs, or is about to run, on this worker): watched, send its output as it is written (OutputChunk, at most every 200 ms); not (the default), only the last output_keep bytes of each stream, once a second, for show-job and a new follower's first lines. */
} kq_s2w_tag;

/* ServerToWorkerMessage::AuthChallenge: The challenge, sent unprompted after WelcomeWorker. */
typedef struct kq_s2w_auth_challenge {
    kq_str salt; /* 64 random alphanumerics. */
    bool has_extension_level;
    uint64_t extension_level; /* Kueue-C: the server's extension level, only to a worker that announced one; the session then speaks the lower of the two. */
    kq_str state_id; /* Kueue-C: names the server's stored state (its state file, for the file's life); absent when the state is in memory only.  A worker reports a job only to a server of the state that started it, and keeps it running meanwhile. */
    bool has_output_keep;
    uint64_t output_keep; /* Kueue-C: the bytes of each output stream of a running job the server keeps (live_output_buffer_bytes): of a job nobody follows (WatchOutput) a worker sends no more than that, once a second. */
} kq_s2w_auth_challenge;

/* ServerToWorkerMessage::ReportStored: Kueue-C: the worker's report of the job (UpdateJobStatus then UpdateJobResults) is handled for good: stored, or known already, or refused; the worker forgets it.  Sent after the server's state holds it; a report not acknowledged is sent again after a reconnect. */
typedef struct kq_s2w_report_stored {
    uint64_t job_id; /* The job. */
} kq_s2w_report_stored;

/* ServerToWorkerMessage::WatchOutput: Kueue-C: whether clients follow the job (it runs, or is about to run, on this worker): watched, send its output as it is written (OutputChunk, at most every 200 ms); not (the default), only the last output_keep bytes of each stream, once a second, for show-job and a new follower's first lines. */
typedef struct kq_s2w_watch_output {
    uint64_t job_id; /* The job. */
    bool watched; /* Whether it is followed. */
} kq_s2w_watch_output;

typedef struct kq_s2w {
    kq_s2w_tag tag;
    union {
        kq_s2w_auth_challenge auth_challenge;
        bool auth_accepted;
        kq_job_info offer_job;
        kq_job_info confirm_job_offer;
        kq_job_info withdraw_job_offer;
        kq_job_info kill_job;
        kq_s2w_report_stored report_stored;
        kq_s2w_watch_output watch_output;
    };
} kq_s2w;

/* The variant's name as on the wire ("WelcomeWorker"). */
const char *kq_s2w_tag_name(kq_s2w_tag tag);
/* The extension level that introduced the variant; 0 for the original's. */
unsigned kq_s2w_tag_level(kq_s2w_tag tag);

void kq_s2w_init(kq_s2w *v);
void kq_s2w_free(kq_s2w *v);
KQ_NODISCARD int kq_s2w_copy(kq_s2w *dst, const kq_s2w *src);
int kq_s2w_encode(const kq_s2w *v, kq_buf *out);
KQ_NODISCARD int kq_s2w_encode_at(const kq_s2w *v, unsigned level, kq_buf *out);
KQ_NODISCARD int kq_s2w_decode(const char *json, size_t len, kq_s2w *out, kq_error *err);
KQ_NODISCARD int kq_s2w_decode_framed(const char *json, size_t len, kq_s2w *out,
                                kq_error *err);

/* Every type by its schema name, for tests, fuzzers and tools that handle
 * messages generically.  The functions take a pointer to the type. */
typedef struct kq_type_ops {
    const char *name;
    size_t size;
    void (*init)(void *v);
    void (*free)(void *v);
    int (*encode)(const void *v, kq_buf *out);
    int (*encode_at)(const void *v, unsigned level, kq_buf *out);
    int (*decode)(const char *json, size_t len, void *out, kq_error *err);
} kq_type_ops;

extern const kq_type_ops kq_protocol_types[];
extern const size_t kq_protocol_type_count;

/* The ops of the type named name (e.g. "JobInfo"), or NULL. */
const kq_type_ops *kq_protocol_type(const char *name);

#endif
