/*
 * kq_status_html.h - the status page: one self-contained HTML document.
 *
 * Renders what a view holds - totals by state, the workers with load bars
 * (CPU, RAM, job slots), running jobs, the last pending jobs, the jobs
 * that ended last, global resources used and total, and two SVG charts of
 * the last hour drawn here (pending and running jobs over time, jobs
 * finished per minute, from kq_metrics' samples) - into one page with no
 * external scripts, styles, fonts or images.  It reads without JavaScript;
 * a few lines of it reload the page every KQ_STATUS_REFRESH_S seconds
 * while it is visible (a <noscript> meta refresh does it slower without).
 * Every text that comes from jobs or workers (commands, directories,
 * names, output) is HTML-escaped; output appears only when the view says
 * so.  The style and the script are constants, so the page's
 * Content-Security-Policy can allow exactly them by hash
 * (kq_status_html_csp).
 *
 * Owns nothing; reads the view only; no I/O.
 */
#ifndef KQ_STATUS_HTML_H
#define KQ_STATUS_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "kq_buf.h"
#include "kq_jobs.h"
#include "kq_metrics.h"
#include "kq_protocol.h"

#define KQ_STATUS_REFRESH_S 10

typedef struct kq_status_view {
    const char *host;                    /* the server's host name */
    kq_time now;
    const kq_s2c_job_list *stats;        /* counts, average run time, ETA */
    const kq_worker_info *const *workers;
    size_t nworkers;
    const kq_job *const *running;        /* ascending id */
    size_t nrunning;
    const kq_job *const *pending;        /* the last ones, ascending id */
    const char *const *pending_why;      /* why each waits ("" when no
                                            reason), or NULL */
    size_t npending;
    const kq_job *const *ended;          /* most recently ended first */
    size_t nended;
    const kq_u64_map *res_used;          /* held global resources */
    const kq_u64_map *res_total;         /* configured; NULL: none */
    const kq_metrics *metrics;
    bool show_output;                    /* show ended jobs' output */
    const char *token;                   /* carried in links, or NULL */
} kq_status_view;

/* Appends the page. */
void kq_status_html(kq_buf *out, const kq_status_view *v);

/* Appends text with & < > " ' escaped (len bytes of it). */
void kq_html_escape(kq_buf *out, const char *text, size_t len);

/* Appends the page's Content-Security-Policy: nothing but its own style
 * and script (by their SHA-256), data: images, no framing.  0, or -EIO
 * when hashing failed. */
KQ_NODISCARD int kq_status_html_csp(kq_buf *out);

#endif
