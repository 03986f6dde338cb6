/*
 * kq_print.h - what the kueue CLI prints: the job, worker and resource
 * tables, the job and worker details and their date/duration helpers.
 *
 * Pure text formatting: every function appends to a kq_buf and takes the
 * current time, time zone rules, terminal width and colour choice from
 * kq_print_opts, so the output is a function of its arguments (the CLI
 * fills the options; tests fix them).  Plain output reproduces the
 * reference's byte for byte where the reference is correct; widths are
 * display columns and truncation never splits a UTF-8 character.
 */
#ifndef KQ_PRINT_H
#define KQ_PRINT_H

#include <stdbool.h>
#include <stdint.h>

#include "kq_buf.h"
#include "kq_protocol.h"
#include "kq_time.h"

typedef struct kq_print_opts {
    kq_time now; /* current time */
    /* Seconds east of UTC of local time at the instant unix_sec, asked per
     * date so dates on either side of a DST change both print right. */
    long (*utc_offset)(int64_t unix_sec);
    int term_width; /* columns; 0 = not a terminal: no width limit */
    bool color;     /* emit ANSI styles */
} kq_print_opts;

/* list-jobs: the table (only if the list is non-empty) and the two-line
 * status summary. */
void kq_print_job_list(kq_buf *out, const kq_s2c_job_list *list,
                       const kq_print_opts *o);

/* show-job: job details, then stdout/stderr text when present. */
void kq_print_job_details(kq_buf *out, const kq_s2c_job_info *info,
                          const kq_print_opts *o);

/* list-workers: the table, or "No workers registered on server!". */
void kq_print_worker_list(kq_buf *out, const kq_worker_info_list *workers,
                          const kq_print_opts *o);

/* show-worker: worker details. */
void kq_print_worker_details(kq_buf *out, const kq_worker_info *w,
                             const kq_print_opts *o);

/* list-resources: the table of configured resources, or
 * "No resources configured on the server." when total is null. */
void kq_print_resource_list(kq_buf *out, const kq_s2c_resource_list *r,
                            const kq_print_opts *o);

/* The text of a query's answer: a JobList, JobInfo, WorkerList,
 * WorkerInfo or ResourceList as the functions above print it; any other
 * message appends nothing. */
void kq_print_reply(kq_buf *out, const kq_s2c *reply, const kq_print_opts *o);

/* "today HH:MM:SS", "yesterday HH:MM:SS" or "YYYY-MM-DD HH:MM:SS" in the
 * options' local time, relative to o->now.  Instants whose local time is
 * outside years 0000..9999 print clamped to that range. */
void kq_print_date(kq_buf *out, kq_time t, const kq_print_opts *o);

/* Seconds east of UTC of the local time zone (TZ) at the instant
 * unix_sec, the kq_print_opts.utc_offset of the CLI; 0 (UTC) when the C
 * library cannot tell. */
long kq_local_utc_offset(int64_t unix_sec);

/* "<h>h:<mm>m:<ss>s" with C truncating division (negative parts keep
 * their sign: -3725 gives "-1h:-2m:-5s"). */
void kq_print_elapsed(kq_buf *out, int64_t seconds);

/* Whether to colour output written to fd: never with NO_COLOR set;
 * otherwise when CLICOLOR_FORCE is set and not "0" (an explicit request,
 * also off a terminal), or fd is a terminal, TERM is set and not "dumb"
 * and CLICOLOR is not "0". */
bool kq_color_enabled(int fd);

#endif
