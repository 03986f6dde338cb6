/*
 * kq_sysinfo.c - machine information from /proc, /sys and /etc (see
 * kq_sysinfo.h), following what the reference's sysinfo crate reads.
 *
 * Owns nothing beyond the strings it hands to the caller.  Files are read a
 * line at a time into a fixed buffer, so a huge file (the intr line of
 * /proc/stat, cpuinfo on a many-core host) costs no memory; only the start
 * of an over-long line is seen, which is all any parser here needs.  Numbers
 * are parsed by hand because strtod follows the locale's decimal point.
 */
#include "kq_sysinfo.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kq_buf.h"
#include "kq_utf8.h"

/* Room left in a path for the longest suffix appended to the root (the
 * cpufreq path with a 20-digit CPU number is about 75 bytes). */
#define SUFFIX_MAX 128
#define ROOT_MAX (PATH_MAX - SUFFIX_MAX)

#define LINE_MAX_LEN 1024
#define MIB (1024u * 1024u)

typedef struct line_reader {
    FILE *f;
    char buf[LINE_MAX_LEN];
} line_reader;

static bool root_fits(const char *root)
{
    return !root || strlen(root) <= ROOT_MAX;
}

/* Opens root + rel for reading; false if it cannot be opened.  O_NONBLOCK
 * keeps a FIFO planted in a test tree from stalling the open. */
static bool lr_open(line_reader *lr, const char *root, const char *rel)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof path, "%s%s", root ? root : "", rel);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return false;
    lr->f = fdopen(fd, "r");
    if (!lr->f) {
        close(fd);
        return false;
    }
    return true;
}

static void lr_close(line_reader *lr)
{
    fclose(lr->f);
}

/*
 * The next line without its "\n" or "\r\n" (as Rust's str::lines), cut to
 * LINE_MAX_LEN - 1 bytes with the rest of the line skipped; NULL at the end
 * or on a read error.  The text lives in lr until the next call; a NUL byte
 * ends it early.
 */
static const char *lr_next(line_reader *lr)
{
    size_t n;
    int c;

    if (!fgets(lr->buf, sizeof lr->buf, lr->f))
        return NULL;
    n = strlen(lr->buf);
    if (n && lr->buf[n - 1] == '\n')
        n--;
    else
        while ((c = getc(lr->f)) != EOF && c != '\n')
            ;
    if (n && lr->buf[n - 1] == '\r')
        n--;
    lr->buf[n] = '\0';
    return lr->buf;
}

/* Copies the first line of root + rel into dst (truncated to cap - 1);
 * false if the file cannot be read or is empty. */
static bool read_first_line(const char *root, const char *rel, char *dst,
                            size_t cap)
{
    line_reader lr;
    const char *line;

    if (!lr_open(&lr, root, rel))
        return false;
    line = lr_next(&lr);
    if (line)
        snprintf(dst, cap, "%s", line);
    lr_close(&lr);
    return line != NULL;
}

/* A whole string of decimal digits with optional surrounding white space
 * (Rust's trim().parse::<u64>()); false on anything else or overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
    unsigned long long v;
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return false;
    *out = v;
    return true;
}

static bool read_u64_file(const char *root, const char *rel, uint64_t *out)
{
    char line[64];

    return read_first_line(root, rel, line, sizeof line) &&
           parse_u64(line, out);
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

static uint64_t sat_sub(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/*
 * An unsigned decimal "123" or "12.34" at *p, advancing *p past it; false
 * (with *p unchanged) if no digit starts there.  Digits are gathered into
 * one integer and divided once by a power of ten, which is correctly
 * rounded while both are exact (up to 2^53 and 10^22, ample for loads).
 */
static bool parse_decimal(const char **p, double *out)
{
    static const double powers_of_ten[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    const char *s = *p;
    double mant = 0.0, scale = 1.0;
    unsigned frac = 0;
    bool in_frac = false, any = false;

    for (;; s++) {
        if (isdigit((unsigned char)*s)) {
            mant = mant * 10.0 + (*s - '0');
            any = true;
            if (in_frac)
                frac++;
        } else if (*s == '.' && !in_frac) {
            in_frac = true;
        } else {
            break;
        }
    }
    if (!any)
        return false;
    for (; frac > 22; frac -= 22)
        scale *= powers_of_ten[22];
    *out = mant / (scale * powers_of_ten[frac]);
    *p = s;
    return true;
}

/* The release from uname; with a root, a non-empty first line of
 * <root>/proc/sys/kernel/osrelease stands in for it. */
static void read_kernel(const char *root, char *dst, size_t cap)
{
    struct utsname u;

    if (root && *root &&
        read_first_line(root, "/proc/sys/kernel/osrelease", dst, cap) && *dst)
        return;
    if (uname(&u) == 0)
        snprintf(dst, cap, "%s", u.release);
    else
        snprintf(dst, cap, "unknown");
}

/* The rest of the first line starting with key, every '"' removed, into
 * dst; false if the file is unreadable or has no such line. */
static bool find_key(const char *root, const char *rel, const char *key,
                     char *dst, size_t cap)
{
    size_t klen = strlen(key), o = 0;
    line_reader lr;
    const char *line;
    bool found = false;

    if (!lr_open(&lr, root, rel))
        return false;
    while ((line = lr_next(&lr))) {
        if (strncmp(line, key, klen) != 0)
            continue;
        for (const char *s = line + klen; *s && o + 1 < cap; s++)
            if (*s != '"')
                dst[o++] = *s;
        dst[o] = '\0';
        found = true;
        break;
    }
    lr_close(&lr);
    return found;
}

/* Each field falls back on its own, as sysinfo looks each one up
 * separately: os-release lacking VERSION_ID still takes its NAME. */
static void os_field(const char *root, const char *os_key,
                     const char *lsb_key, char *dst, size_t cap)
{
    if (!find_key(root, "/etc/os-release", os_key, dst, cap) &&
        !find_key(root, "/etc/lsb-release", lsb_key, dst, cap))
        dst[0] = '\0';
}

/* An owned copy of s[0..len) as valid UTF-8: the wire carries JSON
 * strings and the reference would reject anything else.  0 or -ENOMEM. */
static int set_text(kq_str *dst, const char *s, size_t len)
{
    kq_buf b = KQ_BUF_INIT;
    size_t n;
    char *p;

    if (kq_utf8_valid(s, len))
        return kq_str_set(dst, s, len);
    kq_utf8_repair(&b, s, len);
    p = kq_buf_steal(&b, &n);
    kq_buf_free(&b);
    if (!p)
        return -ENOMEM;
    dst->ptr = p;
    dst->len = n;
    return 0;
}

/* The integer part of the last ':'-separated field of the first "cpu MHz"
 * line of /proc/cpuinfo, or 0. */
static uint64_t cpuinfo_mhz(const char *root)
{
    uint64_t mhz = 0;
    line_reader lr;
    const char *line, *p;

    if (!lr_open(&lr, root, "/proc/cpuinfo"))
        return 0;
    while ((line = lr_next(&lr))) {
        if (strncmp(line, "cpu MHz", 7) != 0)
            continue;
        p = strrchr(line, ':');
        p = p ? p + 1 : line + 7;
        while (isspace((unsigned char)*p))
            p++;
        if (isdigit((unsigned char)*p))
            mhz = strtoull(p, NULL, 10);
        break;
    }
    lr_close(&lr);
    return mhz;
}

/* The cpuinfo figure, read at most once per scan of /proc/stat. */
typedef struct mhz_fallback {
    bool known;
    uint64_t mhz;
} mhz_fallback;

/* MHz of CPU n from cpufreq (kHz / 1000), else the cpuinfo figure. */
static uint64_t cpu_mhz(const char *root, unsigned long long n,
                        mhz_fallback *fallback)
{
    char rel[SUFFIX_MAX];
    uint64_t khz;

    snprintf(rel, sizeof rel,
             "/sys/devices/system/cpu/cpu%llu/cpufreq/scaling_cur_freq", n);
    if (read_u64_file(root, rel, &khz))
        return khz / 1000;
    if (!fallback->known) {
        fallback->mhz = cpuinfo_mhz(root);
        fallback->known = true;
    }
    return fallback->mhz;
}

/*
 * Counts the cpuN lines of /proc/stat (the aggregate "cpu" line has no
 * number) and, if mhz is non-NULL, stores the integer mean of their
 * frequencies.  CPUs are named by their number, so an offline CPU's gap
 * does not shift the cpufreq directories read.
 */
static uint64_t read_cpus(const char *root, uint64_t *mhz)
{
    uint64_t count = 0, sum = 0, f;
    mhz_fallback fallback = {false, 0};
    line_reader lr;
    const char *line;

    if (mhz)
        *mhz = 0;
    if (!lr_open(&lr, root, "/proc/stat"))
        return 0;
    while ((line = lr_next(&lr))) {
        if (strncmp(line, "cpu", 3) != 0 || !isdigit((unsigned char)line[3]))
            continue;
        count++;
        if (mhz) {
            f = cpu_mhz(root, strtoull(line + 3, NULL, 10), &fallback);
            sum = sum > UINT64_MAX - f ? UINT64_MAX : sum + f;
        }
    }
    lr_close(&lr);
    if (mhz && count)
        *mhz = sum / count;
    return count;
}

/* The value in bytes of a "Key:   123 kB" line of /proc/meminfo. */
static bool meminfo_value(const char *line, const char *key, uint64_t *bytes)
{
    size_t klen = strlen(key);
    const char *p;

    if (strncmp(line, key, klen) != 0 || line[klen] != ':')
        return false;
    p = line + klen + 1;
    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    *bytes = sat_mul(strtoull(p, NULL, 10), 1024);
    return true;
}

/*
 * Total and available memory in bytes.  Available is MemAvailable, or
 * MemFree on kernels older than 3.14 that lack it.  A cgroup limit caps
 * both: v2 memory.max whenever it is a number ("max" means none), v1
 * memory.limit_in_bytes only below the total, because v1 reports "no
 * limit" as a huge number rather than a word.
 */
static void read_memory(const char *root, uint64_t *total, uint64_t *avail)
{
    uint64_t mem_free = 0, limit, usage;
    bool have_avail = false, have_usage;
    char text[64];
    line_reader lr;
    const char *line;

    *total = *avail = 0;
    if (lr_open(&lr, root, "/proc/meminfo")) {
        while ((line = lr_next(&lr))) {
            meminfo_value(line, "MemTotal", total);
            meminfo_value(line, "MemFree", &mem_free);
            if (meminfo_value(line, "MemAvailable", avail))
                have_avail = true;
        }
        lr_close(&lr);
    }
    if (!have_avail)
        *avail = mem_free;

    if (read_first_line(root, "/sys/fs/cgroup/memory.max", text, sizeof text)) {
        if (!parse_u64(text, &limit))
            return;
        have_usage = read_u64_file(root, "/sys/fs/cgroup/memory.current", &usage);
    } else if (read_u64_file(root, "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                             &limit) &&
               limit < *total) {
        have_usage = read_u64_file(
            root, "/sys/fs/cgroup/memory/memory.usage_in_bytes", &usage);
    } else {
        return;
    }
    *total = min_u64(*total, limit);
    *avail = min_u64(*avail, have_usage ? sat_sub(limit, usage) : limit);
}

/* The three averages of /proc/loadavg; each one missing or malformed
 * (including a sign, "nan" or "inf") is 0.0. */
static void read_load(const char *root, kq_load_info *out)
{
    double *slot[3] = {&out->one, &out->five, &out->fifteen};
    char text[128];
    const char *p = text;

    out->one = out->five = out->fifteen = 0.0;
    if (!read_first_line(root, "/proc/loadavg", text, sizeof text))
        return;
    for (int i = 0; i < 3; i++) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!parse_decimal(&p, slot[i]))
            return;
    }
}

int kq_sysinfo_read(const char *root, kq_system_info *out)
{
    char kernel[256], version[LINE_MAX_LEN], name[LINE_MAX_LEN];
    uint64_t total, avail;
    kq_buf dist = KQ_BUF_INIT;
    int rc;

    kq_system_info_init(out);
    if (!root_fits(root))
        return -ENAMETOOLONG;

    read_kernel(root, kernel, sizeof kernel);
    rc = set_text(&out->kernel, kernel, strlen(kernel));
    if (rc < 0)
        goto fail;

    os_field(root, "VERSION_ID=", "DISTRIB_RELEASE=", version, sizeof version);
    os_field(root, "NAME=", "DISTRIB_ID=", name, sizeof name);
    kq_buf_printf(&dist, "Linux %s %s", version, name);
    rc = dist.oom ? -ENOMEM : set_text(&out->distribution, kq_buf_ptr(&dist),
                                       dist.len);
    kq_buf_free(&dist);
    if (rc < 0)
        goto fail;

    out->cpu_cores = read_cpus(root, &out->cpu_frequency);
    read_memory(root, &total, &avail);
    out->total_ram_mb = total / MIB;
    read_load(root, &out->load_info);
    return 0;

fail:
    kq_system_info_free(out);
    return rc;
}

int kq_sysinfo_memory(const char *root, uint64_t *total_mb,
                      uint64_t *available_mb)
{
    uint64_t total, avail;

    *total_mb = *available_mb = 0;
    if (!root_fits(root))
        return -ENAMETOOLONG;
    read_memory(root, &total, &avail);
    *total_mb = total / MIB;
    *available_mb = avail / MIB;
    return 0;
}

uint64_t kq_sysinfo_cpu_cores(const char *root)
{
    return root_fits(root) ? read_cpus(root, NULL) : 0;
}

double kq_sysinfo_load1(const char *root)
{
    kq_load_info load;

    if (!root_fits(root))
        return 0.0;
    read_load(root, &load);
    return load.one;
}
