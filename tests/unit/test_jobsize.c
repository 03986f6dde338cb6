/*
 * test_jobsize.c - the bound on a job's messages is an upper bound: no
 * message a worker or server builds around the job, in its largest
 * status, is longer; the bound from the IssueJob's length is never below
 * the one from encoding; jobs over the limit are refused (issue 12.1), the
 * environment counted (issue 13).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kq_jobsize.h"
#include "kq_test.h"

/* A string of n bytes of c (owned by the caller). */
static kq_str filled(size_t n, char c)
{
    kq_str s = {malloc(n + 1), n};

    memset(s.ptr, c, n);
    s.ptr[n] = '\0';
    return s;
}

/* The longest UpdateJobStatus a worker can send for job: Finished, with
 * the longest worker name and comment, all control characters. */
static size_t longest_report(const kq_job_info *job)
{
    kq_w2s m = {.tag = KQ_W2S_UPDATE_JOB_STATUS};
    kq_job_status_finished *f;
    kq_buf b = KQ_BUF_INIT;
    size_t n;

    m.update_job_status = *job;
    m.update_job_status.job_id = UINT64_MAX;
    m.update_job_status.status.tag = KQ_JOB_STATUS_FINISHED;
    f = &m.update_job_status.status.finished;
    memset(f, 0, sizeof *f);
    f->issued = f->started = f->finished = (kq_time){253402300799, 999999999};
    f->return_code = INT32_MIN;
    f->run_time_seconds = INT64_MIN;
    f->worker = filled(KQ_LIMIT_NAME, '\x01');
    f->comment = filled(KQ_LIMIT_STRING, '\x02');
    kq_w2s_encode(&m, &b);
    n = b.len;
    free(f->worker.ptr);
    free(f->comment.ptr);
    kq_buf_free(&b);
    return n;
}

/* The IssueJob of job, encoded. */
static size_t issue_len(const kq_job_info *job)
{
    kq_c2s m = {.tag = KQ_C2S_ISSUE_JOB};
    kq_buf b = KQ_BUF_INIT;
    size_t n;

    m.issue_job = *job;
    kq_c2s_encode(&m, &b);
    n = b.len;
    kq_buf_free(&b);
    return n;
}

/* The ConfirmJobOffer of job with the largest id. */
static size_t confirm_len(const kq_job_info *job)
{
    kq_s2w m = {.tag = KQ_S2W_CONFIRM_JOB_OFFER};
    kq_buf b = KQ_BUF_INIT;
    size_t n;

    m.confirm_job_offer = *job;
    m.confirm_job_offer.job_id = UINT64_MAX;
    kq_s2w_encode(&m, &b);
    n = b.len;
    kq_buf_free(&b);
    return n;
}

int main(void)
{
    kq_str args[130];
    kq_job_info job;
    size_t fast, exact, len;

    memset(&job, 0, sizeof job);
    job.cwd = KQ_STR_LIT("/home/u/\"quoted\"\n");
    job.worker_resources = (kq_resources){1, 8, 8192};
    job.status.pending.issued = (kq_time){1700000000, 123456789};
    args[0] = KQ_STR_LIT("true");
    args[1] = KQ_STR_LIT("tab\there \x1b[31m");
    job.cmd = (kq_str_list){2, args};

    /* A small job: both ways fit, the short way is the looser bound, and
     * both are above the longest report. */
    len = issue_len(&job);
    CHECK_INT(kq_jobsize_check(&job, len, &fast), 0);
    CHECK_INT(kq_jobsize_check(&job, 0, &exact), 0);
    CHECK(fast >= exact);
    CHECK(exact >= longest_report(&job));

    /* Near the limit: refused once the longest report could pass it. */
    for (size_t i = 2; i < 130; i++)
        args[i] = filled(131072, 'a');
    for (size_t k = 0; k < 6; k++) {
        static const size_t counts[] = {2, 30, 100, 126, 127, 130};
        size_t n = counts[k];
        int rc;

        job.cmd.len = n;
        rc = kq_jobsize_check(&job, issue_len(&job), &exact);
        CHECK(exact >= longest_report(&job));
        CHECK_INT(rc, exact > KQ_JOB_MESSAGE_MAX ? -EMSGSIZE : 0);
        /* 124 arguments of 128 KiB fit (16,253,300 bytes), 125 do not. */
        if (n >= 127)
            CHECK_INT(rc, -EMSGSIZE);
        else
            CHECK_INT(rc, 0);
    }
    /* The environment counts as the rest does (it travels to the worker
     * in ConfirmJobOffer): 124 variables of 128 KiB fit, 125 do not. */
    job.cmd.len = 2;
    job.has_environment = true;
    job.environment.variables = (kq_str_list){124, args + 2};
    CHECK_INT(kq_jobsize_check(&job, issue_len(&job), &exact), 0);
    CHECK(exact >= confirm_len(&job));
    job.environment.variables.len = 125;
    CHECK_INT(kq_jobsize_check(&job, issue_len(&job), &exact), -EMSGSIZE);
    CHECK_INT(kq_jobsize_check(&job, 0, &exact), -EMSGSIZE);
    CHECK(exact >= confirm_len(&job));
    for (size_t i = 2; i < 130; i++)
        free(args[i].ptr);
    KQ_TEST_DONE();
}
