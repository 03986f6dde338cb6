/*
 * kq_protocol.c - encoders, decoders and helpers for kq_protocol.h.
 *
 * Generated from schema/protocol.yaml by codegen/kqgen.py; do not edit.
 */
#include "kq_protocol.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *kq_protocol_extension_release(unsigned level)
{
    static const char *const releases[] = {
        "0.20.0", /* 1: Level negotiation between worker and server; reports acknowledged once stored (ReportStored); the server's state id; jobs given back by a worker that shuts down (RequeueJob, JobInfo.note); drained workers (DrainWorker, WorkerInfo.drained); workflows: dependencies, priorities, time limits, retries, arrays and names (JobInfo.workflow, SubmitJob, SetJobPriority, ListJobsMatching, RemoveArray); why a job waits and the submitter's environment (JobInfo.wait_reason, queue_anyway, environment); live output of running jobs (HelloFromWorker.output_limit, AuthChallenge.output_keep, OutputChunk, WatchOutput, FollowJob, JobOutput); workers in batch-system allocations requested by the server (SystemInfo.lifetime, HelloFromWorker.allocation, WorkerInfo.allocation, AddAllocQueue, ListAllocQueues, RemoveAllocQueue, AllocQueueList). */
    };

    return level >= 1 && level <= 1 ? releases[level - 1] : NULL;
}

/* ---- Resources --------------------------------------------------------- */

void kq_resources_init(kq_resources *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const resources_fields[] = {
    "job_slots",
    "cpus",
    "ram_mb",
};

void kq_resources_free(kq_resources *v)
{
    memset(v, 0, sizeof *v);
}

int kq_resources_copy(kq_resources *dst, const kq_resources *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_slots = src->job_slots;
    dst->cpus = src->cpus;
    dst->ram_mb = src->ram_mb;
    return 0;
}

static void enc_resources(kq_buf *out, const kq_resources *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_slots\":", 13);
    kq_enc_u64(out, v->job_slots);
    kq_buf_append(out, ",\"cpus\":", 8);
    kq_enc_u64(out, v->cpus);
    kq_buf_append(out, ",\"ram_mb\":", 10);
    kq_enc_u64(out, v->ram_mb);
    kq_buf_putc(out, '}');
}

static int dec_resources(kq_dec *d, cJSON *j, kq_resources *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Resources", resources_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_slots");
        goto fail;
    }
    kq_dec_push(d, "job_slots");
    if ((rc = kq_dec_u64(d, found[0], &out->job_slots)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "cpus");
        goto fail;
    }
    kq_dec_push(d, "cpus");
    if ((rc = kq_dec_u64(d, found[1], &out->cpus)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "ram_mb");
        goto fail;
    }
    kq_dec_push(d, "ram_mb");
    if ((rc = kq_dec_u64(d, found[2], &out->ram_mb)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_resources_free(out);
    return rc;
}


int kq_resources_encode(const kq_resources *v, kq_buf *out)
{
    return kq_resources_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_resources_encode_at(const kq_resources *v, unsigned level, kq_buf *out)
{
    enc_resources(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_resources_doc(kq_json_doc *doc, kq_resources *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_resources(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_resources_decode(const char *json, size_t len, kq_resources *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_resources_doc(&doc, out, err);
}

int kq_resources_decode_framed(const char *json, size_t len, kq_resources *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_resources_doc(&doc, out, err);
}

/* ---- JobStatus --------------------------------------------------------- */

static const char *const job_status_names[] = {
    "Pending",
    "Offered",
    "Running",
    "Finished",
    "Canceled",
};

/* Whether each variant carries a value (newtype and struct variants). */
static const bool job_status_has_value[] = {
    true,
    true,
    true,
    true,
    true,
};

const char *kq_job_status_tag_name(kq_job_status_tag tag)
{
    return (unsigned)tag < 5 ? job_status_names[tag] : "?";
}

unsigned kq_job_status_tag_level(kq_job_status_tag tag)
{
    (void)tag;
    return 0;
}

void kq_job_status_init(kq_job_status *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const job_status_pending_fields[] = {
    "issued",
};

static void free_job_status_pending(kq_job_status_pending *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_job_status_pending(kq_job_status_pending *dst, const kq_job_status_pending *src)
{
    memset(dst, 0, sizeof *dst);
    dst->issued = src->issued;
    return 0;
}

static void enc_job_status_pending(kq_buf *out, const kq_job_status_pending *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"issued\":", 10);
    kq_enc_time(out, v->issued);
    kq_buf_putc(out, '}');
}

static int dec_job_status_pending(kq_dec *d, cJSON *j, kq_job_status_pending *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Pending", job_status_pending_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "issued");
        goto fail;
    }
    kq_dec_push(d, "issued");
    if ((rc = kq_dec_time(d, found[0], &out->issued)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_job_status_pending(out);
    return rc;
}

static const char *const job_status_offered_fields[] = {
    "issued",
    "offered",
    "worker",
};

static void free_job_status_offered(kq_job_status_offered *v)
{
    kq_str_free(&v->worker);
    memset(v, 0, sizeof *v);
}

static int copy_job_status_offered(kq_job_status_offered *dst, const kq_job_status_offered *src)
{
    memset(dst, 0, sizeof *dst);
    dst->issued = src->issued;
    dst->offered = src->offered;
    if (kq_str_copy(&dst->worker, &src->worker) < 0)
        goto fail;
    return 0;
fail:
    free_job_status_offered(dst);
    return -ENOMEM;
}

static void enc_job_status_offered(kq_buf *out, const kq_job_status_offered *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"issued\":", 10);
    kq_enc_time(out, v->issued);
    kq_buf_append(out, ",\"offered\":", 11);
    kq_enc_time(out, v->offered);
    kq_buf_append(out, ",\"worker\":", 10);
    kq_enc_str(out, &v->worker);
    kq_buf_putc(out, '}');
}

static int dec_job_status_offered(kq_dec *d, cJSON *j, kq_job_status_offered *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Offered", job_status_offered_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "issued");
        goto fail;
    }
    kq_dec_push(d, "issued");
    if ((rc = kq_dec_time(d, found[0], &out->issued)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "offered");
        goto fail;
    }
    kq_dec_push(d, "offered");
    if ((rc = kq_dec_time(d, found[1], &out->offered)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "worker");
        goto fail;
    }
    kq_dec_push(d, "worker");
    if ((rc = kq_dec_str(d, found[2], KQ_LIMIT_NAME, &out->worker)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_job_status_offered(out);
    return rc;
}

static const char *const job_status_running_fields[] = {
    "issued",
    "started",
    "worker",
};

static void free_job_status_running(kq_job_status_running *v)
{
    kq_str_free(&v->worker);
    memset(v, 0, sizeof *v);
}

static int copy_job_status_running(kq_job_status_running *dst, const kq_job_status_running *src)
{
    memset(dst, 0, sizeof *dst);
    dst->issued = src->issued;
    dst->started = src->started;
    if (kq_str_copy(&dst->worker, &src->worker) < 0)
        goto fail;
    return 0;
fail:
    free_job_status_running(dst);
    return -ENOMEM;
}

static void enc_job_status_running(kq_buf *out, const kq_job_status_running *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"issued\":", 10);
    kq_enc_time(out, v->issued);
    kq_buf_append(out, ",\"started\":", 11);
    kq_enc_time(out, v->started);
    kq_buf_append(out, ",\"worker\":", 10);
    kq_enc_str(out, &v->worker);
    kq_buf_putc(out, '}');
}

static int dec_job_status_running(kq_dec *d, cJSON *j, kq_job_status_running *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Running", job_status_running_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "issued");
        goto fail;
    }
    kq_dec_push(d, "issued");
    if ((rc = kq_dec_time(d, found[0], &out->issued)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "started");
        goto fail;
    }
    kq_dec_push(d, "started");
    if ((rc = kq_dec_time(d, found[1], &out->started)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "worker");
        goto fail;
    }
    kq_dec_push(d, "worker");
    if ((rc = kq_dec_str(d, found[2], KQ_LIMIT_NAME, &out->worker)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_job_status_running(out);
    return rc;
}

static const char *const job_status_finished_fields[] = {
    "issued",
    "started",
    "finished",
    "return_code",
    "worker",
    "run_time_seconds",
    "comment",
};

static void free_job_status_finished(kq_job_status_finished *v)
{
    kq_str_free(&v->worker);
    kq_str_free(&v->comment);
    memset(v, 0, sizeof *v);
}

static int copy_job_status_finished(kq_job_status_finished *dst, const kq_job_status_finished *src)
{
    memset(dst, 0, sizeof *dst);
    dst->issued = src->issued;
    dst->started = src->started;
    dst->finished = src->finished;
    dst->return_code = src->return_code;
    if (kq_str_copy(&dst->worker, &src->worker) < 0)
        goto fail;
    dst->run_time_seconds = src->run_time_seconds;
    if (kq_str_copy(&dst->comment, &src->comment) < 0)
        goto fail;
    return 0;
fail:
    free_job_status_finished(dst);
    return -ENOMEM;
}

static void enc_job_status_finished(kq_buf *out, const kq_job_status_finished *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"issued\":", 10);
    kq_enc_time(out, v->issued);
    kq_buf_append(out, ",\"started\":", 11);
    kq_enc_time(out, v->started);
    kq_buf_append(out, ",\"finished\":", 12);
    kq_enc_time(out, v->finished);
    kq_buf_append(out, ",\"return_code\":", 15);
    kq_enc_i64(out, v->return_code);
    kq_buf_append(out, ",\"worker\":", 10);
    kq_enc_str(out, &v->worker);
    kq_buf_append(out, ",\"run_time_seconds\":", 20);
    kq_enc_i64(out, v->run_time_seconds);
    kq_buf_append(out, ",\"comment\":", 11);
    kq_enc_str(out, &v->comment);
    kq_buf_putc(out, '}');
}

static int dec_job_status_finished(kq_dec *d, cJSON *j, kq_job_status_finished *out)
{
    cJSON *found[7];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Finished", job_status_finished_fields, 7,
                            7, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "issued");
        goto fail;
    }
    kq_dec_push(d, "issued");
    if ((rc = kq_dec_time(d, found[0], &out->issued)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "started");
        goto fail;
    }
    kq_dec_push(d, "started");
    if ((rc = kq_dec_time(d, found[1], &out->started)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "finished");
        goto fail;
    }
    kq_dec_push(d, "finished");
    if ((rc = kq_dec_time(d, found[2], &out->finished)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "return_code");
        goto fail;
    }
    kq_dec_push(d, "return_code");
    if ((rc = kq_dec_i32(d, found[3], &out->return_code)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "worker");
        goto fail;
    }
    kq_dec_push(d, "worker");
    if ((rc = kq_dec_str(d, found[4], KQ_LIMIT_NAME, &out->worker)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "run_time_seconds");
        goto fail;
    }
    kq_dec_push(d, "run_time_seconds");
    if ((rc = kq_dec_i64(d, found[5], &out->run_time_seconds)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[6]) {
        rc = kq_dec_missing(d, "comment");
        goto fail;
    }
    kq_dec_push(d, "comment");
    if ((rc = kq_dec_str(d, found[6], KQ_LIMIT_STRING, &out->comment)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_job_status_finished(out);
    return rc;
}

static const char *const job_status_canceled_fields[] = {
    "issued",
    "canceled",
};

static void free_job_status_canceled(kq_job_status_canceled *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_job_status_canceled(kq_job_status_canceled *dst, const kq_job_status_canceled *src)
{
    memset(dst, 0, sizeof *dst);
    dst->issued = src->issued;
    dst->canceled = src->canceled;
    return 0;
}

static void enc_job_status_canceled(kq_buf *out, const kq_job_status_canceled *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"issued\":", 10);
    kq_enc_time(out, v->issued);
    kq_buf_append(out, ",\"canceled\":", 12);
    kq_enc_time(out, v->canceled);
    kq_buf_putc(out, '}');
}

static int dec_job_status_canceled(kq_dec *d, cJSON *j, kq_job_status_canceled *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Canceled", job_status_canceled_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "issued");
        goto fail;
    }
    kq_dec_push(d, "issued");
    if ((rc = kq_dec_time(d, found[0], &out->issued)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "canceled");
        goto fail;
    }
    kq_dec_push(d, "canceled");
    if ((rc = kq_dec_time(d, found[1], &out->canceled)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_job_status_canceled(out);
    return rc;
}

void kq_job_status_free(kq_job_status *v)
{
    switch (v->tag) {
    case KQ_JOB_STATUS_PENDING:
        free_job_status_pending(&v->pending);
        break;
    case KQ_JOB_STATUS_OFFERED:
        free_job_status_offered(&v->offered);
        break;
    case KQ_JOB_STATUS_RUNNING:
        free_job_status_running(&v->running);
        break;
    case KQ_JOB_STATUS_FINISHED:
        free_job_status_finished(&v->finished);
        break;
    case KQ_JOB_STATUS_CANCELED:
        free_job_status_canceled(&v->canceled);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

int kq_job_status_copy(kq_job_status *dst, const kq_job_status *src)
{
    memset(dst, 0, sizeof *dst);
    dst->tag = src->tag;
    switch (src->tag) {
    case KQ_JOB_STATUS_PENDING:
        if (copy_job_status_pending(&dst->pending, &src->pending) < 0)
            goto fail;
        break;
    case KQ_JOB_STATUS_OFFERED:
        if (copy_job_status_offered(&dst->offered, &src->offered) < 0)
            goto fail;
        break;
    case KQ_JOB_STATUS_RUNNING:
        if (copy_job_status_running(&dst->running, &src->running) < 0)
            goto fail;
        break;
    case KQ_JOB_STATUS_FINISHED:
        if (copy_job_status_finished(&dst->finished, &src->finished) < 0)
            goto fail;
        break;
    case KQ_JOB_STATUS_CANCELED:
        if (copy_job_status_canceled(&dst->canceled, &src->canceled) < 0)
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    memset(dst, 0, sizeof *dst);
    return -ENOMEM;
}

static void enc_job_status(kq_buf *out, const kq_job_status *v, unsigned level)
{
    switch (v->tag) {
    case KQ_JOB_STATUS_PENDING:
        kq_buf_append(out, "{\"Pending\":", 11);
        enc_job_status_pending(out, &v->pending, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_JOB_STATUS_OFFERED:
        kq_buf_append(out, "{\"Offered\":", 11);
        enc_job_status_offered(out, &v->offered, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_JOB_STATUS_RUNNING:
        kq_buf_append(out, "{\"Running\":", 11);
        enc_job_status_running(out, &v->running, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_JOB_STATUS_FINISHED:
        kq_buf_append(out, "{\"Finished\":", 12);
        enc_job_status_finished(out, &v->finished, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_JOB_STATUS_CANCELED:
        kq_buf_append(out, "{\"Canceled\":", 12);
        enc_job_status_canceled(out, &v->canceled, level);
        kq_buf_putc(out, '}');
        break;
    }
}

static int dec_job_status(kq_dec *d, cJSON *j, kq_job_status *out)
{
    cJSON *payload;
    int tag, rc;

    memset(out, 0, sizeof *out);
    rc = kq_dec_variant(d, j, "JobStatus", job_status_names, 5, &tag, &payload);
    if (rc < 0)
        return rc;
    out->tag = (kq_job_status_tag)tag;
    if (!payload && job_status_has_value[tag])
        return kq_dec_fail(d, NULL, "expected {\"%s\": value}, got a bare string",
                           job_status_names[tag]);
    switch (out->tag) {
    case KQ_JOB_STATUS_PENDING:
        rc = dec_job_status_pending(d, payload, &out->pending);
        break;
    case KQ_JOB_STATUS_OFFERED:
        rc = dec_job_status_offered(d, payload, &out->offered);
        break;
    case KQ_JOB_STATUS_RUNNING:
        rc = dec_job_status_running(d, payload, &out->running);
        break;
    case KQ_JOB_STATUS_FINISHED:
        rc = dec_job_status_finished(d, payload, &out->finished);
        break;
    case KQ_JOB_STATUS_CANCELED:
        rc = dec_job_status_canceled(d, payload, &out->canceled);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    kq_dec_pop(d);
    return 0;
}

int kq_job_status_encode(const kq_job_status *v, kq_buf *out)
{
    return kq_job_status_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_job_status_encode_at(const kq_job_status *v, unsigned level, kq_buf *out)
{
    enc_job_status(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_job_status_doc(kq_json_doc *doc, kq_job_status *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_job_status(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_job_status_decode(const char *json, size_t len, kq_job_status *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_status_doc(&doc, out, err);
}

int kq_job_status_decode_framed(const char *json, size_t len, kq_job_status *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_status_doc(&doc, out, err);
}

/* ---- Attempt ----------------------------------------------------------- */

void kq_attempt_init(kq_attempt *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const attempt_fields[] = {
    "return_code",
    "worker",
    "finished",
};

void kq_attempt_free(kq_attempt *v)
{
    kq_str_free(&v->worker);
    memset(v, 0, sizeof *v);
}

int kq_attempt_copy(kq_attempt *dst, const kq_attempt *src)
{
    memset(dst, 0, sizeof *dst);
    dst->return_code = src->return_code;
    if (kq_str_copy(&dst->worker, &src->worker) < 0)
        goto fail;
    dst->finished = src->finished;
    return 0;
fail:
    kq_attempt_free(dst);
    return -ENOMEM;
}

static void enc_attempt(kq_buf *out, const kq_attempt *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"return_code\":", 15);
    kq_enc_i64(out, v->return_code);
    kq_buf_append(out, ",\"worker\":", 10);
    kq_enc_str(out, &v->worker);
    kq_buf_append(out, ",\"finished\":", 12);
    kq_enc_time(out, v->finished);
    kq_buf_putc(out, '}');
}

static int dec_attempt(kq_dec *d, cJSON *j, kq_attempt *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Attempt", attempt_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "return_code");
        goto fail;
    }
    kq_dec_push(d, "return_code");
    if ((rc = kq_dec_i32(d, found[0], &out->return_code)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "worker");
        goto fail;
    }
    kq_dec_push(d, "worker");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_NAME, &out->worker)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "finished");
        goto fail;
    }
    kq_dec_push(d, "finished");
    if ((rc = kq_dec_time(d, found[2], &out->finished)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_attempt_free(out);
    return rc;
}


int kq_attempt_encode(const kq_attempt *v, kq_buf *out)
{
    return kq_attempt_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_attempt_encode_at(const kq_attempt *v, unsigned level, kq_buf *out)
{
    enc_attempt(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_attempt_doc(kq_json_doc *doc, kq_attempt *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_attempt(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_attempt_decode(const char *json, size_t len, kq_attempt *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_attempt_doc(&doc, out, err);
}

int kq_attempt_decode_framed(const char *json, size_t len, kq_attempt *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_attempt_doc(&doc, out, err);
}

void kq_attempt_list_free(kq_attempt_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_attempt_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int copy_attempt_list(kq_attempt_list *dst, const kq_attempt_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_attempt_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_attempt_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static void enc_attempt_list(kq_buf *out, const kq_attempt_list *l, unsigned level)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        enc_attempt(out, &l->items[i], level);
    }
    kq_buf_putc(out, ']');
}

static int dec_attempt_list(kq_dec *d, cJSON *j, size_t max, kq_attempt_list *out)
{
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = dec_attempt(d, c, &out->items[i])) < 0) {
            kq_attempt_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* ---- Workflow ---------------------------------------------------------- */

void kq_workflow_init(kq_workflow *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const workflow_fields[] = {
    "priority",
    "name",
    "after",
    "after_any",
    "time_limit_seconds",
    "retries",
    "array_id",
    "array_index",
    "waiting",
    "attempts",
};

void kq_workflow_free(kq_workflow *v)
{
    kq_str_free(&v->name);
    kq_u64_set_free(&v->after);
    kq_u64_set_free(&v->after_any);
    kq_attempt_list_free(&v->attempts);
    memset(v, 0, sizeof *v);
}

int kq_workflow_copy(kq_workflow *dst, const kq_workflow *src)
{
    memset(dst, 0, sizeof *dst);
    dst->priority = src->priority;
    if (kq_str_copy(&dst->name, &src->name) < 0)
        goto fail;
    dst->has_after = src->has_after;
    if (kq_u64_set_copy(&dst->after, &src->after) < 0)
        goto fail;
    dst->has_after_any = src->has_after_any;
    if (kq_u64_set_copy(&dst->after_any, &src->after_any) < 0)
        goto fail;
    dst->has_time_limit_seconds = src->has_time_limit_seconds;
    dst->time_limit_seconds = src->time_limit_seconds;
    dst->has_retries = src->has_retries;
    dst->retries = src->retries;
    dst->has_array_id = src->has_array_id;
    dst->array_id = src->array_id;
    dst->has_array_index = src->has_array_index;
    dst->array_index = src->array_index;
    dst->has_waiting = src->has_waiting;
    dst->waiting = src->waiting;
    dst->has_attempts = src->has_attempts;
    if (copy_attempt_list(&dst->attempts, &src->attempts) < 0)
        goto fail;
    return 0;
fail:
    kq_workflow_free(dst);
    return -ENOMEM;
}

static void enc_workflow(kq_buf *out, const kq_workflow *v, unsigned level)
{
    kq_buf_append(out, "{\"priority\":", 12);
    kq_enc_i64(out, v->priority);
    if (level >= 1 && v->name.ptr) {
        kq_buf_append(out, ",\"name\":", 8);
        kq_enc_str(out, &v->name);
    }
    if (level >= 1 && v->has_after) {
        kq_buf_append(out, ",\"after\":", 9);
        kq_enc_u64_set(out, &v->after);
    }
    if (level >= 1 && v->has_after_any) {
        kq_buf_append(out, ",\"after_any\":", 13);
        kq_enc_u64_set(out, &v->after_any);
    }
    if (level >= 1 && v->has_time_limit_seconds) {
        kq_buf_append(out, ",\"time_limit_seconds\":", 22);
        kq_enc_u64(out, v->time_limit_seconds);
    }
    if (level >= 1 && v->has_retries) {
        kq_buf_append(out, ",\"retries\":", 11);
        kq_enc_u64(out, v->retries);
    }
    if (level >= 1 && v->has_array_id) {
        kq_buf_append(out, ",\"array_id\":", 12);
        kq_enc_u64(out, v->array_id);
    }
    if (level >= 1 && v->has_array_index) {
        kq_buf_append(out, ",\"array_index\":", 15);
        kq_enc_u64(out, v->array_index);
    }
    if (level >= 1 && v->has_waiting) {
        kq_buf_append(out, ",\"waiting\":", 11);
        kq_enc_u64(out, v->waiting);
    }
    if (level >= 1 && v->has_attempts) {
        kq_buf_append(out, ",\"attempts\":", 12);
        enc_attempt_list(out, &v->attempts, level);
    }
    kq_buf_putc(out, '}');
}

static int dec_workflow(kq_dec *d, cJSON *j, kq_workflow *out)
{
    cJSON *found[10];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Workflow", workflow_fields, 10,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "priority");
        goto fail;
    }
    kq_dec_push(d, "priority");
    if ((rc = kq_dec_i32(d, found[0], &out->priority)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "name");
    if ((rc = kq_dec_opt_str(d, found[1], KQ_LIMIT_NAME, &out->name)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[2])) {
        out->has_after = true;
        kq_dec_push(d, "after");
        if ((rc = kq_dec_u64_set(d, found[2], KQ_LIMIT_DEPS, &out->after)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[3])) {
        out->has_after_any = true;
        kq_dec_push(d, "after_any");
        if ((rc = kq_dec_u64_set(d, found[3], KQ_LIMIT_DEPS, &out->after_any)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[4])) {
        out->has_time_limit_seconds = true;
        kq_dec_push(d, "time_limit_seconds");
        if ((rc = kq_dec_u64(d, found[4], &out->time_limit_seconds)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[5])) {
        out->has_retries = true;
        kq_dec_push(d, "retries");
        if ((rc = kq_dec_u64(d, found[5], &out->retries)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[6])) {
        out->has_array_id = true;
        kq_dec_push(d, "array_id");
        if ((rc = kq_dec_u64(d, found[6], &out->array_id)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[7])) {
        out->has_array_index = true;
        kq_dec_push(d, "array_index");
        if ((rc = kq_dec_u64(d, found[7], &out->array_index)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[8])) {
        out->has_waiting = true;
        kq_dec_push(d, "waiting");
        if ((rc = kq_dec_u64(d, found[8], &out->waiting)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[9])) {
        out->has_attempts = true;
        kq_dec_push(d, "attempts");
        if ((rc = dec_attempt_list(d, found[9], KQ_LIMIT_ATTEMPTS, &out->attempts)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    kq_workflow_free(out);
    return rc;
}


int kq_workflow_encode(const kq_workflow *v, kq_buf *out)
{
    return kq_workflow_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_workflow_encode_at(const kq_workflow *v, unsigned level, kq_buf *out)
{
    enc_workflow(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_workflow_doc(kq_json_doc *doc, kq_workflow *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_workflow(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_workflow_decode(const char *json, size_t len, kq_workflow *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_workflow_doc(&doc, out, err);
}

int kq_workflow_decode_framed(const char *json, size_t len, kq_workflow *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_workflow_doc(&doc, out, err);
}

/* ---- JobArray ---------------------------------------------------------- */

void kq_job_array_init(kq_job_array *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const job_array_fields[] = {
    "first",
    "last",
    "step",
};

void kq_job_array_free(kq_job_array *v)
{
    memset(v, 0, sizeof *v);
}

int kq_job_array_copy(kq_job_array *dst, const kq_job_array *src)
{
    memset(dst, 0, sizeof *dst);
    dst->first = src->first;
    dst->last = src->last;
    dst->step = src->step;
    return 0;
}

static void enc_job_array(kq_buf *out, const kq_job_array *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"first\":", 9);
    kq_enc_u64(out, v->first);
    kq_buf_append(out, ",\"last\":", 8);
    kq_enc_u64(out, v->last);
    kq_buf_append(out, ",\"step\":", 8);
    kq_enc_u64(out, v->step);
    kq_buf_putc(out, '}');
}

static int dec_job_array(kq_dec *d, cJSON *j, kq_job_array *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "JobArray", job_array_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "first");
        goto fail;
    }
    kq_dec_push(d, "first");
    if ((rc = kq_dec_u64(d, found[0], &out->first)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "last");
        goto fail;
    }
    kq_dec_push(d, "last");
    if ((rc = kq_dec_u64(d, found[1], &out->last)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "step");
        goto fail;
    }
    kq_dec_push(d, "step");
    if ((rc = kq_dec_u64(d, found[2], &out->step)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_job_array_free(out);
    return rc;
}


int kq_job_array_encode(const kq_job_array *v, kq_buf *out)
{
    return kq_job_array_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_job_array_encode_at(const kq_job_array *v, unsigned level, kq_buf *out)
{
    enc_job_array(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_job_array_doc(kq_json_doc *doc, kq_job_array *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_job_array(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_job_array_decode(const char *json, size_t len, kq_job_array *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_array_doc(&doc, out, err);
}

int kq_job_array_decode_framed(const char *json, size_t len, kq_job_array *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_array_doc(&doc, out, err);
}

/* ---- JobEnvironment ---------------------------------------------------- */

void kq_job_env_init(kq_job_env *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const job_env_fields[] = {
    "variables",
    "add_to_worker",
};

void kq_job_env_free(kq_job_env *v)
{
    kq_str_list_free(&v->variables);
    memset(v, 0, sizeof *v);
}

int kq_job_env_copy(kq_job_env *dst, const kq_job_env *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_str_list_copy(&dst->variables, &src->variables) < 0)
        goto fail;
    dst->add_to_worker = src->add_to_worker;
    return 0;
fail:
    kq_job_env_free(dst);
    return -ENOMEM;
}

static void enc_job_env(kq_buf *out, const kq_job_env *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"variables\":", 13);
    kq_enc_str_list(out, &v->variables);
    kq_buf_append(out, ",\"add_to_worker\":", 17);
    kq_enc_bool(out, v->add_to_worker);
    kq_buf_putc(out, '}');
}

static int dec_job_env(kq_dec *d, cJSON *j, kq_job_env *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "JobEnvironment", job_env_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "variables");
        goto fail;
    }
    kq_dec_push(d, "variables");
    if ((rc = kq_dec_str_list(d, found[0], KQ_LIMIT_LIST, KQ_LIMIT_ARGUMENT, &out->variables)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "add_to_worker");
        goto fail;
    }
    kq_dec_push(d, "add_to_worker");
    if ((rc = kq_dec_bool(d, found[1], &out->add_to_worker)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_job_env_free(out);
    return rc;
}


int kq_job_env_encode(const kq_job_env *v, kq_buf *out)
{
    return kq_job_env_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_job_env_encode_at(const kq_job_env *v, unsigned level, kq_buf *out)
{
    enc_job_env(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_job_env_doc(kq_json_doc *doc, kq_job_env *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_job_env(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_job_env_decode(const char *json, size_t len, kq_job_env *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_env_doc(&doc, out, err);
}

int kq_job_env_decode_framed(const char *json, size_t len, kq_job_env *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_env_doc(&doc, out, err);
}

/* ---- JobInfo ----------------------------------------------------------- */

void kq_job_info_init(kq_job_info *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const job_info_fields[] = {
    "job_id",
    "cmd",
    "cwd",
    "worker_resources",
    "global_resources",
    "status",
    "stdout_path",
    "stderr_path",
    "note",
    "workflow",
    "wait_reason",
    "queue_anyway",
    "environment",
};

void kq_job_info_free(kq_job_info *v)
{
    kq_str_list_free(&v->cmd);
    kq_str_free(&v->cwd);
    kq_resources_free(&v->worker_resources);
    kq_u64_map_free(&v->global_resources);
    kq_job_status_free(&v->status);
    kq_str_free(&v->stdout_path);
    kq_str_free(&v->stderr_path);
    kq_str_free(&v->note);
    if (v->workflow) {
        kq_workflow_free(v->workflow);
        free(v->workflow);
    }
    kq_str_free(&v->wait_reason);
    kq_job_env_free(&v->environment);
    memset(v, 0, sizeof *v);
}

int kq_job_info_copy(kq_job_info *dst, const kq_job_info *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    if (kq_str_list_copy(&dst->cmd, &src->cmd) < 0)
        goto fail;
    if (kq_str_copy(&dst->cwd, &src->cwd) < 0)
        goto fail;
    if (kq_resources_copy(&dst->worker_resources, &src->worker_resources) < 0)
        goto fail;
    dst->has_global_resources = src->has_global_resources;
    if (kq_u64_map_copy(&dst->global_resources, &src->global_resources) < 0)
        goto fail;
    if (kq_job_status_copy(&dst->status, &src->status) < 0)
        goto fail;
    if (kq_str_copy(&dst->stdout_path, &src->stdout_path) < 0)
        goto fail;
    if (kq_str_copy(&dst->stderr_path, &src->stderr_path) < 0)
        goto fail;
    if (kq_str_copy(&dst->note, &src->note) < 0)
        goto fail;
    if (src->workflow && (!(dst->workflow = malloc(sizeof *dst->workflow)) || kq_workflow_copy(dst->workflow, src->workflow) < 0))
        goto fail;
    if (kq_str_copy(&dst->wait_reason, &src->wait_reason) < 0)
        goto fail;
    dst->has_queue_anyway = src->has_queue_anyway;
    dst->queue_anyway = src->queue_anyway;
    dst->has_environment = src->has_environment;
    if (kq_job_env_copy(&dst->environment, &src->environment) < 0)
        goto fail;
    return 0;
fail:
    kq_job_info_free(dst);
    return -ENOMEM;
}

static void enc_job_info(kq_buf *out, const kq_job_info *v, unsigned level)
{
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"cmd\":", 7);
    kq_enc_str_list(out, &v->cmd);
    kq_buf_append(out, ",\"cwd\":", 7);
    kq_enc_str(out, &v->cwd);
    kq_buf_append(out, ",\"worker_resources\":", 20);
    enc_resources(out, &v->worker_resources, level);
    kq_buf_append(out, ",\"global_resources\":", 20);
    if (v->has_global_resources)
        kq_enc_u64_map(out, &v->global_resources);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_append(out, ",\"status\":", 10);
    enc_job_status(out, &v->status, level);
    kq_buf_append(out, ",\"stdout_path\":", 15);
    kq_enc_opt_str(out, &v->stdout_path);
    kq_buf_append(out, ",\"stderr_path\":", 15);
    kq_enc_opt_str(out, &v->stderr_path);
    if (level >= 1 && v->note.ptr) {
        kq_buf_append(out, ",\"note\":", 8);
        kq_enc_str(out, &v->note);
    }
    if (level >= 1 && v->workflow) {
        kq_buf_append(out, ",\"workflow\":", 12);
        enc_workflow(out, &(*v->workflow), level);
    }
    if (level >= 1 && v->wait_reason.ptr) {
        kq_buf_append(out, ",\"wait_reason\":", 15);
        kq_enc_str(out, &v->wait_reason);
    }
    if (level >= 1 && v->has_queue_anyway) {
        kq_buf_append(out, ",\"queue_anyway\":", 16);
        kq_enc_bool(out, v->queue_anyway);
    }
    if (level >= 1 && v->has_environment) {
        kq_buf_append(out, ",\"environment\":", 15);
        enc_job_env(out, &v->environment, level);
    }
    kq_buf_putc(out, '}');
}

static int dec_job_info(kq_dec *d, cJSON *j, kq_job_info *out)
{
    cJSON *found[13];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "JobInfo", job_info_fields, 13,
                            8, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "cmd");
        goto fail;
    }
    kq_dec_push(d, "cmd");
    if ((rc = kq_dec_str_list(d, found[1], KQ_LIMIT_ARGUMENTS, KQ_LIMIT_ARGUMENT, &out->cmd)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "cwd");
        goto fail;
    }
    kq_dec_push(d, "cwd");
    if ((rc = kq_dec_str(d, found[2], KQ_LIMIT_PATH, &out->cwd)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "worker_resources");
        goto fail;
    }
    kq_dec_push(d, "worker_resources");
    if ((rc = dec_resources(d, found[3], &out->worker_resources)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[4])) {
        out->has_global_resources = true;
        kq_dec_push(d, "global_resources");
        if ((rc = kq_dec_u64_map(d, found[4], 1024, KQ_LIMIT_NAME, &out->global_resources)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!found[5]) {
        rc = kq_dec_missing(d, "status");
        goto fail;
    }
    kq_dec_push(d, "status");
    if ((rc = dec_job_status(d, found[5], &out->status)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stdout_path");
    if ((rc = kq_dec_opt_str(d, found[6], KQ_LIMIT_PATH, &out->stdout_path)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stderr_path");
    if ((rc = kq_dec_opt_str(d, found[7], KQ_LIMIT_PATH, &out->stderr_path)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "note");
    if ((rc = kq_dec_opt_str(d, found[8], 1024, &out->note)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[9])) {
        if (!(out->workflow = calloc(1, sizeof *out->workflow))) {
            rc = kq_dec_oom(d);
            goto fail;
        }
        kq_dec_push(d, "workflow");
        if ((rc = dec_workflow(d, found[9], &(*out->workflow))) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    kq_dec_push(d, "wait_reason");
    if ((rc = kq_dec_opt_str(d, found[10], 1024, &out->wait_reason)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[11])) {
        out->has_queue_anyway = true;
        kq_dec_push(d, "queue_anyway");
        if ((rc = kq_dec_bool(d, found[11], &out->queue_anyway)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[12])) {
        out->has_environment = true;
        kq_dec_push(d, "environment");
        if ((rc = dec_job_env(d, found[12], &out->environment)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    kq_job_info_free(out);
    return rc;
}


int kq_job_info_encode(const kq_job_info *v, kq_buf *out)
{
    return kq_job_info_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_job_info_encode_at(const kq_job_info *v, unsigned level, kq_buf *out)
{
    enc_job_info(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_job_info_doc(kq_json_doc *doc, kq_job_info *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_job_info(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_job_info_decode(const char *json, size_t len, kq_job_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_info_doc(&doc, out, err);
}

int kq_job_info_decode_framed(const char *json, size_t len, kq_job_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_job_info_doc(&doc, out, err);
}

void kq_job_info_list_free(kq_job_info_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_job_info_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int copy_job_info_list(kq_job_info_list *dst, const kq_job_info_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_job_info_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_job_info_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static void enc_job_info_list(kq_buf *out, const kq_job_info_list *l, unsigned level)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        enc_job_info(out, &l->items[i], level);
    }
    kq_buf_putc(out, ']');
}

static int dec_job_info_list(kq_dec *d, cJSON *j, size_t max, kq_job_info_list *out)
{
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = dec_job_info(d, c, &out->items[i])) < 0) {
            kq_job_info_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* ---- LoadInfo ---------------------------------------------------------- */

void kq_load_info_init(kq_load_info *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const load_info_fields[] = {
    "one",
    "five",
    "fifteen",
};

void kq_load_info_free(kq_load_info *v)
{
    memset(v, 0, sizeof *v);
}

int kq_load_info_copy(kq_load_info *dst, const kq_load_info *src)
{
    memset(dst, 0, sizeof *dst);
    dst->one = src->one;
    dst->five = src->five;
    dst->fifteen = src->fifteen;
    return 0;
}

static void enc_load_info(kq_buf *out, const kq_load_info *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"one\":", 7);
    kq_enc_f64(out, v->one);
    kq_buf_append(out, ",\"five\":", 8);
    kq_enc_f64(out, v->five);
    kq_buf_append(out, ",\"fifteen\":", 11);
    kq_enc_f64(out, v->fifteen);
    kq_buf_putc(out, '}');
}

static int dec_load_info(kq_dec *d, cJSON *j, kq_load_info *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "LoadInfo", load_info_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "one");
        goto fail;
    }
    kq_dec_push(d, "one");
    if ((rc = kq_dec_f64(d, found[0], &out->one)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "five");
        goto fail;
    }
    kq_dec_push(d, "five");
    if ((rc = kq_dec_f64(d, found[1], &out->five)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "fifteen");
        goto fail;
    }
    kq_dec_push(d, "fifteen");
    if ((rc = kq_dec_f64(d, found[2], &out->fifteen)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_load_info_free(out);
    return rc;
}


int kq_load_info_encode(const kq_load_info *v, kq_buf *out)
{
    return kq_load_info_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_load_info_encode_at(const kq_load_info *v, unsigned level, kq_buf *out)
{
    enc_load_info(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_load_info_doc(kq_json_doc *doc, kq_load_info *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_load_info(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_load_info_decode(const char *json, size_t len, kq_load_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_load_info_doc(&doc, out, err);
}

int kq_load_info_decode_framed(const char *json, size_t len, kq_load_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_load_info_doc(&doc, out, err);
}

/* ---- WorkerLifetime ---------------------------------------------------- */

void kq_worker_lifetime_init(kq_worker_lifetime *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const worker_lifetime_fields[] = {
    "seconds_left",
    "no_limit_seconds_left",
};

void kq_worker_lifetime_free(kq_worker_lifetime *v)
{
    memset(v, 0, sizeof *v);
}

int kq_worker_lifetime_copy(kq_worker_lifetime *dst, const kq_worker_lifetime *src)
{
    memset(dst, 0, sizeof *dst);
    dst->seconds_left = src->seconds_left;
    dst->no_limit_seconds_left = src->no_limit_seconds_left;
    return 0;
}

static void enc_worker_lifetime(kq_buf *out, const kq_worker_lifetime *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"seconds_left\":", 16);
    kq_enc_u64(out, v->seconds_left);
    kq_buf_append(out, ",\"no_limit_seconds_left\":", 25);
    kq_enc_u64(out, v->no_limit_seconds_left);
    kq_buf_putc(out, '}');
}

static int dec_worker_lifetime(kq_dec *d, cJSON *j, kq_worker_lifetime *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "WorkerLifetime", worker_lifetime_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "seconds_left");
        goto fail;
    }
    kq_dec_push(d, "seconds_left");
    if ((rc = kq_dec_u64(d, found[0], &out->seconds_left)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "no_limit_seconds_left");
        goto fail;
    }
    kq_dec_push(d, "no_limit_seconds_left");
    if ((rc = kq_dec_u64(d, found[1], &out->no_limit_seconds_left)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_worker_lifetime_free(out);
    return rc;
}


int kq_worker_lifetime_encode(const kq_worker_lifetime *v, kq_buf *out)
{
    return kq_worker_lifetime_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_worker_lifetime_encode_at(const kq_worker_lifetime *v, unsigned level, kq_buf *out)
{
    enc_worker_lifetime(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_worker_lifetime_doc(kq_json_doc *doc, kq_worker_lifetime *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_worker_lifetime(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_worker_lifetime_decode(const char *json, size_t len, kq_worker_lifetime *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_worker_lifetime_doc(&doc, out, err);
}

int kq_worker_lifetime_decode_framed(const char *json, size_t len, kq_worker_lifetime *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_worker_lifetime_doc(&doc, out, err);
}

/* ---- Allocation -------------------------------------------------------- */

void kq_allocation_init(kq_allocation *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const allocation_fields[] = {
    "alloc_id",
    "state",
    "submitted",
    "workers",
    "connections",
    "batch_id",
    "started",
    "reason",
};

void kq_allocation_free(kq_allocation *v)
{
    kq_str_free(&v->state);
    kq_str_free(&v->batch_id);
    kq_str_free(&v->reason);
    memset(v, 0, sizeof *v);
}

int kq_allocation_copy(kq_allocation *dst, const kq_allocation *src)
{
    memset(dst, 0, sizeof *dst);
    dst->alloc_id = src->alloc_id;
    if (kq_str_copy(&dst->state, &src->state) < 0)
        goto fail;
    dst->submitted = src->submitted;
    dst->workers = src->workers;
    dst->connections = src->connections;
    if (kq_str_copy(&dst->batch_id, &src->batch_id) < 0)
        goto fail;
    dst->has_started = src->has_started;
    dst->started = src->started;
    if (kq_str_copy(&dst->reason, &src->reason) < 0)
        goto fail;
    return 0;
fail:
    kq_allocation_free(dst);
    return -ENOMEM;
}

static void enc_allocation(kq_buf *out, const kq_allocation *v, unsigned level)
{
    kq_buf_append(out, "{\"alloc_id\":", 12);
    kq_enc_u64(out, v->alloc_id);
    kq_buf_append(out, ",\"state\":", 9);
    kq_enc_str(out, &v->state);
    kq_buf_append(out, ",\"submitted\":", 13);
    kq_enc_time(out, v->submitted);
    kq_buf_append(out, ",\"workers\":", 11);
    kq_enc_u64(out, v->workers);
    kq_buf_append(out, ",\"connections\":", 15);
    kq_enc_u64(out, v->connections);
    if (level >= 1 && v->batch_id.ptr) {
        kq_buf_append(out, ",\"batch_id\":", 12);
        kq_enc_str(out, &v->batch_id);
    }
    if (level >= 1 && v->has_started) {
        kq_buf_append(out, ",\"started\":", 11);
        kq_enc_time(out, v->started);
    }
    if (level >= 1 && v->reason.ptr) {
        kq_buf_append(out, ",\"reason\":", 10);
        kq_enc_str(out, &v->reason);
    }
    kq_buf_putc(out, '}');
}

static int dec_allocation(kq_dec *d, cJSON *j, kq_allocation *out)
{
    cJSON *found[8];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "Allocation", allocation_fields, 8,
                            5, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "alloc_id");
        goto fail;
    }
    kq_dec_push(d, "alloc_id");
    if ((rc = kq_dec_u64(d, found[0], &out->alloc_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "state");
        goto fail;
    }
    kq_dec_push(d, "state");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_NAME, &out->state)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "submitted");
        goto fail;
    }
    kq_dec_push(d, "submitted");
    if ((rc = kq_dec_time(d, found[2], &out->submitted)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "workers");
        goto fail;
    }
    kq_dec_push(d, "workers");
    if ((rc = kq_dec_u64(d, found[3], &out->workers)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "connections");
        goto fail;
    }
    kq_dec_push(d, "connections");
    if ((rc = kq_dec_u64(d, found[4], &out->connections)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "batch_id");
    if ((rc = kq_dec_opt_str(d, found[5], KQ_LIMIT_NAME, &out->batch_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[6])) {
        out->has_started = true;
        kq_dec_push(d, "started");
        if ((rc = kq_dec_time(d, found[6], &out->started)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    kq_dec_push(d, "reason");
    if ((rc = kq_dec_opt_str(d, found[7], 1024, &out->reason)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_allocation_free(out);
    return rc;
}


int kq_allocation_encode(const kq_allocation *v, kq_buf *out)
{
    return kq_allocation_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_allocation_encode_at(const kq_allocation *v, unsigned level, kq_buf *out)
{
    enc_allocation(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_allocation_doc(kq_json_doc *doc, kq_allocation *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_allocation(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_allocation_decode(const char *json, size_t len, kq_allocation *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_allocation_doc(&doc, out, err);
}

int kq_allocation_decode_framed(const char *json, size_t len, kq_allocation *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_allocation_doc(&doc, out, err);
}

void kq_allocation_list_free(kq_allocation_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_allocation_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int copy_allocation_list(kq_allocation_list *dst, const kq_allocation_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_allocation_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_allocation_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static void enc_allocation_list(kq_buf *out, const kq_allocation_list *l, unsigned level)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        enc_allocation(out, &l->items[i], level);
    }
    kq_buf_putc(out, ']');
}

static int dec_allocation_list(kq_dec *d, cJSON *j, size_t max, kq_allocation_list *out)
{
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = dec_allocation(d, c, &out->items[i])) < 0) {
            kq_allocation_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* ---- AllocEvent -------------------------------------------------------- */

void kq_alloc_event_init(kq_alloc_event *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const alloc_event_fields[] = {
    "time",
    "kind",
    "text",
    "alloc_id",
};

void kq_alloc_event_free(kq_alloc_event *v)
{
    kq_str_free(&v->kind);
    kq_str_free(&v->text);
    memset(v, 0, sizeof *v);
}

int kq_alloc_event_copy(kq_alloc_event *dst, const kq_alloc_event *src)
{
    memset(dst, 0, sizeof *dst);
    dst->time = src->time;
    if (kq_str_copy(&dst->kind, &src->kind) < 0)
        goto fail;
    if (kq_str_copy(&dst->text, &src->text) < 0)
        goto fail;
    dst->has_alloc_id = src->has_alloc_id;
    dst->alloc_id = src->alloc_id;
    return 0;
fail:
    kq_alloc_event_free(dst);
    return -ENOMEM;
}

static void enc_alloc_event(kq_buf *out, const kq_alloc_event *v, unsigned level)
{
    kq_buf_append(out, "{\"time\":", 8);
    kq_enc_time(out, v->time);
    kq_buf_append(out, ",\"kind\":", 8);
    kq_enc_str(out, &v->kind);
    kq_buf_append(out, ",\"text\":", 8);
    kq_enc_str(out, &v->text);
    if (level >= 1 && v->has_alloc_id) {
        kq_buf_append(out, ",\"alloc_id\":", 12);
        kq_enc_u64(out, v->alloc_id);
    }
    kq_buf_putc(out, '}');
}

static int dec_alloc_event(kq_dec *d, cJSON *j, kq_alloc_event *out)
{
    cJSON *found[4];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "AllocEvent", alloc_event_fields, 4,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "time");
        goto fail;
    }
    kq_dec_push(d, "time");
    if ((rc = kq_dec_time(d, found[0], &out->time)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "kind");
        goto fail;
    }
    kq_dec_push(d, "kind");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_NAME, &out->kind)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "text");
        goto fail;
    }
    kq_dec_push(d, "text");
    if ((rc = kq_dec_str(d, found[2], 4096, &out->text)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[3])) {
        out->has_alloc_id = true;
        kq_dec_push(d, "alloc_id");
        if ((rc = kq_dec_u64(d, found[3], &out->alloc_id)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    kq_alloc_event_free(out);
    return rc;
}


int kq_alloc_event_encode(const kq_alloc_event *v, kq_buf *out)
{
    return kq_alloc_event_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_alloc_event_encode_at(const kq_alloc_event *v, unsigned level, kq_buf *out)
{
    enc_alloc_event(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_alloc_event_doc(kq_json_doc *doc, kq_alloc_event *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_alloc_event(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_alloc_event_decode(const char *json, size_t len, kq_alloc_event *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_alloc_event_doc(&doc, out, err);
}

int kq_alloc_event_decode_framed(const char *json, size_t len, kq_alloc_event *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_alloc_event_doc(&doc, out, err);
}

void kq_alloc_event_list_free(kq_alloc_event_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_alloc_event_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int copy_alloc_event_list(kq_alloc_event_list *dst, const kq_alloc_event_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_alloc_event_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_alloc_event_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static void enc_alloc_event_list(kq_buf *out, const kq_alloc_event_list *l, unsigned level)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        enc_alloc_event(out, &l->items[i], level);
    }
    kq_buf_putc(out, ']');
}

static int dec_alloc_event_list(kq_dec *d, cJSON *j, size_t max, kq_alloc_event_list *out)
{
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = dec_alloc_event(d, c, &out->items[i])) < 0) {
            kq_alloc_event_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* ---- AllocQueue -------------------------------------------------------- */

void kq_alloc_queue_init(kq_alloc_queue *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const alloc_queue_fields[] = {
    "queue_id",
    "backend",
    "max_workers",
    "workers_per_alloc",
    "time_limit_seconds",
    "idle_exit_seconds",
    "max_failures",
    "connect_timeout_seconds",
    "server_address",
    "worker_program",
    "worker_config",
    "backend_args",
    "failures",
    "allocations",
    "stopped",
    "margin_seconds",
    "events",
    "script",
};

void kq_alloc_queue_free(kq_alloc_queue *v)
{
    kq_str_free(&v->backend);
    kq_str_free(&v->server_address);
    kq_str_free(&v->worker_program);
    kq_str_free(&v->worker_config);
    kq_str_list_free(&v->backend_args);
    kq_allocation_list_free(&v->allocations);
    kq_str_free(&v->stopped);
    kq_alloc_event_list_free(&v->events);
    kq_str_free(&v->script);
    memset(v, 0, sizeof *v);
}

int kq_alloc_queue_copy(kq_alloc_queue *dst, const kq_alloc_queue *src)
{
    memset(dst, 0, sizeof *dst);
    dst->queue_id = src->queue_id;
    if (kq_str_copy(&dst->backend, &src->backend) < 0)
        goto fail;
    dst->max_workers = src->max_workers;
    dst->workers_per_alloc = src->workers_per_alloc;
    dst->time_limit_seconds = src->time_limit_seconds;
    dst->idle_exit_seconds = src->idle_exit_seconds;
    dst->max_failures = src->max_failures;
    dst->connect_timeout_seconds = src->connect_timeout_seconds;
    if (kq_str_copy(&dst->server_address, &src->server_address) < 0)
        goto fail;
    if (kq_str_copy(&dst->worker_program, &src->worker_program) < 0)
        goto fail;
    if (kq_str_copy(&dst->worker_config, &src->worker_config) < 0)
        goto fail;
    if (kq_str_list_copy(&dst->backend_args, &src->backend_args) < 0)
        goto fail;
    dst->failures = src->failures;
    if (copy_allocation_list(&dst->allocations, &src->allocations) < 0)
        goto fail;
    if (kq_str_copy(&dst->stopped, &src->stopped) < 0)
        goto fail;
    dst->has_margin_seconds = src->has_margin_seconds;
    dst->margin_seconds = src->margin_seconds;
    dst->has_events = src->has_events;
    if (copy_alloc_event_list(&dst->events, &src->events) < 0)
        goto fail;
    if (kq_str_copy(&dst->script, &src->script) < 0)
        goto fail;
    return 0;
fail:
    kq_alloc_queue_free(dst);
    return -ENOMEM;
}

static void enc_alloc_queue(kq_buf *out, const kq_alloc_queue *v, unsigned level)
{
    kq_buf_append(out, "{\"queue_id\":", 12);
    kq_enc_u64(out, v->queue_id);
    kq_buf_append(out, ",\"backend\":", 11);
    kq_enc_str(out, &v->backend);
    kq_buf_append(out, ",\"max_workers\":", 15);
    kq_enc_u64(out, v->max_workers);
    kq_buf_append(out, ",\"workers_per_alloc\":", 21);
    kq_enc_u64(out, v->workers_per_alloc);
    kq_buf_append(out, ",\"time_limit_seconds\":", 22);
    kq_enc_u64(out, v->time_limit_seconds);
    kq_buf_append(out, ",\"idle_exit_seconds\":", 21);
    kq_enc_u64(out, v->idle_exit_seconds);
    kq_buf_append(out, ",\"max_failures\":", 16);
    kq_enc_u64(out, v->max_failures);
    kq_buf_append(out, ",\"connect_timeout_seconds\":", 27);
    kq_enc_u64(out, v->connect_timeout_seconds);
    kq_buf_append(out, ",\"server_address\":", 18);
    kq_enc_str(out, &v->server_address);
    kq_buf_append(out, ",\"worker_program\":", 18);
    kq_enc_str(out, &v->worker_program);
    kq_buf_append(out, ",\"worker_config\":", 17);
    kq_enc_str(out, &v->worker_config);
    kq_buf_append(out, ",\"backend_args\":", 16);
    kq_enc_str_list(out, &v->backend_args);
    kq_buf_append(out, ",\"failures\":", 12);
    kq_enc_u64(out, v->failures);
    kq_buf_append(out, ",\"allocations\":", 15);
    enc_allocation_list(out, &v->allocations, level);
    if (level >= 1 && v->stopped.ptr) {
        kq_buf_append(out, ",\"stopped\":", 11);
        kq_enc_str(out, &v->stopped);
    }
    if (level >= 1 && v->has_margin_seconds) {
        kq_buf_append(out, ",\"margin_seconds\":", 18);
        kq_enc_u64(out, v->margin_seconds);
    }
    if (level >= 1 && v->has_events) {
        kq_buf_append(out, ",\"events\":", 10);
        enc_alloc_event_list(out, &v->events, level);
    }
    if (level >= 1 && v->script.ptr) {
        kq_buf_append(out, ",\"script\":", 10);
        kq_enc_str(out, &v->script);
    }
    kq_buf_putc(out, '}');
}

static int dec_alloc_queue(kq_dec *d, cJSON *j, kq_alloc_queue *out)
{
    cJSON *found[18];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "AllocQueue", alloc_queue_fields, 18,
                            14, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "queue_id");
        goto fail;
    }
    kq_dec_push(d, "queue_id");
    if ((rc = kq_dec_u64(d, found[0], &out->queue_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "backend");
        goto fail;
    }
    kq_dec_push(d, "backend");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_NAME, &out->backend)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "max_workers");
        goto fail;
    }
    kq_dec_push(d, "max_workers");
    if ((rc = kq_dec_u64(d, found[2], &out->max_workers)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "workers_per_alloc");
        goto fail;
    }
    kq_dec_push(d, "workers_per_alloc");
    if ((rc = kq_dec_u64(d, found[3], &out->workers_per_alloc)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "time_limit_seconds");
        goto fail;
    }
    kq_dec_push(d, "time_limit_seconds");
    if ((rc = kq_dec_u64(d, found[4], &out->time_limit_seconds)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "idle_exit_seconds");
        goto fail;
    }
    kq_dec_push(d, "idle_exit_seconds");
    if ((rc = kq_dec_u64(d, found[5], &out->idle_exit_seconds)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[6]) {
        rc = kq_dec_missing(d, "max_failures");
        goto fail;
    }
    kq_dec_push(d, "max_failures");
    if ((rc = kq_dec_u64(d, found[6], &out->max_failures)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[7]) {
        rc = kq_dec_missing(d, "connect_timeout_seconds");
        goto fail;
    }
    kq_dec_push(d, "connect_timeout_seconds");
    if ((rc = kq_dec_u64(d, found[7], &out->connect_timeout_seconds)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[8]) {
        rc = kq_dec_missing(d, "server_address");
        goto fail;
    }
    kq_dec_push(d, "server_address");
    if ((rc = kq_dec_str(d, found[8], 1024, &out->server_address)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[9]) {
        rc = kq_dec_missing(d, "worker_program");
        goto fail;
    }
    kq_dec_push(d, "worker_program");
    if ((rc = kq_dec_str(d, found[9], KQ_LIMIT_PATH, &out->worker_program)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[10]) {
        rc = kq_dec_missing(d, "worker_config");
        goto fail;
    }
    kq_dec_push(d, "worker_config");
    if ((rc = kq_dec_str(d, found[10], KQ_LIMIT_PATH, &out->worker_config)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[11]) {
        rc = kq_dec_missing(d, "backend_args");
        goto fail;
    }
    kq_dec_push(d, "backend_args");
    if ((rc = kq_dec_str_list(d, found[11], 256, 4096, &out->backend_args)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[12]) {
        rc = kq_dec_missing(d, "failures");
        goto fail;
    }
    kq_dec_push(d, "failures");
    if ((rc = kq_dec_u64(d, found[12], &out->failures)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[13]) {
        rc = kq_dec_missing(d, "allocations");
        goto fail;
    }
    kq_dec_push(d, "allocations");
    if ((rc = dec_allocation_list(d, found[13], 100000, &out->allocations)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stopped");
    if ((rc = kq_dec_opt_str(d, found[14], 4096, &out->stopped)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[15])) {
        out->has_margin_seconds = true;
        kq_dec_push(d, "margin_seconds");
        if ((rc = kq_dec_u64(d, found[15], &out->margin_seconds)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[16])) {
        out->has_events = true;
        kq_dec_push(d, "events");
        if ((rc = dec_alloc_event_list(d, found[16], 100000, &out->events)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    kq_dec_push(d, "script");
    if ((rc = kq_dec_opt_str(d, found[17], 1048576, &out->script)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_alloc_queue_free(out);
    return rc;
}


int kq_alloc_queue_encode(const kq_alloc_queue *v, kq_buf *out)
{
    return kq_alloc_queue_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_alloc_queue_encode_at(const kq_alloc_queue *v, unsigned level, kq_buf *out)
{
    enc_alloc_queue(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_alloc_queue_doc(kq_json_doc *doc, kq_alloc_queue *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_alloc_queue(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_alloc_queue_decode(const char *json, size_t len, kq_alloc_queue *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_alloc_queue_doc(&doc, out, err);
}

int kq_alloc_queue_decode_framed(const char *json, size_t len, kq_alloc_queue *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_alloc_queue_doc(&doc, out, err);
}

void kq_alloc_queue_list_free(kq_alloc_queue_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_alloc_queue_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int copy_alloc_queue_list(kq_alloc_queue_list *dst, const kq_alloc_queue_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_alloc_queue_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_alloc_queue_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static void enc_alloc_queue_list(kq_buf *out, const kq_alloc_queue_list *l, unsigned level)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        enc_alloc_queue(out, &l->items[i], level);
    }
    kq_buf_putc(out, ']');
}

static int dec_alloc_queue_list(kq_dec *d, cJSON *j, size_t max, kq_alloc_queue_list *out)
{
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = dec_alloc_queue(d, c, &out->items[i])) < 0) {
            kq_alloc_queue_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* ---- SystemInfo -------------------------------------------------------- */

void kq_system_info_init(kq_system_info *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const system_info_fields[] = {
    "kernel",
    "distribution",
    "cpu_cores",
    "cpu_frequency",
    "total_ram_mb",
    "load_info",
    "lifetime",
};

void kq_system_info_free(kq_system_info *v)
{
    kq_str_free(&v->kernel);
    kq_str_free(&v->distribution);
    kq_load_info_free(&v->load_info);
    kq_worker_lifetime_free(&v->lifetime);
    memset(v, 0, sizeof *v);
}

int kq_system_info_copy(kq_system_info *dst, const kq_system_info *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_str_copy(&dst->kernel, &src->kernel) < 0)
        goto fail;
    if (kq_str_copy(&dst->distribution, &src->distribution) < 0)
        goto fail;
    dst->cpu_cores = src->cpu_cores;
    dst->cpu_frequency = src->cpu_frequency;
    dst->total_ram_mb = src->total_ram_mb;
    if (kq_load_info_copy(&dst->load_info, &src->load_info) < 0)
        goto fail;
    dst->has_lifetime = src->has_lifetime;
    if (kq_worker_lifetime_copy(&dst->lifetime, &src->lifetime) < 0)
        goto fail;
    return 0;
fail:
    kq_system_info_free(dst);
    return -ENOMEM;
}

static void enc_system_info(kq_buf *out, const kq_system_info *v, unsigned level)
{
    kq_buf_append(out, "{\"kernel\":", 10);
    kq_enc_str(out, &v->kernel);
    kq_buf_append(out, ",\"distribution\":", 16);
    kq_enc_str(out, &v->distribution);
    kq_buf_append(out, ",\"cpu_cores\":", 13);
    kq_enc_u64(out, v->cpu_cores);
    kq_buf_append(out, ",\"cpu_frequency\":", 17);
    kq_enc_u64(out, v->cpu_frequency);
    kq_buf_append(out, ",\"total_ram_mb\":", 16);
    kq_enc_u64(out, v->total_ram_mb);
    kq_buf_append(out, ",\"load_info\":", 13);
    enc_load_info(out, &v->load_info, level);
    if (level >= 1 && v->has_lifetime) {
        kq_buf_append(out, ",\"lifetime\":", 12);
        enc_worker_lifetime(out, &v->lifetime, level);
    }
    kq_buf_putc(out, '}');
}

static int dec_system_info(kq_dec *d, cJSON *j, kq_system_info *out)
{
    cJSON *found[7];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "SystemInfo", system_info_fields, 7,
                            6, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "kernel");
        goto fail;
    }
    kq_dec_push(d, "kernel");
    if ((rc = kq_dec_str(d, found[0], 1024, &out->kernel)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "distribution");
        goto fail;
    }
    kq_dec_push(d, "distribution");
    if ((rc = kq_dec_str(d, found[1], 1024, &out->distribution)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "cpu_cores");
        goto fail;
    }
    kq_dec_push(d, "cpu_cores");
    if ((rc = kq_dec_u64(d, found[2], &out->cpu_cores)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "cpu_frequency");
        goto fail;
    }
    kq_dec_push(d, "cpu_frequency");
    if ((rc = kq_dec_u64(d, found[3], &out->cpu_frequency)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "total_ram_mb");
        goto fail;
    }
    kq_dec_push(d, "total_ram_mb");
    if ((rc = kq_dec_u64(d, found[4], &out->total_ram_mb)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "load_info");
        goto fail;
    }
    kq_dec_push(d, "load_info");
    if ((rc = dec_load_info(d, found[5], &out->load_info)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[6])) {
        out->has_lifetime = true;
        kq_dec_push(d, "lifetime");
        if ((rc = dec_worker_lifetime(d, found[6], &out->lifetime)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    kq_system_info_free(out);
    return rc;
}


int kq_system_info_encode(const kq_system_info *v, kq_buf *out)
{
    return kq_system_info_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_system_info_encode_at(const kq_system_info *v, unsigned level, kq_buf *out)
{
    enc_system_info(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_system_info_doc(kq_json_doc *doc, kq_system_info *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_system_info(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_system_info_decode(const char *json, size_t len, kq_system_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_system_info_doc(&doc, out, err);
}

int kq_system_info_decode_framed(const char *json, size_t len, kq_system_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_system_info_doc(&doc, out, err);
}

/* ---- WorkerInfo -------------------------------------------------------- */

void kq_worker_info_init(kq_worker_info *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const worker_info_fields[] = {
    "worker_id",
    "worker_name",
    "connected_since",
    "system_info",
    "last_updated",
    "jobs_offered",
    "jobs_running",
    "free_resources",
    "drained",
    "allocation",
};

void kq_worker_info_free(kq_worker_info *v)
{
    kq_str_free(&v->worker_name);
    kq_system_info_free(&v->system_info);
    kq_u64_set_free(&v->jobs_offered);
    kq_u64_set_free(&v->jobs_running);
    kq_resources_free(&v->free_resources);
    kq_str_free(&v->allocation);
    memset(v, 0, sizeof *v);
}

int kq_worker_info_copy(kq_worker_info *dst, const kq_worker_info *src)
{
    memset(dst, 0, sizeof *dst);
    dst->worker_id = src->worker_id;
    if (kq_str_copy(&dst->worker_name, &src->worker_name) < 0)
        goto fail;
    dst->connected_since = src->connected_since;
    if (kq_system_info_copy(&dst->system_info, &src->system_info) < 0)
        goto fail;
    dst->last_updated = src->last_updated;
    if (kq_u64_set_copy(&dst->jobs_offered, &src->jobs_offered) < 0)
        goto fail;
    if (kq_u64_set_copy(&dst->jobs_running, &src->jobs_running) < 0)
        goto fail;
    if (kq_resources_copy(&dst->free_resources, &src->free_resources) < 0)
        goto fail;
    dst->has_drained = src->has_drained;
    dst->drained = src->drained;
    if (kq_str_copy(&dst->allocation, &src->allocation) < 0)
        goto fail;
    return 0;
fail:
    kq_worker_info_free(dst);
    return -ENOMEM;
}

static void enc_worker_info(kq_buf *out, const kq_worker_info *v, unsigned level)
{
    kq_buf_append(out, "{\"worker_id\":", 13);
    kq_enc_u64(out, v->worker_id);
    kq_buf_append(out, ",\"worker_name\":", 15);
    kq_enc_str(out, &v->worker_name);
    kq_buf_append(out, ",\"connected_since\":", 19);
    kq_enc_time(out, v->connected_since);
    kq_buf_append(out, ",\"system_info\":", 15);
    enc_system_info(out, &v->system_info, level);
    kq_buf_append(out, ",\"last_updated\":", 16);
    kq_enc_time(out, v->last_updated);
    kq_buf_append(out, ",\"jobs_offered\":", 16);
    kq_enc_u64_set(out, &v->jobs_offered);
    kq_buf_append(out, ",\"jobs_running\":", 16);
    kq_enc_u64_set(out, &v->jobs_running);
    kq_buf_append(out, ",\"free_resources\":", 18);
    enc_resources(out, &v->free_resources, level);
    if (level >= 1 && v->has_drained) {
        kq_buf_append(out, ",\"drained\":", 11);
        kq_enc_bool(out, v->drained);
    }
    if (level >= 1 && v->allocation.ptr) {
        kq_buf_append(out, ",\"allocation\":", 14);
        kq_enc_str(out, &v->allocation);
    }
    kq_buf_putc(out, '}');
}

static int dec_worker_info(kq_dec *d, cJSON *j, kq_worker_info *out)
{
    cJSON *found[10];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "WorkerInfo", worker_info_fields, 10,
                            8, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "worker_id");
        goto fail;
    }
    kq_dec_push(d, "worker_id");
    if ((rc = kq_dec_u64(d, found[0], &out->worker_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "worker_name");
        goto fail;
    }
    kq_dec_push(d, "worker_name");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_NAME, &out->worker_name)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "connected_since");
        goto fail;
    }
    kq_dec_push(d, "connected_since");
    if ((rc = kq_dec_time(d, found[2], &out->connected_since)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "system_info");
        goto fail;
    }
    kq_dec_push(d, "system_info");
    if ((rc = dec_system_info(d, found[3], &out->system_info)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "last_updated");
        goto fail;
    }
    kq_dec_push(d, "last_updated");
    if ((rc = kq_dec_time(d, found[4], &out->last_updated)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "jobs_offered");
        goto fail;
    }
    kq_dec_push(d, "jobs_offered");
    if ((rc = kq_dec_u64_set(d, found[5], KQ_LIMIT_JOBS, &out->jobs_offered)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[6]) {
        rc = kq_dec_missing(d, "jobs_running");
        goto fail;
    }
    kq_dec_push(d, "jobs_running");
    if ((rc = kq_dec_u64_set(d, found[6], KQ_LIMIT_JOBS, &out->jobs_running)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[7]) {
        rc = kq_dec_missing(d, "free_resources");
        goto fail;
    }
    kq_dec_push(d, "free_resources");
    if ((rc = dec_resources(d, found[7], &out->free_resources)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[8])) {
        out->has_drained = true;
        kq_dec_push(d, "drained");
        if ((rc = kq_dec_bool(d, found[8], &out->drained)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    kq_dec_push(d, "allocation");
    if ((rc = kq_dec_opt_str(d, found[9], 1024, &out->allocation)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_worker_info_free(out);
    return rc;
}


int kq_worker_info_encode(const kq_worker_info *v, kq_buf *out)
{
    return kq_worker_info_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_worker_info_encode_at(const kq_worker_info *v, unsigned level, kq_buf *out)
{
    enc_worker_info(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_worker_info_doc(kq_json_doc *doc, kq_worker_info *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_worker_info(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_worker_info_decode(const char *json, size_t len, kq_worker_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_worker_info_doc(&doc, out, err);
}

int kq_worker_info_decode_framed(const char *json, size_t len, kq_worker_info *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_worker_info_doc(&doc, out, err);
}

void kq_worker_info_list_free(kq_worker_info_list *l)
{
    for (size_t i = 0; i < l->len; i++)
        kq_worker_info_free(&l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int copy_worker_info_list(kq_worker_info_list *dst, const kq_worker_info_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src->len)
        return 0;
    dst->items = calloc(src->len, sizeof *dst->items);
    if (!dst->items)
        return -ENOMEM;
    for (; dst->len < src->len; dst->len++) {
        if (kq_worker_info_copy(&dst->items[dst->len], &src->items[dst->len]) < 0) {
            kq_worker_info_list_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

static void enc_worker_info_list(kq_buf *out, const kq_worker_info_list *l, unsigned level)
{
    kq_buf_putc(out, '[');
    for (size_t i = 0; i < l->len; i++) {
        if (i)
            kq_buf_putc(out, ',');
        enc_worker_info(out, &l->items[i], level);
    }
    kq_buf_putc(out, ']');
}

static int dec_worker_info_list(kq_dec *d, cJSON *j, size_t max, kq_worker_info_list *out)
{
    size_t n, i = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_array(d, j, max, &n)) < 0)
        return rc;
    if (n && !(out->items = calloc(n, sizeof *out->items)))
        return kq_dec_oom(d);
    for (cJSON *c = j->child; c; c = c->next, i++) {
        kq_dec_push_index(d, i);
        if ((rc = dec_worker_info(d, c, &out->items[i])) < 0) {
            kq_worker_info_list_free(out);
            return rc;
        }
        out->len++;
        kq_dec_pop(d);
    }
    return 0;
}

/* ---- StreamText -------------------------------------------------------- */

void kq_stream_text_init(kq_stream_text *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const stream_text_fields[] = {
    "offset",
    "text",
};

void kq_stream_text_free(kq_stream_text *v)
{
    kq_str_free(&v->text);
    memset(v, 0, sizeof *v);
}

int kq_stream_text_copy(kq_stream_text *dst, const kq_stream_text *src)
{
    memset(dst, 0, sizeof *dst);
    dst->offset = src->offset;
    if (kq_str_copy(&dst->text, &src->text) < 0)
        goto fail;
    return 0;
fail:
    kq_stream_text_free(dst);
    return -ENOMEM;
}

static void enc_stream_text(kq_buf *out, const kq_stream_text *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"offset\":", 10);
    kq_enc_u64(out, v->offset);
    kq_buf_append(out, ",\"text\":", 8);
    kq_enc_str(out, &v->text);
    kq_buf_putc(out, '}');
}

static int dec_stream_text(kq_dec *d, cJSON *j, kq_stream_text *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "StreamText", stream_text_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "offset");
        goto fail;
    }
    kq_dec_push(d, "offset");
    if ((rc = kq_dec_u64(d, found[0], &out->offset)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "text");
        goto fail;
    }
    kq_dec_push(d, "text");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_TEXT, &out->text)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    kq_stream_text_free(out);
    return rc;
}


int kq_stream_text_encode(const kq_stream_text *v, kq_buf *out)
{
    return kq_stream_text_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_stream_text_encode_at(const kq_stream_text *v, unsigned level, kq_buf *out)
{
    enc_stream_text(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_stream_text_doc(kq_json_doc *doc, kq_stream_text *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_stream_text(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_stream_text_decode(const char *json, size_t len, kq_stream_text *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_stream_text_doc(&doc, out, err);
}

int kq_stream_text_decode_framed(const char *json, size_t len, kq_stream_text *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_stream_text_doc(&doc, out, err);
}

/* ---- HelloMessage ------------------------------------------------------ */

static const char *const hello_names[] = {
    "HelloFromClient",
    "HelloFromWorker",
};

/* Whether each variant carries a value (newtype and struct variants). */
static const bool hello_has_value[] = {
    false,
    true,
};

const char *kq_hello_tag_name(kq_hello_tag tag)
{
    return (unsigned)tag < 2 ? hello_names[tag] : "?";
}

unsigned kq_hello_tag_level(kq_hello_tag tag)
{
    (void)tag;
    return 0;
}

void kq_hello_init(kq_hello *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const hello_hello_from_worker_fields[] = {
    "worker_name",
    "extension_level",
    "output_limit",
    "allocation",
};

static void free_hello_hello_from_worker(kq_hello_hello_from_worker *v)
{
    kq_str_free(&v->worker_name);
    kq_str_free(&v->allocation);
    memset(v, 0, sizeof *v);
}

static int copy_hello_hello_from_worker(kq_hello_hello_from_worker *dst, const kq_hello_hello_from_worker *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_str_copy(&dst->worker_name, &src->worker_name) < 0)
        goto fail;
    dst->has_extension_level = src->has_extension_level;
    dst->extension_level = src->extension_level;
    dst->has_output_limit = src->has_output_limit;
    dst->output_limit = src->output_limit;
    if (kq_str_copy(&dst->allocation, &src->allocation) < 0)
        goto fail;
    return 0;
fail:
    free_hello_hello_from_worker(dst);
    return -ENOMEM;
}

static void enc_hello_hello_from_worker(kq_buf *out, const kq_hello_hello_from_worker *v, unsigned level)
{
    kq_buf_append(out, "{\"worker_name\":", 15);
    kq_enc_str(out, &v->worker_name);
    if (level >= 1 && v->has_extension_level) {
        kq_buf_append(out, ",\"extension_level\":", 19);
        kq_enc_u64(out, v->extension_level);
    }
    if (level >= 1 && v->has_output_limit) {
        kq_buf_append(out, ",\"output_limit\":", 16);
        kq_enc_u64(out, v->output_limit);
    }
    if (level >= 1 && v->allocation.ptr) {
        kq_buf_append(out, ",\"allocation\":", 14);
        kq_enc_str(out, &v->allocation);
    }
    kq_buf_putc(out, '}');
}

static int dec_hello_hello_from_worker(kq_dec *d, cJSON *j, kq_hello_hello_from_worker *out)
{
    cJSON *found[4];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "HelloFromWorker", hello_hello_from_worker_fields, 4,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "worker_name");
        goto fail;
    }
    kq_dec_push(d, "worker_name");
    if ((rc = kq_dec_str(d, found[0], KQ_LIMIT_NAME, &out->worker_name)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[1])) {
        out->has_extension_level = true;
        kq_dec_push(d, "extension_level");
        if ((rc = kq_dec_u64(d, found[1], &out->extension_level)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[2])) {
        out->has_output_limit = true;
        kq_dec_push(d, "output_limit");
        if ((rc = kq_dec_u64(d, found[2], &out->output_limit)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    kq_dec_push(d, "allocation");
    if ((rc = kq_dec_opt_str(d, found[3], 128, &out->allocation)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_hello_hello_from_worker(out);
    return rc;
}

void kq_hello_free(kq_hello *v)
{
    switch (v->tag) {
    case KQ_HELLO_HELLO_FROM_WORKER:
        free_hello_hello_from_worker(&v->hello_from_worker);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

int kq_hello_copy(kq_hello *dst, const kq_hello *src)
{
    memset(dst, 0, sizeof *dst);
    dst->tag = src->tag;
    switch (src->tag) {
    case KQ_HELLO_HELLO_FROM_WORKER:
        if (copy_hello_hello_from_worker(&dst->hello_from_worker, &src->hello_from_worker) < 0)
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    memset(dst, 0, sizeof *dst);
    return -ENOMEM;
}

static void enc_hello(kq_buf *out, const kq_hello *v, unsigned level)
{
    switch (v->tag) {
    case KQ_HELLO_HELLO_FROM_CLIENT:
        kq_buf_append(out, "\"HelloFromClient\"", 17);
        break;
    case KQ_HELLO_HELLO_FROM_WORKER:
        kq_buf_append(out, "{\"HelloFromWorker\":", 19);
        enc_hello_hello_from_worker(out, &v->hello_from_worker, level);
        kq_buf_putc(out, '}');
        break;
    }
}

static int dec_hello(kq_dec *d, cJSON *j, kq_hello *out)
{
    cJSON *payload;
    int tag, rc;

    memset(out, 0, sizeof *out);
    rc = kq_dec_variant(d, j, "HelloMessage", hello_names, 2, &tag, &payload);
    if (rc < 0)
        return rc;
    out->tag = (kq_hello_tag)tag;
    if (!payload && hello_has_value[tag])
        return kq_dec_fail(d, NULL, "expected {\"%s\": value}, got a bare string",
                           hello_names[tag]);
    switch (out->tag) {
    case KQ_HELLO_HELLO_FROM_CLIENT:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_HELLO_HELLO_FROM_WORKER:
        rc = dec_hello_hello_from_worker(d, payload, &out->hello_from_worker);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    kq_dec_pop(d);
    return 0;
}

int kq_hello_encode(const kq_hello *v, kq_buf *out)
{
    return kq_hello_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_hello_encode_at(const kq_hello *v, unsigned level, kq_buf *out)
{
    enc_hello(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_hello_doc(kq_json_doc *doc, kq_hello *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_hello(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_hello_decode(const char *json, size_t len, kq_hello *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_hello_doc(&doc, out, err);
}

int kq_hello_decode_framed(const char *json, size_t len, kq_hello *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_hello_doc(&doc, out, err);
}

/* ---- ClientToServerMessage --------------------------------------------- */

static const char *const c2s_names[] = {
    "AuthRequest",
    "AuthResponse",
    "IssueJob",
    "ListJobs",
    "ShowJob",
    "ObserveJob",
    "RemoveJob",
    "CleanJobs",
    "ListWorkers",
    "ShowWorker",
    "ListResources",
    "Bye",
    "DrainWorker",
    "SubmitJob",
    "SetJobPriority",
    "ListJobsMatching",
    "RemoveArray",
    "FollowJob",
    "AddAllocQueue",
    "ListAllocQueues",
    "RemoveAllocQueue",
};

/* Whether each variant carries a value (newtype and struct variants). */
static const bool c2s_has_value[] = {
    false,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    true,
    false,
    false,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
};

const char *kq_c2s_tag_name(kq_c2s_tag tag)
{
    return (unsigned)tag < 21 ? c2s_names[tag] : "?";
}

unsigned kq_c2s_tag_level(kq_c2s_tag tag)
{
    static const unsigned char levels[] = {
        0, /* AuthRequest */
        0, /* AuthResponse */
        0, /* IssueJob */
        0, /* ListJobs */
        0, /* ShowJob */
        0, /* ObserveJob */
        0, /* RemoveJob */
        0, /* CleanJobs */
        0, /* ListWorkers */
        0, /* ShowWorker */
        0, /* ListResources */
        0, /* Bye */
        1, /* DrainWorker */
        1, /* SubmitJob */
        1, /* SetJobPriority */
        1, /* ListJobsMatching */
        1, /* RemoveArray */
        1, /* FollowJob */
        1, /* AddAllocQueue */
        1, /* ListAllocQueues */
        1, /* RemoveAllocQueue */
    };

    return (unsigned)tag < 21 ? levels[tag] : 0;
}

void kq_c2s_init(kq_c2s *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const c2s_list_jobs_fields[] = {
    "num_jobs",
    "pending",
    "offered",
    "running",
    "succeeded",
    "failed",
    "canceled",
};

static void free_c2s_list_jobs(kq_c2s_list_jobs *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_list_jobs(kq_c2s_list_jobs *dst, const kq_c2s_list_jobs *src)
{
    memset(dst, 0, sizeof *dst);
    dst->num_jobs = src->num_jobs;
    dst->pending = src->pending;
    dst->offered = src->offered;
    dst->running = src->running;
    dst->succeeded = src->succeeded;
    dst->failed = src->failed;
    dst->canceled = src->canceled;
    return 0;
}

static void enc_c2s_list_jobs(kq_buf *out, const kq_c2s_list_jobs *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"num_jobs\":", 12);
    kq_enc_u64(out, v->num_jobs);
    kq_buf_append(out, ",\"pending\":", 11);
    kq_enc_bool(out, v->pending);
    kq_buf_append(out, ",\"offered\":", 11);
    kq_enc_bool(out, v->offered);
    kq_buf_append(out, ",\"running\":", 11);
    kq_enc_bool(out, v->running);
    kq_buf_append(out, ",\"succeeded\":", 13);
    kq_enc_bool(out, v->succeeded);
    kq_buf_append(out, ",\"failed\":", 10);
    kq_enc_bool(out, v->failed);
    kq_buf_append(out, ",\"canceled\":", 12);
    kq_enc_bool(out, v->canceled);
    kq_buf_putc(out, '}');
}

static int dec_c2s_list_jobs(kq_dec *d, cJSON *j, kq_c2s_list_jobs *out)
{
    cJSON *found[7];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ListJobs", c2s_list_jobs_fields, 7,
                            7, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "num_jobs");
        goto fail;
    }
    kq_dec_push(d, "num_jobs");
    if ((rc = kq_dec_u64(d, found[0], &out->num_jobs)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "pending");
        goto fail;
    }
    kq_dec_push(d, "pending");
    if ((rc = kq_dec_bool(d, found[1], &out->pending)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "offered");
        goto fail;
    }
    kq_dec_push(d, "offered");
    if ((rc = kq_dec_bool(d, found[2], &out->offered)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "running");
        goto fail;
    }
    kq_dec_push(d, "running");
    if ((rc = kq_dec_bool(d, found[3], &out->running)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "succeeded");
        goto fail;
    }
    kq_dec_push(d, "succeeded");
    if ((rc = kq_dec_bool(d, found[4], &out->succeeded)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "failed");
        goto fail;
    }
    kq_dec_push(d, "failed");
    if ((rc = kq_dec_bool(d, found[5], &out->failed)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[6]) {
        rc = kq_dec_missing(d, "canceled");
        goto fail;
    }
    kq_dec_push(d, "canceled");
    if ((rc = kq_dec_bool(d, found[6], &out->canceled)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_list_jobs(out);
    return rc;
}

static const char *const c2s_show_job_fields[] = {
    "job_id",
};

static void free_c2s_show_job(kq_c2s_show_job *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_show_job(kq_c2s_show_job *dst, const kq_c2s_show_job *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    return 0;
}

static void enc_c2s_show_job(kq_buf *out, const kq_c2s_show_job *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_putc(out, '}');
}

static int dec_c2s_show_job(kq_dec *d, cJSON *j, kq_c2s_show_job *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ShowJob", c2s_show_job_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_show_job(out);
    return rc;
}

static const char *const c2s_observe_job_fields[] = {
    "job_id",
};

static void free_c2s_observe_job(kq_c2s_observe_job *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_observe_job(kq_c2s_observe_job *dst, const kq_c2s_observe_job *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    return 0;
}

static void enc_c2s_observe_job(kq_buf *out, const kq_c2s_observe_job *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_putc(out, '}');
}

static int dec_c2s_observe_job(kq_dec *d, cJSON *j, kq_c2s_observe_job *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ObserveJob", c2s_observe_job_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_observe_job(out);
    return rc;
}

static const char *const c2s_remove_job_fields[] = {
    "job_id",
    "kill",
};

static void free_c2s_remove_job(kq_c2s_remove_job *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_remove_job(kq_c2s_remove_job *dst, const kq_c2s_remove_job *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    dst->kill = src->kill;
    return 0;
}

static void enc_c2s_remove_job(kq_buf *out, const kq_c2s_remove_job *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"kill\":", 8);
    kq_enc_bool(out, v->kill);
    kq_buf_putc(out, '}');
}

static int dec_c2s_remove_job(kq_dec *d, cJSON *j, kq_c2s_remove_job *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "RemoveJob", c2s_remove_job_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "kill");
        goto fail;
    }
    kq_dec_push(d, "kill");
    if ((rc = kq_dec_bool(d, found[1], &out->kill)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_remove_job(out);
    return rc;
}

static const char *const c2s_clean_jobs_fields[] = {
    "all",
};

static void free_c2s_clean_jobs(kq_c2s_clean_jobs *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_clean_jobs(kq_c2s_clean_jobs *dst, const kq_c2s_clean_jobs *src)
{
    memset(dst, 0, sizeof *dst);
    dst->all = src->all;
    return 0;
}

static void enc_c2s_clean_jobs(kq_buf *out, const kq_c2s_clean_jobs *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"all\":", 7);
    kq_enc_bool(out, v->all);
    kq_buf_putc(out, '}');
}

static int dec_c2s_clean_jobs(kq_dec *d, cJSON *j, kq_c2s_clean_jobs *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "CleanJobs", c2s_clean_jobs_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "all");
        goto fail;
    }
    kq_dec_push(d, "all");
    if ((rc = kq_dec_bool(d, found[0], &out->all)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_clean_jobs(out);
    return rc;
}

static const char *const c2s_show_worker_fields[] = {
    "worker_id",
};

static void free_c2s_show_worker(kq_c2s_show_worker *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_show_worker(kq_c2s_show_worker *dst, const kq_c2s_show_worker *src)
{
    memset(dst, 0, sizeof *dst);
    dst->worker_id = src->worker_id;
    return 0;
}

static void enc_c2s_show_worker(kq_buf *out, const kq_c2s_show_worker *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"worker_id\":", 13);
    kq_enc_u64(out, v->worker_id);
    kq_buf_putc(out, '}');
}

static int dec_c2s_show_worker(kq_dec *d, cJSON *j, kq_c2s_show_worker *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ShowWorker", c2s_show_worker_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "worker_id");
        goto fail;
    }
    kq_dec_push(d, "worker_id");
    if ((rc = kq_dec_u64(d, found[0], &out->worker_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_show_worker(out);
    return rc;
}

static const char *const c2s_drain_worker_fields[] = {
    "worker",
    "drain",
};

static void free_c2s_drain_worker(kq_c2s_drain_worker *v)
{
    kq_str_free(&v->worker);
    memset(v, 0, sizeof *v);
}

static int copy_c2s_drain_worker(kq_c2s_drain_worker *dst, const kq_c2s_drain_worker *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_str_copy(&dst->worker, &src->worker) < 0)
        goto fail;
    dst->drain = src->drain;
    return 0;
fail:
    free_c2s_drain_worker(dst);
    return -ENOMEM;
}

static void enc_c2s_drain_worker(kq_buf *out, const kq_c2s_drain_worker *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"worker\":", 10);
    kq_enc_str(out, &v->worker);
    kq_buf_append(out, ",\"drain\":", 9);
    kq_enc_bool(out, v->drain);
    kq_buf_putc(out, '}');
}

static int dec_c2s_drain_worker(kq_dec *d, cJSON *j, kq_c2s_drain_worker *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "DrainWorker", c2s_drain_worker_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "worker");
        goto fail;
    }
    kq_dec_push(d, "worker");
    if ((rc = kq_dec_str(d, found[0], KQ_LIMIT_NAME, &out->worker)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "drain");
        goto fail;
    }
    kq_dec_push(d, "drain");
    if ((rc = kq_dec_bool(d, found[1], &out->drain)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_drain_worker(out);
    return rc;
}

static const char *const c2s_submit_job_fields[] = {
    "job_info",
    "array",
};

static void free_c2s_submit_job(kq_c2s_submit_job *v)
{
    kq_job_info_free(&v->job_info);
    kq_job_array_free(&v->array);
    memset(v, 0, sizeof *v);
}

static int copy_c2s_submit_job(kq_c2s_submit_job *dst, const kq_c2s_submit_job *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_job_info_copy(&dst->job_info, &src->job_info) < 0)
        goto fail;
    dst->has_array = src->has_array;
    if (kq_job_array_copy(&dst->array, &src->array) < 0)
        goto fail;
    return 0;
fail:
    free_c2s_submit_job(dst);
    return -ENOMEM;
}

static void enc_c2s_submit_job(kq_buf *out, const kq_c2s_submit_job *v, unsigned level)
{
    kq_buf_append(out, "{\"job_info\":", 12);
    enc_job_info(out, &v->job_info, level);
    kq_buf_append(out, ",\"array\":", 9);
    if (v->has_array)
        enc_job_array(out, &v->array, level);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_putc(out, '}');
}

static int dec_c2s_submit_job(kq_dec *d, cJSON *j, kq_c2s_submit_job *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "SubmitJob", c2s_submit_job_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_info");
        goto fail;
    }
    kq_dec_push(d, "job_info");
    if ((rc = dec_job_info(d, found[0], &out->job_info)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[1])) {
        out->has_array = true;
        kq_dec_push(d, "array");
        if ((rc = dec_job_array(d, found[1], &out->array)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    free_c2s_submit_job(out);
    return rc;
}

static const char *const c2s_set_job_priority_fields[] = {
    "job_id",
    "priority",
};

static void free_c2s_set_job_priority(kq_c2s_set_job_priority *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_set_job_priority(kq_c2s_set_job_priority *dst, const kq_c2s_set_job_priority *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    dst->priority = src->priority;
    return 0;
}

static void enc_c2s_set_job_priority(kq_buf *out, const kq_c2s_set_job_priority *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"priority\":", 12);
    kq_enc_i64(out, v->priority);
    kq_buf_putc(out, '}');
}

static int dec_c2s_set_job_priority(kq_dec *d, cJSON *j, kq_c2s_set_job_priority *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "SetJobPriority", c2s_set_job_priority_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "priority");
        goto fail;
    }
    kq_dec_push(d, "priority");
    if ((rc = kq_dec_i32(d, found[1], &out->priority)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_set_job_priority(out);
    return rc;
}

static const char *const c2s_list_jobs_matching_fields[] = {
    "num_jobs",
    "pending",
    "offered",
    "running",
    "succeeded",
    "failed",
    "canceled",
    "name",
    "array_id",
};

static void free_c2s_list_jobs_matching(kq_c2s_list_jobs_matching *v)
{
    kq_str_free(&v->name);
    memset(v, 0, sizeof *v);
}

static int copy_c2s_list_jobs_matching(kq_c2s_list_jobs_matching *dst, const kq_c2s_list_jobs_matching *src)
{
    memset(dst, 0, sizeof *dst);
    dst->num_jobs = src->num_jobs;
    dst->pending = src->pending;
    dst->offered = src->offered;
    dst->running = src->running;
    dst->succeeded = src->succeeded;
    dst->failed = src->failed;
    dst->canceled = src->canceled;
    if (kq_str_copy(&dst->name, &src->name) < 0)
        goto fail;
    dst->has_array_id = src->has_array_id;
    dst->array_id = src->array_id;
    return 0;
fail:
    free_c2s_list_jobs_matching(dst);
    return -ENOMEM;
}

static void enc_c2s_list_jobs_matching(kq_buf *out, const kq_c2s_list_jobs_matching *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"num_jobs\":", 12);
    kq_enc_u64(out, v->num_jobs);
    kq_buf_append(out, ",\"pending\":", 11);
    kq_enc_bool(out, v->pending);
    kq_buf_append(out, ",\"offered\":", 11);
    kq_enc_bool(out, v->offered);
    kq_buf_append(out, ",\"running\":", 11);
    kq_enc_bool(out, v->running);
    kq_buf_append(out, ",\"succeeded\":", 13);
    kq_enc_bool(out, v->succeeded);
    kq_buf_append(out, ",\"failed\":", 10);
    kq_enc_bool(out, v->failed);
    kq_buf_append(out, ",\"canceled\":", 12);
    kq_enc_bool(out, v->canceled);
    kq_buf_append(out, ",\"name\":", 8);
    kq_enc_opt_str(out, &v->name);
    kq_buf_append(out, ",\"array_id\":", 12);
    if (v->has_array_id)
        kq_enc_u64(out, v->array_id);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_putc(out, '}');
}

static int dec_c2s_list_jobs_matching(kq_dec *d, cJSON *j, kq_c2s_list_jobs_matching *out)
{
    cJSON *found[9];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ListJobsMatching", c2s_list_jobs_matching_fields, 9,
                            9, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "num_jobs");
        goto fail;
    }
    kq_dec_push(d, "num_jobs");
    if ((rc = kq_dec_u64(d, found[0], &out->num_jobs)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "pending");
        goto fail;
    }
    kq_dec_push(d, "pending");
    if ((rc = kq_dec_bool(d, found[1], &out->pending)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "offered");
        goto fail;
    }
    kq_dec_push(d, "offered");
    if ((rc = kq_dec_bool(d, found[2], &out->offered)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "running");
        goto fail;
    }
    kq_dec_push(d, "running");
    if ((rc = kq_dec_bool(d, found[3], &out->running)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "succeeded");
        goto fail;
    }
    kq_dec_push(d, "succeeded");
    if ((rc = kq_dec_bool(d, found[4], &out->succeeded)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "failed");
        goto fail;
    }
    kq_dec_push(d, "failed");
    if ((rc = kq_dec_bool(d, found[5], &out->failed)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[6]) {
        rc = kq_dec_missing(d, "canceled");
        goto fail;
    }
    kq_dec_push(d, "canceled");
    if ((rc = kq_dec_bool(d, found[6], &out->canceled)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "name");
    if ((rc = kq_dec_opt_str(d, found[7], 1024, &out->name)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[8])) {
        out->has_array_id = true;
        kq_dec_push(d, "array_id");
        if ((rc = kq_dec_u64(d, found[8], &out->array_id)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    free_c2s_list_jobs_matching(out);
    return rc;
}

static const char *const c2s_remove_array_fields[] = {
    "array_id",
    "kill",
};

static void free_c2s_remove_array(kq_c2s_remove_array *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_remove_array(kq_c2s_remove_array *dst, const kq_c2s_remove_array *src)
{
    memset(dst, 0, sizeof *dst);
    dst->array_id = src->array_id;
    dst->kill = src->kill;
    return 0;
}

static void enc_c2s_remove_array(kq_buf *out, const kq_c2s_remove_array *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"array_id\":", 12);
    kq_enc_u64(out, v->array_id);
    kq_buf_append(out, ",\"kill\":", 8);
    kq_enc_bool(out, v->kill);
    kq_buf_putc(out, '}');
}

static int dec_c2s_remove_array(kq_dec *d, cJSON *j, kq_c2s_remove_array *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "RemoveArray", c2s_remove_array_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "array_id");
        goto fail;
    }
    kq_dec_push(d, "array_id");
    if ((rc = kq_dec_u64(d, found[0], &out->array_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "kill");
        goto fail;
    }
    kq_dec_push(d, "kill");
    if ((rc = kq_dec_bool(d, found[1], &out->kill)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_remove_array(out);
    return rc;
}

static const char *const c2s_follow_job_fields[] = {
    "job_id",
    "want_stdout",
    "want_stderr",
};

static void free_c2s_follow_job(kq_c2s_follow_job *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_follow_job(kq_c2s_follow_job *dst, const kq_c2s_follow_job *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    dst->want_stdout = src->want_stdout;
    dst->want_stderr = src->want_stderr;
    return 0;
}

static void enc_c2s_follow_job(kq_buf *out, const kq_c2s_follow_job *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"want_stdout\":", 15);
    kq_enc_bool(out, v->want_stdout);
    kq_buf_append(out, ",\"want_stderr\":", 15);
    kq_enc_bool(out, v->want_stderr);
    kq_buf_putc(out, '}');
}

static int dec_c2s_follow_job(kq_dec *d, cJSON *j, kq_c2s_follow_job *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "FollowJob", c2s_follow_job_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "want_stdout");
        goto fail;
    }
    kq_dec_push(d, "want_stdout");
    if ((rc = kq_dec_bool(d, found[1], &out->want_stdout)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "want_stderr");
        goto fail;
    }
    kq_dec_push(d, "want_stderr");
    if ((rc = kq_dec_bool(d, found[2], &out->want_stderr)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_follow_job(out);
    return rc;
}

static const char *const c2s_add_alloc_queue_fields[] = {
    "queue",
};

static void free_c2s_add_alloc_queue(kq_c2s_add_alloc_queue *v)
{
    kq_alloc_queue_free(&v->queue);
    memset(v, 0, sizeof *v);
}

static int copy_c2s_add_alloc_queue(kq_c2s_add_alloc_queue *dst, const kq_c2s_add_alloc_queue *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_alloc_queue_copy(&dst->queue, &src->queue) < 0)
        goto fail;
    return 0;
fail:
    free_c2s_add_alloc_queue(dst);
    return -ENOMEM;
}

static void enc_c2s_add_alloc_queue(kq_buf *out, const kq_c2s_add_alloc_queue *v, unsigned level)
{
    kq_buf_append(out, "{\"queue\":", 9);
    enc_alloc_queue(out, &v->queue, level);
    kq_buf_putc(out, '}');
}

static int dec_c2s_add_alloc_queue(kq_dec *d, cJSON *j, kq_c2s_add_alloc_queue *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "AddAllocQueue", c2s_add_alloc_queue_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "queue");
        goto fail;
    }
    kq_dec_push(d, "queue");
    if ((rc = dec_alloc_queue(d, found[0], &out->queue)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_add_alloc_queue(out);
    return rc;
}

static const char *const c2s_list_alloc_queues_fields[] = {
    "queue_id",
    "events",
    "script",
};

static void free_c2s_list_alloc_queues(kq_c2s_list_alloc_queues *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_list_alloc_queues(kq_c2s_list_alloc_queues *dst, const kq_c2s_list_alloc_queues *src)
{
    memset(dst, 0, sizeof *dst);
    dst->has_queue_id = src->has_queue_id;
    dst->queue_id = src->queue_id;
    dst->events = src->events;
    dst->script = src->script;
    return 0;
}

static void enc_c2s_list_alloc_queues(kq_buf *out, const kq_c2s_list_alloc_queues *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"queue_id\":", 12);
    if (v->has_queue_id)
        kq_enc_u64(out, v->queue_id);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_append(out, ",\"events\":", 10);
    kq_enc_bool(out, v->events);
    kq_buf_append(out, ",\"script\":", 10);
    kq_enc_bool(out, v->script);
    kq_buf_putc(out, '}');
}

static int dec_c2s_list_alloc_queues(kq_dec *d, cJSON *j, kq_c2s_list_alloc_queues *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ListAllocQueues", c2s_list_alloc_queues_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!kq_dec_is_none(found[0])) {
        out->has_queue_id = true;
        kq_dec_push(d, "queue_id");
        if ((rc = kq_dec_u64(d, found[0], &out->queue_id)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!found[1]) {
        rc = kq_dec_missing(d, "events");
        goto fail;
    }
    kq_dec_push(d, "events");
    if ((rc = kq_dec_bool(d, found[1], &out->events)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "script");
        goto fail;
    }
    kq_dec_push(d, "script");
    if ((rc = kq_dec_bool(d, found[2], &out->script)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_list_alloc_queues(out);
    return rc;
}

static const char *const c2s_remove_alloc_queue_fields[] = {
    "queue_id",
    "cancel",
};

static void free_c2s_remove_alloc_queue(kq_c2s_remove_alloc_queue *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_c2s_remove_alloc_queue(kq_c2s_remove_alloc_queue *dst, const kq_c2s_remove_alloc_queue *src)
{
    memset(dst, 0, sizeof *dst);
    dst->queue_id = src->queue_id;
    dst->cancel = src->cancel;
    return 0;
}

static void enc_c2s_remove_alloc_queue(kq_buf *out, const kq_c2s_remove_alloc_queue *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"queue_id\":", 12);
    kq_enc_u64(out, v->queue_id);
    kq_buf_append(out, ",\"cancel\":", 10);
    kq_enc_bool(out, v->cancel);
    kq_buf_putc(out, '}');
}

static int dec_c2s_remove_alloc_queue(kq_dec *d, cJSON *j, kq_c2s_remove_alloc_queue *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "RemoveAllocQueue", c2s_remove_alloc_queue_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "queue_id");
        goto fail;
    }
    kq_dec_push(d, "queue_id");
    if ((rc = kq_dec_u64(d, found[0], &out->queue_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "cancel");
        goto fail;
    }
    kq_dec_push(d, "cancel");
    if ((rc = kq_dec_bool(d, found[1], &out->cancel)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_c2s_remove_alloc_queue(out);
    return rc;
}

void kq_c2s_free(kq_c2s *v)
{
    switch (v->tag) {
    case KQ_C2S_AUTH_RESPONSE:
        kq_str_free(&v->auth_response);
        break;
    case KQ_C2S_ISSUE_JOB:
        kq_job_info_free(&v->issue_job);
        break;
    case KQ_C2S_LIST_JOBS:
        free_c2s_list_jobs(&v->list_jobs);
        break;
    case KQ_C2S_SHOW_JOB:
        free_c2s_show_job(&v->show_job);
        break;
    case KQ_C2S_OBSERVE_JOB:
        free_c2s_observe_job(&v->observe_job);
        break;
    case KQ_C2S_REMOVE_JOB:
        free_c2s_remove_job(&v->remove_job);
        break;
    case KQ_C2S_CLEAN_JOBS:
        free_c2s_clean_jobs(&v->clean_jobs);
        break;
    case KQ_C2S_SHOW_WORKER:
        free_c2s_show_worker(&v->show_worker);
        break;
    case KQ_C2S_DRAIN_WORKER:
        free_c2s_drain_worker(&v->drain_worker);
        break;
    case KQ_C2S_SUBMIT_JOB:
        free_c2s_submit_job(&v->submit_job);
        break;
    case KQ_C2S_SET_JOB_PRIORITY:
        free_c2s_set_job_priority(&v->set_job_priority);
        break;
    case KQ_C2S_LIST_JOBS_MATCHING:
        free_c2s_list_jobs_matching(&v->list_jobs_matching);
        break;
    case KQ_C2S_REMOVE_ARRAY:
        free_c2s_remove_array(&v->remove_array);
        break;
    case KQ_C2S_FOLLOW_JOB:
        free_c2s_follow_job(&v->follow_job);
        break;
    case KQ_C2S_ADD_ALLOC_QUEUE:
        free_c2s_add_alloc_queue(&v->add_alloc_queue);
        break;
    case KQ_C2S_LIST_ALLOC_QUEUES:
        free_c2s_list_alloc_queues(&v->list_alloc_queues);
        break;
    case KQ_C2S_REMOVE_ALLOC_QUEUE:
        free_c2s_remove_alloc_queue(&v->remove_alloc_queue);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

int kq_c2s_copy(kq_c2s *dst, const kq_c2s *src)
{
    memset(dst, 0, sizeof *dst);
    dst->tag = src->tag;
    switch (src->tag) {
    case KQ_C2S_AUTH_RESPONSE:
        if (kq_str_copy(&dst->auth_response, &src->auth_response) < 0)
            goto fail;
        break;
    case KQ_C2S_ISSUE_JOB:
        if (kq_job_info_copy(&dst->issue_job, &src->issue_job) < 0)
            goto fail;
        break;
    case KQ_C2S_LIST_JOBS:
        if (copy_c2s_list_jobs(&dst->list_jobs, &src->list_jobs) < 0)
            goto fail;
        break;
    case KQ_C2S_SHOW_JOB:
        if (copy_c2s_show_job(&dst->show_job, &src->show_job) < 0)
            goto fail;
        break;
    case KQ_C2S_OBSERVE_JOB:
        if (copy_c2s_observe_job(&dst->observe_job, &src->observe_job) < 0)
            goto fail;
        break;
    case KQ_C2S_REMOVE_JOB:
        if (copy_c2s_remove_job(&dst->remove_job, &src->remove_job) < 0)
            goto fail;
        break;
    case KQ_C2S_CLEAN_JOBS:
        if (copy_c2s_clean_jobs(&dst->clean_jobs, &src->clean_jobs) < 0)
            goto fail;
        break;
    case KQ_C2S_SHOW_WORKER:
        if (copy_c2s_show_worker(&dst->show_worker, &src->show_worker) < 0)
            goto fail;
        break;
    case KQ_C2S_DRAIN_WORKER:
        if (copy_c2s_drain_worker(&dst->drain_worker, &src->drain_worker) < 0)
            goto fail;
        break;
    case KQ_C2S_SUBMIT_JOB:
        if (copy_c2s_submit_job(&dst->submit_job, &src->submit_job) < 0)
            goto fail;
        break;
    case KQ_C2S_SET_JOB_PRIORITY:
        if (copy_c2s_set_job_priority(&dst->set_job_priority, &src->set_job_priority) < 0)
            goto fail;
        break;
    case KQ_C2S_LIST_JOBS_MATCHING:
        if (copy_c2s_list_jobs_matching(&dst->list_jobs_matching, &src->list_jobs_matching) < 0)
            goto fail;
        break;
    case KQ_C2S_REMOVE_ARRAY:
        if (copy_c2s_remove_array(&dst->remove_array, &src->remove_array) < 0)
            goto fail;
        break;
    case KQ_C2S_FOLLOW_JOB:
        if (copy_c2s_follow_job(&dst->follow_job, &src->follow_job) < 0)
            goto fail;
        break;
    case KQ_C2S_ADD_ALLOC_QUEUE:
        if (copy_c2s_add_alloc_queue(&dst->add_alloc_queue, &src->add_alloc_queue) < 0)
            goto fail;
        break;
    case KQ_C2S_LIST_ALLOC_QUEUES:
        if (copy_c2s_list_alloc_queues(&dst->list_alloc_queues, &src->list_alloc_queues) < 0)
            goto fail;
        break;
    case KQ_C2S_REMOVE_ALLOC_QUEUE:
        if (copy_c2s_remove_alloc_queue(&dst->remove_alloc_queue, &src->remove_alloc_queue) < 0)
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    memset(dst, 0, sizeof *dst);
    return -ENOMEM;
}

static void enc_c2s(kq_buf *out, const kq_c2s *v, unsigned level)
{
    switch (v->tag) {
    case KQ_C2S_AUTH_REQUEST:
        kq_buf_append(out, "\"AuthRequest\"", 13);
        break;
    case KQ_C2S_AUTH_RESPONSE:
        kq_buf_append(out, "{\"AuthResponse\":", 16);
        kq_enc_str(out, &v->auth_response);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_ISSUE_JOB:
        kq_buf_append(out, "{\"IssueJob\":", 12);
        enc_job_info(out, &v->issue_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_LIST_JOBS:
        kq_buf_append(out, "{\"ListJobs\":", 12);
        enc_c2s_list_jobs(out, &v->list_jobs, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_SHOW_JOB:
        kq_buf_append(out, "{\"ShowJob\":", 11);
        enc_c2s_show_job(out, &v->show_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_OBSERVE_JOB:
        kq_buf_append(out, "{\"ObserveJob\":", 14);
        enc_c2s_observe_job(out, &v->observe_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_REMOVE_JOB:
        kq_buf_append(out, "{\"RemoveJob\":", 13);
        enc_c2s_remove_job(out, &v->remove_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_CLEAN_JOBS:
        kq_buf_append(out, "{\"CleanJobs\":", 13);
        enc_c2s_clean_jobs(out, &v->clean_jobs, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_LIST_WORKERS:
        kq_buf_append(out, "\"ListWorkers\"", 13);
        break;
    case KQ_C2S_SHOW_WORKER:
        kq_buf_append(out, "{\"ShowWorker\":", 14);
        enc_c2s_show_worker(out, &v->show_worker, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_LIST_RESOURCES:
        kq_buf_append(out, "\"ListResources\"", 15);
        break;
    case KQ_C2S_BYE:
        kq_buf_append(out, "\"Bye\"", 5);
        break;
    case KQ_C2S_DRAIN_WORKER:
        kq_buf_append(out, "{\"DrainWorker\":", 15);
        enc_c2s_drain_worker(out, &v->drain_worker, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_SUBMIT_JOB:
        kq_buf_append(out, "{\"SubmitJob\":", 13);
        enc_c2s_submit_job(out, &v->submit_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_SET_JOB_PRIORITY:
        kq_buf_append(out, "{\"SetJobPriority\":", 18);
        enc_c2s_set_job_priority(out, &v->set_job_priority, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_LIST_JOBS_MATCHING:
        kq_buf_append(out, "{\"ListJobsMatching\":", 20);
        enc_c2s_list_jobs_matching(out, &v->list_jobs_matching, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_REMOVE_ARRAY:
        kq_buf_append(out, "{\"RemoveArray\":", 15);
        enc_c2s_remove_array(out, &v->remove_array, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_FOLLOW_JOB:
        kq_buf_append(out, "{\"FollowJob\":", 13);
        enc_c2s_follow_job(out, &v->follow_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_ADD_ALLOC_QUEUE:
        kq_buf_append(out, "{\"AddAllocQueue\":", 17);
        enc_c2s_add_alloc_queue(out, &v->add_alloc_queue, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_LIST_ALLOC_QUEUES:
        kq_buf_append(out, "{\"ListAllocQueues\":", 19);
        enc_c2s_list_alloc_queues(out, &v->list_alloc_queues, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_C2S_REMOVE_ALLOC_QUEUE:
        kq_buf_append(out, "{\"RemoveAllocQueue\":", 20);
        enc_c2s_remove_alloc_queue(out, &v->remove_alloc_queue, level);
        kq_buf_putc(out, '}');
        break;
    }
}

static int dec_c2s(kq_dec *d, cJSON *j, kq_c2s *out)
{
    cJSON *payload;
    int tag, rc;

    memset(out, 0, sizeof *out);
    rc = kq_dec_variant(d, j, "ClientToServerMessage", c2s_names, 21, &tag, &payload);
    if (rc < 0)
        return rc;
    out->tag = (kq_c2s_tag)tag;
    if (!payload && c2s_has_value[tag])
        return kq_dec_fail(d, NULL, "expected {\"%s\": value}, got a bare string",
                           c2s_names[tag]);
    switch (out->tag) {
    case KQ_C2S_AUTH_REQUEST:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_C2S_AUTH_RESPONSE:
        rc = kq_dec_str(d, payload, KQ_LIMIT_SALT, &out->auth_response);
        break;
    case KQ_C2S_ISSUE_JOB:
        rc = dec_job_info(d, payload, &out->issue_job);
        break;
    case KQ_C2S_LIST_JOBS:
        rc = dec_c2s_list_jobs(d, payload, &out->list_jobs);
        break;
    case KQ_C2S_SHOW_JOB:
        rc = dec_c2s_show_job(d, payload, &out->show_job);
        break;
    case KQ_C2S_OBSERVE_JOB:
        rc = dec_c2s_observe_job(d, payload, &out->observe_job);
        break;
    case KQ_C2S_REMOVE_JOB:
        rc = dec_c2s_remove_job(d, payload, &out->remove_job);
        break;
    case KQ_C2S_CLEAN_JOBS:
        rc = dec_c2s_clean_jobs(d, payload, &out->clean_jobs);
        break;
    case KQ_C2S_LIST_WORKERS:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_C2S_SHOW_WORKER:
        rc = dec_c2s_show_worker(d, payload, &out->show_worker);
        break;
    case KQ_C2S_LIST_RESOURCES:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_C2S_BYE:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_C2S_DRAIN_WORKER:
        rc = dec_c2s_drain_worker(d, payload, &out->drain_worker);
        break;
    case KQ_C2S_SUBMIT_JOB:
        rc = dec_c2s_submit_job(d, payload, &out->submit_job);
        break;
    case KQ_C2S_SET_JOB_PRIORITY:
        rc = dec_c2s_set_job_priority(d, payload, &out->set_job_priority);
        break;
    case KQ_C2S_LIST_JOBS_MATCHING:
        rc = dec_c2s_list_jobs_matching(d, payload, &out->list_jobs_matching);
        break;
    case KQ_C2S_REMOVE_ARRAY:
        rc = dec_c2s_remove_array(d, payload, &out->remove_array);
        break;
    case KQ_C2S_FOLLOW_JOB:
        rc = dec_c2s_follow_job(d, payload, &out->follow_job);
        break;
    case KQ_C2S_ADD_ALLOC_QUEUE:
        rc = dec_c2s_add_alloc_queue(d, payload, &out->add_alloc_queue);
        break;
    case KQ_C2S_LIST_ALLOC_QUEUES:
        rc = dec_c2s_list_alloc_queues(d, payload, &out->list_alloc_queues);
        break;
    case KQ_C2S_REMOVE_ALLOC_QUEUE:
        rc = dec_c2s_remove_alloc_queue(d, payload, &out->remove_alloc_queue);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    kq_dec_pop(d);
    return 0;
}

int kq_c2s_encode(const kq_c2s *v, kq_buf *out)
{
    return kq_c2s_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_c2s_encode_at(const kq_c2s *v, unsigned level, kq_buf *out)
{
    if (kq_c2s_tag_level(v->tag) > level)
        return -EPROTO;
    enc_c2s(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_c2s_doc(kq_json_doc *doc, kq_c2s *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_c2s(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_c2s_decode(const char *json, size_t len, kq_c2s *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_c2s_doc(&doc, out, err);
}

int kq_c2s_decode_framed(const char *json, size_t len, kq_c2s *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_c2s_doc(&doc, out, err);
}

/* ---- ServerToClientMessage --------------------------------------------- */

static const char *const s2c_names[] = {
    "WelcomeClient",
    "AuthChallenge",
    "AuthAccepted",
    "AcceptJob",
    "RejectJob",
    "JobList",
    "JobInfo",
    "JobUpdated",
    "WorkerList",
    "WorkerInfo",
    "ResourceList",
    "RequestResponse",
    "Bye",
    "JobOutput",
    "AllocQueueList",
};

/* Whether each variant carries a value (newtype and struct variants). */
static const bool s2c_has_value[] = {
    false,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    true,
    true,
};

const char *kq_s2c_tag_name(kq_s2c_tag tag)
{
    return (unsigned)tag < 15 ? s2c_names[tag] : "?";
}

unsigned kq_s2c_tag_level(kq_s2c_tag tag)
{
    static const unsigned char levels[] = {
        0, /* WelcomeClient */
        0, /* AuthChallenge */
        0, /* AuthAccepted */
        0, /* AcceptJob */
        0, /* RejectJob */
        0, /* JobList */
        0, /* JobInfo */
        0, /* JobUpdated */
        0, /* WorkerList */
        0, /* WorkerInfo */
        0, /* ResourceList */
        0, /* RequestResponse */
        0, /* Bye */
        1, /* JobOutput */
        1, /* AllocQueueList */
    };

    return (unsigned)tag < 15 ? levels[tag] : 0;
}

void kq_s2c_init(kq_s2c *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const s2c_auth_challenge_fields[] = {
    "salt",
};

static void free_s2c_auth_challenge(kq_s2c_auth_challenge *v)
{
    kq_str_free(&v->salt);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_auth_challenge(kq_s2c_auth_challenge *dst, const kq_s2c_auth_challenge *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_str_copy(&dst->salt, &src->salt) < 0)
        goto fail;
    return 0;
fail:
    free_s2c_auth_challenge(dst);
    return -ENOMEM;
}

static void enc_s2c_auth_challenge(kq_buf *out, const kq_s2c_auth_challenge *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"salt\":", 8);
    kq_enc_str(out, &v->salt);
    kq_buf_putc(out, '}');
}

static int dec_s2c_auth_challenge(kq_dec *d, cJSON *j, kq_s2c_auth_challenge *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "AuthChallenge", s2c_auth_challenge_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "salt");
        goto fail;
    }
    kq_dec_push(d, "salt");
    if ((rc = kq_dec_str(d, found[0], KQ_LIMIT_SALT, &out->salt)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_auth_challenge(out);
    return rc;
}

static const char *const s2c_reject_job_fields[] = {
    "job_info",
    "reason",
};

static void free_s2c_reject_job(kq_s2c_reject_job *v)
{
    kq_job_info_free(&v->job_info);
    kq_str_free(&v->reason);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_reject_job(kq_s2c_reject_job *dst, const kq_s2c_reject_job *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_job_info_copy(&dst->job_info, &src->job_info) < 0)
        goto fail;
    if (kq_str_copy(&dst->reason, &src->reason) < 0)
        goto fail;
    return 0;
fail:
    free_s2c_reject_job(dst);
    return -ENOMEM;
}

static void enc_s2c_reject_job(kq_buf *out, const kq_s2c_reject_job *v, unsigned level)
{
    kq_buf_append(out, "{\"job_info\":", 12);
    enc_job_info(out, &v->job_info, level);
    kq_buf_append(out, ",\"reason\":", 10);
    kq_enc_str(out, &v->reason);
    kq_buf_putc(out, '}');
}

static int dec_s2c_reject_job(kq_dec *d, cJSON *j, kq_s2c_reject_job *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "RejectJob", s2c_reject_job_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_info");
        goto fail;
    }
    kq_dec_push(d, "job_info");
    if ((rc = dec_job_info(d, found[0], &out->job_info)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "reason");
        goto fail;
    }
    kq_dec_push(d, "reason");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_STRING, &out->reason)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_reject_job(out);
    return rc;
}

static const char *const s2c_job_list_fields[] = {
    "job_infos",
    "jobs_pending",
    "jobs_offered",
    "jobs_running",
    "jobs_succeeded",
    "jobs_failed",
    "jobs_canceled",
    "job_avg_run_time_seconds",
    "remaining_jobs_eta_seconds",
};

static void free_s2c_job_list(kq_s2c_job_list *v)
{
    kq_job_info_list_free(&v->job_infos);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_job_list(kq_s2c_job_list *dst, const kq_s2c_job_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (copy_job_info_list(&dst->job_infos, &src->job_infos) < 0)
        goto fail;
    dst->jobs_pending = src->jobs_pending;
    dst->jobs_offered = src->jobs_offered;
    dst->jobs_running = src->jobs_running;
    dst->jobs_succeeded = src->jobs_succeeded;
    dst->jobs_failed = src->jobs_failed;
    dst->jobs_canceled = src->jobs_canceled;
    dst->job_avg_run_time_seconds = src->job_avg_run_time_seconds;
    dst->remaining_jobs_eta_seconds = src->remaining_jobs_eta_seconds;
    return 0;
fail:
    free_s2c_job_list(dst);
    return -ENOMEM;
}

static void enc_s2c_job_list(kq_buf *out, const kq_s2c_job_list *v, unsigned level)
{
    kq_buf_append(out, "{\"job_infos\":", 13);
    enc_job_info_list(out, &v->job_infos, level);
    kq_buf_append(out, ",\"jobs_pending\":", 16);
    kq_enc_u64(out, v->jobs_pending);
    kq_buf_append(out, ",\"jobs_offered\":", 16);
    kq_enc_u64(out, v->jobs_offered);
    kq_buf_append(out, ",\"jobs_running\":", 16);
    kq_enc_u64(out, v->jobs_running);
    kq_buf_append(out, ",\"jobs_succeeded\":", 18);
    kq_enc_u64(out, v->jobs_succeeded);
    kq_buf_append(out, ",\"jobs_failed\":", 15);
    kq_enc_u64(out, v->jobs_failed);
    kq_buf_append(out, ",\"jobs_canceled\":", 17);
    kq_enc_u64(out, v->jobs_canceled);
    kq_buf_append(out, ",\"job_avg_run_time_seconds\":", 28);
    kq_enc_i64(out, v->job_avg_run_time_seconds);
    kq_buf_append(out, ",\"remaining_jobs_eta_seconds\":", 30);
    kq_enc_i64(out, v->remaining_jobs_eta_seconds);
    kq_buf_putc(out, '}');
}

static int dec_s2c_job_list(kq_dec *d, cJSON *j, kq_s2c_job_list *out)
{
    cJSON *found[9];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "JobList", s2c_job_list_fields, 9,
                            9, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_infos");
        goto fail;
    }
    kq_dec_push(d, "job_infos");
    if ((rc = dec_job_info_list(d, found[0], KQ_LIMIT_JOBS, &out->job_infos)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "jobs_pending");
        goto fail;
    }
    kq_dec_push(d, "jobs_pending");
    if ((rc = kq_dec_u64(d, found[1], &out->jobs_pending)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[2]) {
        rc = kq_dec_missing(d, "jobs_offered");
        goto fail;
    }
    kq_dec_push(d, "jobs_offered");
    if ((rc = kq_dec_u64(d, found[2], &out->jobs_offered)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[3]) {
        rc = kq_dec_missing(d, "jobs_running");
        goto fail;
    }
    kq_dec_push(d, "jobs_running");
    if ((rc = kq_dec_u64(d, found[3], &out->jobs_running)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "jobs_succeeded");
        goto fail;
    }
    kq_dec_push(d, "jobs_succeeded");
    if ((rc = kq_dec_u64(d, found[4], &out->jobs_succeeded)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[5]) {
        rc = kq_dec_missing(d, "jobs_failed");
        goto fail;
    }
    kq_dec_push(d, "jobs_failed");
    if ((rc = kq_dec_u64(d, found[5], &out->jobs_failed)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[6]) {
        rc = kq_dec_missing(d, "jobs_canceled");
        goto fail;
    }
    kq_dec_push(d, "jobs_canceled");
    if ((rc = kq_dec_u64(d, found[6], &out->jobs_canceled)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[7]) {
        rc = kq_dec_missing(d, "job_avg_run_time_seconds");
        goto fail;
    }
    kq_dec_push(d, "job_avg_run_time_seconds");
    if ((rc = kq_dec_i64(d, found[7], &out->job_avg_run_time_seconds)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[8]) {
        rc = kq_dec_missing(d, "remaining_jobs_eta_seconds");
        goto fail;
    }
    kq_dec_push(d, "remaining_jobs_eta_seconds");
    if ((rc = kq_dec_i64(d, found[8], &out->remaining_jobs_eta_seconds)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_job_list(out);
    return rc;
}

static const char *const s2c_job_info_fields[] = {
    "job_info",
    "stdout_text",
    "stderr_text",
};

static void free_s2c_job_info(kq_s2c_job_info *v)
{
    kq_job_info_free(&v->job_info);
    kq_str_free(&v->stdout_text);
    kq_str_free(&v->stderr_text);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_job_info(kq_s2c_job_info *dst, const kq_s2c_job_info *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_job_info_copy(&dst->job_info, &src->job_info) < 0)
        goto fail;
    if (kq_str_copy(&dst->stdout_text, &src->stdout_text) < 0)
        goto fail;
    if (kq_str_copy(&dst->stderr_text, &src->stderr_text) < 0)
        goto fail;
    return 0;
fail:
    free_s2c_job_info(dst);
    return -ENOMEM;
}

static void enc_s2c_job_info(kq_buf *out, const kq_s2c_job_info *v, unsigned level)
{
    kq_buf_append(out, "{\"job_info\":", 12);
    enc_job_info(out, &v->job_info, level);
    kq_buf_append(out, ",\"stdout_text\":", 15);
    kq_enc_opt_str(out, &v->stdout_text);
    kq_buf_append(out, ",\"stderr_text\":", 15);
    kq_enc_opt_str(out, &v->stderr_text);
    kq_buf_putc(out, '}');
}

static int dec_s2c_job_info(kq_dec *d, cJSON *j, kq_s2c_job_info *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "JobInfo", s2c_job_info_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_info");
        goto fail;
    }
    kq_dec_push(d, "job_info");
    if ((rc = dec_job_info(d, found[0], &out->job_info)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stdout_text");
    if ((rc = kq_dec_opt_str(d, found[1], KQ_LIMIT_TEXT, &out->stdout_text)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stderr_text");
    if ((rc = kq_dec_opt_str(d, found[2], KQ_LIMIT_TEXT, &out->stderr_text)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_job_info(out);
    return rc;
}

static const char *const s2c_resource_list_fields[] = {
    "used_resources",
    "total_resources",
};

static void free_s2c_resource_list(kq_s2c_resource_list *v)
{
    kq_u64_map_free(&v->used_resources);
    kq_u64_map_free(&v->total_resources);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_resource_list(kq_s2c_resource_list *dst, const kq_s2c_resource_list *src)
{
    memset(dst, 0, sizeof *dst);
    dst->has_used_resources = src->has_used_resources;
    if (kq_u64_map_copy(&dst->used_resources, &src->used_resources) < 0)
        goto fail;
    dst->has_total_resources = src->has_total_resources;
    if (kq_u64_map_copy(&dst->total_resources, &src->total_resources) < 0)
        goto fail;
    return 0;
fail:
    free_s2c_resource_list(dst);
    return -ENOMEM;
}

static void enc_s2c_resource_list(kq_buf *out, const kq_s2c_resource_list *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"used_resources\":", 18);
    if (v->has_used_resources)
        kq_enc_u64_map(out, &v->used_resources);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_append(out, ",\"total_resources\":", 19);
    if (v->has_total_resources)
        kq_enc_u64_map(out, &v->total_resources);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_putc(out, '}');
}

static int dec_s2c_resource_list(kq_dec *d, cJSON *j, kq_s2c_resource_list *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ResourceList", s2c_resource_list_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!kq_dec_is_none(found[0])) {
        out->has_used_resources = true;
        kq_dec_push(d, "used_resources");
        if ((rc = kq_dec_u64_map(d, found[0], 1024, KQ_LIMIT_NAME, &out->used_resources)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[1])) {
        out->has_total_resources = true;
        kq_dec_push(d, "total_resources");
        if ((rc = kq_dec_u64_map(d, found[1], 1024, KQ_LIMIT_NAME, &out->total_resources)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    free_s2c_resource_list(out);
    return rc;
}

static const char *const s2c_request_response_fields[] = {
    "success",
    "text",
};

static void free_s2c_request_response(kq_s2c_request_response *v)
{
    kq_str_free(&v->text);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_request_response(kq_s2c_request_response *dst, const kq_s2c_request_response *src)
{
    memset(dst, 0, sizeof *dst);
    dst->success = src->success;
    if (kq_str_copy(&dst->text, &src->text) < 0)
        goto fail;
    return 0;
fail:
    free_s2c_request_response(dst);
    return -ENOMEM;
}

static void enc_s2c_request_response(kq_buf *out, const kq_s2c_request_response *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"success\":", 11);
    kq_enc_bool(out, v->success);
    kq_buf_append(out, ",\"text\":", 8);
    kq_enc_str(out, &v->text);
    kq_buf_putc(out, '}');
}

static int dec_s2c_request_response(kq_dec *d, cJSON *j, kq_s2c_request_response *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "RequestResponse", s2c_request_response_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "success");
        goto fail;
    }
    kq_dec_push(d, "success");
    if ((rc = kq_dec_bool(d, found[0], &out->success)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "text");
        goto fail;
    }
    kq_dec_push(d, "text");
    if ((rc = kq_dec_str(d, found[1], KQ_LIMIT_STRING, &out->text)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_request_response(out);
    return rc;
}

static const char *const s2c_job_output_fields[] = {
    "job_id",
    "stdout_chunk",
    "stderr_chunk",
    "live",
    "done",
};

static void free_s2c_job_output(kq_s2c_job_output *v)
{
    kq_stream_text_free(&v->stdout_chunk);
    kq_stream_text_free(&v->stderr_chunk);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_job_output(kq_s2c_job_output *dst, const kq_s2c_job_output *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    dst->has_stdout_chunk = src->has_stdout_chunk;
    if (kq_stream_text_copy(&dst->stdout_chunk, &src->stdout_chunk) < 0)
        goto fail;
    dst->has_stderr_chunk = src->has_stderr_chunk;
    if (kq_stream_text_copy(&dst->stderr_chunk, &src->stderr_chunk) < 0)
        goto fail;
    dst->live = src->live;
    dst->done = src->done;
    return 0;
fail:
    free_s2c_job_output(dst);
    return -ENOMEM;
}

static void enc_s2c_job_output(kq_buf *out, const kq_s2c_job_output *v, unsigned level)
{
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"stdout_chunk\":", 16);
    if (v->has_stdout_chunk)
        enc_stream_text(out, &v->stdout_chunk, level);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_append(out, ",\"stderr_chunk\":", 16);
    if (v->has_stderr_chunk)
        enc_stream_text(out, &v->stderr_chunk, level);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_append(out, ",\"live\":", 8);
    kq_enc_bool(out, v->live);
    kq_buf_append(out, ",\"done\":", 8);
    kq_enc_bool(out, v->done);
    kq_buf_putc(out, '}');
}

static int dec_s2c_job_output(kq_dec *d, cJSON *j, kq_s2c_job_output *out)
{
    cJSON *found[5];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "JobOutput", s2c_job_output_fields, 5,
                            5, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[1])) {
        out->has_stdout_chunk = true;
        kq_dec_push(d, "stdout_chunk");
        if ((rc = dec_stream_text(d, found[1], &out->stdout_chunk)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[2])) {
        out->has_stderr_chunk = true;
        kq_dec_push(d, "stderr_chunk");
        if ((rc = dec_stream_text(d, found[2], &out->stderr_chunk)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!found[3]) {
        rc = kq_dec_missing(d, "live");
        goto fail;
    }
    kq_dec_push(d, "live");
    if ((rc = kq_dec_bool(d, found[3], &out->live)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[4]) {
        rc = kq_dec_missing(d, "done");
        goto fail;
    }
    kq_dec_push(d, "done");
    if ((rc = kq_dec_bool(d, found[4], &out->done)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_job_output(out);
    return rc;
}

static const char *const s2c_alloc_queue_list_fields[] = {
    "queues",
};

static void free_s2c_alloc_queue_list(kq_s2c_alloc_queue_list *v)
{
    kq_alloc_queue_list_free(&v->queues);
    memset(v, 0, sizeof *v);
}

static int copy_s2c_alloc_queue_list(kq_s2c_alloc_queue_list *dst, const kq_s2c_alloc_queue_list *src)
{
    memset(dst, 0, sizeof *dst);
    if (copy_alloc_queue_list(&dst->queues, &src->queues) < 0)
        goto fail;
    return 0;
fail:
    free_s2c_alloc_queue_list(dst);
    return -ENOMEM;
}

static void enc_s2c_alloc_queue_list(kq_buf *out, const kq_s2c_alloc_queue_list *v, unsigned level)
{
    kq_buf_append(out, "{\"queues\":", 10);
    enc_alloc_queue_list(out, &v->queues, level);
    kq_buf_putc(out, '}');
}

static int dec_s2c_alloc_queue_list(kq_dec *d, cJSON *j, kq_s2c_alloc_queue_list *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "AllocQueueList", s2c_alloc_queue_list_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "queues");
        goto fail;
    }
    kq_dec_push(d, "queues");
    if ((rc = dec_alloc_queue_list(d, found[0], 100000, &out->queues)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2c_alloc_queue_list(out);
    return rc;
}

void kq_s2c_free(kq_s2c *v)
{
    switch (v->tag) {
    case KQ_S2C_AUTH_CHALLENGE:
        free_s2c_auth_challenge(&v->auth_challenge);
        break;
    case KQ_S2C_ACCEPT_JOB:
        kq_job_info_free(&v->accept_job);
        break;
    case KQ_S2C_REJECT_JOB:
        free_s2c_reject_job(&v->reject_job);
        break;
    case KQ_S2C_JOB_LIST:
        free_s2c_job_list(&v->job_list);
        break;
    case KQ_S2C_JOB_INFO:
        free_s2c_job_info(&v->job_info);
        break;
    case KQ_S2C_JOB_UPDATED:
        kq_job_info_free(&v->job_updated);
        break;
    case KQ_S2C_WORKER_LIST:
        kq_worker_info_list_free(&v->worker_list);
        break;
    case KQ_S2C_WORKER_INFO:
        kq_worker_info_free(&v->worker_info);
        break;
    case KQ_S2C_RESOURCE_LIST:
        free_s2c_resource_list(&v->resource_list);
        break;
    case KQ_S2C_REQUEST_RESPONSE:
        free_s2c_request_response(&v->request_response);
        break;
    case KQ_S2C_JOB_OUTPUT:
        free_s2c_job_output(&v->job_output);
        break;
    case KQ_S2C_ALLOC_QUEUE_LIST:
        free_s2c_alloc_queue_list(&v->alloc_queue_list);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

int kq_s2c_copy(kq_s2c *dst, const kq_s2c *src)
{
    memset(dst, 0, sizeof *dst);
    dst->tag = src->tag;
    switch (src->tag) {
    case KQ_S2C_AUTH_CHALLENGE:
        if (copy_s2c_auth_challenge(&dst->auth_challenge, &src->auth_challenge) < 0)
            goto fail;
        break;
    case KQ_S2C_AUTH_ACCEPTED:
        dst->auth_accepted = src->auth_accepted;
        break;
    case KQ_S2C_ACCEPT_JOB:
        if (kq_job_info_copy(&dst->accept_job, &src->accept_job) < 0)
            goto fail;
        break;
    case KQ_S2C_REJECT_JOB:
        if (copy_s2c_reject_job(&dst->reject_job, &src->reject_job) < 0)
            goto fail;
        break;
    case KQ_S2C_JOB_LIST:
        if (copy_s2c_job_list(&dst->job_list, &src->job_list) < 0)
            goto fail;
        break;
    case KQ_S2C_JOB_INFO:
        if (copy_s2c_job_info(&dst->job_info, &src->job_info) < 0)
            goto fail;
        break;
    case KQ_S2C_JOB_UPDATED:
        if (kq_job_info_copy(&dst->job_updated, &src->job_updated) < 0)
            goto fail;
        break;
    case KQ_S2C_WORKER_LIST:
        if (copy_worker_info_list(&dst->worker_list, &src->worker_list) < 0)
            goto fail;
        break;
    case KQ_S2C_WORKER_INFO:
        if (kq_worker_info_copy(&dst->worker_info, &src->worker_info) < 0)
            goto fail;
        break;
    case KQ_S2C_RESOURCE_LIST:
        if (copy_s2c_resource_list(&dst->resource_list, &src->resource_list) < 0)
            goto fail;
        break;
    case KQ_S2C_REQUEST_RESPONSE:
        if (copy_s2c_request_response(&dst->request_response, &src->request_response) < 0)
            goto fail;
        break;
    case KQ_S2C_JOB_OUTPUT:
        if (copy_s2c_job_output(&dst->job_output, &src->job_output) < 0)
            goto fail;
        break;
    case KQ_S2C_ALLOC_QUEUE_LIST:
        if (copy_s2c_alloc_queue_list(&dst->alloc_queue_list, &src->alloc_queue_list) < 0)
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    memset(dst, 0, sizeof *dst);
    return -ENOMEM;
}

static void enc_s2c(kq_buf *out, const kq_s2c *v, unsigned level)
{
    switch (v->tag) {
    case KQ_S2C_WELCOME_CLIENT:
        kq_buf_append(out, "\"WelcomeClient\"", 15);
        break;
    case KQ_S2C_AUTH_CHALLENGE:
        kq_buf_append(out, "{\"AuthChallenge\":", 17);
        enc_s2c_auth_challenge(out, &v->auth_challenge, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_AUTH_ACCEPTED:
        kq_buf_append(out, "{\"AuthAccepted\":", 16);
        kq_enc_bool(out, v->auth_accepted);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_ACCEPT_JOB:
        kq_buf_append(out, "{\"AcceptJob\":", 13);
        enc_job_info(out, &v->accept_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_REJECT_JOB:
        kq_buf_append(out, "{\"RejectJob\":", 13);
        enc_s2c_reject_job(out, &v->reject_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_JOB_LIST:
        kq_buf_append(out, "{\"JobList\":", 11);
        enc_s2c_job_list(out, &v->job_list, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_JOB_INFO:
        kq_buf_append(out, "{\"JobInfo\":", 11);
        enc_s2c_job_info(out, &v->job_info, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_JOB_UPDATED:
        kq_buf_append(out, "{\"JobUpdated\":", 14);
        enc_job_info(out, &v->job_updated, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_WORKER_LIST:
        kq_buf_append(out, "{\"WorkerList\":", 14);
        enc_worker_info_list(out, &v->worker_list, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_WORKER_INFO:
        kq_buf_append(out, "{\"WorkerInfo\":", 14);
        enc_worker_info(out, &v->worker_info, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_RESOURCE_LIST:
        kq_buf_append(out, "{\"ResourceList\":", 16);
        enc_s2c_resource_list(out, &v->resource_list, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_REQUEST_RESPONSE:
        kq_buf_append(out, "{\"RequestResponse\":", 19);
        enc_s2c_request_response(out, &v->request_response, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_BYE:
        kq_buf_append(out, "\"Bye\"", 5);
        break;
    case KQ_S2C_JOB_OUTPUT:
        kq_buf_append(out, "{\"JobOutput\":", 13);
        enc_s2c_job_output(out, &v->job_output, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2C_ALLOC_QUEUE_LIST:
        kq_buf_append(out, "{\"AllocQueueList\":", 18);
        enc_s2c_alloc_queue_list(out, &v->alloc_queue_list, level);
        kq_buf_putc(out, '}');
        break;
    }
}

static int dec_s2c(kq_dec *d, cJSON *j, kq_s2c *out)
{
    cJSON *payload;
    int tag, rc;

    memset(out, 0, sizeof *out);
    rc = kq_dec_variant(d, j, "ServerToClientMessage", s2c_names, 15, &tag, &payload);
    if (rc < 0)
        return rc;
    out->tag = (kq_s2c_tag)tag;
    if (!payload && s2c_has_value[tag])
        return kq_dec_fail(d, NULL, "expected {\"%s\": value}, got a bare string",
                           s2c_names[tag]);
    switch (out->tag) {
    case KQ_S2C_WELCOME_CLIENT:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_S2C_AUTH_CHALLENGE:
        rc = dec_s2c_auth_challenge(d, payload, &out->auth_challenge);
        break;
    case KQ_S2C_AUTH_ACCEPTED:
        rc = kq_dec_bool(d, payload, &out->auth_accepted);
        break;
    case KQ_S2C_ACCEPT_JOB:
        rc = dec_job_info(d, payload, &out->accept_job);
        break;
    case KQ_S2C_REJECT_JOB:
        rc = dec_s2c_reject_job(d, payload, &out->reject_job);
        break;
    case KQ_S2C_JOB_LIST:
        rc = dec_s2c_job_list(d, payload, &out->job_list);
        break;
    case KQ_S2C_JOB_INFO:
        rc = dec_s2c_job_info(d, payload, &out->job_info);
        break;
    case KQ_S2C_JOB_UPDATED:
        rc = dec_job_info(d, payload, &out->job_updated);
        break;
    case KQ_S2C_WORKER_LIST:
        rc = dec_worker_info_list(d, payload, KQ_LIMIT_WORKERS, &out->worker_list);
        break;
    case KQ_S2C_WORKER_INFO:
        rc = dec_worker_info(d, payload, &out->worker_info);
        break;
    case KQ_S2C_RESOURCE_LIST:
        rc = dec_s2c_resource_list(d, payload, &out->resource_list);
        break;
    case KQ_S2C_REQUEST_RESPONSE:
        rc = dec_s2c_request_response(d, payload, &out->request_response);
        break;
    case KQ_S2C_BYE:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_S2C_JOB_OUTPUT:
        rc = dec_s2c_job_output(d, payload, &out->job_output);
        break;
    case KQ_S2C_ALLOC_QUEUE_LIST:
        rc = dec_s2c_alloc_queue_list(d, payload, &out->alloc_queue_list);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    kq_dec_pop(d);
    return 0;
}

int kq_s2c_encode(const kq_s2c *v, kq_buf *out)
{
    return kq_s2c_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_s2c_encode_at(const kq_s2c *v, unsigned level, kq_buf *out)
{
    if (kq_s2c_tag_level(v->tag) > level)
        return -EPROTO;
    enc_s2c(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_s2c_doc(kq_json_doc *doc, kq_s2c *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_s2c(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_s2c_decode(const char *json, size_t len, kq_s2c *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_s2c_doc(&doc, out, err);
}

int kq_s2c_decode_framed(const char *json, size_t len, kq_s2c *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_s2c_doc(&doc, out, err);
}

/* ---- WorkerToServerMessage --------------------------------------------- */

static const char *const w2s_names[] = {
    "AuthResponse",
    "UpdateSystemInfo",
    "UpdateJobStatus",
    "UpdateJobResults",
    "UpdateResources",
    "AcceptJobOffer",
    "DeferJobOffer",
    "RejectJobOffer",
    "Bye",
    "RequeueJob",
    "OutputChunk",
};

/* Whether each variant carries a value (newtype and struct variants). */
static const bool w2s_has_value[] = {
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    true,
    true,
};

const char *kq_w2s_tag_name(kq_w2s_tag tag)
{
    return (unsigned)tag < 11 ? w2s_names[tag] : "?";
}

unsigned kq_w2s_tag_level(kq_w2s_tag tag)
{
    static const unsigned char levels[] = {
        0, /* AuthResponse */
        0, /* UpdateSystemInfo */
        0, /* UpdateJobStatus */
        0, /* UpdateJobResults */
        0, /* UpdateResources */
        0, /* AcceptJobOffer */
        0, /* DeferJobOffer */
        0, /* RejectJobOffer */
        0, /* Bye */
        1, /* RequeueJob */
        1, /* OutputChunk */
    };

    return (unsigned)tag < 11 ? levels[tag] : 0;
}

void kq_w2s_init(kq_w2s *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const w2s_update_job_results_fields[] = {
    "job_id",
    "stdout_text",
    "stderr_text",
};

static void free_w2s_update_job_results(kq_w2s_update_job_results *v)
{
    kq_str_free(&v->stdout_text);
    kq_str_free(&v->stderr_text);
    memset(v, 0, sizeof *v);
}

static int copy_w2s_update_job_results(kq_w2s_update_job_results *dst, const kq_w2s_update_job_results *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    if (kq_str_copy(&dst->stdout_text, &src->stdout_text) < 0)
        goto fail;
    if (kq_str_copy(&dst->stderr_text, &src->stderr_text) < 0)
        goto fail;
    return 0;
fail:
    free_w2s_update_job_results(dst);
    return -ENOMEM;
}

static void enc_w2s_update_job_results(kq_buf *out, const kq_w2s_update_job_results *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"stdout_text\":", 15);
    kq_enc_opt_str(out, &v->stdout_text);
    kq_buf_append(out, ",\"stderr_text\":", 15);
    kq_enc_opt_str(out, &v->stderr_text);
    kq_buf_putc(out, '}');
}

static int dec_w2s_update_job_results(kq_dec *d, cJSON *j, kq_w2s_update_job_results *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "UpdateJobResults", w2s_update_job_results_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stdout_text");
    if ((rc = kq_dec_opt_str(d, found[1], KQ_LIMIT_TEXT, &out->stdout_text)) < 0)
        goto fail;
    kq_dec_pop(d);
    kq_dec_push(d, "stderr_text");
    if ((rc = kq_dec_opt_str(d, found[2], KQ_LIMIT_TEXT, &out->stderr_text)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_w2s_update_job_results(out);
    return rc;
}

static const char *const w2s_requeue_job_fields[] = {
    "job_id",
    "reason",
};

static void free_w2s_requeue_job(kq_w2s_requeue_job *v)
{
    kq_str_free(&v->reason);
    memset(v, 0, sizeof *v);
}

static int copy_w2s_requeue_job(kq_w2s_requeue_job *dst, const kq_w2s_requeue_job *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    if (kq_str_copy(&dst->reason, &src->reason) < 0)
        goto fail;
    return 0;
fail:
    free_w2s_requeue_job(dst);
    return -ENOMEM;
}

static void enc_w2s_requeue_job(kq_buf *out, const kq_w2s_requeue_job *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"reason\":", 10);
    kq_enc_str(out, &v->reason);
    kq_buf_putc(out, '}');
}

static int dec_w2s_requeue_job(kq_dec *d, cJSON *j, kq_w2s_requeue_job *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "RequeueJob", w2s_requeue_job_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "reason");
        goto fail;
    }
    kq_dec_push(d, "reason");
    if ((rc = kq_dec_str(d, found[1], 1024, &out->reason)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_w2s_requeue_job(out);
    return rc;
}

static const char *const w2s_output_chunk_fields[] = {
    "job_id",
    "stdout_chunk",
    "stderr_chunk",
};

static void free_w2s_output_chunk(kq_w2s_output_chunk *v)
{
    kq_stream_text_free(&v->stdout_chunk);
    kq_stream_text_free(&v->stderr_chunk);
    memset(v, 0, sizeof *v);
}

static int copy_w2s_output_chunk(kq_w2s_output_chunk *dst, const kq_w2s_output_chunk *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    dst->has_stdout_chunk = src->has_stdout_chunk;
    if (kq_stream_text_copy(&dst->stdout_chunk, &src->stdout_chunk) < 0)
        goto fail;
    dst->has_stderr_chunk = src->has_stderr_chunk;
    if (kq_stream_text_copy(&dst->stderr_chunk, &src->stderr_chunk) < 0)
        goto fail;
    return 0;
fail:
    free_w2s_output_chunk(dst);
    return -ENOMEM;
}

static void enc_w2s_output_chunk(kq_buf *out, const kq_w2s_output_chunk *v, unsigned level)
{
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"stdout_chunk\":", 16);
    if (v->has_stdout_chunk)
        enc_stream_text(out, &v->stdout_chunk, level);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_append(out, ",\"stderr_chunk\":", 16);
    if (v->has_stderr_chunk)
        enc_stream_text(out, &v->stderr_chunk, level);
    else
        kq_buf_append(out, "null", 4);
    kq_buf_putc(out, '}');
}

static int dec_w2s_output_chunk(kq_dec *d, cJSON *j, kq_w2s_output_chunk *out)
{
    cJSON *found[3];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "OutputChunk", w2s_output_chunk_fields, 3,
                            3, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[1])) {
        out->has_stdout_chunk = true;
        kq_dec_push(d, "stdout_chunk");
        if ((rc = dec_stream_text(d, found[1], &out->stdout_chunk)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    if (!kq_dec_is_none(found[2])) {
        out->has_stderr_chunk = true;
        kq_dec_push(d, "stderr_chunk");
        if ((rc = dec_stream_text(d, found[2], &out->stderr_chunk)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    free_w2s_output_chunk(out);
    return rc;
}

void kq_w2s_free(kq_w2s *v)
{
    switch (v->tag) {
    case KQ_W2S_AUTH_RESPONSE:
        kq_str_free(&v->auth_response);
        break;
    case KQ_W2S_UPDATE_SYSTEM_INFO:
        kq_system_info_free(&v->update_system_info);
        break;
    case KQ_W2S_UPDATE_JOB_STATUS:
        kq_job_info_free(&v->update_job_status);
        break;
    case KQ_W2S_UPDATE_JOB_RESULTS:
        free_w2s_update_job_results(&v->update_job_results);
        break;
    case KQ_W2S_UPDATE_RESOURCES:
        kq_resources_free(&v->update_resources);
        break;
    case KQ_W2S_ACCEPT_JOB_OFFER:
        kq_job_info_free(&v->accept_job_offer);
        break;
    case KQ_W2S_DEFER_JOB_OFFER:
        kq_job_info_free(&v->defer_job_offer);
        break;
    case KQ_W2S_REJECT_JOB_OFFER:
        kq_job_info_free(&v->reject_job_offer);
        break;
    case KQ_W2S_REQUEUE_JOB:
        free_w2s_requeue_job(&v->requeue_job);
        break;
    case KQ_W2S_OUTPUT_CHUNK:
        free_w2s_output_chunk(&v->output_chunk);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

int kq_w2s_copy(kq_w2s *dst, const kq_w2s *src)
{
    memset(dst, 0, sizeof *dst);
    dst->tag = src->tag;
    switch (src->tag) {
    case KQ_W2S_AUTH_RESPONSE:
        if (kq_str_copy(&dst->auth_response, &src->auth_response) < 0)
            goto fail;
        break;
    case KQ_W2S_UPDATE_SYSTEM_INFO:
        if (kq_system_info_copy(&dst->update_system_info, &src->update_system_info) < 0)
            goto fail;
        break;
    case KQ_W2S_UPDATE_JOB_STATUS:
        if (kq_job_info_copy(&dst->update_job_status, &src->update_job_status) < 0)
            goto fail;
        break;
    case KQ_W2S_UPDATE_JOB_RESULTS:
        if (copy_w2s_update_job_results(&dst->update_job_results, &src->update_job_results) < 0)
            goto fail;
        break;
    case KQ_W2S_UPDATE_RESOURCES:
        if (kq_resources_copy(&dst->update_resources, &src->update_resources) < 0)
            goto fail;
        break;
    case KQ_W2S_ACCEPT_JOB_OFFER:
        if (kq_job_info_copy(&dst->accept_job_offer, &src->accept_job_offer) < 0)
            goto fail;
        break;
    case KQ_W2S_DEFER_JOB_OFFER:
        if (kq_job_info_copy(&dst->defer_job_offer, &src->defer_job_offer) < 0)
            goto fail;
        break;
    case KQ_W2S_REJECT_JOB_OFFER:
        if (kq_job_info_copy(&dst->reject_job_offer, &src->reject_job_offer) < 0)
            goto fail;
        break;
    case KQ_W2S_REQUEUE_JOB:
        if (copy_w2s_requeue_job(&dst->requeue_job, &src->requeue_job) < 0)
            goto fail;
        break;
    case KQ_W2S_OUTPUT_CHUNK:
        if (copy_w2s_output_chunk(&dst->output_chunk, &src->output_chunk) < 0)
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    memset(dst, 0, sizeof *dst);
    return -ENOMEM;
}

static void enc_w2s(kq_buf *out, const kq_w2s *v, unsigned level)
{
    switch (v->tag) {
    case KQ_W2S_AUTH_RESPONSE:
        kq_buf_append(out, "{\"AuthResponse\":", 16);
        kq_enc_str(out, &v->auth_response);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_UPDATE_SYSTEM_INFO:
        kq_buf_append(out, "{\"UpdateSystemInfo\":", 20);
        enc_system_info(out, &v->update_system_info, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_UPDATE_JOB_STATUS:
        kq_buf_append(out, "{\"UpdateJobStatus\":", 19);
        enc_job_info(out, &v->update_job_status, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_UPDATE_JOB_RESULTS:
        kq_buf_append(out, "{\"UpdateJobResults\":", 20);
        enc_w2s_update_job_results(out, &v->update_job_results, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_UPDATE_RESOURCES:
        kq_buf_append(out, "{\"UpdateResources\":", 19);
        enc_resources(out, &v->update_resources, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_ACCEPT_JOB_OFFER:
        kq_buf_append(out, "{\"AcceptJobOffer\":", 18);
        enc_job_info(out, &v->accept_job_offer, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_DEFER_JOB_OFFER:
        kq_buf_append(out, "{\"DeferJobOffer\":", 17);
        enc_job_info(out, &v->defer_job_offer, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_REJECT_JOB_OFFER:
        kq_buf_append(out, "{\"RejectJobOffer\":", 18);
        enc_job_info(out, &v->reject_job_offer, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_BYE:
        kq_buf_append(out, "\"Bye\"", 5);
        break;
    case KQ_W2S_REQUEUE_JOB:
        kq_buf_append(out, "{\"RequeueJob\":", 14);
        enc_w2s_requeue_job(out, &v->requeue_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_W2S_OUTPUT_CHUNK:
        kq_buf_append(out, "{\"OutputChunk\":", 15);
        enc_w2s_output_chunk(out, &v->output_chunk, level);
        kq_buf_putc(out, '}');
        break;
    }
}

static int dec_w2s(kq_dec *d, cJSON *j, kq_w2s *out)
{
    cJSON *payload;
    int tag, rc;

    memset(out, 0, sizeof *out);
    rc = kq_dec_variant(d, j, "WorkerToServerMessage", w2s_names, 11, &tag, &payload);
    if (rc < 0)
        return rc;
    out->tag = (kq_w2s_tag)tag;
    if (!payload && w2s_has_value[tag])
        return kq_dec_fail(d, NULL, "expected {\"%s\": value}, got a bare string",
                           w2s_names[tag]);
    switch (out->tag) {
    case KQ_W2S_AUTH_RESPONSE:
        rc = kq_dec_str(d, payload, KQ_LIMIT_SALT, &out->auth_response);
        break;
    case KQ_W2S_UPDATE_SYSTEM_INFO:
        rc = dec_system_info(d, payload, &out->update_system_info);
        break;
    case KQ_W2S_UPDATE_JOB_STATUS:
        rc = dec_job_info(d, payload, &out->update_job_status);
        break;
    case KQ_W2S_UPDATE_JOB_RESULTS:
        rc = dec_w2s_update_job_results(d, payload, &out->update_job_results);
        break;
    case KQ_W2S_UPDATE_RESOURCES:
        rc = dec_resources(d, payload, &out->update_resources);
        break;
    case KQ_W2S_ACCEPT_JOB_OFFER:
        rc = dec_job_info(d, payload, &out->accept_job_offer);
        break;
    case KQ_W2S_DEFER_JOB_OFFER:
        rc = dec_job_info(d, payload, &out->defer_job_offer);
        break;
    case KQ_W2S_REJECT_JOB_OFFER:
        rc = dec_job_info(d, payload, &out->reject_job_offer);
        break;
    case KQ_W2S_BYE:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_W2S_REQUEUE_JOB:
        rc = dec_w2s_requeue_job(d, payload, &out->requeue_job);
        break;
    case KQ_W2S_OUTPUT_CHUNK:
        rc = dec_w2s_output_chunk(d, payload, &out->output_chunk);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    kq_dec_pop(d);
    return 0;
}

int kq_w2s_encode(const kq_w2s *v, kq_buf *out)
{
    return kq_w2s_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_w2s_encode_at(const kq_w2s *v, unsigned level, kq_buf *out)
{
    if (kq_w2s_tag_level(v->tag) > level)
        return -EPROTO;
    enc_w2s(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_w2s_doc(kq_json_doc *doc, kq_w2s *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_w2s(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_w2s_decode(const char *json, size_t len, kq_w2s *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_w2s_doc(&doc, out, err);
}

int kq_w2s_decode_framed(const char *json, size_t len, kq_w2s *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_w2s_doc(&doc, out, err);
}

/* ---- ServerToWorkerMessage --------------------------------------------- */

static const char *const s2w_names[] = {
    "WelcomeWorker",
    "AuthChallenge",
    "AuthAccepted",
    "OfferJob",
    "ConfirmJobOffer",
    "WithdrawJobOffer",
    "KillJob",
    "Bye",
    "ReportStored",
    "WatchOutput",
};

/* Whether each variant carries a value (newtype and struct variants). */
static const bool s2w_has_value[] = {
    false,
    true,
    true,
    true,
    true,
    true,
    true,
    false,
    true,
    true,
};

const char *kq_s2w_tag_name(kq_s2w_tag tag)
{
    return (unsigned)tag < 10 ? s2w_names[tag] : "?";
}

unsigned kq_s2w_tag_level(kq_s2w_tag tag)
{
    static const unsigned char levels[] = {
        0, /* WelcomeWorker */
        0, /* AuthChallenge */
        0, /* AuthAccepted */
        0, /* OfferJob */
        0, /* ConfirmJobOffer */
        0, /* WithdrawJobOffer */
        0, /* KillJob */
        0, /* Bye */
        1, /* ReportStored */
        1, /* WatchOutput */
    };

    return (unsigned)tag < 10 ? levels[tag] : 0;
}

void kq_s2w_init(kq_s2w *v)
{
    memset(v, 0, sizeof *v);
}

static const char *const s2w_auth_challenge_fields[] = {
    "salt",
    "extension_level",
    "state_id",
    "output_keep",
};

static void free_s2w_auth_challenge(kq_s2w_auth_challenge *v)
{
    kq_str_free(&v->salt);
    kq_str_free(&v->state_id);
    memset(v, 0, sizeof *v);
}

static int copy_s2w_auth_challenge(kq_s2w_auth_challenge *dst, const kq_s2w_auth_challenge *src)
{
    memset(dst, 0, sizeof *dst);
    if (kq_str_copy(&dst->salt, &src->salt) < 0)
        goto fail;
    dst->has_extension_level = src->has_extension_level;
    dst->extension_level = src->extension_level;
    if (kq_str_copy(&dst->state_id, &src->state_id) < 0)
        goto fail;
    dst->has_output_keep = src->has_output_keep;
    dst->output_keep = src->output_keep;
    return 0;
fail:
    free_s2w_auth_challenge(dst);
    return -ENOMEM;
}

static void enc_s2w_auth_challenge(kq_buf *out, const kq_s2w_auth_challenge *v, unsigned level)
{
    kq_buf_append(out, "{\"salt\":", 8);
    kq_enc_str(out, &v->salt);
    if (level >= 1 && v->has_extension_level) {
        kq_buf_append(out, ",\"extension_level\":", 19);
        kq_enc_u64(out, v->extension_level);
    }
    if (level >= 1 && v->state_id.ptr) {
        kq_buf_append(out, ",\"state_id\":", 12);
        kq_enc_str(out, &v->state_id);
    }
    if (level >= 1 && v->has_output_keep) {
        kq_buf_append(out, ",\"output_keep\":", 15);
        kq_enc_u64(out, v->output_keep);
    }
    kq_buf_putc(out, '}');
}

static int dec_s2w_auth_challenge(kq_dec *d, cJSON *j, kq_s2w_auth_challenge *out)
{
    cJSON *found[4];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "AuthChallenge", s2w_auth_challenge_fields, 4,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "salt");
        goto fail;
    }
    kq_dec_push(d, "salt");
    if ((rc = kq_dec_str(d, found[0], KQ_LIMIT_SALT, &out->salt)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[1])) {
        out->has_extension_level = true;
        kq_dec_push(d, "extension_level");
        if ((rc = kq_dec_u64(d, found[1], &out->extension_level)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    kq_dec_push(d, "state_id");
    if ((rc = kq_dec_opt_str(d, found[2], 64, &out->state_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!kq_dec_is_none(found[3])) {
        out->has_output_keep = true;
        kq_dec_push(d, "output_keep");
        if ((rc = kq_dec_u64(d, found[3], &out->output_keep)) < 0)
            goto fail;
        kq_dec_pop(d);
    }
    return 0;
fail:
    free_s2w_auth_challenge(out);
    return rc;
}

static const char *const s2w_report_stored_fields[] = {
    "job_id",
};

static void free_s2w_report_stored(kq_s2w_report_stored *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_s2w_report_stored(kq_s2w_report_stored *dst, const kq_s2w_report_stored *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    return 0;
}

static void enc_s2w_report_stored(kq_buf *out, const kq_s2w_report_stored *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_putc(out, '}');
}

static int dec_s2w_report_stored(kq_dec *d, cJSON *j, kq_s2w_report_stored *out)
{
    cJSON *found[1];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "ReportStored", s2w_report_stored_fields, 1,
                            1, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2w_report_stored(out);
    return rc;
}

static const char *const s2w_watch_output_fields[] = {
    "job_id",
    "watched",
};

static void free_s2w_watch_output(kq_s2w_watch_output *v)
{
    memset(v, 0, sizeof *v);
}

static int copy_s2w_watch_output(kq_s2w_watch_output *dst, const kq_s2w_watch_output *src)
{
    memset(dst, 0, sizeof *dst);
    dst->job_id = src->job_id;
    dst->watched = src->watched;
    return 0;
}

static void enc_s2w_watch_output(kq_buf *out, const kq_s2w_watch_output *v, unsigned level)
{
    (void)level;
    kq_buf_append(out, "{\"job_id\":", 10);
    kq_enc_u64(out, v->job_id);
    kq_buf_append(out, ",\"watched\":", 11);
    kq_enc_bool(out, v->watched);
    kq_buf_putc(out, '}');
}

static int dec_s2w_watch_output(kq_dec *d, cJSON *j, kq_s2w_watch_output *out)
{
    cJSON *found[2];
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_dec_fields(d, j, "WatchOutput", s2w_watch_output_fields, 2,
                            2, found)) < 0)
        return rc;
    if (!found[0]) {
        rc = kq_dec_missing(d, "job_id");
        goto fail;
    }
    kq_dec_push(d, "job_id");
    if ((rc = kq_dec_u64(d, found[0], &out->job_id)) < 0)
        goto fail;
    kq_dec_pop(d);
    if (!found[1]) {
        rc = kq_dec_missing(d, "watched");
        goto fail;
    }
    kq_dec_push(d, "watched");
    if ((rc = kq_dec_bool(d, found[1], &out->watched)) < 0)
        goto fail;
    kq_dec_pop(d);
    return 0;
fail:
    free_s2w_watch_output(out);
    return rc;
}

void kq_s2w_free(kq_s2w *v)
{
    switch (v->tag) {
    case KQ_S2W_AUTH_CHALLENGE:
        free_s2w_auth_challenge(&v->auth_challenge);
        break;
    case KQ_S2W_OFFER_JOB:
        kq_job_info_free(&v->offer_job);
        break;
    case KQ_S2W_CONFIRM_JOB_OFFER:
        kq_job_info_free(&v->confirm_job_offer);
        break;
    case KQ_S2W_WITHDRAW_JOB_OFFER:
        kq_job_info_free(&v->withdraw_job_offer);
        break;
    case KQ_S2W_KILL_JOB:
        kq_job_info_free(&v->kill_job);
        break;
    case KQ_S2W_REPORT_STORED:
        free_s2w_report_stored(&v->report_stored);
        break;
    case KQ_S2W_WATCH_OUTPUT:
        free_s2w_watch_output(&v->watch_output);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

int kq_s2w_copy(kq_s2w *dst, const kq_s2w *src)
{
    memset(dst, 0, sizeof *dst);
    dst->tag = src->tag;
    switch (src->tag) {
    case KQ_S2W_AUTH_CHALLENGE:
        if (copy_s2w_auth_challenge(&dst->auth_challenge, &src->auth_challenge) < 0)
            goto fail;
        break;
    case KQ_S2W_AUTH_ACCEPTED:
        dst->auth_accepted = src->auth_accepted;
        break;
    case KQ_S2W_OFFER_JOB:
        if (kq_job_info_copy(&dst->offer_job, &src->offer_job) < 0)
            goto fail;
        break;
    case KQ_S2W_CONFIRM_JOB_OFFER:
        if (kq_job_info_copy(&dst->confirm_job_offer, &src->confirm_job_offer) < 0)
            goto fail;
        break;
    case KQ_S2W_WITHDRAW_JOB_OFFER:
        if (kq_job_info_copy(&dst->withdraw_job_offer, &src->withdraw_job_offer) < 0)
            goto fail;
        break;
    case KQ_S2W_KILL_JOB:
        if (kq_job_info_copy(&dst->kill_job, &src->kill_job) < 0)
            goto fail;
        break;
    case KQ_S2W_REPORT_STORED:
        if (copy_s2w_report_stored(&dst->report_stored, &src->report_stored) < 0)
            goto fail;
        break;
    case KQ_S2W_WATCH_OUTPUT:
        if (copy_s2w_watch_output(&dst->watch_output, &src->watch_output) < 0)
            goto fail;
        break;
    default:
        break;
    }
    return 0;
fail:
    memset(dst, 0, sizeof *dst);
    return -ENOMEM;
}

static void enc_s2w(kq_buf *out, const kq_s2w *v, unsigned level)
{
    switch (v->tag) {
    case KQ_S2W_WELCOME_WORKER:
        kq_buf_append(out, "\"WelcomeWorker\"", 15);
        break;
    case KQ_S2W_AUTH_CHALLENGE:
        kq_buf_append(out, "{\"AuthChallenge\":", 17);
        enc_s2w_auth_challenge(out, &v->auth_challenge, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_AUTH_ACCEPTED:
        kq_buf_append(out, "{\"AuthAccepted\":", 16);
        kq_enc_bool(out, v->auth_accepted);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_OFFER_JOB:
        kq_buf_append(out, "{\"OfferJob\":", 12);
        enc_job_info(out, &v->offer_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_CONFIRM_JOB_OFFER:
        kq_buf_append(out, "{\"ConfirmJobOffer\":", 19);
        enc_job_info(out, &v->confirm_job_offer, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_WITHDRAW_JOB_OFFER:
        kq_buf_append(out, "{\"WithdrawJobOffer\":", 20);
        enc_job_info(out, &v->withdraw_job_offer, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_KILL_JOB:
        kq_buf_append(out, "{\"KillJob\":", 11);
        enc_job_info(out, &v->kill_job, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_BYE:
        kq_buf_append(out, "\"Bye\"", 5);
        break;
    case KQ_S2W_REPORT_STORED:
        kq_buf_append(out, "{\"ReportStored\":", 16);
        enc_s2w_report_stored(out, &v->report_stored, level);
        kq_buf_putc(out, '}');
        break;
    case KQ_S2W_WATCH_OUTPUT:
        kq_buf_append(out, "{\"WatchOutput\":", 15);
        enc_s2w_watch_output(out, &v->watch_output, level);
        kq_buf_putc(out, '}');
        break;
    }
}

static int dec_s2w(kq_dec *d, cJSON *j, kq_s2w *out)
{
    cJSON *payload;
    int tag, rc;

    memset(out, 0, sizeof *out);
    rc = kq_dec_variant(d, j, "ServerToWorkerMessage", s2w_names, 10, &tag, &payload);
    if (rc < 0)
        return rc;
    out->tag = (kq_s2w_tag)tag;
    if (!payload && s2w_has_value[tag])
        return kq_dec_fail(d, NULL, "expected {\"%s\": value}, got a bare string",
                           s2w_names[tag]);
    switch (out->tag) {
    case KQ_S2W_WELCOME_WORKER:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_S2W_AUTH_CHALLENGE:
        rc = dec_s2w_auth_challenge(d, payload, &out->auth_challenge);
        break;
    case KQ_S2W_AUTH_ACCEPTED:
        rc = kq_dec_bool(d, payload, &out->auth_accepted);
        break;
    case KQ_S2W_OFFER_JOB:
        rc = dec_job_info(d, payload, &out->offer_job);
        break;
    case KQ_S2W_CONFIRM_JOB_OFFER:
        rc = dec_job_info(d, payload, &out->confirm_job_offer);
        break;
    case KQ_S2W_WITHDRAW_JOB_OFFER:
        rc = dec_job_info(d, payload, &out->withdraw_job_offer);
        break;
    case KQ_S2W_KILL_JOB:
        rc = dec_job_info(d, payload, &out->kill_job);
        break;
    case KQ_S2W_BYE:
        rc = kq_dec_unit(d, payload);
        break;
    case KQ_S2W_REPORT_STORED:
        rc = dec_s2w_report_stored(d, payload, &out->report_stored);
        break;
    case KQ_S2W_WATCH_OUTPUT:
        rc = dec_s2w_watch_output(d, payload, &out->watch_output);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    kq_dec_pop(d);
    return 0;
}

int kq_s2w_encode(const kq_s2w *v, kq_buf *out)
{
    return kq_s2w_encode_at(v, KQ_PROTOCOL_EXTENSION_LEVEL, out);
}

int kq_s2w_encode_at(const kq_s2w *v, unsigned level, kq_buf *out)
{
    if (kq_s2w_tag_level(v->tag) > level)
        return -EPROTO;
    enc_s2w(out, v, level);
    return out->oom ? -ENOMEM : 0;
}

/* Decodes a parsed document into out, then frees the document. */
static int decode_s2w_doc(kq_json_doc *doc, kq_s2w *out, kq_error *err)
{
    kq_dec d = {.doc = doc, .err = err};
    int rc = dec_s2w(&d, doc->root, out);

    kq_json_free(doc);
    return rc;
}

int kq_s2w_decode(const char *json, size_t len, kq_s2w *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse(json, len, &doc, err)) < 0)
        return rc;
    return decode_s2w_doc(&doc, out, err);
}

int kq_s2w_decode_framed(const char *json, size_t len, kq_s2w *out, kq_error *err)
{
    kq_json_doc doc;
    int rc;

    memset(out, 0, sizeof *out);
    if ((rc = kq_json_parse_valid(json, len, &doc, err)) < 0)
        return rc;
    return decode_s2w_doc(&doc, out, err);
}

/* ---- generic access ------------------------------------------------- */

static void ops_resources_init(void *v)
{
    kq_resources_init(v);
}

static void ops_resources_free(void *v)
{
    kq_resources_free(v);
}

static int ops_resources_encode(const void *v, kq_buf *out)
{
    return kq_resources_encode(v, out);
}

static int ops_resources_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_resources_encode_at(v, level, out);
}

static int ops_resources_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_resources_decode(json, len, out, err);
}

static void ops_job_status_init(void *v)
{
    kq_job_status_init(v);
}

static void ops_job_status_free(void *v)
{
    kq_job_status_free(v);
}

static int ops_job_status_encode(const void *v, kq_buf *out)
{
    return kq_job_status_encode(v, out);
}

static int ops_job_status_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_job_status_encode_at(v, level, out);
}

static int ops_job_status_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_job_status_decode(json, len, out, err);
}

static void ops_attempt_init(void *v)
{
    kq_attempt_init(v);
}

static void ops_attempt_free(void *v)
{
    kq_attempt_free(v);
}

static int ops_attempt_encode(const void *v, kq_buf *out)
{
    return kq_attempt_encode(v, out);
}

static int ops_attempt_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_attempt_encode_at(v, level, out);
}

static int ops_attempt_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_attempt_decode(json, len, out, err);
}

static void ops_workflow_init(void *v)
{
    kq_workflow_init(v);
}

static void ops_workflow_free(void *v)
{
    kq_workflow_free(v);
}

static int ops_workflow_encode(const void *v, kq_buf *out)
{
    return kq_workflow_encode(v, out);
}

static int ops_workflow_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_workflow_encode_at(v, level, out);
}

static int ops_workflow_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_workflow_decode(json, len, out, err);
}

static void ops_job_array_init(void *v)
{
    kq_job_array_init(v);
}

static void ops_job_array_free(void *v)
{
    kq_job_array_free(v);
}

static int ops_job_array_encode(const void *v, kq_buf *out)
{
    return kq_job_array_encode(v, out);
}

static int ops_job_array_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_job_array_encode_at(v, level, out);
}

static int ops_job_array_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_job_array_decode(json, len, out, err);
}

static void ops_job_env_init(void *v)
{
    kq_job_env_init(v);
}

static void ops_job_env_free(void *v)
{
    kq_job_env_free(v);
}

static int ops_job_env_encode(const void *v, kq_buf *out)
{
    return kq_job_env_encode(v, out);
}

static int ops_job_env_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_job_env_encode_at(v, level, out);
}

static int ops_job_env_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_job_env_decode(json, len, out, err);
}

static void ops_job_info_init(void *v)
{
    kq_job_info_init(v);
}

static void ops_job_info_free(void *v)
{
    kq_job_info_free(v);
}

static int ops_job_info_encode(const void *v, kq_buf *out)
{
    return kq_job_info_encode(v, out);
}

static int ops_job_info_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_job_info_encode_at(v, level, out);
}

static int ops_job_info_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_job_info_decode(json, len, out, err);
}

static void ops_load_info_init(void *v)
{
    kq_load_info_init(v);
}

static void ops_load_info_free(void *v)
{
    kq_load_info_free(v);
}

static int ops_load_info_encode(const void *v, kq_buf *out)
{
    return kq_load_info_encode(v, out);
}

static int ops_load_info_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_load_info_encode_at(v, level, out);
}

static int ops_load_info_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_load_info_decode(json, len, out, err);
}

static void ops_worker_lifetime_init(void *v)
{
    kq_worker_lifetime_init(v);
}

static void ops_worker_lifetime_free(void *v)
{
    kq_worker_lifetime_free(v);
}

static int ops_worker_lifetime_encode(const void *v, kq_buf *out)
{
    return kq_worker_lifetime_encode(v, out);
}

static int ops_worker_lifetime_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_worker_lifetime_encode_at(v, level, out);
}

static int ops_worker_lifetime_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_worker_lifetime_decode(json, len, out, err);
}

static void ops_allocation_init(void *v)
{
    kq_allocation_init(v);
}

static void ops_allocation_free(void *v)
{
    kq_allocation_free(v);
}

static int ops_allocation_encode(const void *v, kq_buf *out)
{
    return kq_allocation_encode(v, out);
}

static int ops_allocation_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_allocation_encode_at(v, level, out);
}

static int ops_allocation_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_allocation_decode(json, len, out, err);
}

static void ops_alloc_event_init(void *v)
{
    kq_alloc_event_init(v);
}

static void ops_alloc_event_free(void *v)
{
    kq_alloc_event_free(v);
}

static int ops_alloc_event_encode(const void *v, kq_buf *out)
{
    return kq_alloc_event_encode(v, out);
}

static int ops_alloc_event_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_alloc_event_encode_at(v, level, out);
}

static int ops_alloc_event_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_alloc_event_decode(json, len, out, err);
}

static void ops_alloc_queue_init(void *v)
{
    kq_alloc_queue_init(v);
}

static void ops_alloc_queue_free(void *v)
{
    kq_alloc_queue_free(v);
}

static int ops_alloc_queue_encode(const void *v, kq_buf *out)
{
    return kq_alloc_queue_encode(v, out);
}

static int ops_alloc_queue_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_alloc_queue_encode_at(v, level, out);
}

static int ops_alloc_queue_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_alloc_queue_decode(json, len, out, err);
}

static void ops_system_info_init(void *v)
{
    kq_system_info_init(v);
}

static void ops_system_info_free(void *v)
{
    kq_system_info_free(v);
}

static int ops_system_info_encode(const void *v, kq_buf *out)
{
    return kq_system_info_encode(v, out);
}

static int ops_system_info_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_system_info_encode_at(v, level, out);
}

static int ops_system_info_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_system_info_decode(json, len, out, err);
}

static void ops_worker_info_init(void *v)
{
    kq_worker_info_init(v);
}

static void ops_worker_info_free(void *v)
{
    kq_worker_info_free(v);
}

static int ops_worker_info_encode(const void *v, kq_buf *out)
{
    return kq_worker_info_encode(v, out);
}

static int ops_worker_info_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_worker_info_encode_at(v, level, out);
}

static int ops_worker_info_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_worker_info_decode(json, len, out, err);
}

static void ops_stream_text_init(void *v)
{
    kq_stream_text_init(v);
}

static void ops_stream_text_free(void *v)
{
    kq_stream_text_free(v);
}

static int ops_stream_text_encode(const void *v, kq_buf *out)
{
    return kq_stream_text_encode(v, out);
}

static int ops_stream_text_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_stream_text_encode_at(v, level, out);
}

static int ops_stream_text_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_stream_text_decode(json, len, out, err);
}

static void ops_hello_init(void *v)
{
    kq_hello_init(v);
}

static void ops_hello_free(void *v)
{
    kq_hello_free(v);
}

static int ops_hello_encode(const void *v, kq_buf *out)
{
    return kq_hello_encode(v, out);
}

static int ops_hello_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_hello_encode_at(v, level, out);
}

static int ops_hello_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_hello_decode(json, len, out, err);
}

static void ops_c2s_init(void *v)
{
    kq_c2s_init(v);
}

static void ops_c2s_free(void *v)
{
    kq_c2s_free(v);
}

static int ops_c2s_encode(const void *v, kq_buf *out)
{
    return kq_c2s_encode(v, out);
}

static int ops_c2s_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_c2s_encode_at(v, level, out);
}

static int ops_c2s_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_c2s_decode(json, len, out, err);
}

static void ops_s2c_init(void *v)
{
    kq_s2c_init(v);
}

static void ops_s2c_free(void *v)
{
    kq_s2c_free(v);
}

static int ops_s2c_encode(const void *v, kq_buf *out)
{
    return kq_s2c_encode(v, out);
}

static int ops_s2c_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_s2c_encode_at(v, level, out);
}

static int ops_s2c_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_s2c_decode(json, len, out, err);
}

static void ops_w2s_init(void *v)
{
    kq_w2s_init(v);
}

static void ops_w2s_free(void *v)
{
    kq_w2s_free(v);
}

static int ops_w2s_encode(const void *v, kq_buf *out)
{
    return kq_w2s_encode(v, out);
}

static int ops_w2s_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_w2s_encode_at(v, level, out);
}

static int ops_w2s_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_w2s_decode(json, len, out, err);
}

static void ops_s2w_init(void *v)
{
    kq_s2w_init(v);
}

static void ops_s2w_free(void *v)
{
    kq_s2w_free(v);
}

static int ops_s2w_encode(const void *v, kq_buf *out)
{
    return kq_s2w_encode(v, out);
}

static int ops_s2w_encode_at(const void *v, unsigned level, kq_buf *out)
{
    return kq_s2w_encode_at(v, level, out);
}

static int ops_s2w_decode(const char *json, size_t len, void *out, kq_error *err)
{
    return kq_s2w_decode(json, len, out, err);
}

const kq_type_ops kq_protocol_types[] = {
    {"Resources", sizeof(kq_resources), ops_resources_init, ops_resources_free,
     ops_resources_encode, ops_resources_encode_at, ops_resources_decode},
    {"JobStatus", sizeof(kq_job_status), ops_job_status_init, ops_job_status_free,
     ops_job_status_encode, ops_job_status_encode_at, ops_job_status_decode},
    {"Attempt", sizeof(kq_attempt), ops_attempt_init, ops_attempt_free,
     ops_attempt_encode, ops_attempt_encode_at, ops_attempt_decode},
    {"Workflow", sizeof(kq_workflow), ops_workflow_init, ops_workflow_free,
     ops_workflow_encode, ops_workflow_encode_at, ops_workflow_decode},
    {"JobArray", sizeof(kq_job_array), ops_job_array_init, ops_job_array_free,
     ops_job_array_encode, ops_job_array_encode_at, ops_job_array_decode},
    {"JobEnvironment", sizeof(kq_job_env), ops_job_env_init, ops_job_env_free,
     ops_job_env_encode, ops_job_env_encode_at, ops_job_env_decode},
    {"JobInfo", sizeof(kq_job_info), ops_job_info_init, ops_job_info_free,
     ops_job_info_encode, ops_job_info_encode_at, ops_job_info_decode},
    {"LoadInfo", sizeof(kq_load_info), ops_load_info_init, ops_load_info_free,
     ops_load_info_encode, ops_load_info_encode_at, ops_load_info_decode},
    {"WorkerLifetime", sizeof(kq_worker_lifetime), ops_worker_lifetime_init, ops_worker_lifetime_free,
     ops_worker_lifetime_encode, ops_worker_lifetime_encode_at, ops_worker_lifetime_decode},
    {"Allocation", sizeof(kq_allocation), ops_allocation_init, ops_allocation_free,
     ops_allocation_encode, ops_allocation_encode_at, ops_allocation_decode},
    {"AllocEvent", sizeof(kq_alloc_event), ops_alloc_event_init, ops_alloc_event_free,
     ops_alloc_event_encode, ops_alloc_event_encode_at, ops_alloc_event_decode},
    {"AllocQueue", sizeof(kq_alloc_queue), ops_alloc_queue_init, ops_alloc_queue_free,
     ops_alloc_queue_encode, ops_alloc_queue_encode_at, ops_alloc_queue_decode},
    {"SystemInfo", sizeof(kq_system_info), ops_system_info_init, ops_system_info_free,
     ops_system_info_encode, ops_system_info_encode_at, ops_system_info_decode},
    {"WorkerInfo", sizeof(kq_worker_info), ops_worker_info_init, ops_worker_info_free,
     ops_worker_info_encode, ops_worker_info_encode_at, ops_worker_info_decode},
    {"StreamText", sizeof(kq_stream_text), ops_stream_text_init, ops_stream_text_free,
     ops_stream_text_encode, ops_stream_text_encode_at, ops_stream_text_decode},
    {"HelloMessage", sizeof(kq_hello), ops_hello_init, ops_hello_free,
     ops_hello_encode, ops_hello_encode_at, ops_hello_decode},
    {"ClientToServerMessage", sizeof(kq_c2s), ops_c2s_init, ops_c2s_free,
     ops_c2s_encode, ops_c2s_encode_at, ops_c2s_decode},
    {"ServerToClientMessage", sizeof(kq_s2c), ops_s2c_init, ops_s2c_free,
     ops_s2c_encode, ops_s2c_encode_at, ops_s2c_decode},
    {"WorkerToServerMessage", sizeof(kq_w2s), ops_w2s_init, ops_w2s_free,
     ops_w2s_encode, ops_w2s_encode_at, ops_w2s_decode},
    {"ServerToWorkerMessage", sizeof(kq_s2w), ops_s2w_init, ops_s2w_free,
     ops_s2w_encode, ops_s2w_encode_at, ops_s2w_decode},
};

const size_t kq_protocol_type_count = 20;

const kq_type_ops *kq_protocol_type(const char *name)
{
    for (size_t i = 0; i < kq_protocol_type_count; i++)
        if (strcmp(kq_protocol_types[i].name, name) == 0)
            return &kq_protocol_types[i];
    return NULL;
}
