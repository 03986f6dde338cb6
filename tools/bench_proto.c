/*
 * bench_proto.c - encode and decode+validate speed of the protocol layer.
 *
 * Message: a typical OfferJob (JobInfo with a 4-argument command, global
 * resources, Offered status), about 400 bytes.  Each figure is the median
 * of 7 rounds of 0.3 s on one core.
 *
 * usage: bench_proto [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 7;
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
