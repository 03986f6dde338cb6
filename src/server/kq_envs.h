/*
 * kq_envs.h - the environments jobs run with, each kept once.
 *
 * A job submitted with kueue cmd carries its submitter's environment
 * (JobInfo.environment, a few KB).  A submitter's jobs share one, so the
 * server keeps each distinct environment once, found by its content in a
 * hash table, and counts the jobs that refer to it: a queued job costs a
 * pointer, not the size of an environment.  An environment goes when its
 * last job goes.  For the store, each has an id (kept across restarts: a
 * stored one comes back under its id), whether its row is written, and
 * the ids of stored ones that went since the store's last commit.
 *
 * Owns the environments and their variables; never owns jobs.  An
 * environment's content never changes once interned.
 */
#ifndef KQ_ENVS_H
#define KQ_ENVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kq_protocol.h"

typedef struct kq_envs kq_envs;

typedef struct kq_env {
    kq_job_env env;      /* variables sorted by name, each once */
    uint64_t hash;
    uint64_t id;         /* > 0; the store's key */
    uint64_t refs;       /* jobs that refer to it */
    bool stored;         /* its row is in the store */
    struct kq_env *next; /* hash chain */
    kq_envs *table;
} kq_env;

struct kq_envs {
    kq_env **buckets;
    size_t nbuckets, count;
    uint64_t next_id;
    size_t bytes;        /* of the variables kept */
    uint64_t *dropped;   /* ids of stored environments gone */
    size_t ndropped, dropped_cap;
};

void kq_envs_init(kq_envs *t);
/* Frees every environment (no job may refer to one any more). */
void kq_envs_free(kq_envs *t);

/*
 * Checks env as a job's environment may be (every variable NAME=VALUE
 * with a name, no NUL, no name twice) after sorting it by name in place.
 * 0, or -EINVAL with why (n bytes) set.
 */
KQ_NODISCARD int kq_envs_check(kq_job_env *env, char *why, size_t n);

/*
 * The table's environment equal to *env (checked), one more job referring
 * to it; *env is taken over (zeroed) either way.  NULL when out of memory
 * (*env is then still the caller's).
 */
kq_env *kq_envs_intern(kq_envs *t, kq_job_env *env);

/*
 * An environment read back from the store under its id, no job referring
 * to it yet (kq_envs_drop_unused forgets those that stay so); *env taken
 * over.  NULL when out of memory.
 */
kq_env *kq_envs_restore(kq_envs *t, uint64_t id, kq_job_env *env);

/* One more job refers to e. */
void kq_env_ref(kq_env *e);
/* One job less; at none, e is freed (and, if stored, its id noted in
 * dropped).  NULL is fine. */
void kq_env_unref(kq_env *e);

/* Forgets the environments no job refers to (after loading). */
void kq_envs_drop_unused(kq_envs *t);

/* The dropped ids were written to the store. */
void kq_envs_clear_dropped(kq_envs *t);

#endif
