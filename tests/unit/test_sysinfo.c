/*
 * test_sysinfo.c - kq_sysinfo against fake /proc, /sys and /etc trees built
 * under a mkdtemp directory: os-release parsing and its lsb-release
 * fallback, CPU counting, cpufreq versus cpuinfo frequencies, meminfo with
 * cgroup v1/v2 limits, load averages, missing and malformed files; plus a
 * plausibility check on the real machine.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kq_sysinfo.h"
#include "kq_test.h"

static char base_dir[] = "/tmp/kq_sysinfo_XXXXXX";

/* <base_dir>/<name>: a fresh, empty fake root. */
static const char *new_root(const char *name)
{
    static char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%s", base_dir, name);
    CHECK(mkdir(path, 0755) == 0);
    return path;
}

/* Writes root + rel, creating the directories on the way. */
static void put(const char *root, const char *rel, const char *text)
{
    char path[PATH_MAX];
    FILE *f;

    snprintf(path, sizeof path, "%s%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
        *p = '/';
    }
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    CHECK(fclose(f) == 0);
}

static void drop(const char *root, const char *rel)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s%s", root, rel);
    CHECK(unlink(path) == 0);
}

static const char *dist_of(const char *root, kq_system_info *si)
{
    kq_system_info_free(si);
    CHECK_INT(kq_sysinfo_read(root, si), 0);
    return si->distribution.ptr;
}

static void check_memory(const char *root, uint64_t total, uint64_t avail)
{
    uint64_t t = 1, a = 1;

    CHECK_INT(kq_sysinfo_memory(root, &t, &a), 0);
    CHECK_INT(t, total);
    CHECK_INT(a, avail);
}

#define STAT_4CPU                                                            \
    "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"            \
    "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0\n"               \
    "cpu1 1335210 32897 505426 13457183 3364 0 4146 0 0 0\n"                \
    "cpu2 1361436 73400 502591 13460580 3567 0 1500 0 0 0\n"                \
    "cpu3 1342226 151432 504645 13567427 3620 0 1673 0 0 0\n"               \
    "intr 114930548 113199788 3 0 5 263 0 4 [...]\n"                         \
    "ctxt 1990473\n"                                                         \
    "btime 1062191376\n"                                                     \
    "processes 2915\n"

#define CPUINFO                                                              \
    "processor\t: 0\n"                                                       \
    "model name\t: Test CPU\n"                                               \
    "cpu MHz\t\t: 1500.999\n"                                                \
    "\n"                                                                     \
    "processor\t: 1\n"                                                       \
    "cpu MHz\t\t: 9999.000\n"

#define MEMINFO                                                              \
    "MemTotal:       16318056 kB\n"                                          \
    "MemFree:         1000000 kB\n"                                          \
    "MemAvailable:    8000000 kB\n"                                          \
    "Buffers:          200000 kB\n"

/* A complete Debian-like machine. */
static void test_full_tree(void)
{
    const char *r = new_root("full");
    kq_system_info si;

    put(r, "/proc/sys/kernel/osrelease", "6.1.0-test-amd64\n");
    put(r, "/etc/os-release",
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
        "NAME=\"Debian GNU/Linux\"\n"
        "VERSION_ID=\"12\"\n"
        "VERSION=\"12 (bookworm)\"\n"
        "ID=debian\n");
    put(r, "/etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n");
    put(r, "/proc/stat", STAT_4CPU);
    /* cpu0 and cpu2 have cpufreq, cpu1 and cpu3 take cpuinfo's first
     * "cpu MHz": (2000 + 1500 + 3001 + 1500) / 4 = 8001 / 4 = 2000. */
    put(r, "/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2000000\n");
    put(r, "/sys/devices/system/cpu/cpu2/cpufreq/scaling_cur_freq", "3001999\n");
    put(r, "/proc/cpuinfo", CPUINFO);
    put(r, "/proc/meminfo", MEMINFO);
    put(r, "/proc/loadavg", "0.52 1.50 12.00 1/389 12345\n");

    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_STR(si.kernel.ptr, "6.1.0-test-amd64");
    CHECK_INT(si.kernel.len, 16);
    CHECK_STR(si.distribution.ptr, "Linux 12 Debian GNU/Linux");
    CHECK_INT(si.cpu_cores, 4);
    CHECK_INT(si.cpu_frequency, 2000);
    /* 16318056 kB * 1024 / 1024 / 1024 = 15935.6 MiB. */
    CHECK_INT(si.total_ram_mb, 15935);
    CHECK(si.load_info.one == 0.52);
    CHECK(si.load_info.five == 1.5);
    CHECK(si.load_info.fifteen == 12.0);
    check_memory(r, 15935, 7812);
    CHECK(kq_sysinfo_load1(r) == 0.52);
    CHECK_INT(kq_sysinfo_cpu_cores(r), 4);

    /* Every CPU on cpufreq: cpuinfo is not consulted. */
    put(r, "/sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "1000000\n");
    put(r, "/sys/devices/system/cpu/cpu3/cpufreq/scaling_cur_freq", "1000000\n");
    drop(r, "/proc/cpuinfo");
    CHECK_INT(dist_of(r, &si) != NULL, 1);
    CHECK_INT(si.cpu_frequency, (2000 + 1000 + 3001 + 1000) / 4);

    /* A malformed cpufreq value falls back to cpuinfo, which is gone: 0. */
    put(r, "/sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "fast\n");
    CHECK_INT(dist_of(r, &si) != NULL, 1);
    CHECK_INT(si.cpu_frequency, (2000 + 0 + 3001 + 1000) / 4);
    kq_system_info_free(&si);
}

/* CPUs without cpufreq, offline gaps, and lines that only look like CPUs. */
static void test_cpus(void)
{
    const char *r = new_root("cpus");
    char stat[4096];
    kq_system_info si;
    size_t n;

    /* cpu1 is offline: cpu5's cpufreq belongs to cpu5, not the 2nd line. */
    put(r, "/proc/stat",
        "cpu  1 2 3\ncpu0 1 2 3\ncpu5 1 2 3\ncpufreq 1\ncpu 7\nctxt 1\n");
    put(r, "/sys/devices/system/cpu/cpu5/cpufreq/scaling_cur_freq", "2400000");
    put(r, "/proc/cpuinfo", "cpu MHz\t\t: 800.000\r\n");
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_INT(si.cpu_cores, 2);
    CHECK_INT(si.cpu_frequency, (800 + 2400) / 2);

    /* No frequency source at all. */
    drop(r, "/proc/cpuinfo");
    drop(r, "/sys/devices/system/cpu/cpu5/cpufreq/scaling_cur_freq");
    CHECK_INT(dist_of(r, &si) != NULL, 1);
    CHECK_INT(si.cpu_cores, 2);
    CHECK_INT(si.cpu_frequency, 0);

    /* cpuinfo without a "cpu MHz" line (e.g. arm64). */
    put(r, "/proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 48.00\n");
    CHECK_INT(dist_of(r, &si) != NULL, 1);
    CHECK_INT(si.cpu_frequency, 0);

    /* An over-long line is skipped whole: its tail, which here starts with
     * "cpu7", must not count as a line of its own. */
    memset(stat, 'x', 1023);
    n = 1023;
    n += (size_t)snprintf(stat + n, sizeof stat - n,
                          "cpu7 1 2 3\ncpu0 1 2 3\n");
    CHECK(n < sizeof stat);
    put(r, "/proc/stat", stat);
    CHECK_INT(dist_of(r, &si) != NULL, 1);
    CHECK_INT(si.cpu_cores, 1);

    /* No /proc/stat: no CPUs, so no frequency either. */
    drop(r, "/proc/stat");
    put(r, "/proc/cpuinfo", CPUINFO);
    CHECK_INT(dist_of(r, &si) != NULL, 1);
    CHECK_INT(si.cpu_cores, 0);
    CHECK_INT(si.cpu_frequency, 0);
    CHECK_INT(kq_sysinfo_cpu_cores(r), 0);
    kq_system_info_free(&si);
}

static void test_distribution(void)
{
    const char *r = new_root("dist");
    kq_system_info si;

    kq_system_info_init(&si);
    /* Neither file: both parts empty. */
    CHECK_STR(dist_of(r, &si), "Linux  ");

    /* lsb-release only. */
    put(r, "/etc/lsb-release",
        "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n"
        "DISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n");
    CHECK_STR(dist_of(r, &si), "Linux 22.04 Ubuntu");

    /* Each field falls back on its own: os-release has no VERSION_ID. */
    put(r, "/etc/os-release", "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n");
    CHECK_STR(dist_of(r, &si), "Linux 22.04 Arch Linux");
    drop(r, "/etc/lsb-release");
    CHECK_STR(dist_of(r, &si), "Linux  Arch Linux");

    /* First matching line wins, keys match at the line start only, every
     * '"' goes (even inside), CRLF endings are stripped. */
    put(r, "/etc/os-release",
        "PRETTY_NAME=\"Pretty\"\r\n"
        " VERSION_ID=\"0\"\r\n"
        "VERSION_ID=\"3.19\"\"\"\r\n"
        "NAME=\"Al\"pine\" Linux\"\r\n"
        "NAME=\"Second\"\r\n"
        "VERSION_ID=9\r\n");
    CHECK_STR(dist_of(r, &si), "Linux 3.19 Alpine Linux");

    /* Empty values are kept empty rather than falling back. */
    put(r, "/etc/os-release", "NAME=\nVERSION_ID=\"\"\n");
    put(r, "/etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n");
    CHECK_STR(dist_of(r, &si), "Linux  ");

    /* Invalid UTF-8 is repaired so the string can go on the wire. */
    put(r, "/etc/os-release", "NAME=Caf\xe9 OS\nVERSION_ID=1\n");
    CHECK_STR(dist_of(r, &si), "Linux 1 Caf\xEF\xBF\xBD OS");
    kq_system_info_free(&si);
}

static void test_kernel(void)
{
    const char *r = new_root("kernel");
    struct utsname u;
    kq_system_info si;

    CHECK(uname(&u) == 0);
    /* A root without an override file still reports uname. */
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_STR(si.kernel.ptr, u.release);
    kq_system_info_free(&si);
    /* An empty override is ignored. */
    put(r, "/proc/sys/kernel/osrelease", "\n");
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_STR(si.kernel.ptr, u.release);
    kq_system_info_free(&si);
    put(r, "/proc/sys/kernel/osrelease", "5.15.0-custom");
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_STR(si.kernel.ptr, "5.15.0-custom");
    kq_system_info_free(&si);
}

static void test_memory(void)
{
    const char *r = new_root("mem");
    kq_system_info si;

    /* No meminfo, no cgroup. */
    check_memory(r, 0, 0);

    put(r, "/proc/meminfo", MEMINFO);
    check_memory(r, 15935, 7812);

    /* Old kernel without MemAvailable: MemFree (976.5 MiB). */
    put(r, "/proc/meminfo", "MemTotal: 2097152 kB\nMemFree: 1000000 kB\n");
    check_memory(r, 2048, 976);
    put(r, "/proc/meminfo", MEMINFO);

    /* cgroup v2: 4096 MiB limit, 1024 MiB used. */
    put(r, "/sys/fs/cgroup/memory.max", "4294967296\n");
    put(r, "/sys/fs/cgroup/memory.current", "1073741824\n");
    check_memory(r, 4096, 3072);
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_INT(si.total_ram_mb, 4096);
    kq_system_info_free(&si);
    /* Usage above the limit: nothing available. */
    put(r, "/sys/fs/cgroup/memory.current", "5000000000\n");
    check_memory(r, 4096, 0);
    /* Unknown usage: the limit itself bounds availability. */
    drop(r, "/sys/fs/cgroup/memory.current");
    check_memory(r, 4096, 4096);
    put(r, "/sys/fs/cgroup/memory.max", "1073741824\n");
    check_memory(r, 1024, 1024);
    /* A limit above the machine caps only what the cgroup has left:
     * min(7812, 32768 - 30000) = 2768. */
    put(r, "/sys/fs/cgroup/memory.max", "34359738368\n");
    put(r, "/sys/fs/cgroup/memory.current", "31457280000\n");
    check_memory(r, 15935, 2768);
    /* "max" means no limit, and v1 files are then not consulted. */
    put(r, "/sys/fs/cgroup/memory.max", "max\n");
    put(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "1073741824\n");
    check_memory(r, 15935, 7812);
    /* Garbage is no limit either. */
    put(r, "/sys/fs/cgroup/memory.max", "lots\n");
    check_memory(r, 15935, 7812);
    drop(r, "/sys/fs/cgroup/memory.max");
    drop(r, "/sys/fs/cgroup/memory.current");

    /* cgroup v1: 2048 MiB limit, 512 MiB used. */
    put(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "2147483648\n");
    put(r, "/sys/fs/cgroup/memory/memory.usage_in_bytes", "536870912\n");
    check_memory(r, 2048, 1536);
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK_INT(si.total_ram_mb, 2048);
    kq_system_info_free(&si);
    /* v1's "unlimited" is a huge number: not below the total, ignored. */
    put(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        "9223372036854771712\n");
    check_memory(r, 15935, 7812);
    /* Exactly the total is not below it. */
    put(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "16709689344\n");
    check_memory(r, 15935, 7812);
    put(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "16709689343\n");
    check_memory(r, 15935, 7812);
    drop(r, "/sys/fs/cgroup/memory/memory.usage_in_bytes");
    put(r, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "3221225472\n");
    check_memory(r, 3072, 3072);
}

static void test_load(void)
{
    const char *r = new_root("load");
    kq_system_info si;

    /* Missing: zeros. */
    CHECK(kq_sysinfo_load1(r) == 0.0);
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK(si.load_info.one == 0.0 && si.load_info.five == 0.0 &&
          si.load_info.fifteen == 0.0);
    kq_system_info_free(&si);

    put(r, "/proc/loadavg", "garbage\n");
    CHECK(kq_sysinfo_load1(r) == 0.0);
    /* Signs, nan and inf are not loads; what parses before them stays. */
    put(r, "/proc/loadavg", "-1.5 nan 2\n");
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK(si.load_info.one == 0.0 && si.load_info.five == 0.0 &&
          si.load_info.fifteen == 0.0);
    kq_system_info_free(&si);
    put(r, "/proc/loadavg", "3.25 inf 2\n");
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK(si.load_info.one == 3.25 && si.load_info.five == 0.0 &&
          si.load_info.fifteen == 0.0);
    kq_system_info_free(&si);
    /* Correctly rounded, whatever the locale's decimal point. */
    put(r, "/proc/loadavg", "123.45 0.07 7 2/100 99");
    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK(si.load_info.one == 123.45);
    CHECK(si.load_info.five == 0.07);
    CHECK(si.load_info.fifteen == 7.0);
    kq_system_info_free(&si);
    CHECK(kq_sysinfo_load1(r) == 123.45);
    /* Beyond double precision the value is close, not exact. */
    put(r, "/proc/loadavg", "0.1234567890123456789012345 1. 2\n");
    CHECK(fabs(kq_sysinfo_load1(r) - 0.1234567890123456789012345) < 1e-15);
}

/* An empty root: every documented default at once. */
static void test_empty_root(void)
{
    const char *r = new_root("empty");
    kq_system_info si;

    CHECK_INT(kq_sysinfo_read(r, &si), 0);
    CHECK(si.kernel.len > 0);
    CHECK_STR(si.distribution.ptr, "Linux  ");
    CHECK_INT(si.cpu_cores, 0);
    CHECK_INT(si.cpu_frequency, 0);
    CHECK_INT(si.total_ram_mb, 0);
    kq_system_info_free(&si);
}

static void test_long_root(void)
{
    char root[PATH_MAX + 16];
    uint64_t t = 1, a = 1;
    kq_system_info si;

    memset(root, 'a', sizeof root - 1);
    root[0] = '/';
    root[sizeof root - 1] = '\0';
    CHECK_INT(kq_sysinfo_read(root, &si), -ENAMETOOLONG);
    CHECK(si.kernel.ptr == NULL && si.distribution.ptr == NULL);
    CHECK_INT(kq_sysinfo_memory(root, &t, &a), -ENAMETOOLONG);
    CHECK_INT(t, 0);
    CHECK_INT(a, 0);
    CHECK(kq_sysinfo_load1(root) == 0.0);
    CHECK_INT(kq_sysinfo_cpu_cores(root), 0);
}

/* The real machine: only plausibility, the values are the host's. */
static void test_real_machine(void)
{
    const char *roots[] = {NULL, ""};
    uint64_t t, a;
    kq_system_info si;

    for (size_t i = 0; i < 2; i++) {
        CHECK_INT(kq_sysinfo_read(roots[i], &si), 0);
        CHECK(si.kernel.len > 0 && strcmp(si.kernel.ptr, "unknown") != 0);
        CHECK(strncmp(si.distribution.ptr, "Linux ", 6) == 0);
        CHECK(si.cpu_cores >= 1);
        CHECK(si.total_ram_mb > 0);
        CHECK(si.load_info.one >= 0.0 && si.load_info.five >= 0.0 &&
              si.load_info.fifteen >= 0.0);
        CHECK_INT(kq_sysinfo_memory(roots[i], &t, &a), 0);
        CHECK_INT(t, si.total_ram_mb);
        CHECK(a > 0 && a <= t);
        CHECK_INT(kq_sysinfo_cpu_cores(roots[i]), si.cpu_cores);
        CHECK(kq_sysinfo_load1(roots[i]) >= 0.0);
        kq_system_info_free(&si);
    }
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!mkdtemp(base_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_full_tree();
    test_cpus();
    test_distribution();
    test_kernel();
    test_memory();
    test_load();
    test_empty_root();
    test_long_root();
    test_real_machine();
    CHECK(nftw(base_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0);
    KQ_TEST_DONE();
}
