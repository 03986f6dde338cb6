/*
 * kq_status_html.c - the status page (see kq_status_html.h).
 */
#include "kq_status_html.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kq_auth.h"

/* Longest command and directory shown (bytes; the full command is in the
 * row's title up to KQ_TITLE_MAX); output shown per stream. */
#define KQ_CMD_MAX 160
#define KQ_TITLE_MAX 2000
#define KQ_OUTPUT_MAX 4096

static const char style[] =
    ":root{--bg:#f4f5f7;--card:#fff;--fg:#1d2330;--muted:#667085;--line:#e4e7ec;"
    "--pending:#d97706;--offered:#7c3aed;--running:#2563eb;--succeeded:#16a34a;"
    "--failed:#dc2626;--canceled:#6b7280;--workers:#0d9488}"
    "@media (prefers-color-scheme:dark){:root{--bg:#0f1115;--card:#171a21;--fg:#e6e8ec;"
    "--muted:#9aa3b2;--line:#2a2f3a}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);"
    "font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}"
    "main{max-width:1240px;margin:0 auto;padding:20px 24px 28px}"
    "header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 16px;margin-bottom:16px}"
    "h1{font-size:22px;margin:0;font-weight:650}h1 .host{color:var(--muted);font-weight:500}"
    ".meta{color:var(--muted);margin:0;font-size:13px}"
    "a{color:var(--running);text-decoration:none}a:hover{text-decoration:underline}"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(118px,1fr));gap:12px;"
    "margin-bottom:16px}"
    ".tile{background:var(--card);border:1px solid var(--line);border-top:4px solid var(--muted);"
    "border-radius:10px;padding:8px 14px}"
    ".tile .n{display:block;font-size:26px;font-weight:650;font-variant-numeric:tabular-nums}"
    ".tile .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
    ".tile.pending{border-top-color:var(--pending)}.tile.offered{border-top-color:var(--offered)}"
    ".tile.running{border-top-color:var(--running)}.tile.succeeded{border-top-color:var(--succeeded)}"
    ".tile.failed{border-top-color:var(--failed)}.tile.canceled{border-top-color:var(--canceled)}"
    ".tile.workers{border-top-color:var(--workers)}"
    ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px;"
    "margin-bottom:16px}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:14px 16px;margin:0 0 16px}.charts .card{margin:0}"
    "h2,figcaption{font-size:15px;font-weight:600;margin:0 0 10px}"
    ".sub{color:var(--muted);font-weight:400;font-size:13px;margin-left:6px}"
    ".key{font-weight:400;color:var(--muted);font-size:12px;margin-left:12px;white-space:nowrap}"
    ".key::before{content:\"\";display:inline-block;width:10px;height:10px;border-radius:2px;"
    "margin-right:5px;vertical-align:-1px;background:var(--muted)}"
    ".key.pending::before{background:var(--pending)}.key.running::before{background:var(--running)}"
    ".key.succeeded::before{background:var(--succeeded)}.key.failed::before{background:var(--failed)}"
    "svg.chart{width:100%;height:auto;display:block}"
    ".chart .grid{stroke:var(--line);stroke-width:1}"
    ".chart text{fill:var(--muted);font-size:11px}"
    ".chart .line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}"
    ".chart .line.pending{stroke:var(--pending)}.chart .line.running{stroke:var(--running)}"
    ".chart .area.pending{fill:var(--pending);opacity:.12}"
    ".chart .area.running{fill:var(--running);opacity:.08}"
    ".chart .succeeded{fill:var(--succeeded)}.chart .failed{fill:var(--failed)}"
    ".chart circle.pending{fill:var(--pending)}.chart circle.running{fill:var(--running)}"
    ".chart .partial{opacity:.5}"
    "table{width:100%;border-collapse:collapse}"
    "th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;"
    "letter-spacing:.03em;border-bottom:1px solid var(--line);padding:6px 8px}"
    "td{padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:middle}"
    "tr:last-child td{border-bottom:0}"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "word-break:break-all}"
    ".dir{color:var(--muted);font-size:12.5px;word-break:break-all}"
    ".meter{display:flex;align-items:center;gap:8px;white-space:nowrap;"
    "font-variant-numeric:tabular-nums;font-size:12.5px}"
    "svg.bar{width:96px;height:8px;flex:none}"
    ".bar .track{fill:var(--line)}.bar .fill{fill:var(--running)}.bar .fill.hot{fill:var(--pending)}"
    ".empty{color:var(--muted);margin:0}"
    ".ok{color:var(--succeeded)}.bad{color:var(--failed)}.gone{color:var(--canceled)}"
    "details summary{cursor:pointer;color:var(--muted);font-size:12.5px}"
    "pre{margin:6px 0 0;padding:8px;background:var(--bg);border-radius:6px;max-height:16em;"
    "overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "white-space:pre-wrap;word-break:break-all}"
    "footer{color:var(--muted);font-size:12px;text-align:center}";

/* Reloads the page while it is shown. */
static const char script[] =
    "setInterval(function(){if(!document.hidden)location.reload()},10000);";

_Static_assert(KQ_STATUS_REFRESH_S == 10, "the script reloads every 10 s");

void kq_html_escape(kq_buf *out, const char *text, size_t len)
{
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        const char *e;

        switch (text[i]) {
        case '&':
            e = "&amp;";
            break;
        case '<':
            e = "&lt;";
            break;
        case '>':
            e = "&gt;";
            break;
        case '"':
            e = "&quot;";
            break;
        case '\'':
            e = "&#39;";
            break;
        default:
            continue;
        }
        kq_buf_append(out, text + run, i - run);
        kq_buf_puts(out, e);
        run = i + 1;
    }
    kq_buf_append(out, text + run, len - run);
}

static void esc(kq_buf *out, const char *s)
{
    kq_html_escape(out, s, strlen(s));
}

/* The length of the first max bytes of s (len bytes), not cutting a UTF-8
 * character. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* Where the last max bytes of s start, not cutting a character. */
static size_t utf8_tail(const char *s, size_t len, size_t max)
{
    size_t i;

    if (len <= max)
        return 0;
    i = len - max;
    while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* The command as its words joined by spaces, at most max bytes and an
 * ellipsis, escaped. */
static void put_cmd(kq_buf *out, const kq_str_list *cmd, size_t max)
{
    kq_buf words = KQ_BUF_INIT;
    size_t n;

    for (size_t i = 0; i < cmd->len && words.len <= max; i++) {
        if (i)
            kq_buf_putc(&words, ' ');
        kq_buf_append(&words, cmd->items[i].ptr, cmd->items[i].len);
    }
    n = utf8_prefix(kq_buf_ptr(&words), words.len, max);
    kq_html_escape(out, kq_buf_ptr(&words), n);
    if (n < words.len)
        kq_buf_puts(out, "\xe2\x80\xa6");
    kq_buf_free(&words);
}

static void put_str(kq_buf *out, const kq_str *s, size_t max)
{
    size_t n;

    if (!s->ptr)
        return;
    n = utf8_prefix(s->ptr, s->len, max);
    kq_html_escape(out, s->ptr, n);
    if (n < s->len)
        kq_buf_puts(out, "\xe2\x80\xa6");
}

/* 12,345 */
static void put_count(kq_buf *out, uint64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%" PRIu64, v);

    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            kq_buf_putc(out, ',');
        kq_buf_putc(out, digits[i]);
    }
}

/* "45 s", "3 min 20 s", "2 h 05 min", "3 d 4 h" */
static void put_duration(kq_buf *out, int64_t s)
{
    if (s < 0)
        s = 0;
    if (s < 60)
        kq_buf_printf(out, "%" PRId64 " s", s);
    else if (s < 3600)
        kq_buf_printf(out, "%" PRId64 " min %02" PRId64 " s", s / 60, s % 60);
    else if (s < 86400)
        kq_buf_printf(out, "%" PRId64 " h %02" PRId64 " min", s / 3600, s % 3600 / 60);
    else
        kq_buf_printf(out, "%" PRId64 " d %" PRId64 " h", s / 86400, s % 86400 / 3600);
}

/* "100 MiB", "1.5 GiB" */
static void put_mib(kq_buf *out, uint64_t mib)
{
    if (mib < 1024)
        kq_buf_printf(out, "%" PRIu64 " MiB", mib);
    else
        kq_buf_printf(out, "%.1f GiB", (double)mib / 1024);
}

/* A link to path that carries the token the page came with. */
static void put_link(kq_buf *out, const kq_status_view *v, const char *path, const char *text)
{
    kq_buf_printf(out, "<a href=\"%s", path);
    if (v->token) {
        kq_buf_puts(out, "?token=");
        for (const char *p = v->token; *p; p++) {
            unsigned char c = (unsigned char)*p;

            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '-' || c == '_' || c == '.' || c == '~')
                kq_buf_putc(out, (char)c);
            else
                kq_buf_printf(out, "%%%02X", c);
        }
    }
    kq_buf_printf(out, "\">%s</a>", text);
}

/* ---- charts ------------------------------------------------------------ */

#define CW 560
#define CH 190
#define PL 44  /* plot area: left, right, top, bottom */
#define PR 548
#define PT 12
#define PB 166
#define HOUR 3600

/* The smallest of 1, 2, 5, 10, 20, 50, ... that is at least v. */
static uint64_t nice_max(uint64_t v)
{
    for (uint64_t m = 1;; m *= 10) {
        if (v <= m)
            return m;
        if (v <= 2 * m)
            return 2 * m;
        if (v <= 5 * m)
            return 5 * m;
        if (m > UINT64_MAX / 100)
            return v;
    }
}

static double chart_x(const kq_status_view *v, int64_t at)
{
    int64_t ago = v->now.sec - at;

    if (ago > HOUR)
        ago = HOUR;
    if (ago < 0)
        ago = 0;
    return PR - (double)ago * (PR - PL) / HOUR;
}

static double chart_y(uint64_t value, uint64_t ymax)
{
    return PB - (double)value * (PB - PT) / (double)ymax;
}

/* Frame, horizontal grid with the scale, and the time axis. */
static void chart_axes(kq_buf *out, uint64_t ymax)
{
    for (int i = 0; i <= 4; i++) {
        double y = PB - (double)i * (PB - PT) / 4;

        kq_buf_printf(out, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>",
                      PL, PR, y, y);
    }
    kq_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", PL - 6, PB + 4);
    kq_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", PL - 6, PT + 4);
    put_count(out, ymax);
    kq_buf_puts(out, "</text>");
    if (ymax % 2 == 0) {
        kq_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", PL - 6,
                      (PB + PT) / 2 + 4);
        put_count(out, ymax / 2);
        kq_buf_puts(out, "</text>");
    }
    for (int m = 60; m >= 0; m -= 15) {
        double x = PR - (double)m * (PR - PL) / 60;

        if (m)
            kq_buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
                               "\xe2\x88\x92%d min</text>", x, CH - 6, m);
        else
            kq_buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\">now</text>",
                          x, CH - 6);
    }
}

/* Samples of the last hour: from index *first on. */
static size_t recent_samples(const kq_status_view *v, size_t *first)
{
    const kq_metrics *m = v->metrics;
    size_t i = 0;

    while (i < m->ring_len && v->now.sec - kq_metrics_at(m, i)->at > HOUR)
        i++;
    *first = i;
    return m->ring_len - i;
}

/* One series (running or pending) as an area and a line, through the
 * samples and the present. */
static void chart_series(kq_buf *out, const kq_status_view *v, size_t first, uint64_t ymax,
                         bool pending, uint64_t current)
{
    const kq_metrics *m = v->metrics;
    const char *name = pending ? "pending" : "running";
    kq_buf pts = KQ_BUF_INIT;
    double x0 = PR;

    for (size_t i = first; i < m->ring_len; i++) {
        const kq_sample *s = kq_metrics_at(m, i);
        double x = chart_x(v, s->at);

        if (i == first)
            x0 = x;
        kq_buf_printf(&pts, "%.1f,%.1f ", x, chart_y(pending ? s->pending : s->running, ymax));
    }
    kq_buf_printf(&pts, "%d,%.1f", PR, chart_y(current, ymax));
    kq_buf_printf(out, "<polygon class=\"area %s\" points=\"%.1f,%d %s %d,%d\"/>", name, x0,
                  PB, kq_buf_ptr(&pts), PR, PB);
    kq_buf_printf(out, "<polyline class=\"line %s\" points=\"%s\"/>", name, kq_buf_ptr(&pts));
    kq_buf_printf(out, "<circle class=\"%s\" cx=\"%d\" cy=\"%.1f\" r=\"3.5\"/>", name, PR,
                  chart_y(current, ymax));
    kq_buf_free(&pts);
}

static void chart_jobs(kq_buf *out, const kq_status_view *v)
{
    const kq_metrics *m = v->metrics;
    uint64_t top = v->stats->jobs_pending > v->stats->jobs_running ? v->stats->jobs_pending
                                                                   : v->stats->jobs_running;
    size_t first;
    uint64_t ymax;

    recent_samples(v, &first);
    for (size_t i = first; i < m->ring_len; i++) {
        const kq_sample *s = kq_metrics_at(m, i);

        top = s->pending > top ? s->pending : top;
        top = s->running > top ? s->running : top;
    }
    ymax = nice_max(top ? top : 1);
    kq_buf_printf(out, "<svg class=\"chart\" id=\"chart-jobs\" viewBox=\"0 0 %d %d\" "
                       "role=\"img\" aria-labelledby=\"chart-jobs-title\">"
                       "<title id=\"chart-jobs-title\">Pending and running jobs over the "
                       "last hour, sampled once a minute</title>", CW, CH);
    chart_axes(out, ymax);
    chart_series(out, v, first, ymax, true, v->stats->jobs_pending);
    chart_series(out, v, first, ymax, false, v->stats->jobs_running);
    kq_buf_puts(out, "</svg>");
}

/* A stacked bar (succeeded below failed) for the minute ending at x. */
static void chart_bar(kq_buf *out, double x, uint64_t ok, uint64_t bad, uint64_t ymax,
                      bool partial)
{
    double w = (double)(PR - PL) / 60 - 2, yo = chart_y(ok, ymax), yb = chart_y(ok + bad, ymax);
    const char *p = partial ? " partial" : "";

    if (ok)
        kq_buf_printf(out, "<rect class=\"succeeded%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                           "height=\"%.1f\"><title>%" PRIu64 " succeeded</title></rect>",
                      p, x - w, yo, w, PB - yo, ok);
    if (bad)
        kq_buf_printf(out, "<rect class=\"failed%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                           "height=\"%.1f\"><title>%" PRIu64 " failed</title></rect>",
                      p, x - w, yb, w, yo - yb, bad);
}

static void chart_finished(kq_buf *out, const kq_status_view *v)
{
    const kq_metrics *m = v->metrics;
    uint64_t ok_now = m->ended[KQ_RESULT_SUCCEEDED] - m->at_last_sample[0];
    uint64_t bad_now = m->ended[KQ_RESULT_FAILED] - m->at_last_sample[1];
    uint64_t top = ok_now + bad_now, ymax;
    size_t first;

    recent_samples(v, &first);
    for (size_t i = first; i < m->ring_len; i++) {
        const kq_sample *s = kq_metrics_at(m, i);

        top = s->succeeded + s->failed > top ? s->succeeded + s->failed : top;
    }
    ymax = nice_max(top ? top : 1);
    kq_buf_printf(out, "<svg class=\"chart\" id=\"chart-finished\" viewBox=\"0 0 %d %d\" "
                       "role=\"img\" aria-labelledby=\"chart-finished-title\">"
                       "<title id=\"chart-finished-title\">Jobs finished per minute over "
                       "the last hour</title>", CW, CH);
    chart_axes(out, ymax);
    for (size_t i = first; i < m->ring_len; i++) {
        const kq_sample *s = kq_metrics_at(m, i);

        chart_bar(out, chart_x(v, s->at), s->succeeded, s->failed, ymax, false);
    }
    chart_bar(out, PR, ok_now, bad_now, ymax, true);
    kq_buf_puts(out, "</svg>");
}

/* ---- sections ---------------------------------------------------------- */

static void tile(kq_buf *out, const char *cls, const char *label, uint64_t n)
{
    kq_buf_printf(out, "<div class=\"tile %s\"><span class=\"n\" id=\"count-%s\">", cls, cls);
    put_count(out, n);
    kq_buf_printf(out, "</span><span class=\"l\">%s</span></div>", label);
}

static void tiles(kq_buf *out, const kq_status_view *v)
{
    const kq_s2c_job_list *s = v->stats;

    kq_buf_puts(out, "<section class=\"tiles\" aria-label=\"Jobs by state\">");
    tile(out, "pending", "pending", s->jobs_pending);
    tile(out, "offered", "offered", s->jobs_offered);
    tile(out, "running", "running", s->jobs_running);
    tile(out, "succeeded", "succeeded", s->jobs_succeeded);
    tile(out, "failed", "failed", s->jobs_failed);
    tile(out, "canceled", "canceled", s->jobs_canceled);
    tile(out, "workers", "workers", v->nworkers);
    kq_buf_puts(out, "</section>");
}

/* A bar of used out of total with its text. */
static void meter(kq_buf *out, double used, double total, const char *text)
{
    double f = total > 0 ? used / total : 0;

    if (f < 0)
        f = 0;
    if (f > 1)
        f = 1;
    kq_buf_printf(out, "<div class=\"meter\"><svg class=\"bar\" viewBox=\"0 0 96 8\" "
                       "aria-hidden=\"true\"><rect class=\"track\" width=\"96\" height=\"8\" "
                       "rx=\"4\"/><rect class=\"fill%s\" width=\"%.1f\" height=\"8\" "
                       "rx=\"4\"/></svg><span>%s</span></div>",
                  f >= 0.9 ? " hot" : "", 96 * f, text);
}

static void workers(kq_buf *out, const kq_status_view *v)
{
    kq_buf_printf(out, "<section class=\"card\" id=\"workers\"><h2>Workers<span class=\"sub\">"
                       "%zu connected</span></h2>", v->nworkers);
    if (!v->nworkers) {
        kq_buf_puts(out, "<p class=\"empty\">No worker is connected.</p></section>");
        return;
    }
    kq_buf_puts(out, "<table><thead><tr><th>Worker</th><th>CPU cores busy</th><th>RAM used</th>"
                     "<th>Job slots</th><th class=\"num\">Load</th>"
                     "<th class=\"num\">Last report</th></tr></thead><tbody>");
    for (size_t i = 0; i < v->nworkers; i++) {
        const kq_worker_info *w = v->workers[i];
        const kq_system_info *si = &w->system_info;
        const kq_resources *fr = &w->free_resources;
        uint64_t busy = si->cpu_cores > fr->cpus ? si->cpu_cores - fr->cpus : 0;
        uint64_t ram = si->total_ram_mb > fr->ram_mb ? si->total_ram_mb - fr->ram_mb : 0;
        uint64_t jobs = w->jobs_running.len, slots = jobs + fr->job_slots;
        char text[96];

        kq_buf_puts(out, "<tr class=\"worker\" data-name=\"");
        put_str(out, &w->worker_name, KQ_CMD_MAX);
        kq_buf_puts(out, "\"><td><b>");
        put_str(out, &w->worker_name, KQ_CMD_MAX);
        kq_buf_puts(out, "</b><div class=\"dir\">");
        put_str(out, &si->distribution, KQ_CMD_MAX);
        kq_buf_puts(out, "</div></td><td>");
        snprintf(text, sizeof text, "%" PRIu64 " / %" PRIu64, busy, si->cpu_cores);
        meter(out, (double)busy, (double)si->cpu_cores, text);
        kq_buf_puts(out, "</td><td>");
        snprintf(text, sizeof text, "%.1f / %.1f GiB", (double)ram / 1024,
                 (double)si->total_ram_mb / 1024);
        meter(out, (double)ram, (double)si->total_ram_mb, text);
        kq_buf_puts(out, "</td><td>");
        snprintf(text, sizeof text, "%" PRIu64 " running, %" PRIu64 " free", jobs,
                 fr->job_slots);
        meter(out, (double)jobs, (double)slots, text);
        kq_buf_printf(out, "</td><td class=\"num\">%.2f</td><td class=\"num\">",
                      si->load_info.one);
        put_duration(out, kq_time_diff_sec(v->now, w->last_updated));
        kq_buf_puts(out, " ago</td></tr>");
    }
    kq_buf_puts(out, "</tbody></table></section>");
}

static void resources(kq_buf *out, const kq_status_view *v)
{
    if (!v->res_total || !v->res_total->len)
        return;
    kq_buf_puts(out, "<section class=\"card\" id=\"resources\"><h2>Global resources</h2>"
                     "<table><thead><tr><th>Resource</th><th>Used</th></tr></thead><tbody>");
    for (size_t i = 0; i < v->res_total->len; i++) {
        const kq_u64_entry *t = &v->res_total->items[i];
        const kq_u64_entry *u = v->res_used ? kq_u64_map_get(v->res_used, t->key.ptr) : NULL;
        uint64_t used = u ? u->value : 0;
        char text[64];

        kq_buf_puts(out, "<tr class=\"resource\"><td>");
        put_str(out, &t->key, KQ_CMD_MAX);
        kq_buf_puts(out, "</td><td>");
        snprintf(text, sizeof text, "%" PRIu64 " / %" PRIu64, used, t->value);
        meter(out, (double)used, (double)t->value, text);
        kq_buf_puts(out, "</td></tr>");
    }
    kq_buf_puts(out, "</tbody></table></section>");
}

static void job_cells(kq_buf *out, const kq_job *job)
{
    kq_buf_printf(out, "<td class=\"num\">%" PRIu64 "</td><td><code title=\"", job->info.job_id);
    put_cmd(out, &job->info.cmd, KQ_TITLE_MAX);
    kq_buf_puts(out, "\">");
    put_cmd(out, &job->info.cmd, KQ_CMD_MAX);
    kq_buf_puts(out, "</code><div class=\"dir\">");
    put_str(out, &job->info.cwd, KQ_CMD_MAX);
    kq_buf_puts(out, "</div></td>");
}

/* "showing the last 20 of 1,234" when the list is cut. */
static void shown_of(kq_buf *out, size_t shown, uint64_t total)
{
    kq_buf_puts(out, "<span class=\"sub\">");
    put_count(out, total);
    if (shown < total) {
        kq_buf_printf(out, ", the last %zu shown", shown);
    }
    kq_buf_puts(out, "</span>");
}

static void running_jobs(kq_buf *out, const kq_status_view *v)
{
    kq_buf_puts(out, "<section class=\"card\" id=\"running\"><h2>Running jobs");
    shown_of(out, v->nrunning, v->stats->jobs_running);
    kq_buf_puts(out, "</h2>");
    if (!v->nrunning) {
        kq_buf_puts(out, "<p class=\"empty\">No job is running.</p></section>");
        return;
    }
    kq_buf_puts(out, "<table><thead><tr><th class=\"num\">Id</th><th>Command</th>"
                     "<th>Worker</th><th class=\"num\">Running for</th></tr></thead><tbody>");
    for (size_t i = 0; i < v->nrunning; i++) {
        const kq_job *job = v->running[i];
        const kq_job_status_running *r = &job->info.status.running;

        kq_buf_puts(out, "<tr class=\"job\">");
        job_cells(out, job);
        kq_buf_puts(out, "<td>");
        put_str(out, &r->worker, KQ_CMD_MAX);
        kq_buf_puts(out, "</td><td class=\"num\">");
        put_duration(out, kq_time_diff_sec(v->now, r->started));
        kq_buf_puts(out, "</td></tr>");
    }
    kq_buf_puts(out, "</tbody></table></section>");
}

static void pending_jobs(kq_buf *out, const kq_status_view *v)
{
    kq_buf_puts(out, "<section class=\"card\" id=\"pending\"><h2>Pending jobs");
    shown_of(out, v->npending, v->stats->jobs_pending);
    kq_buf_puts(out, "</h2>");
    if (!v->npending) {
        kq_buf_puts(out, "<p class=\"empty\">No job is waiting.</p></section>");
        return;
    }
    kq_buf_puts(out, "<table><thead><tr><th class=\"num\">Id</th><th>Command</th>"
                     "<th class=\"num\">Needs</th><th class=\"num\">Waiting for</th>"
                     "<th>Why</th></tr></thead><tbody>");
    for (size_t i = 0; i < v->npending; i++) {
        const kq_job *job = v->pending[i];
        const kq_resources *r = &job->info.worker_resources;

        kq_buf_puts(out, "<tr class=\"job\">");
        job_cells(out, job);
        kq_buf_printf(out, "<td class=\"num\">%" PRIu64 " CPU, ", r->cpus);
        put_mib(out, r->ram_mb);
        if (job->info.has_global_resources) {
            for (size_t k = 0; k < job->info.global_resources.len; k++) {
                kq_buf_puts(out, ", ");
                put_str(out, &job->info.global_resources.items[k].key, 64);
            }
        }
        kq_buf_puts(out, "</td><td class=\"num\">");
        put_duration(out, kq_time_diff_sec(v->now, job->info.status.pending.issued));
        kq_buf_puts(out, "</td><td class=\"why\">");
        if (v->pending_why)
            kq_html_escape(out, v->pending_why[i], strlen(v->pending_why[i]));
        kq_buf_puts(out, "</td></tr>");
    }
    kq_buf_puts(out, "</tbody></table></section>");
}

static void put_output(kq_buf *out, const char *what, const kq_str *text)
{
    size_t from;

    if (!text->ptr || !text->len)
        return;
    from = utf8_tail(text->ptr, text->len, KQ_OUTPUT_MAX);
    kq_buf_printf(out, "<details><summary>%s%s</summary><pre>", what,
                  from ? " (the end of it)" : "");
    kq_html_escape(out, text->ptr + from, text->len - from);
    kq_buf_puts(out, "</pre></details>");
}

static void ended_jobs(kq_buf *out, const kq_status_view *v)
{
    if (!v->nended)
        return;
    kq_buf_puts(out, "<section class=\"card\" id=\"ended\"><h2>Ended last</h2><table><thead>"
                     "<tr><th class=\"num\">Id</th><th>Command</th><th>Result</th>"
                     "<th>Worker</th><th class=\"num\">Run time</th></tr></thead><tbody>");
    for (size_t i = 0; i < v->nended; i++) {
        const kq_job *job = v->ended[i];
        const kq_job_status *st = &job->info.status;

        kq_buf_puts(out, "<tr class=\"job\">");
        job_cells(out, job);
        if (st->tag == KQ_JOB_STATUS_FINISHED) {
            kq_buf_printf(out, "<td class=\"%s\">exit %d", st->finished.return_code ? "bad" : "ok",
                          st->finished.return_code);
            if (v->show_output) {
                put_output(out, "stdout", &job->stdout_text);
                put_output(out, "stderr", &job->stderr_text);
            }
            kq_buf_puts(out, "</td><td>");
            put_str(out, &st->finished.worker, KQ_CMD_MAX);
            kq_buf_puts(out, "</td><td class=\"num\">");
            put_duration(out, st->finished.run_time_seconds);
            kq_buf_puts(out, "</td></tr>");
        } else {
            kq_buf_puts(out, "<td class=\"gone\">canceled</td><td></td><td></td></tr>");
        }
    }
    kq_buf_puts(out, "</tbody></table></section>");
}

void kq_status_html(kq_buf *out, const kq_status_view *v)
{
    const kq_s2c_job_list *s = v->stats;
    time_t t = (time_t)v->now.sec;
    struct tm tm;
    char when[64];

    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %Z", &tm);
    kq_buf_puts(out, "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                     "<title>Kueue \xc2\xb7 ");
    esc(out, v->host);
    kq_buf_puts(out, "</title><link rel=\"icon\" href=\"data:,\">"
                     "<noscript><meta http-equiv=\"refresh\" content=\"30\"></noscript><style>");
    kq_buf_puts(out, style);
    kq_buf_puts(out, "</style></head><body><main><header><h1>Kueue <span class=\"host\">");
    esc(out, v->host);
    kq_buf_printf(out, "</span></h1><p class=\"meta\">%s \xc2\xb7 refreshes every %d s "
                       "\xc2\xb7 average run time ", when, KQ_STATUS_REFRESH_S);
    put_duration(out, s->job_avg_run_time_seconds);
    kq_buf_puts(out, " \xc2\xb7 queue empty in about ");
    put_duration(out, s->remaining_jobs_eta_seconds);
    kq_buf_puts(out, " \xc2\xb7 ");
    put_link(out, v, "/metrics", "metrics");
    kq_buf_puts(out, " \xc2\xb7 ");
    put_link(out, v, "/api/jobs", "jobs as JSON");
    kq_buf_puts(out, "</p></header>");
    tiles(out, v);
    kq_buf_puts(out, "<section class=\"charts\"><figure class=\"card\"><figcaption>"
                     "Jobs over the last hour<span class=\"key pending\">pending</span>"
                     "<span class=\"key running\">running</span></figcaption>");
    chart_jobs(out, v);
    kq_buf_puts(out, "</figure><figure class=\"card\"><figcaption>Jobs finished per minute"
                     "<span class=\"key succeeded\">succeeded</span>"
                     "<span class=\"key failed\">failed</span></figcaption>");
    chart_finished(out, v);
    kq_buf_puts(out, "</figure></section>");
    workers(out, v);
    resources(out, v);
    running_jobs(out, v);
    pending_jobs(out, v);
    ended_jobs(out, v);
    kq_buf_printf(out, "<footer>Kueue-C %s \xc2\xb7 a read-only view; samples once a minute, "
                       "kept for an hour in memory</footer></main><script>%s</script>"
                       "</body></html>\n", KQ_VERSION, script);
}

/* 'sha256-BASE64' of text, for a CSP source list. */
static int csp_hash(kq_buf *out, const char *text)
{
    unsigned char digest[32];
    char b64[KQ_AUTH_RESPONSE_LEN + 1];

    if (kq_auth_sha256(text, strlen(text), digest) < 0)
        return -EIO;
    kq_auth_base64_nopad(digest, b64);
    /* 32 bytes are 43 base64 characters and one '=' of padding. */
    kq_buf_printf(out, "'sha256-%s='", b64);
    return 0;
}

int kq_status_html_csp(kq_buf *out)
{
    kq_buf_puts(out, "default-src 'none'; style-src ");
    if (csp_hash(out, style) < 0)
        return -EIO;
    kq_buf_puts(out, "; script-src ");
    if (csp_hash(out, script) < 0)
        return -EIO;
    kq_buf_puts(out, "; img-src data:; base-uri 'none'; form-action 'none'; "
                     "frame-ancestors 'none'");
    return 0;
}
