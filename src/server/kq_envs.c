/*
 * kq_envs.c - interned job environments (see kq_envs.h): a chained hash
 * table by content that doubles as it fills.
 */
#include "kq_envs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 16

void kq_envs_init(kq_envs *t)
{
    memset(t, 0, sizeof *t);
    t->next_id = 1;
}

static void env_free(kq_env *e)
{
    kq_job_env_free(&e->env);
    free(e);
}

void kq_envs_free(kq_envs *t)
{
    for (size_t b = 0; b < t->nbuckets; b++) {
        while (t->buckets[b]) {
            kq_env *e = t->buckets[b];

            t->buckets[b] = e->next;
            env_free(e);
        }
    }
    free(t->buckets);
    free(t->dropped);
    memset(t, 0, sizeof *t);
}

/* The length of the name of "NAME=VALUE". */
static size_t name_len(const kq_str *v)
{
    const char *eq = memchr(v->ptr, '=', v->len);

    return eq ? (size_t)(eq - v->ptr) : v->len;
}

static int cmp_var(const void *a, const void *b)
{
    const kq_str *x = a, *y = b;
    size_t nx = name_len(x), ny = name_len(y);
    int c = memcmp(x->ptr, y->ptr, nx < ny ? nx : ny);

    return c ? c : (nx > ny) - (nx < ny);
}

int kq_envs_check(kq_job_env *env, char *why, size_t n)
{
    kq_str_list *l = &env->variables;

    for (size_t i = 0; i < l->len; i++) {
        const kq_str *v = &l->items[i];

        if (!v->ptr || memchr(v->ptr, '\0', v->len)) {
            snprintf(why, n, "Environment variable %zu holds a NUL character.", i + 1);
            return -EINVAL;
        }
        if (name_len(v) == 0 || name_len(v) == v->len) {
            snprintf(why, n, "Environment variable %zu is not NAME=VALUE: \"%.100s\".", i + 1,
                     v->ptr);
            return -EINVAL;
        }
    }
    qsort(l->items, l->len, sizeof *l->items, cmp_var);
    for (size_t i = 1; i < l->len; i++) {
        if (cmp_var(&l->items[i - 1], &l->items[i]) == 0) {
            snprintf(why, n, "Environment variable %.*s is given twice.",
                     (int)(name_len(&l->items[i]) > 100 ? 100 : name_len(&l->items[i])),
                     l->items[i].ptr);
            return -EINVAL;
        }
    }
    return 0;
}

static uint64_t env_hash(const kq_job_env *env)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)env->add_to_worker;

    for (size_t i = 0; i < env->variables.len; i++) {
        const kq_str *v = &env->variables.items[i];

        for (size_t j = 0; j < v->len; j++)
            h = (h ^ (unsigned char)v->ptr[j]) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

static bool env_eq(const kq_job_env *a, const kq_job_env *b)
{
    if (a->add_to_worker != b->add_to_worker || a->variables.len != b->variables.len)
        return false;
    for (size_t i = 0; i < a->variables.len; i++)
        if (!kq_str_eq(&a->variables.items[i], &b->variables.items[i]))
            return false;
    return true;
}

static size_t env_bytes(const kq_job_env *env)
{
    size_t n = 0;

    for (size_t i = 0; i < env->variables.len; i++)
        n += env->variables.items[i].len + 1;
    return n;
}

/* Rehashes into n buckets; out of memory, the table stays as it is. */
static void rehash(kq_envs *t, size_t n)
{
    kq_env **b = calloc(n, sizeof *b);

    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        while (t->buckets[i]) {
            kq_env *e = t->buckets[i];

            t->buckets[i] = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* A new entry holding *env (taken over), with refs references. */
static kq_env *add(kq_envs *t, kq_job_env *env, uint64_t h, uint64_t id, uint64_t refs)
{
    kq_env *e;

    if (!t->nbuckets)
        rehash(t, MIN_BUCKETS);
    else if (t->count >= t->nbuckets)
        rehash(t, 2 * t->nbuckets);
    if (!t->nbuckets || !(e = calloc(1, sizeof *e)))
        return NULL;
    e->env = *env;
    memset(env, 0, sizeof *env);
    e->hash = h;
    e->id = id;
    e->refs = refs;
    e->table = t;
    e->next = t->buckets[h & (t->nbuckets - 1)];
    t->buckets[h & (t->nbuckets - 1)] = e;
    t->count++;
    t->bytes += env_bytes(&e->env);
    if (id >= t->next_id)
        t->next_id = id + 1;
    return e;
}

kq_env *kq_envs_intern(kq_envs *t, kq_job_env *env)
{
    uint64_t h = env_hash(env);

    for (kq_env *e = t->nbuckets ? t->buckets[h & (t->nbuckets - 1)] : NULL; e; e = e->next) {
        if (e->hash == h && env_eq(&e->env, env)) {
            kq_job_env_free(env);
            memset(env, 0, sizeof *env);
            e->refs++;
            return e;
        }
    }
    return add(t, env, h, t->next_id, 1);
}

kq_env *kq_envs_restore(kq_envs *t, uint64_t id, kq_job_env *env)
{
    kq_env *e = add(t, env, env_hash(env), id, 0);

    if (e)
        e->stored = true;
    return e;
}

void kq_env_ref(kq_env *e)
{
    e->refs++;
}

/* Unlinks e and frees it, noting its id if its row must go. */
static void drop(kq_env *e)
{
    kq_envs *t = e->table;
    kq_env **p = &t->buckets[e->hash & (t->nbuckets - 1)];

    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    t->count--;
    t->bytes -= env_bytes(&e->env);
    if (e->stored) {
        if (t->ndropped == t->dropped_cap) {
            size_t cap = t->dropped_cap ? 2 * t->dropped_cap : 16;
            uint64_t *d = realloc(t->dropped, cap * sizeof *d);

            /* Out of memory the row stays, unused: the next start drops
             * it (kq_envs_drop_unused). */
            if (d) {
                t->dropped = d;
                t->dropped_cap = cap;
            }
        }
        if (t->ndropped < t->dropped_cap)
            t->dropped[t->ndropped++] = e->id;
    }
    env_free(e);
}

void kq_env_unref(kq_env *e)
{
    if (e && --e->refs == 0)
        drop(e);
}

void kq_envs_drop_unused(kq_envs *t)
{
    for (size_t b = 0; b < t->nbuckets; b++) {
        for (kq_env *e = t->buckets[b], *next; e; e = next) {
            next = e->next;
            if (e->refs == 0)
                drop(e);
        }
    }
}

void kq_envs_clear_dropped(kq_envs *t)
{
    t->ndropped = 0;
}
