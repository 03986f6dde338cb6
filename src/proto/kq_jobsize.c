/*
 * kq_jobsize.c - worst-case sizes of a job's messages (see kq_jobsize.h).
 */
#include "kq_jobsize.h"

#include <errno.h>
#include <stdint.h>
#include <threads.h>

#include "kq_time.h"

/* Bytes a message adds around the JobInfo it carries: {"Variant": and }
 * (the longest variant carrying one to or from a worker is
 * WithdrawJobOffer). */
#define ENVELOPE_MAX 64
/* Bytes a job id can take (u64). */
#define JOB_ID_MAX 20
/* Bytes of JobInfo and Resources that a received job need not spell out
 * but its encoding does: field names (the struct-as-array form leaves
 * them out) and nulls for absent optional fields.  Generous. */
#define FIELDS_MAX 1024
/* Bytes an encoded string or timestamp takes at most per byte of it: a
 * control character is written \u00XX. */
#define ESCAPE_MAX 6

static size_t status_max;
static once_flag status_once = ONCE_FLAG_INIT;

/* The longest status a job can reach: Finished, with the extreme numbers,
 * timestamps of the longest form and the longest worker name and comment
 * the decoders accept, each byte escaped. */
static void compute_status_max(void)
{
    kq_job_status st = {.tag = KQ_JOB_STATUS_FINISHED};
    kq_buf b = KQ_BUF_INIT;

    st.finished.return_code = INT32_MIN;
    st.finished.run_time_seconds = INT64_MIN;
    st.finished.worker = kq_str_view("");
    st.finished.comment = kq_str_view("");
    kq_job_status_encode(&st, &b);
    status_max = b.len + 3 * KQ_TIME_TEXT_MAX +
                 ESCAPE_MAX * ((size_t)KQ_LIMIT_NAME + KQ_LIMIT_STRING);
    kq_buf_free(&b);
}

int kq_jobsize_check(const kq_job_info *job, size_t arrived_len,
                     size_t *worst)
{
    size_t fixed, bound;

    call_once(&status_once, compute_status_max);
    fixed = status_max + ENVELOPE_MAX + JOB_ID_MAX + FIELDS_MAX;
    if (arrived_len > 0 && arrived_len <= (KQ_JOB_MESSAGE_MAX - fixed) / ESCAPE_MAX) {
        bound = ESCAPE_MAX * arrived_len + fixed;
    } else {
        kq_buf b = KQ_BUF_INIT;
        size_t with_status;

        kq_job_info_encode(job, &b);
        with_status = b.len;
        if (!b.oom) {
            kq_buf_clear(&b);
            kq_job_status_encode(&job->status, &b);
        }
        if (b.oom) {
            kq_buf_free(&b);
            return -ENOMEM;
        }
        bound = with_status - b.len + status_max + ENVELOPE_MAX + JOB_ID_MAX;
        kq_buf_free(&b);
    }
    if (worst)
        *worst = bound;
    return bound > KQ_JOB_MESSAGE_MAX ? -EMSGSIZE : 0;
}
