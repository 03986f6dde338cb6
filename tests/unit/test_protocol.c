/*
 * test_protocol.c - the generated C protocol layer against the reference.
 *
 * Every golden.tsv line (the reference's own encodings) must decode and
 * re-encode byte for byte; every decode-cases.tsv line must get the
 * reference's verdict and, when accepted, its re-encoding.  Then the error
 * paths, exact integers, embedded NULs, limits and copies.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kq_protocol.h"
#include "kq_test.h"
#include "kq_testdata.h"

/* Decodes json as type and returns the re-encoding (caller frees), or
 * NULL with err set. */
static char *roundtrip(const char *type, const char *json, kq_error *err)
{
    const kq_type_ops *ops = kq_protocol_type(type);
    void *v;
    kq_buf out = KQ_BUF_INIT;
    char *s;

    if (!ops) {
        kq_error_set(err, "no type %s", type);
        return NULL;
    }
    v = malloc(ops->size);
    if (ops->decode(json, strlen(json), v, err) != 0) {
        free(v);
        return NULL;
    }
    if (ops->encode(v, &out) != 0)
        kq_error_set(err, "encode failed");
    ops->free(v);
    free(v);
    s = kq_buf_steal(&out, NULL);
    return s;
}

static void test_golden(const char *dir)
{
    kq_tsv t;
    int n = 0;

    kq_tsv_load(&t, dir, "golden.tsv");
    for (int i = 0; i < t.nrows; i++) {
        char type[64];
        kq_error err = {{0}};
        char *got;

        snprintf(type, sizeof type, "%s", t.rows[i].col[0]);
        *strchrnul(type, '.') = '\0';
        got = roundtrip(type, t.rows[i].col[1], &err);
        if (!got)
            fprintf(stderr, "golden.tsv:%d %s: %s\n", t.rows[i].line,
                    t.rows[i].col[0], err.msg);
        CHECK_STR(got, t.rows[i].col[1]);
        free(got);
        n++;
    }
    CHECK(n >= 57);
    kq_tsv_free(&t);
}

static void test_decode_cases(const char *dir)
{
    kq_tsv t;

    kq_tsv_load(&t, dir, "decode-cases.tsv");
    for (int i = 0; i < t.nrows; i++) {
        kq_tsv_row *r = &t.rows[i];
        kq_error err = {{0}};
        char *got = roundtrip(r->col[0], r->col[1], &err);

        if (strcmp(r->col[2], "reject") == 0) {
            if (got)
                fprintf(stderr, "decode-cases.tsv:%d accepted %s\n", r->line,
                        r->col[1]);
            CHECK(got == NULL);
            CHECK(err.msg[0] != '\0');
        } else {
            if (!got)
                fprintf(stderr, "decode-cases.tsv:%d rejected %s: %s\n",
                        r->line, r->col[1], err.msg);
            CHECK_STR(got, r->ncols > 3 ? r->col[3] : "");
        }
        free(got);
    }
    kq_tsv_free(&t);
}

/* The decoder's message for json decoded as type. */
static void expect_error(const char *type, const char *json, int code,
                         const char *msg)
{
    const kq_type_ops *ops = kq_protocol_type(type);
    char value[4096];
    kq_error err = {{0}};
    int rc = ops->decode(json, strlen(json), value, &err);

    CHECK_INT(rc, code);
    CHECK_STR(err.msg, msg);
    if (rc == 0)
        ops->free(value);
}

#define JOB(resources, status)                                              \
    "{\"job_id\":0,\"cmd\":[\"true\"],\"cwd\":\"/tmp\",\"worker_resources\":" \
    resources ",\"global_resources\":null,\"status\":" status                 \
    ",\"stdout_path\":null,\"stderr_path\":null}"
#define RES(c) "{\"job_slots\":1,\"cpus\":" c ",\"ram_mb\":1}"
#define PENDING "{\"Pending\":{\"issued\":\"2025-11-24T16:00:00Z\"}}"

static void test_error_paths(void)
{
    expect_error("ClientToServerMessage",
                 "{\"IssueJob\":" JOB(RES("-1"), PENDING) "}", -EINVAL,
                 "IssueJob.worker_resources.cpus: expected an unsigned "
                 "integer, got -1");
    expect_error("ClientToServerMessage",
                 "{\"IssueJob\":" JOB(RES("1.0"), PENDING) "}", -EINVAL,
                 "IssueJob.worker_resources.cpus: expected an unsigned "
                 "integer, got 1.0");
    expect_error("ClientToServerMessage",
                 "{\"IssueJob\":" JOB(RES("\"8\""), PENDING) "}", -EINVAL,
                 "IssueJob.worker_resources.cpus: expected an unsigned "
                 "integer, got the string \"8\"");
    expect_error("ClientToServerMessage",
                 "{\"IssueJob\":" JOB("{\"job_slots\":1,\"ram_mb\":1}",
                                      PENDING) "}",
                 -EINVAL, "IssueJob.worker_resources: missing field \"cpus\"");
    expect_error("ClientToServerMessage",
                 "{\"IssueJob\":" JOB(RES("1"), "{\"Pending\":{\"issued\":"
                                      "\"2025-02-30T16:00:00Z\"}}") "}",
                 -EINVAL,
                 "IssueJob.status.Pending.issued: invalid timestamp (invalid "
                 "day), got the string \"2025-02-30T16:00:00Z\"");
    expect_error("ClientToServerMessage", "{\"ShowJob\":{\"job_id\":1,"
                                          "\"job_id\":2}}",
                 -EINVAL, "ShowJob: duplicate field \"job_id\"");
    expect_error("ClientToServerMessage", "\"Hello\"", -EINVAL,
                 "unknown variant \"Hello\" of ClientToServerMessage");
    expect_error("ClientToServerMessage", "\"Bye\\u0000\"", -EINVAL,
                 "unknown variant \"Bye\\u0000\" of ClientToServerMessage");
    expect_error("ClientToServerMessage", "\"ShowJob\"", -EINVAL,
                 "ShowJob: expected {\"ShowJob\": value}, got a bare string");
    expect_error("ClientToServerMessage", "{\"Bye\":{}}", -EINVAL,
                 "Bye: expected no value (unit variant), got an object");
    expect_error("ClientToServerMessage", "[]", -EINVAL,
                 "expected ClientToServerMessage (a string or an object with "
                 "one key), got an array");
    expect_error("ClientToServerMessage", "{\"Bye\":null,\"x\":1}", -EINVAL,
                 "expected ClientToServerMessage (an object with exactly one "
                 "key), got an object with several keys");
    expect_error("JobInfo", JOB(RES("1"), PENDING) " x", -EBADMSG,
                 "invalid JSON at byte 213: trailing characters after the "
                 "value");
    expect_error("HelloMessage", "{\"HelloFromWorker\":{\"worker_name\":\"a\x01\"}}",
                 -EBADMSG,
                 "invalid JSON at byte 36 (0x01): control character in string");
    expect_error("ClientToServerMessage",
                 "{\"ListJobs\":{\"num_jobs\":01,\"pending\":false}}", -EBADMSG,
                 "invalid JSON at byte 25 ('1'): leading zero in number");
}

static void test_exact_numbers(void)
{
    kq_c2s m;
    kq_error err;
    kq_w2s w;
    const char *max = "{\"ShowJob\":{\"job_id\":18446744073709551615}}";

    CHECK_INT(kq_c2s_decode(max, strlen(max), &m, &err), 0);
    CHECK(m.show_job.job_id == UINT64_MAX);
    kq_c2s_free(&m);
    const char *neg0 = "{\"ShowJob\":{\"job_id\":-0}}";
    CHECK_INT(kq_c2s_decode(neg0, strlen(neg0), &m, &err), 0);
    CHECK(m.show_job.job_id == 0);
    const char *rc = "{\"UpdateJobStatus\":" JOB(RES("1"),
        "{\"Finished\":{\"issued\":\"2025-11-24T16:00:00Z\",\"started\":"
        "\"2025-11-24T16:00:00Z\",\"finished\":\"2025-11-24T16:00:00Z\","
        "\"return_code\":-2147483648,\"worker\":\"w\",\"run_time_seconds\":"
        "-9223372036854775808,\"comment\":\"\"}}") "}";
    CHECK_INT(kq_w2s_decode(rc, strlen(rc), &w, &err), 0);
    CHECK(w.update_job_status.status.finished.return_code == INT32_MIN);
    CHECK(w.update_job_status.status.finished.run_time_seconds == INT64_MIN);
    kq_w2s_free(&w);
}

static void test_embedded_nul(void)
{
    const char *in = "{\"UpdateJobResults\":{\"job_id\":1,\"stdout_text\":"
                     "\"a\\u0000b\\ud83d\\ude00\\n\",\"stderr_text\":null}}";
    kq_w2s w;
    kq_error err;
    kq_buf out = KQ_BUF_INIT;

    CHECK_INT(kq_w2s_decode(in, strlen(in), &w, &err), 0);
    CHECK_INT(w.update_job_results.stdout_text.len, 8);
    CHECK(memcmp(w.update_job_results.stdout_text.ptr, "a\0b\xf0\x9f\x98\x80\n",
                 8) == 0);
    CHECK_INT(kq_w2s_encode(&w, &out), 0);
    CHECK_STR(kq_buf_ptr(&out), "{\"UpdateJobResults\":{\"job_id\":1,"
                                "\"stdout_text\":\"a\\u0000b\xf0\x9f\x98\x80\\n\","
                                "\"stderr_text\":null}}");
    kq_buf_free(&out);
    kq_w2s_free(&w);
}

static void test_limits(void)
{
    kq_buf in = KQ_BUF_INIT;
    kq_hello h;
    kq_error err;

    kq_buf_puts(&in, "{\"HelloFromWorker\":{\"worker_name\":\"");
    for (int i = 0; i < KQ_LIMIT_NAME + 1; i++)
        kq_buf_putc(&in, 'w');
    kq_buf_puts(&in, "\"}}");
    CHECK_INT(kq_hello_decode(kq_buf_ptr(&in), in.len, &h, &err), -EINVAL);
    CHECK_STR(err.msg, "HelloFromWorker.worker_name: string longer than 256 "
                       "bytes");
    kq_buf_free(&in);

    kq_buf_puts(&in, "{\"IssueJob\":{\"job_id\":0,\"cmd\":[");
    for (int i = 0; i <= KQ_LIMIT_ARGUMENTS; i++)
        kq_buf_puts(&in, i ? ",\"x\"" : "\"x\"");
    kq_buf_puts(&in, "]}}");
    kq_c2s m;
    CHECK_INT(kq_c2s_decode(kq_buf_ptr(&in), in.len, &m, &err), -EINVAL);
    CHECK_STR(err.msg, "IssueJob.cmd: more than 4096 items");
    kq_buf_free(&in);
}

/* An allocation failure is -ENOMEM with the path, not -EINVAL: callers
 * must not blame the peer for it. */
static void test_oom(void)
{
    kq_error err = {{0}};
    kq_dec d = {.err = &err};

    kq_dec_push(&d, "IssueJob");
    kq_dec_push(&d, "cmd");
    kq_dec_push_index(&d, 3);
    CHECK_INT(kq_dec_oom(&d), -ENOMEM);
    CHECK_STR(err.msg, "IssueJob.cmd[3]: out of memory");
}

/* A 16 MiB message of one-byte numbers would cost over 500 MB of nodes:
 * the node budget rejects it while the tree is built, on the framed path
 * the server uses as on the checking one. */
static void test_node_budget(void)
{
    size_t len = 16u << 20, n = (len - 1) / 2;
    char *text = malloc(len);
    kq_c2s m;
    kq_error err;

    CHECK(text != NULL);
    text[0] = '[';
    for (size_t i = 0; i < n; i++) {
        text[1 + 2 * i] = '0';
        text[2 + 2 * i] = ',';
    }
    text[2 * n] = ']';
    len = 2 * n + 1;
    CHECK_INT(kq_c2s_decode_framed(text, len, &m, &err), -EMSGSIZE);
    CHECK(strstr(err.msg, "values (the limit is 65536 plus one per 8 bytes)")
          != NULL);
    CHECK_INT(kq_c2s_decode(text, len, &m, &err), -EMSGSIZE);
    free(text);
}

static void test_copy_and_free(const char *dir)
{
    kq_tsv t;

    /* A deep copy encodes the same and owns its memory (ASan checks). */
    kq_tsv_load(&t, dir, "golden.tsv");
    for (int i = 0; i < t.nrows; i++) {
        if (strncmp(t.rows[i].col[0], "JobInfo.full", 12) != 0)
            continue;
        kq_job_info a, b;
        kq_error err;
        kq_buf x = KQ_BUF_INIT, y = KQ_BUF_INIT;

        CHECK_INT(kq_job_info_decode(t.rows[i].col[1], strlen(t.rows[i].col[1]),
                                     &a, &err), 0);
        CHECK_INT(kq_job_info_copy(&b, &a), 0);
        kq_job_info_free(&a);
        CHECK_INT(kq_job_info_encode(&b, &x), 0);
        CHECK_STR(kq_buf_ptr(&x), t.rows[i].col[1]);
        kq_job_info_free(&b);
        kq_job_info_free(&b); /* freeing twice is safe: free zeroes */
        kq_buf_free(&x);
        kq_buf_free(&y);
    }
    kq_tsv_free(&t);
}

/* Encodes a hello at level into a string (caller frees). */
static char *hello_at(const kq_hello *h, unsigned level)
{
    kq_buf out = KQ_BUF_INIT;

    CHECK_INT(kq_hello_encode_at(h, level, &out), 0);
    return kq_buf_steal(&out, NULL);
}

/* Kueue-C extensions (schema/protocol.yaml): an extension field is left out
 * when unset or unknown to the peer, decoded absent, null or set. */
static void test_extension_fields(void)
{
    static const char *const absent[] = {
        "{\"HelloFromWorker\":{\"worker_name\":\"w\"}}",
        "{\"HelloFromWorker\":{\"worker_name\":\"w\",\"extension_level\":null}}",
        "{\"HelloFromWorker\":[\"w\"]}",
    };
    const char *set = "{\"HelloFromWorker\":{\"worker_name\":\"w\",\"extension_level\":1}}";
    kq_hello h = {.tag = KQ_HELLO_HELLO_FROM_WORKER};
    kq_error err;
    char *s;

    h.hello_from_worker.worker_name = kq_str_view("w");
    s = hello_at(&h, KQ_PROTOCOL_EXTENSION_LEVEL);
    CHECK_STR(s, absent[0]); /* unset: not written (the original writes null) */
    free(s);
    h.hello_from_worker.has_extension_level = true;
    h.hello_from_worker.extension_level = 1;
    s = hello_at(&h, 1);
    CHECK_STR(s, set);
    free(s);
    s = hello_at(&h, 0); /* an original peer gets the original bytes */
    CHECK_STR(s, absent[0]);
    free(s);

    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++) {
        CHECK_INT(kq_hello_decode(absent[i], strlen(absent[i]), &h, &err), 0);
        CHECK(!h.hello_from_worker.has_extension_level);
        kq_hello_free(&h);
    }
    CHECK_INT(kq_hello_decode(set, strlen(set), &h, &err), 0);
    CHECK(h.hello_from_worker.has_extension_level);
    CHECK(h.hello_from_worker.extension_level == 1);
    s = hello_at(&h, KQ_PROTOCOL_EXTENSION_LEVEL);
    CHECK_STR(s, set);
    free(s);
    kq_hello_free(&h);
    expect_error("HelloMessage", "{\"HelloFromWorker\":[]}", -EINVAL,
                 "HelloFromWorker: expected HelloFromWorker as an array of 1 to 4 "
                 "fields, got 0");
    expect_error("HelloMessage", "{\"HelloFromWorker\":{\"worker_name\":\"w\","
                 "\"extension_level\":-1}}", -EINVAL,
                 "HelloFromWorker.extension_level: expected an unsigned integer, got -1");
}

/* The original's variants are of level 0; the levels have releases. */
static void test_extension_levels(void)
{
    CHECK(KQ_PROTOCOL_EXTENSION_LEVEL >= 1);
    CHECK_STR(kq_protocol_extension_release(1), "0.20.0");
    CHECK(kq_protocol_extension_release(0) == NULL);
    CHECK(kq_protocol_extension_release(KQ_PROTOCOL_EXTENSION_LEVEL + 1) == NULL);
    CHECK_INT(kq_s2w_tag_level(KQ_S2W_BYE), 0);
    CHECK_INT(kq_c2s_tag_level(KQ_C2S_LIST_RESOURCES), 0);
    CHECK_INT(kq_job_status_tag_level(KQ_JOB_STATUS_CANCELED), 0);
}

/* An extension variant is refused for a peer below its level, appending
 * nothing. */
static void test_extension_variants(void)
{
    kq_s2w m = {.tag = KQ_S2W_REPORT_STORED};
    kq_buf out = KQ_BUF_INIT;

    m.report_stored.job_id = 5;
    CHECK_INT(kq_s2w_tag_level(KQ_S2W_REPORT_STORED), 1);
    kq_buf_puts(&out, "x");
    CHECK_INT(kq_s2w_encode_at(&m, 0, &out), -EPROTO);
    CHECK_STR(kq_buf_ptr(&out), "x");
    CHECK_INT(kq_s2w_encode_at(&m, 1, &out), 0);
    CHECK_STR(kq_buf_ptr(&out), "x{\"ReportStored\":{\"job_id\":5}}");
    kq_buf_free(&out);
}

/* tests/data/extensions.tsv: Kueue-C's own encodings of its extensions
 * (NAME, JSON, the bytes an original peer is sent -- or "refused").  Each
 * round-trips, and at level 0 gives an original message or is refused. */
static void test_extension_vectors(const char *dir)
{
    kq_tsv t;

    kq_tsv_load(&t, dir, "extensions.tsv");
    for (int i = 0; i < t.nrows; i++) {
        kq_tsv_row *r = &t.rows[i];
        char type[64], value[4096];
        const kq_type_ops *ops;
        kq_buf out = KQ_BUF_INIT;
        kq_error err = {{0}};
        char *again;

        snprintf(type, sizeof type, "%s", r->col[0]);
        *strchrnul(type, '.') = '\0';
        ops = kq_protocol_type(type);
        CHECK(ops != NULL && r->ncols == 3);
        again = roundtrip(type, r->col[1], &err);
        if (!again)
            fprintf(stderr, "extensions.tsv:%d: %s\n", r->line, err.msg);
        CHECK_STR(again, r->col[1]);
        free(again);
        CHECK_INT(ops->decode(r->col[1], strlen(r->col[1]), value, &err), 0);
        if (strcmp(r->col[2], "refused") == 0) {
            CHECK_INT(ops->encode_at(value, 0, &out), -EPROTO);
            CHECK_INT(out.len, 0);
        } else {
            CHECK_INT(ops->encode_at(value, 0, &out), 0);
            CHECK_STR(kq_buf_ptr(&out), r->col[2]);
        }
        ops->free(value);
        kq_buf_free(&out);
    }
    CHECK(t.nrows >= 9);
    kq_tsv_free(&t);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/data";

    test_golden(dir);
    test_decode_cases(dir);
    test_error_paths();
    test_exact_numbers();
    test_embedded_nul();
    test_limits();
    test_oom();
    test_node_budget();
    test_copy_and_free(dir);
    test_extension_fields();
    test_extension_levels();
    test_extension_variants();
    test_extension_vectors(dir);
    KQ_TEST_DONE();
}
