/*
 * bench_proto.c - encode and decode+validate speed of the protocol layer.
 *
 * Message: a typical OfferJob (JobInfo with a 4-argument command, global
 * resources, Offered status), about 400 bytes.  Each figure is the median
 * of 7 rounds of 0.3 s on one core.
 *
 * usage: bench_proto [ROUNDS]
 *        bench_proto peak
 *
 * peak: the memory one decode takes at its peak, for messages of the
 * largest size allowed (16 MiB) made of values as small as the node bound
 * lets through, and for one huge text; each in a child process of its
 * own, from the growth of its peak RSS, with the message itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kq_framer.h"

#include "kq_protocol.h"

static const char *const message =
    "{\"OfferJob\":{\"job_id\":123456,\"cmd\":[\"python3\",\"train.py\","
    "\"--seed=7\",\"--data=/scratch/alice/dataset-2025\"],\"cwd\":\"/home/"
    "alice/experiments/run 1\",\"worker_resources\":{\"job_slots\":1,\"cpus\""
    ":8,\"ram_mb\":8192},\"global_resources\":{\"genus\":1,\"primelib\":4},"
    "\"status\":{\"Offered\":{\"issued\":\"2025-11-24T16:00:00.123456789Z\","
    "\"offered\":\"2025-11-24T16:00:01.000250Z\",\"worker\":\"ralab04-1\"}},"
    "\"stdout_path\":null,\"stderr_path\":\"err.log\"}}";

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Messages per second of one round of decoding (decode=1) or encoding. */
static double round_rate(int decode, const kq_s2w *msg)
{
    size_t len = strlen(message);
    double start = now(), t;
    long n = 0;
    kq_buf out = KQ_BUF_INIT;
    kq_error err;

    do {
        for (int i = 0; i < 1000; i++) {
            if (decode) {
                kq_s2w m;

                if (kq_s2w_decode(message, len, &m, &err) != 0) {
                    fprintf(stderr, "decode failed: %s\n", err.msg);
                    exit(1);
                }
                kq_s2w_free(&m);
            } else {
                kq_buf_clear(&out);
                if (kq_s2w_encode(msg, &out) != 0)
                    exit(1);
            }
        }
        n += 1000;
        t = now() - start;
    } while (t < 0.3);
    kq_buf_free(&out);
    return (double)n / t;
}

static long peak_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A message of size bytes: head, then item repeated, then tail. */
static char *make_message(size_t size, const char *head, const char *item,
                          const char *tail, size_t *len)
{
    size_t h = strlen(head), i = strlen(item),
           t = strlen(tail), n = (size - h - t) / i, at = h;
    char *m = malloc(size + 1);

    if (!m)
        exit(1);
    memcpy(m, head, h);
    for (size_t k = 0; k < n; k++, at += i)
        memcpy(m + at, item, i);
    at--; /* drop the last separator */
    memcpy(m + at, tail, t);
    at += t;
    m[at] = '\0';
    *len = at;
    return m;
}

/* Decodes one message in a child; prints the peak growth. */
static void peak_case(const char *name, size_t size, const char *head,
                      const char *item, const char *tail)
{
    pid_t pid;
    int status;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        size_t len;
        char *m = make_message(size, head, item, tail, &len);
        long before = peak_rss_kb(), after;
        kq_w2s w;
        kq_error err;
        int rc = kq_w2s_decode(m, len, &w, &err);

        after = peak_rss_kb();
        printf("  %-40s %7.2f MiB: peak %6.1f MB = %4.1f times the message (%s)\n",
               name, (double)len / (1 << 20), (double)(after - before) * 1024 / 1e6 + len / 1e6,
               ((double)(after - before) * 1024 + (double)len) / (double)len,
               rc == 0 ? "decoded" : err.msg);
        fflush(stdout);
        if (rc == 0)
            kq_w2s_free(&w);
        free(m);
        _exit(0);
    }
    waitpid(pid, &status, 0);
}

static int run_peak(void)
{
    printf("decoder peak (the message itself included):\n");
    const size_t max = KQ_FRAMER_DEFAULT_MAX;

    peak_case("numbers [0,0,...]", max, "{\"UpdateResources\":[", "0,", "]}");
    peak_case("empty objects [{},{},...]", max, "{\"UpdateResources\":[", "{},", "]}");
    peak_case("short strings [\"abcde\",...]", max, "{\"UpdateResources\":[",
              "\"abcde\",", "]}");
    peak_case("strings of 13 [\"abcdefghijklm\",...]", max, "{\"UpdateResources\":[",
              "\"abcdefghijklm\",", "]}");
    peak_case("numbers, before authentication", 64u << 10, "{\"UpdateResources\":[", "0,", "]}");
    peak_case("short strings, before authentication", 64u << 10, "{\"UpdateResources\":[",
              "\"abcde\",", "]}");
    peak_case("job output (the longest allowed)", (8u << 20) + 60,
              "{\"UpdateJobResults\":{\"job_id\":1,\"stdout_text\":\"", "xx",
              "\",\"stderr_text\":null}}");
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 7;

    if (argc > 1 && strcmp(argv[1], "peak") == 0)
        return run_peak();
    double enc[64], dec[64];
    size_t len = strlen(message);
    kq_s2w msg;
    kq_error err;
    kq_buf check = KQ_BUF_INIT;

    if (rounds < 1 || rounds > 64)
        rounds = 7;
    if (kq_s2w_decode(message, len, &msg, &err) != 0 ||
        kq_s2w_encode(&msg, &check) != 0 || check.len != len ||
        memcmp(kq_buf_ptr(&check), message, len) != 0) {
        fprintf(stderr, "bench_proto: the sample message does not round-trip\n");
        return 1;
    }
    kq_buf_free(&check);
    for (int r = 0; r < rounds; r++) {
        dec[r] = round_rate(1, &msg);
        enc[r] = round_rate(0, &msg);
    }
    qsort(dec, (size_t)rounds, sizeof *dec, cmp_double);
    qsort(enc, (size_t)rounds, sizeof *enc, cmp_double);
    printf("message: OfferJob, %zu bytes; median of %d rounds\n", len, rounds);
    printf("decode+validate: %9.0f messages/s  %7.1f MB/s\n", dec[rounds / 2],
           dec[rounds / 2] * (double)len / 1e6);
    printf("encode:          %9.0f messages/s  %7.1f MB/s\n", enc[rounds / 2],
           enc[rounds / 2] * (double)len / 1e6);
    kq_s2w_free(&msg);
    return 0;
}
