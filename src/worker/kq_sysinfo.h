/*
 * kq_sysinfo.h - what the worker knows about its machine: the SystemInfo it
 * reports (spec 4.4) and the CPU, memory and load figures the free-resource
 * computation (spec 4.5) refreshes on every decision.
 *
 * Every file is read under an optional root prefix ("" or NULL: the real
 * system) so tests can supply a fake /proc, /sys and /etc.  Missing or
 * malformed files give the documented defaults, never an error.  The module
 * keeps no state, caches nothing, and must never block on anything but
 * local files (no network, no subprocesses, FIFOs are opened non-blocking).
 */
#ifndef KQ_SYSINFO_H
#define KQ_SYSINFO_H

#include <stdint.h>

#include "kq_compiler.h"
#include "kq_protocol.h"

/*
 * Fills out (which must own nothing: freshly initialised or freed) with the
 * kernel release, "Linux <VERSION_ID> <NAME>", logical CPU count, mean CPU
 * MHz, total RAM in MiB (cgroup limit honoured) and the load averages.
 * Strings are valid UTF-8 (invalid bytes replaced by U+FFFD) and owned by
 * out; free with kq_system_info_free.  Loads are finite and >= 0.
 * 0, -ENOMEM or -ENAMETOOLONG (root too long); on error out owns nothing.
 */
KQ_NODISCARD int kq_sysinfo_read(const char *root, kq_system_info *out);

/*
 * Total RAM as in kq_sysinfo_read and available RAM (MemAvailable, bounded
 * by the cgroup's limit minus its usage when a limit applies), in MiB.
 * 0 or -ENAMETOOLONG; missing files give 0.
 */
KQ_NODISCARD int kq_sysinfo_memory(const char *root, uint64_t *total_mb,
                                   uint64_t *available_mb);

/* Logical CPUs: the cpuN lines of /proc/stat (0 if unreadable). */
uint64_t kq_sysinfo_cpu_cores(const char *root);

/* The 1-minute load average (0.0 if unreadable); finite and >= 0. */
double kq_sysinfo_load1(const char *root);

#endif
