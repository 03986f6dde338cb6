/*
 * kq_print.c - the kueue CLI's output: tables, details, dates, durations.
 *
 * Owns the text layout of list-jobs, show-job, list-workers, show-worker
 * and list-resources.  Plain output is the reference's (Kueue 0.19,
 * src/client/print) byte for byte, except for its fixed bugs: no padding to
 * the 1,000,000-column fallback width off a terminal, no underflow on tiny
 * terminals, widths in display columns with truncation on character
 * boundaries, "offered" with a formatted date in show-job, and "yesterday"
 * across month and year ends.  One table routine lays out both the job and
 * the worker table from a column description.  A Kueue-C server's extras
 * (a pending job's reason, a note, a drained worker) add to the text only
 * when present, so an original server's answers print as the reference
 * prints them.
 */
#include "kq_print.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kq_duration.h"
#include "kq_reason.h"
#include "kq_utf8.h"

/* A style: an ANSI foreground code in the low bits plus attribute flags,
 * emitted in the console crate's order (colour, bold, dim, underline). */
enum {
    ST_NONE = 0,
    ST_RED = 31,
    ST_GREEN = 32,
    ST_YELLOW = 33,
    ST_BLUE = 34,
    ST_FG_MASK = 0x3f,
    ST_BOLD = 0x40,
    ST_DIM = 0x80,
    ST_UNDERLINE = 0x100,
    ST_HEADER = ST_BOLD | ST_UNDERLINE,
};

static void style_open(kq_buf *out, const kq_print_opts *o, unsigned st)
{
    if (!o->color || st == ST_NONE)
        return;
    if (st & ST_FG_MASK)
        kq_buf_printf(out, "\x1b[%um", st & ST_FG_MASK);
    if (st & ST_BOLD)
        kq_buf_puts(out, "\x1b[1m");
    if (st & ST_DIM)
        kq_buf_puts(out, "\x1b[2m");
    if (st & ST_UNDERLINE)
        kq_buf_puts(out, "\x1b[4m");
}

static void style_close(kq_buf *out, const kq_print_opts *o, unsigned st)
{
    if (o->color && st != ST_NONE)
        kq_buf_puts(out, "\x1b[0m");
}

static void put_styled(kq_buf *out, const kq_print_opts *o, unsigned st,
                       const char *s)
{
    style_open(out, o, st);
    kq_buf_puts(out, s);
    style_close(out, o, st);
}

static void put_spaces(kq_buf *out, size_t n)
{
    while (n-- > 0)
        kq_buf_putc(out, ' ');
}

/*
 * Appends s[0..len), aligned in a field width columns wide.  The padding
 * sits inside the style, as the reference's console crate puts it; text
 * wider than the field is written whole.
 */
static void put_field(kq_buf *out, const kq_print_opts *o, unsigned st,
                      const char *s, size_t len, size_t width, bool right)
{
    size_t w = kq_utf8_width(s, len);
    size_t pad = width > w ? width - w : 0;

    style_open(out, o, st);
    if (right)
        put_spaces(out, pad);
    kq_buf_append(out, s, len);
    if (!right)
        put_spaces(out, pad);
    style_close(out, o, st);
}

/* Bytes of the UTF-8 sequence starting at s[0], never past len; a stray
 * byte counts as one character. */
static size_t char_len(const char *s, size_t len)
{
    unsigned char c = (unsigned char)s[0];
    size_t n = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    size_t i = 1;

    while (i < n && i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Start of the character ending at s[end - 1] (end > 0). */
static size_t char_start(const char *s, size_t end)
{
    size_t i = end - 1;

    while (i > 0 && end - i < 4 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* Length of the longest prefix of s[0..len) at most cols wide.  Zero-width
 * characters after the last one that fits stay with it. */
static size_t head_fit(const char *s, size_t len, size_t cols)
{
    size_t i = 0, w = 0;

    while (i < len) {
        size_t n = char_len(s + i, len - i);
        size_t cw = kq_utf8_width(s + i, n);

        if (w + cw > cols)
            break;
        w += cw;
        i += n;
    }
    return i;
}

/* Start of the longest suffix of s[0..len) at most cols wide, without
 * leading zero-width characters whose base character was cut off. */
static size_t tail_fit(const char *s, size_t len, size_t cols)
{
    size_t i = len, w = 0;

    while (i > 0) {
        size_t b = char_start(s, i);
        size_t cw = kq_utf8_width(s + b, i - b);

        if (w + cw > cols)
            break;
        w += cw;
        i = b;
    }
    while (i < len) {
        size_t n = char_len(s + i, len - i);

        if (kq_utf8_width(s + i, n) != 0)
            break;
        i += n;
    }
    return i;
}

void kq_print_elapsed(kq_buf *out, int64_t seconds)
{
    kq_buf_printf(out, "%" PRId64 "h:%02" PRId64 "m:%02" PRId64 "s",
                  seconds / 3600, seconds % 3600 / 60, seconds % 60);
}

/* kq_time_format's text starts "YYYY-MM-DDTHH:MM:SS". */
#define DATE_LEN 10
#define TIME_AT (DATE_LEN + 1)
#define TIME_LEN 8

/* kq_time_format's text of t shifted by the offset in force at t: its date
 * and time are the local ones. */
static void local_text(kq_time t, const kq_print_opts *o,
                       char text[KQ_TIME_TEXT_MAX])
{
    t.sec += o->utc_offset(t.sec);
    kq_time_format(t, text);
}

/*
 * Compares local calendar days rather than day-of-month numbers, so
 * "yesterday" also holds across month and year ends (the reference only
 * recognised it within one month).  Each instant gets the offset in force
 * at it, as chrono's Local does, so dates across a DST change are right.
 * kq_time_format shows a leap second (nsec >= 1e9) as :60, as chrono does.
 */
void kq_print_date(kq_buf *out, kq_time t, const kq_print_opts *o)
{
    char text[KQ_TIME_TEXT_MAX], today[KQ_TIME_TEXT_MAX];
    char yesterday[KQ_TIME_TEXT_MAX];
    kq_time now = {o->now.sec, 0};

    local_text(t, o, text);
    now.sec += o->utc_offset(now.sec);
    kq_time_format(now, today);
    /* Shifted time has no DST jumps: a day back is the previous date. */
    now.sec -= 86400;
    kq_time_format(now, yesterday);
    if (memcmp(text, today, DATE_LEN) == 0) {
        kq_buf_puts(out, "today ");
    } else if (memcmp(text, yesterday, DATE_LEN) == 0) {
        kq_buf_puts(out, "yesterday ");
    } else {
        kq_buf_append(out, text, DATE_LEN);
        kq_buf_putc(out, ' ');
    }
    kq_buf_append(out, text + TIME_AT, TIME_LEN);
}

long kq_local_utc_offset(int64_t unix_sec)
{
    time_t t = (time_t)unix_sec;
    struct tm tm;

    return localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
}

bool kq_color_enabled(int fd)
{
    const char *force = getenv("CLICOLOR_FORCE");
    const char *clicolor = getenv("CLICOLOR");
    const char *term = getenv("TERM");

    if (getenv("NO_COLOR"))
        return false;
    if (force && strcmp(force, "0") != 0)
        return true;
    if (!isatty(fd) || !term || strcmp(term, "dumb") == 0)
        return false;
    return !clicolor || strcmp(clicolor, "0") != 0;
}

/* ---- tables ---------------------------------------------------------- */

#define MAX_COLS 12

typedef enum col_kind {
    COL_FIXED,     /* always as wide as its widest cell */
    COL_KEEP_HEAD, /* elastic; cut to its head + "..." */
    COL_KEEP_TAIL, /* elastic; cut to "..." + its tail */
    COL_OVERFLOW,  /* elastic, never cut: a wider cell overflows its width */
} col_kind;

typedef struct col_spec {
    const char *header; /* NULL: continues the previous column's header cell */
    col_kind kind;
    bool right;         /* right-align values (headers are left-aligned) */
} col_spec;

/* Cells are collected row by row; their texts lie back to back in text. */
typedef struct table {
    const col_spec *cols;
    size_t ncols;
    kq_buf text;
    size_t *ends;     /* end offset in text of each cell */
    unsigned *styles; /* style of each cell */
    size_t ncells, cap;
    bool oom;
} table;

static void table_init(table *t, const col_spec *cols, size_t ncols)
{
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = ncols;
}

static void table_free(table *t)
{
    kq_buf_free(&t->text);
    free(t->ends);
    free(t->styles);
}

/* Ends the cell whose text was just appended to t->text. */
static void table_end_cell(table *t, unsigned style)
{
    if (t->oom)
        return;
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        size_t *ends = realloc(t->ends, cap * sizeof *ends);
        unsigned *styles;

        if (!ends) {
            t->oom = true;
            return;
        }
        t->ends = ends;
        styles = realloc(t->styles, cap * sizeof *styles);
        if (!styles) {
            t->oom = true;
            return;
        }
        t->styles = styles;
        t->cap = cap;
    }
    t->ends[t->ncells] = t->text.len;
    t->styles[t->ncells++] = style;
}

static const char *cell_text(const table *t, size_t i, size_t *len)
{
    size_t start = i ? t->ends[i - 1] : 0;

    *len = t->ends[i] - start;
    return kq_buf_ptr(&t->text) + start;
}

/* Whether column c heads a group of columns sharing one header cell. */
static bool starts_group(const table *t, size_t c)
{
    return c + 1 < t->ncols && t->cols[c + 1].header == NULL;
}

/*
 * The reference's column widths.  Minimum: the header width (not for a
 * group's first column), for fixed columns also their widest cell; maximum:
 * the widest cell of elastic columns, at least the minimum.  Off a terminal
 * every column gets its maximum.  On one, the space left by the separators
 * (3 per column + 1) goes to the maxima if they fit, else to the minima if
 * they do not fit either, else is dealt out one column at a time to the
 * narrowest column still below its maximum (ties: lowest index).  Finally
 * the first column of a group is widened until the group's header fits.
 */
static void table_widths(const table *t, const kq_print_opts *o, size_t *w)
{
    size_t n = t->ncols, min[MAX_COLS], max[MAX_COLS];
    size_t sum_min = 0, sum_max = 0, avail = 0, seps = 3 * n + 1;

    for (size_t c = 0; c < n; c++) {
        const char *h = t->cols[c].header;
        size_t content = 0;

        for (size_t i = c; i < t->ncells; i += n) {
            size_t len;
            const char *s = cell_text(t, i, &len);
            size_t cw = kq_utf8_width(s, len);

            content = cw > content ? cw : content;
        }
        min[c] = h && !starts_group(t, c) ? strlen(h) : 0;
        if (t->cols[c].kind == COL_FIXED) {
            min[c] = content > min[c] ? content : min[c];
            max[c] = min[c];
        } else {
            max[c] = content > min[c] ? content : min[c];
        }
        sum_min += min[c];
        sum_max += max[c];
    }
    if (o->term_width > 0 && (size_t)o->term_width > seps)
        avail = (size_t)o->term_width - seps;

    if (o->term_width <= 0 || sum_max <= avail) {
        memcpy(w, max, n * sizeof *w);
    } else {
        memcpy(w, min, n * sizeof *w);
        for (size_t left = avail > sum_min ? avail - sum_min : 0; left > 0;
             left--) {
            size_t best = n;

            for (size_t c = 0; c < n; c++)
                if (w[c] < max[c] && (best == n || w[c] < w[best]))
                    best = c;
            if (best == n) /* cannot happen: sum_max > avail */
                break;
            w[best]++;
        }
    }

    for (size_t c = 0; c < n; c++) {
        size_t span = w[c], end = c + 1, hw;

        if (!t->cols[c].header || !starts_group(t, c))
            continue;
        for (; end < n && !t->cols[end].header; end++)
            span += 1 + w[end];
        hw = strlen(t->cols[c].header);
        if (hw > span)
            w[c] += hw - span;
    }
}

/* Appends one cell fitted to width columns: cells of a cut column that
 * are too wide lose their tail or head to "..." on a character boundary. */
static void put_cell(kq_buf *out, kq_buf *scratch, const kq_print_opts *o,
                     const col_spec *col, unsigned st, const char *s,
                     size_t len, size_t width)
{
    size_t keep = width > 3 ? width - 3 : 0;

    if ((col->kind == COL_KEEP_HEAD || col->kind == COL_KEEP_TAIL) &&
        kq_utf8_width(s, len) > width) {
        kq_buf_clear(scratch);
        if (col->kind == COL_KEEP_TAIL) {
            size_t from = tail_fit(s, len, keep);

            kq_buf_puts(scratch, "...");
            kq_buf_append(scratch, s + from, len - from);
        } else {
            kq_buf_append(scratch, s, head_fit(s, len, keep));
            kq_buf_puts(scratch, "...");
        }
        s = kq_buf_ptr(scratch);
        len = scratch->len;
    }
    put_field(out, o, st, s, len, width, col->right);
}

/*
 * Prints the header row and the collected rows: "| " + cells joined by
 * " | " (" " inside a header group) + " |".  Returns the reference's table
 * width, sum of column widths + 3 per column + 1.
 */
static size_t table_print(kq_buf *out, table *t, const kq_print_opts *o)
{
    size_t n = t->ncols, w[MAX_COLS], total = 3 * n + 1;
    kq_buf scratch = KQ_BUF_INIT;

    if (t->oom || t->text.oom) {
        out->oom = true;
        return 0;
    }
    table_widths(t, o, w);

    kq_buf_puts(out, "| ");
    for (size_t c = 0; c < n; c++) {
        const char *h = t->cols[c].header;
        size_t span = w[c];

        total += w[c];
        if (!h)
            continue;
        for (size_t e = c + 1; e < n && !t->cols[e].header; e++)
            span += 1 + w[e];
        if (c > 0)
            kq_buf_puts(out, " | ");
        put_field(out, o, ST_HEADER, h, strlen(h), span, false);
    }
    kq_buf_puts(out, " |\n");

    for (size_t i = 0; i < t->ncells; i++) {
        size_t c = i % n, len;
        const char *s = cell_text(t, i, &len);

        if (c == 0)
            kq_buf_puts(out, "| ");
        else
            kq_buf_puts(out, t->cols[c].header ? " | " : " ");
        put_cell(out, &scratch, o, &t->cols[c], t->styles[i], s, len, w[c]);
        if (c == n - 1)
            kq_buf_puts(out, " |\n");
    }
    kq_buf_free(&scratch);
    return total;
}

/* ---- jobs ------------------------------------------------------------ */

static void put_cmd(kq_buf *out, const kq_str_list *cmd)
{
    for (size_t i = 0; i < cmd->len; i++) {
        if (i > 0)
            kq_buf_putc(out, ' ');
        kq_buf_append(out, cmd->items[i].ptr, cmd->items[i].len);
    }
}

/* "<amount>x <name>" joined by ", " in key order, "---" for null. */
static void put_global_resources(kq_buf *out, const kq_job_info *j)
{
    if (!j->has_global_resources) {
        kq_buf_puts(out, "---");
        return;
    }
    for (size_t i = 0; i < j->global_resources.len; i++) {
        const kq_u64_entry *e = &j->global_resources.items[i];

        kq_buf_printf(out, "%s%" PRIu64 "x ", i ? ", " : "", e->value);
        kq_buf_append(out, e->key.ptr, e->key.len);
    }
}

/* The worker an Offered, Running or Finished job belongs to, else NULL. */
static const kq_str *status_worker(const kq_job_status *s)
{
    switch (s->tag) {
    case KQ_JOB_STATUS_OFFERED:
        return &s->offered.worker;
    case KQ_JOB_STATUS_RUNNING:
        return &s->running.worker;
    case KQ_JOB_STATUS_FINISHED:
        return &s->finished.worker;
    default:
        return NULL;
    }
}

/* Jobs of a dependency list the job table names before "...". */
#define LISTED_DEPS 5

/* Appends the ids of set after *shown others: the first LISTED_DEPS of
 * all, then "...". */
static void put_dep_ids(kq_buf *out, const kq_u64_set *set, size_t *shown)
{
    for (size_t i = 0; i < set->len && *shown <= LISTED_DEPS; i++, (*shown)++) {
        if (*shown == LISTED_DEPS)
            kq_buf_puts(out, ", ...");
        else
            kq_buf_printf(out, "%s%" PRIu64, *shown ? ", " : "", set->items[i]);
    }
}

/* "waiting for 12, 15" or "waiting for 1 of 12, 15": a pending job held
 * by its dependencies (Kueue-C).  False if it waits for none. */
static bool put_waiting(kq_buf *out, const kq_workflow *wf)
{
    size_t total = 0, shown = 0;

    if (!wf || !wf->has_waiting || wf->waiting == 0)
        return false;
    total = (wf->has_after ? wf->after.len : 0) + (wf->has_after_any ? wf->after_any.len : 0);
    kq_buf_puts(out, "waiting for ");
    if (wf->waiting < total)
        kq_buf_printf(out, "%" PRIu64 " of ", wf->waiting);
    if (wf->has_after)
        put_dep_ids(out, &wf->after, &shown);
    if (wf->has_after_any)
        put_dep_ids(out, &wf->after_any, &shown);
    return true;
}

/* ", attempt 2 of 4" for a job with retries whose earlier runs failed
 * (Kueue-C). */
static void put_attempt(kq_buf *out, const kq_workflow *wf)
{
    if (wf && wf->has_retries && wf->has_attempts && wf->attempts.len)
        kq_buf_printf(out, ", attempt %zu of %" PRIu64, wf->attempts.len + 1, wf->retries + 1);
}

/* Appends the status cell text of job j and returns its style.  A
 * pending job's reason (Kueue-C) follows in its short form: "pending
 * since today 10:00:00 (no worker has 8 CPUs)". */
static unsigned put_status(kq_buf *out, const kq_job_info *j, const kq_print_opts *o)
{
    const kq_job_status *s = &j->status;

    switch (s->tag) {
    case KQ_JOB_STATUS_PENDING: {
        unsigned st = ST_NONE;

        if (put_waiting(out, j->workflow)) {
            st = ST_DIM;
        } else {
            kq_buf_puts(out, "pending since ");
            kq_print_date(out, s->pending.issued, o);
            if (j->wait_reason.ptr) {
                kq_buf_puts(out, " (");
                kq_buf_append(out, j->wait_reason.ptr,
                              kq_reason_short(j->wait_reason.ptr, j->wait_reason.len));
                kq_buf_putc(out, ')');
            }
        }
        /* Kueue-C: what orders the queue besides the id. */
        if (j->workflow && j->workflow->priority)
            kq_buf_printf(out, ", priority %" PRId32, j->workflow->priority);
        put_attempt(out, j->workflow);
        return st;
    }
    case KQ_JOB_STATUS_OFFERED:
        kq_buf_puts(out, "offered on ");
        kq_print_date(out, s->offered.offered, o);
        return ST_DIM;
    case KQ_JOB_STATUS_RUNNING:
        kq_buf_puts(out, "running for ");
        kq_print_elapsed(out, kq_time_diff_sec(o->now, s->running.started));
        put_attempt(out, j->workflow);
        return ST_BLUE;
    case KQ_JOB_STATUS_FINISHED:
        if (s->finished.return_code != 0) {
            kq_buf_printf(out, "failed with code %" PRId32,
                          s->finished.return_code);
            return ST_RED;
        }
        kq_buf_puts(out, "finished after ");
        kq_print_elapsed(out, s->finished.run_time_seconds);
        return ST_GREEN;
    case KQ_JOB_STATUS_CANCELED:
        kq_buf_puts(out, "canceled on ");
        kq_print_date(out, s->canceled.canceled, o);
        return ST_YELLOW;
    }
    return ST_NONE;
}

/* The name column (Kueue-C's job names) is shown only when a listed job
 * has one. */
enum { JOB_COL_NAME = 1 };
static const col_spec job_cols[] = {
    {"id", COL_FIXED, true},
    {"name", COL_KEEP_HEAD, false},
    {"working directory", COL_KEEP_TAIL, false},
    {"command", COL_KEEP_HEAD, false},
    {"cpus", COL_FIXED, true},
    {"memory", COL_FIXED, true},
    /* As in the reference, "other" gets its share of the width but is
     * never cut: which resources a job holds is shown whole. */
    {"other", COL_OVERFLOW, false},
    {"worker", COL_KEEP_HEAD, false},
    {"status", COL_KEEP_HEAD, false},
};

/* Appends right after the used columns of a line so that the line is
 * exactly width wide, or after one space if it would not fit. */
static void put_right(kq_buf *out, size_t used, size_t width,
                      const char *text)
{
    size_t len = strlen(text);

    put_spaces(out, width > used + len ? width - used - len : 1);
    kq_buf_puts(out, text);
    kq_buf_putc(out, '\n');
}

/*
 * The table (if any job is listed) and the summary.  The summary lines are
 * as wide as the table; with no table, as the terminal, or off a terminal
 * just one space separates their halves.
 */
void kq_print_job_list(kq_buf *out, const kq_s2c_job_list *list,
                       const kq_print_opts *o)
{
    static const char heading[] = "--- job status summary ---";
    const struct {
        const char *label;
        uint64_t n;
        unsigned style;
    } counts[] = {
        {"pending: ", list->jobs_pending, ST_NONE},
        {", offered: ", list->jobs_offered, ST_DIM},
        {", running: ", list->jobs_running, ST_BLUE},
        {", succeeded: ", list->jobs_succeeded, ST_GREEN},
        {", failed: ", list->jobs_failed, ST_RED},
        {", canceled: ", list->jobs_canceled, ST_YELLOW},
    };
    size_t width = o->term_width > 0 ? (size_t)o->term_width : 0, used = 0;
    kq_buf right = KQ_BUF_INIT;

    if (list->job_infos.len > 0) {
        col_spec cols[sizeof job_cols / sizeof *job_cols];
        size_t ncols = 0;
        bool named = false;
        table t;

        for (size_t i = 0; i < list->job_infos.len && !named; i++)
            named = list->job_infos.items[i].workflow && list->job_infos.items[i].workflow->name.ptr;
        for (size_t c = 0; c < sizeof job_cols / sizeof *job_cols; c++)
            if (c != JOB_COL_NAME || named)
                cols[ncols++] = job_cols[c];
        table_init(&t, cols, ncols);
        for (size_t i = 0; i < list->job_infos.len; i++) {
            const kq_job_info *j = &list->job_infos.items[i];
            const kq_str *worker = status_worker(&j->status);
            unsigned st;

            kq_buf_printf(&t.text, "%" PRIu64, j->job_id);
            table_end_cell(&t, ST_NONE);
            if (named) {
                if (j->workflow && j->workflow->name.ptr)
                    kq_buf_append(&t.text, j->workflow->name.ptr, j->workflow->name.len);
                else
                    kq_buf_puts(&t.text, "---");
                table_end_cell(&t, ST_NONE);
            }
            kq_buf_append(&t.text, j->cwd.ptr, j->cwd.len);
            table_end_cell(&t, ST_NONE);
            put_cmd(&t.text, &j->cmd);
            table_end_cell(&t, ST_NONE);
            kq_buf_printf(&t.text, "%" PRIu64 " x", j->worker_resources.cpus);
            table_end_cell(&t, ST_NONE);
            kq_buf_printf(&t.text, "%" PRIu64 " MB",
                          j->worker_resources.ram_mb);
            table_end_cell(&t, ST_NONE);
            put_global_resources(&t.text, j);
            table_end_cell(&t, ST_NONE);
            if (worker)
                kq_buf_append(&t.text, worker->ptr, worker->len);
            else
                kq_buf_puts(&t.text, "---");
            table_end_cell(&t, ST_NONE);
            st = put_status(&t.text, j, o);
            table_end_cell(&t, st);
        }
        width = table_print(out, &t, o);
        table_free(&t);
    }

    put_styled(out, o, ST_BOLD, heading);
    kq_buf_puts(&right, "average job runtime: ");
    kq_print_elapsed(&right, list->job_avg_run_time_seconds);
    put_right(out, strlen(heading), width, kq_buf_ptr(&right));

    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        char num[24];

        if (i > 0 && counts[i].n == 0)
            continue;
        snprintf(num, sizeof num, "%" PRIu64, counts[i].n);
        kq_buf_puts(out, counts[i].label);
        put_styled(out, o, counts[i].style, num);
        used += strlen(counts[i].label) + strlen(num);
    }
    kq_buf_clear(&right);
    kq_buf_puts(&right, "remaining jobs ETA: ");
    kq_print_elapsed(&right, list->remaining_jobs_eta_seconds);
    put_right(out, used, width, kq_buf_ptr(&right));
    if (right.oom)
        out->oom = true;
    kq_buf_free(&right);
}

static void put_date_line(kq_buf *out, const char *label, kq_time t,
                          const kq_print_opts *o)
{
    kq_buf_puts(out, label);
    kq_print_date(out, t, o);
    kq_buf_putc(out, '\n');
}

static void put_str_line(kq_buf *out, const char *label, const kq_str *s)
{
    kq_buf_puts(out, label);
    kq_buf_append(out, s->ptr, s->len);
    kq_buf_putc(out, '\n');
}

static void put_status_word(kq_buf *out, const kq_print_opts *o,
                            unsigned st, const char *word)
{
    put_styled(out, o, ST_BOLD, "job status");
    kq_buf_puts(out, ": ");
    put_styled(out, o, st, word);
    kq_buf_putc(out, '\n');
}

/* The job's status block of show-job.  An Offered job shows as "offered"
 * with a formatted date (the reference said "pending" and printed the raw
 * UTC timestamp). */
static void put_status_details(kq_buf *out, const kq_job_status *s,
                               const kq_print_opts *o)
{
    switch (s->tag) {
    case KQ_JOB_STATUS_PENDING:
        put_status_word(out, o, ST_NONE, "pending");
        put_date_line(out, "   issued on: ", s->pending.issued, o);
        break;
    case KQ_JOB_STATUS_OFFERED:
        put_status_word(out, o, ST_DIM, "offered");
        put_date_line(out, "   issued on: ", s->offered.issued, o);
        put_date_line(out, "   offered on: ", s->offered.offered, o);
        put_str_line(out, "   offered to: ", &s->offered.worker);
        break;
    case KQ_JOB_STATUS_RUNNING:
        put_status_word(out, o, ST_BLUE, "running");
        put_date_line(out, "   issued on: ", s->running.issued, o);
        put_date_line(out, "   started on: ", s->running.started, o);
        put_str_line(out, "   running on: ", &s->running.worker);
        break;
    case KQ_JOB_STATUS_FINISHED: {
        const kq_job_status_finished *f = &s->finished;

        if (f->return_code == 0)
            put_status_word(out, o, ST_GREEN, "finished");
        else
            put_status_word(out, o, ST_RED, "failed");
        put_date_line(out, "   issued on: ", f->issued, o);
        put_date_line(out, "   started on: ", f->started, o);
        put_date_line(out, "   finished on: ", f->finished, o);
        kq_buf_printf(out, "   return code: %" PRId32 "\n", f->return_code);
        put_str_line(out, "   executed on: ", &f->worker);
        kq_buf_puts(out, "   runtime: ");
        kq_print_elapsed(out, f->run_time_seconds);
        kq_buf_putc(out, '\n');
        put_str_line(out, "   comment: ", &f->comment);
        break;
    }
    case KQ_JOB_STATUS_CANCELED:
        put_status_word(out, o, ST_YELLOW, "canceled");
        put_date_line(out, "   issued on: ", s->canceled.issued, o);
        put_date_line(out, "   canceled on: ", s->canceled.canceled, o);
        break;
    }
}

/* "\n=== <title> ===\n<text>\n" when text is not null. */
static void put_output_text(kq_buf *out, const kq_print_opts *o,
                            unsigned st, const char *title, const kq_str *text)
{
    if (!text->ptr)
        return;
    kq_buf_puts(out, "\n=== ");
    put_styled(out, o, st, title);
    kq_buf_puts(out, " ===\n");
    kq_buf_append(out, text->ptr, text->len);
    kq_buf_putc(out, '\n');
}

/* "   <label>: 12, 15" */
static void put_id_set_line(kq_buf *out, const char *label, const kq_u64_set *set)
{
    kq_buf_puts(out, label);
    for (size_t i = 0; i < set->len; i++)
        kq_buf_printf(out, "%s%" PRIu64, i ? ", " : "", set->items[i]);
}

/* A Kueue-C job's workflow block of show-job. */
static void put_workflow(kq_buf *out, const kq_workflow *wf, const kq_print_opts *o)
{
    put_styled(out, o, ST_BOLD, "workflow:");
    kq_buf_putc(out, '\n');
    if (wf->name.ptr)
        put_str_line(out, "   name: ", &wf->name);
    if (wf->has_array_id) {
        kq_buf_printf(out, "   array: %" PRIu64, wf->array_id);
        if (wf->has_array_index)
            kq_buf_printf(out, ", index %" PRIu64, wf->array_index);
        kq_buf_putc(out, '\n');
    }
    kq_buf_printf(out, "   priority: %" PRId32 "\n", wf->priority);
    if (wf->has_after) {
        put_id_set_line(out, "   after: ", &wf->after);
        kq_buf_puts(out, " (each must finish with return code 0)\n");
    }
    if (wf->has_after_any) {
        put_id_set_line(out, "   after any: ", &wf->after_any);
        kq_buf_puts(out, " (each must end)\n");
    }
    if (wf->has_waiting && wf->waiting)
        kq_buf_printf(out, "   waiting for: %" PRIu64 " of them\n", wf->waiting);
    if (wf->has_time_limit_seconds) {
        kq_buf_puts(out, "   time limit: ");
        kq_duration_format(out, wf->time_limit_seconds);
        kq_buf_putc(out, '\n');
    }
    if (wf->has_retries) {
        size_t done = wf->has_attempts ? wf->attempts.len : 0;

        kq_buf_printf(out, "   retries: %" PRIu64 " (attempt %zu of %" PRIu64 ")\n",
                      wf->retries, done + 1, wf->retries + 1);
    }
    for (size_t i = 0; wf->has_attempts && i < wf->attempts.len; i++) {
        const kq_attempt *a = &wf->attempts.items[i];

        kq_buf_printf(out, "   attempt %zu: return code %" PRId32 " on ", i + 1, a->return_code);
        kq_buf_append(out, a->worker.ptr, a->worker.len);
        kq_buf_puts(out, ", ended ");
        kq_print_date(out, a->finished, o);
        kq_buf_putc(out, '\n');
    }
    kq_buf_putc(out, '\n');
}

void kq_print_job_details(kq_buf *out, const kq_s2c_job_info *info,
                          const kq_print_opts *o)
{
    const kq_job_info *j = &info->job_info;

    kq_buf_puts(out, "=== ");
    put_styled(out, o, ST_HEADER, "job information");
    kq_buf_printf(out, " ===\njob id: %" PRIu64 "\ncommand: ", j->job_id);
    put_cmd(out, &j->cmd);
    kq_buf_putc(out, '\n');
    put_str_line(out, "working directory: ", &j->cwd);
    kq_buf_printf(out,
                  "required job slots: %" PRIu64 "\n"
                  "required CPU cores: %" PRIu64 "\n"
                  "required RAM: %" PRIu64 " megabytes\n\n",
                  j->worker_resources.job_slots, j->worker_resources.cpus,
                  j->worker_resources.ram_mb);

    if (j->has_global_resources) {
        put_styled(out, o, ST_BOLD, "additional resources:");
        kq_buf_putc(out, '\n');
        for (size_t i = 0; i < j->global_resources.len; i++) {
            const kq_u64_entry *e = &j->global_resources.items[i];

            kq_buf_printf(out, "   %" PRIu64 "x ", e->value);
            kq_buf_append(out, e->key.ptr, e->key.len);
            kq_buf_putc(out, '\n');
        }
        kq_buf_putc(out, '\n');
    }

    if (j->workflow)
        put_workflow(out, j->workflow, o);
    put_status_details(out, &j->status, o);
    /* Kueue-C: why it waits, in full, from a Kueue-C server or worked
     * out by the client (kq_reasons). */
    if (j->wait_reason.ptr)
        put_str_line(out, "   waiting: ", &j->wait_reason);
    /* Kueue-C's note (why it went back to the queue), from a Kueue-C server. */
    if (j->note.ptr)
        put_str_line(out, "   note: ", &j->note);
    put_output_text(out, o, ST_BOLD, "stdout", &info->stdout_text);
    put_output_text(out, o, ST_RED, "stderr", &info->stderr_text);
}

/* ---- workers --------------------------------------------------------- */

/* 1.0 without free job slots, else the busier of CPU and RAM (1.0 for a
 * machine that reported none). */
static double resource_load(const kq_worker_info *w)
{
    const kq_system_info *si = &w->system_info;
    double cpu = 1.0, ram = 1.0;

    if (w->free_resources.job_slots == 0)
        return 1.0;
    if (si->cpu_cores > 0)
        cpu = 1.0 - (double)w->free_resources.cpus / (double)si->cpu_cores;
    if (si->total_ram_mb > 0)
        ram = 1.0 - (double)w->free_resources.ram_mb / (double)si->total_ram_mb;
    return cpu > ram ? cpu : ram;
}

/* Green below a quarter of limit, yellow below three quarters, else red. */
static unsigned load_style(double load, double limit)
{
    return load < 0.25 * limit ? ST_GREEN
           : load < 0.75 * limit ? ST_YELLOW
                                 : ST_RED;
}

/* Appends the ids joined by ", ", continuing a list that *any says was
 * already started. */
static void put_ids(kq_buf *out, const kq_u64_set *s, bool *any)
{
    for (size_t i = 0; i < s->len; i++) {
        kq_buf_printf(out, "%s%" PRIu64, *any ? ", " : "", s->items[i]);
        *any = true;
    }
}

static const col_spec worker_cols[] = {
    {"id", COL_FIXED, true},
    {"name", COL_KEEP_HEAD, false},
    {"operating system", COL_KEEP_HEAD, false},
    {"cpus", COL_FIXED, true},
    {"avg freq", COL_FIXED, true},
    {"memory", COL_FIXED, true},
    {"jobs", COL_KEEP_HEAD, false},
    {"busy", COL_FIXED, true},
    {"load 1/5/15m", COL_FIXED, true},
    {NULL, COL_FIXED, true},
    {NULL, COL_FIXED, true},
    {"uptime", COL_FIXED, true},
};

void kq_print_worker_list(kq_buf *out, const kq_worker_info_list *workers,
                          const kq_print_opts *o)
{
    table t;

    if (workers->len == 0) {
        kq_buf_puts(out, "No workers registered on server!\n");
        return;
    }
    table_init(&t, worker_cols, sizeof worker_cols / sizeof *worker_cols);
    for (size_t i = 0; i < workers->len; i++) {
        const kq_worker_info *w = &workers->items[i];
        const kq_system_info *si = &w->system_info;
        const double loads[] = {si->load_info.one, si->load_info.five,
                                si->load_info.fifteen};
        double busy = resource_load(w);
        int64_t up = kq_time_diff_sec(o->now, w->connected_since);
        bool any = false;

        kq_buf_printf(&t.text, "%" PRIu64, w->worker_id);
        table_end_cell(&t, ST_NONE);
        kq_buf_append(&t.text, w->worker_name.ptr, w->worker_name.len);
        if (w->has_drained && w->drained) /* Kueue-C's kueue drain */
            kq_buf_puts(&t.text, " (drained)");
        table_end_cell(&t, ST_NONE);
        kq_buf_append(&t.text, si->distribution.ptr, si->distribution.len);
        table_end_cell(&t, ST_NONE);
        kq_buf_printf(&t.text, "%" PRIu64 " x", si->cpu_cores);
        table_end_cell(&t, ST_NONE);
        kq_buf_printf(&t.text, "%" PRIu64 " MHz", si->cpu_frequency);
        table_end_cell(&t, ST_NONE);
        kq_buf_printf(&t.text, "%" PRIu64 " MB", si->total_ram_mb);
        table_end_cell(&t, ST_NONE);
        put_ids(&t.text, &w->jobs_running, &any);
        put_ids(&t.text, &w->jobs_offered, &any);
        if (!any)
            kq_buf_puts(&t.text, "---");
        table_end_cell(&t, ST_NONE);
        kq_buf_printf(&t.text, "%.0f %%", busy * 100.0);
        table_end_cell(&t, load_style(busy, 1.0));
        for (size_t k = 0; k < 3; k++) {
            kq_buf_printf(&t.text, "%.1f", loads[k]);
            table_end_cell(&t, load_style(loads[k], (double)si->cpu_cores));
        }
        kq_buf_printf(&t.text, "%" PRId64 "d %02" PRId64 "h", up / 86400,
                      up / 3600 % 24);
        table_end_cell(&t, ST_NONE);
    }
    table_print(out, &t, o);
    table_free(&t);
}

static void put_id_line(kq_buf *out, const char *label, const kq_u64_set *s)
{
    bool any = false;

    kq_buf_puts(out, label);
    put_ids(out, s, &any);
    kq_buf_puts(out, any ? "\n" : "---\n");
}

void kq_print_worker_details(kq_buf *out, const kq_worker_info *w,
                             const kq_print_opts *o)
{
    const kq_system_info *si = &w->system_info;
    const double loads[] = {si->load_info.one, si->load_info.five,
                            si->load_info.fifteen};
    double busy = resource_load(w);

    kq_buf_puts(out, "=== ");
    put_styled(out, o, ST_HEADER, "worker information");
    kq_buf_printf(out, " ===\nworker id: %" PRIu64 "\n", w->worker_id);
    put_str_line(out, "name: ", &w->worker_name);
    if (w->has_drained && w->drained) /* Kueue-C's kueue drain */
        kq_buf_puts(out, "drained: no new jobs (kueue undrain ends it)\n");
    if (w->allocation.ptr) /* Kueue-C's kueue alloc */
        put_str_line(out, "allocation: ", &w->allocation);
    if (si->has_lifetime) {
        kq_buf_puts(out, "takes jobs for: ");
        kq_duration_format(out, si->lifetime.seconds_left);
        kq_buf_puts(out, " more (without a time limit: ");
        kq_duration_format(out, si->lifetime.no_limit_seconds_left);
        kq_buf_puts(out, "), as of its last update\n");
    }
    put_date_line(out, "connected since: ", w->connected_since, o);
    kq_buf_putc(out, '\n');

    put_styled(out, o, ST_HEADER, "system information");
    kq_buf_putc(out, '\n');
    put_str_line(out, "   kernel: ", &si->kernel);
    put_str_line(out, "   distribution: ", &si->distribution);
    kq_buf_printf(out,
                  "   cpu cores: %" PRIu64 "\n"
                  "   cpu frequency: %" PRIu64 " megahertz\n"
                  "   total memory: %" PRIu64 " megabytes\n",
                  si->cpu_cores, si->cpu_frequency, si->total_ram_mb);
    put_date_line(out, "last updated: ", w->last_updated, o);
    kq_buf_putc(out, '\n');

    put_styled(out, o, ST_HEADER, "system load and resources");
    kq_buf_puts(out, "\n   load: ");
    for (size_t k = 0; k < 3; k++) {
        unsigned st = load_style(loads[k], (double)si->cpu_cores);

        if (k > 0)
            kq_buf_puts(out, " / ");
        style_open(out, o, st);
        kq_buf_printf(out, "%.1f", loads[k]);
        style_close(out, o, st);
    }
    kq_buf_putc(out, '\n');
    put_id_line(out, "   jobs offered: ", &w->jobs_offered);
    put_id_line(out, "   jobs running: ", &w->jobs_running);
    kq_buf_printf(out,
                  "   free jobs slots: %" PRIu64 "\n"
                  "   free cpus: %" PRIu64 " / %" PRIu64 "\n"
                  "   free ram: %" PRIu64 " / %" PRIu64 " megabytes\n",
                  w->free_resources.job_slots, w->free_resources.cpus,
                  si->cpu_cores, w->free_resources.ram_mb, si->total_ram_mb);
    put_styled(out, o, ST_BOLD, "total occupation");
    kq_buf_puts(out, ": ");
    style_open(out, o, load_style(busy, 1.0));
    kq_buf_printf(out, "%.2f %%", busy * 100.0);
    style_close(out, o, load_style(busy, 1.0));
    kq_buf_putc(out, '\n');
}

/* ---- resources ------------------------------------------------------- */

/*
 * One row per configured resource.  used is red when all of it is taken,
 * yellow when some is, green ("0") when the used map lacks the resource.
 */
void kq_print_resource_list(kq_buf *out, const kq_s2c_resource_list *r,
                            const kq_print_opts *o)
{
    const kq_u64_map *total = &r->total_resources;
    size_t name_width = strlen("resource");

    if (!r->has_total_resources) {
        kq_buf_puts(out, "No resources configured on the server.\n");
        return;
    }
    for (size_t i = 0; i < total->len; i++) {
        const kq_str *key = &total->items[i].key;
        size_t w = kq_utf8_width(key->ptr, key->len);

        name_width = w > name_width ? w : name_width;
    }

    kq_buf_puts(out, "| ");
    put_field(out, o, ST_HEADER, "resource", strlen("resource"), name_width,
              false);
    kq_buf_puts(out, " | ");
    put_field(out, o, ST_HEADER, "used", strlen("used"), 4, false);
    kq_buf_puts(out, " | ");
    put_field(out, o, ST_HEADER, "total", strlen("total"), 5, false);
    kq_buf_puts(out, " |\n");

    for (size_t i = 0; i < total->len; i++) {
        const kq_u64_entry *e = &total->items[i];
        const kq_u64_entry *u = NULL;
        unsigned st = ST_GREEN;
        char used[24], amount[24];

        if (r->has_used_resources)
            u = kq_u64_map_get(&r->used_resources, e->key.ptr);
        if (u)
            st = u->value == e->value ? ST_RED : ST_YELLOW;
        snprintf(used, sizeof used, "%" PRIu64, u ? u->value : 0);
        snprintf(amount, sizeof amount, "%" PRIu64, e->value);

        kq_buf_puts(out, "| ");
        put_field(out, o, ST_NONE, e->key.ptr, e->key.len, name_width, false);
        kq_buf_puts(out, " | ");
        put_field(out, o, st, used, strlen(used), 4, true);
        kq_buf_puts(out, " | ");
        put_field(out, o, ST_NONE, amount, strlen(amount), 5, true);
        kq_buf_puts(out, " |\n");
    }
}

void kq_print_reply(kq_buf *out, const kq_s2c *reply, const kq_print_opts *o)
{
    switch (reply->tag) {
    case KQ_S2C_JOB_LIST:
        kq_print_job_list(out, &reply->job_list, o);
        break;
    case KQ_S2C_JOB_INFO:
        kq_print_job_details(out, &reply->job_info, o);
        break;
    case KQ_S2C_WORKER_LIST:
        kq_print_worker_list(out, &reply->worker_list, o);
        break;
    case KQ_S2C_WORKER_INFO:
        kq_print_worker_details(out, &reply->worker_info, o);
        break;
    case KQ_S2C_RESOURCE_LIST:
        kq_print_resource_list(out, &reply->resource_list, o);
        break;
    default:
        break;
    }
}
