/*
 * kq_jobenv.h - marking a job's processes through their environment, so
 * that a kill reaches those that left the job's process group.
 *
 * Every job starts with KUEUE_JOB_ID (the job's id, for the job's own use
 * too) and KUEUE_WORKER_PID (this worker) in its environment, and every
 * process it starts inherits them, even one that called setsid() or was
 * orphaned (a daemon).  A kill then signals, besides the process group,
 * every process of this user whose environment carries both marks.  A
 * process that scrubs its environment escapes; nothing short of a cgroup
 * catches everything, and unprivileged users cannot count on one.
 *
 * Also builds the rest of a job's environment: the submitter's
 * (JobInfo.environment, kueue cmd), or the worker's own plus the job's
 * additions, or the worker's alone; PWD is always the job's directory.
 */
#ifndef KQ_JOBENV_H
#define KQ_JOBENV_H

#include <stddef.h>
#include <stdint.h>

#include "kq_compiler.h"
#include "kq_protocol.h"

/*
 * The environment job runs with, NULL-terminated: its marks first, then
 * PWD=<cwd>, then the job's variables (job->environment, when it does not
 * add to the worker's) or the worker's environment with the job's
 * variables added or replacing (add_to_worker) or alone (none given).
 * Marks and PWD found there are left out; so is a variable holding a NUL.
 * 0 or -ENOMEM; free with kq_jobenv_free.
 */
KQ_NODISCARD int kq_jobenv_new(const kq_job_info *job, char ***out);

/* The value of NAME in env (from kq_jobenv_new), or NULL. */
const char *kq_jobenv_get(char *const *env, const char *name);
void kq_jobenv_free(char **env);

/* A signal for the processes that carry a job's marks. */
typedef struct kq_jobenv_kill {
    uint64_t job_id;
    int signo;
} kq_jobenv_kill;

/* Sends each of kills[0..n) (distinct jobs) to every process of this
 * user, other than the worker, that carries that job's marks, in one scan
 * of /proc: each process's environment is read once, however many jobs
 * are killed.  The number of processes signalled. */
int kq_jobenv_signal(const kq_jobenv_kill *kills, size_t n);

#endif
