/*
 * test_status_html.c - the status page: everything from jobs and workers
 * escaped, output only when asked for, the charts, the lists, and a
 * Content-Security-Policy that allows exactly the page's own style and
 * script; the token check.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "kq_httpd.h"
#include "kq_status_html.h"
#include "kq_test.h"

static kq_str s(const char *text)
{
    return kq_str_view(text);
}

static kq_str cmd_words[3] = {KQ_STR_LIT("sh"), KQ_STR_LIT("-c"),
                              KQ_STR_LIT("echo '<script>alert(1)</script>' && rm -rf \"x\"")};

static void make_job(kq_job *job, uint64_t id, kq_job_status_tag tag)
{
    memset(job, 0, sizeof *job);
    job->info.job_id = id;
    job->info.cmd.len = 3;
    job->info.cmd.items = cmd_words;
    job->info.cwd = s("/home/a<b>");
    job->info.worker_resources = (kq_resources){1, 2, 100};
    job->info.status.tag = tag;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static bool valid_utf8(const unsigned char *p)
{
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3 : -1;

        if (n < 0)
            return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

/* 'sha256-...' of the text between open and close in page. */
static void hash_between(const char *page, const char *open, const char *close,
                         char out[64])
{
    const char *a = strstr(page, open), *b;
    unsigned char digest[32], b64[48];
    unsigned int n = 32;

    out[0] = '\0';
    if (!a || !(b = strstr(a, close)))
        return;
    a += strlen(open);
    EVP_Digest(a, (size_t)(b - a), digest, &n, EVP_sha256(), NULL);
    EVP_EncodeBlock(b64, digest, 32);
    snprintf(out, 64, "'sha256-%s'", (char *)b64);
}

static void render(kq_buf *out, bool show_output, const char *token)
{
    static kq_job jobs[4];
    static kq_worker_info w;
    static kq_u64_entry total[1] = {{KQ_STR_LIT("mat\"lab"), 3}};
    static kq_u64_entry used[1] = {{KQ_STR_LIT("mat\"lab"), 2}};
    static kq_str long_cmd;
    static char eacute[401];
    const kq_worker_info *workers[1] = {&w};
    const kq_job *running[1] = {&jobs[0]}, *pending[2] = {&jobs[1], &jobs[3]},
                 *ended[1] = {&jobs[2]};
    const char *why[2] = {"rejected by vm<1>: /data/\"x\" is not a directory there", ""};
    kq_u64_map tmap = {1, total}, umap = {1, used};
    kq_s2c_job_list stats = {0};
    kq_metrics m;
    kq_status_view v = {0};
    kq_jobs t;

    make_job(&jobs[0], 7, KQ_JOB_STATUS_RUNNING);
    jobs[0].info.status.running.worker = s("say \"hi\" <b>&'");
    jobs[0].info.status.running.started = (kq_time){900, 0};
    make_job(&jobs[1], 8, KQ_JOB_STATUS_PENDING);
    make_job(&jobs[2], 6, KQ_JOB_STATUS_FINISHED);
    jobs[2].info.status.finished.return_code = 3;
    jobs[2].stdout_text = s("secret <output>");
    make_job(&jobs[3], 9, KQ_JOB_STATUS_PENDING);
    /* 200 two-byte characters: cut, and never inside one. */
    for (int i = 0; i < 200; i++)
        memcpy(eacute + 2 * i, "\xc3\xa9", 2);
    long_cmd = s(eacute);
    jobs[3].info.cmd.len = 1;
    jobs[3].info.cmd.items = &long_cmd;
    memset(&w, 0, sizeof w);
    w.worker_name = s("say \"hi\" <b>&'");
    w.system_info.distribution = s("Linux <12>");
    w.system_info.cpu_cores = 16;
    w.system_info.total_ram_mb = 64000;
    w.free_resources = (kq_resources){2, 4, 32000};
    stats.jobs_pending = 2;
    stats.jobs_running = 1;
    stats.jobs_failed = 1;
    kq_jobs_init(&t, 0);
    kq_metrics_init(&m);
    kq_metrics_sample(&m, &t, 0);
    m.ended[KQ_RESULT_SUCCEEDED] = 5;
    m.ended[KQ_RESULT_FAILED] = 1;
    kq_metrics_sample(&m, &t, 60);
    v.host = "lab<1>";
    v.now = (kq_time){1000, 0};
    v.stats = &stats;
    v.workers = workers;
    v.nworkers = 1;
    v.running = running;
    v.nrunning = 1;
    v.pending = pending;
    v.pending_why = why;
    v.npending = 2;
    v.ended = ended;
    v.nended = 1;
    v.res_used = &umap;
    v.res_total = &tmap;
    v.metrics = &m;
    v.show_output = show_output;
    v.token = token;
    kq_status_html(out, &v);
    kq_jobs_free(&t);
}

static void test_page(void)
{
    kq_buf b = KQ_BUF_INIT, csp = KQ_BUF_INIT;
    const char *page;
    char hash[64];

    render(&b, false, NULL);
    page = kq_buf_ptr(&b);
    CHECK(!b.oom);
    CHECK(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    /* The page's own script is the only one; the job's is text. */
    CHECK_INT(count(page, "<script"), 1);
    CHECK_INT(count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"), 6); /* 3 jobs, text and title */
    CHECK(strstr(page, "&#39;&lt;script&gt;") != NULL);
    CHECK(strstr(page, "&quot;x&quot;") != NULL);
    CHECK(strstr(page, "/home/a&lt;b&gt;") != NULL);
    CHECK(strstr(page, "<title>Kueue \xc2\xb7 lab&lt;1&gt;</title>") != NULL);
    CHECK(strstr(page, "data-name=\"say &quot;hi&quot; &lt;b&gt;&amp;&#39;\"") != NULL);
    CHECK(strstr(page, "Linux &lt;12&gt;") != NULL);
    CHECK(strstr(page, "mat&quot;lab") != NULL);
    CHECK(strstr(page, "<span>2 / 3</span>") != NULL);
    CHECK(strstr(page, "<span>12 / 16</span>") != NULL);
    CHECK(strstr(page, "id=\"count-pending\">2<") != NULL);
    /* Why each pending job waits, escaped; an empty cell without one. */
    CHECK(strstr(page, "<td class=\"why\">rejected by vm&lt;1&gt;: /data/&quot;x&quot; is not a "
                       "directory there</td>") != NULL);
    CHECK_INT(count(page, "<td class=\"why\"></td>"), 1);
    CHECK(strstr(page, "id=\"count-failed\">1<") != NULL);
    CHECK(strstr(page, "id=\"count-workers\">1<") != NULL);
    CHECK_INT(count(page, "<tr class=\"worker\""), 1);
    CHECK_INT(count(page, "<tr class=\"job\""), 4);
    CHECK(strstr(page, "<svg class=\"chart\" id=\"chart-jobs\"") != NULL);
    CHECK(strstr(page, "<svg class=\"chart\" id=\"chart-finished\"") != NULL);
    CHECK(strstr(page, "<title>5 succeeded</title>") != NULL);
    CHECK(strstr(page, "\xe2\x80\xa6</code>") != NULL);
    CHECK(valid_utf8((const unsigned char *)page));
    CHECK(strstr(page, "secret") == NULL);
    CHECK(strstr(page, "href=\"/metrics\"") != NULL);
    /* The policy allows exactly the style and the script rendered. */
    CHECK_INT(kq_status_html_csp(&csp), 0);
    hash_between(page, "<style>", "</style>", hash);
    CHECK(hash[0] && strstr(kq_buf_ptr(&csp), hash) != NULL);
    hash_between(page, "<script>", "</script>", hash);
    CHECK(hash[0] && strstr(kq_buf_ptr(&csp), hash) != NULL);
    CHECK(strncmp(kq_buf_ptr(&csp), "default-src 'none'; ", 20) == 0);
    kq_buf_free(&b);
    kq_buf_free(&csp);
}

static void test_output_and_token(void)
{
    kq_buf b = KQ_BUF_INIT;
    const char *page;

    render(&b, true, "a b&c/\xc3\xa9");
    page = kq_buf_ptr(&b);
    CHECK(strstr(page, "<pre>secret &lt;output&gt;</pre>") != NULL);
    CHECK(strstr(page, "href=\"/metrics?token=a%20b%26c%2F%C3%A9\"") != NULL);
    kq_buf_free(&b);
}

static void test_escape(void)
{
    kq_buf b = KQ_BUF_INIT;

    kq_html_escape(&b, "a<b>&\"c'\0d", 10);
    CHECK_INT(b.len, 29);
    CHECK_STR(kq_buf_ptr(&b), "a&lt;b&gt;&amp;&quot;c&#39;");
    kq_buf_free(&b);
}

static void test_token(void)
{
    CHECK(kq_httpd_token_ok("s3cret-token", "s3cret-token"));
    CHECK(!kq_httpd_token_ok("s3cret-token", "s3cret-toke"));
    CHECK(!kq_httpd_token_ok("s3cret-token", "s3cret-token "));
    CHECK(!kq_httpd_token_ok("s3cret-token", ""));
    CHECK(!kq_httpd_token_ok("s3cret-token", NULL));
}

int main(void)
{
    test_page();
    test_output_and_token();
    test_escape();
    test_token();
    KQ_TEST_DONE();
}
