/*
 * kq_reason.c - texts of why a job waits (see kq_reason.h).
 */
#include "kq_reason.h"

#include <inttypes.h>
#include <string.h>

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

kq_resources kq_reason_capacity(const kq_system_info *system, const kq_resources *free,
                                const kq_resources *held)
{
    kq_resources cap;

    cap.cpus = max_u64(system->cpu_cores, sat_add(free->cpus, held->cpus));
    cap.ram_mb = max_u64(system->total_ram_mb, sat_add(free->ram_mb, held->ram_mb));
    cap.job_slots = sat_add(free->job_slots, held->job_slots);
    return cap;
}

/* Dimension d of r: 0 CPUs, 1 RAM, 2 job slots (the order of the texts). */
static uint64_t dim(const kq_resources *r, int d)
{
    return d == 0 ? r->cpus : d == 1 ? r->ram_mb : r->job_slots;
}

static void put_amount(kq_buf *out, uint64_t v, int d, bool unit_only)
{
    static const char *const one[] = {"CPU", "MB of RAM", "job slot"};
    static const char *const many[] = {"CPUs", "MB of RAM", "job slots"};

    if (unit_only && d != 1) {
        kq_buf_printf(out, "%" PRIu64, v);
        return;
    }
    if (unit_only && d == 1) {
        kq_buf_printf(out, "%" PRIu64 " MB", v);
        return;
    }
    kq_buf_printf(out, "%" PRIu64 " %s", v, v == 1 ? one[d] : many[d]);
}

/* Joins the n items of a list: "a", "a and b", "a, b and c". */
static void put_sep(kq_buf *out, int i, int n, const char *last)
{
    if (i > 0)
        kq_buf_puts(out, i == n - 1 ? last : ", ");
}

void kq_reason_needs(kq_buf *out, const kq_resources *need, const bool which[3])
{
    int n = 0, i = 0;

    for (int d = 0; d < 3; d++)
        n += !which || which[d];
    for (int d = 0; d < 3; d++) {
        if (which && !which[d])
            continue;
        put_sep(out, i++, n, " and ");
        put_amount(out, dim(need, d), d, false);
    }
}

bool kq_reason_too_big(kq_buf *out, const kq_resources *need, const kq_resources *largest)
{
    bool over[3];
    int n = 0, i = 0;

    for (int d = 0; d < 3; d++)
        n += over[d] = dim(need, d) > dim(largest, d);
    if (n == 0)
        return false;
    kq_buf_puts(out, "no worker has ");
    for (int d = 0; d < 3; d++) {
        if (!over[d])
            continue;
        put_sep(out, i++, n, " or ");
        put_amount(out, dim(need, d), d, false);
    }
    kq_buf_puts(out, " (largest connected: ");
    i = 0;
    for (int d = 0; d < 3; d++) {
        if (!over[d])
            continue;
        put_sep(out, i++, n, ", ");
        /* "(largest connected: 2)" alone; with units when several. */
        put_amount(out, dim(largest, d), d, n == 1);
    }
    kq_buf_putc(out, ')');
    return true;
}

void kq_reason_no_single(kq_buf *out, const kq_resources *need)
{
    kq_buf_puts(out, "no single worker has ");
    kq_reason_needs(out, need, NULL);
    kq_buf_puts(out, " at once");
}

size_t kq_reason_short(const char *reason, size_t len)
{
    size_t depth = 0, i = len;

    if (len == 0 || reason[len - 1] != ')')
        return len;
    /* Back to the parenthesis that opens the last one. */
    while (i-- > 0) {
        if (reason[i] == ')')
            depth++;
        else if (reason[i] == '(' && --depth == 0)
            break;
    }
    if (i == (size_t)-1 || i == 0 || reason[i - 1] != ' ')
        return len;
    return i - 1;
}

bool kq_reason_tells(const char *reason)
{
    return strcmp(reason, KQ_REASON_OFFERING) != 0;
}
