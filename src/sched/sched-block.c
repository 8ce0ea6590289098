/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Parking: when sched_next() finds the job it looks at blocked (its run or group held or full, its
 * owner at its limit, a pool short), the job moves to a park heap of that blocker (run, group, owner, or
 * the pool's bucket for that amount), keeping its key, and the next one is looked at. A run, group or
 * pool that would let some parked job through now (room, not held) is "eligible": it sits in the
 * eligible heap keyed by the best such job, its candidate. sched_next() (sched_pick() here) looks at
 * the better of the top of ready and the best candidate, so it sees jobs in exactly the order of their
 * keys among those not known to be blocked; the first that passes every check starts. A candidate
 * blocked by something else moves to that park. No rescans, no job looked at twice per call, and a
 * blocked job never blocks others.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

static Group *group_of(Blocker *b) {
        return container_of(b, Group, blocker);
}

static SchedRun *sched_run_of(Blocker *b) {
        return container_of(b, SchedRun, blocker);
}

static Owner *owner_of(Blocker *b) {
        return container_of(b, Owner, blocker);
}

static Pool *pool_of(Blocker *b) {
        return container_of(b, Pool, blocker);
}

/* Each run, group and pool may sit in the eligible heap: room for all is made when one is created. */
int sched_blocker_init(Sched *s, Blocker *b, BlockerKind kind) {
        int r;

        r = sched_heap_reserve(&s->eligible, s->n_blockers + 1 - sched_heap_size(&s->eligible));
        if (r < 0)
                return r;

        *b = (Blocker) { .kind = kind, .eligible_idx = SCHED_HEAP_NONE };
        s->n_blockers++;
        return 0;
}

static void blocker_done(Sched *s, Blocker *b) {
        if (b->eligible_idx != SCHED_HEAP_NONE)
                sched_heap_remove(&s->eligible, b);
        s->n_blockers--;
}

/* ---- groups ---- */

static Group *group_get(Sched *s, const char *name) {
        return sched_hashmap_get(&s->groups, sched_hash_string(name), sched_match_name, name);
}

Group *sched_group_free(Group *g) {
        if (!g)
                return NULL;
        sched_heap_done(&g->parked);
        free(g->name);
        return mfree(g);
}

/* Groups exist while jobs or settings refer to them: clients cannot make them pile up. */
void sched_group_gc(Sched *s, Group *g) {
        if (!g || g->n_jobs > 0 || g->held || g->limit != SCHED_UNLIMITED || g->tokens > 0)
                return;

        sched_hashmap_remove(&s->groups, g->hash, g);
        blocker_done(s, &g->blocker);
        sched_group_free(g);
}

int sched_group_acquire(Sched *s, const char *name, Group **ret) {
        Group *g;
        int r;

        g = group_get(s, name);
        if (g) {
                *ret = g;
                return 0;
        }

        r = sched_hashmap_reserve(&s->groups, 1);
        if (r < 0)
                return r;

        g = calloc(1, sizeof(Group));
        if (!g)
                return -ENOMEM;
        g->name = strdup(name);
        if (!g->name) {
                free(g);
                return -ENOMEM;
        }
        r = sched_blocker_init(s, &g->blocker, BLOCKER_GROUP);
        if (r < 0) {
                sched_group_free(g);
                return r;
        }
        g->hash = sched_hash_string(name);
        g->limit = SCHED_UNLIMITED;
        g->parked = (SchedHeap) SCHED_HEAP_INIT(SchedJob, heap_idx);

        (void) sched_hashmap_put(&s->groups, g->hash, g);
        *ret = g;
        return 0;
}

/* ---- owners (per-user limits) ---- */

Owner *sched_owner_free(Owner *o) {
        if (!o)
                return NULL;
        sched_heap_done(&o->parked);
        return mfree(o);
}

void sched_owner_gc(Sched *s, Owner *o) {
        if (!o || o->n_jobs > 0 || o->own_policy)
                return;

        sched_hashmap_remove(&s->owners, o->uid, o);
        blocker_done(s, &o->blocker);
        sched_owner_free(o);
}

int sched_owner_acquire(Sched *s, uint32_t uid, Owner **ret) {
        Owner *o;
        int r;

        o = sched_hashmap_get(&s->owners, uid, NULL, NULL);
        if (o) {
                *ret = o;
                return 0;
        }

        r = sched_hashmap_reserve(&s->owners, 1);
        if (r < 0)
                return r;
        o = calloc(1, sizeof(Owner));
        if (!o)
                return -ENOMEM;
        r = sched_blocker_init(s, &o->blocker, BLOCKER_OWNER);
        if (r < 0) {
                free(o);
                return r;
        }
        o->uid = uid;
        o->parked = (SchedHeap) SCHED_HEAP_INIT(SchedJob, heap_idx);

        (void) sched_hashmap_put(&s->owners, uid, o);
        *ret = o;
        return 0;
}

/* ---- runs ---- */

SchedRun *sched_run_get(Sched *s, uint64_t id) {
        return sched_hashmap_get(&s->runs, id, NULL, NULL);
}

SchedRun *sched_run_free(SchedRun *x) {
        if (!x)
                return NULL;
        sched_heap_done(&x->parked);
        return mfree(x);
}

/* Runs exist while jobs or settings refer to them, so a run's running count is right whenever a limit is
 * set on it. */
void sched_run_gc(Sched *s, SchedRun *x) {
        if (!x || x->n_jobs > 0 || x->held || x->limit != SCHED_UNLIMITED)
                return;

        if (s->last_run == x)
                s->last_run = NULL;
        sched_hashmap_remove(&s->runs, x->id, x);
        blocker_done(s, &x->blocker);
        sched_run_free(x);
}

int sched_run_acquire(Sched *s, uint64_t id, SchedRun **ret) {
        SchedRun *x;
        int r;

        /* The jobs of a batch are mostly of one run (a plan): skip the lookup for them. */
        x = s->last_run && s->last_run->id == id ? s->last_run : sched_run_get(s, id);
        if (x) {
                *ret = s->last_run = x;
                return 0;
        }

        r = sched_hashmap_reserve(&s->runs, 1);
        if (r < 0)
                return r;

        x = calloc(1, sizeof(SchedRun));
        if (!x)
                return -ENOMEM;
        r = sched_blocker_init(s, &x->blocker, BLOCKER_RUN);
        if (r < 0) {
                free(x);
                return r;
        }
        x->id = id;
        x->limit = SCHED_UNLIMITED;
        x->parked = (SchedHeap) SCHED_HEAP_INIT(SchedJob, heap_idx);

        (void) sched_hashmap_put(&s->runs, id, x);
        *ret = s->last_run = x;
        return 0;
}

/* ---- parking ---- */

/* Moves a job between heaps, keeping its key; "to" must have room. */
static void sched_job_move(SchedJob *j, SchedHeap *to) {
        SchedHeapKey k = j->heap->e[j->heap_idx].key;

        sched_heap_remove(j->heap, j);
        (void) sched_heap_push(to, &k, j);
        j->heap = to;
}

static SchedJob *group_candidate(Group *g) {
        if (g->held || sched_group_full(g))
                return NULL;
        return sched_heap_peek(&g->parked);
}

static SchedJob *sched_run_candidate(SchedRun *x) {
        if (x->held || x->running >= x->limit)
                return NULL;
        return sched_heap_peek(&x->parked);
}

static SchedJob *owner_candidate(Sched *s, Owner *o) {
        if (o->running >= sched_owner_policy(s, o)->max_running)
                return NULL;
        return sched_heap_peek(&o->parked);
}

/* Recomputes a blocker's candidate after its room or its parked jobs changed. */
void sched_blocker_update(Sched *s, Blocker *b) {
        SchedJob *c;

        if (!b)
                return;

        switch (b->kind) {
        case BLOCKER_GROUP:
                c = group_candidate(group_of(b));
                break;
        case BLOCKER_RUN:
                c = sched_run_candidate(sched_run_of(b));
                break;
        case BLOCKER_OWNER:
                c = owner_candidate(s, owner_of(b));
                break;
        default:
                c = sched_pool_candidate(pool_of(b));
        }
        if (b->candidate == c && (b->eligible_idx != SCHED_HEAP_NONE) == !!c)
                return;

        if (b->eligible_idx != SCHED_HEAP_NONE)
                sched_heap_remove(&s->eligible, b);
        b->candidate = c;
        if (c)
                /* Room for every blocker was reserved when it was created. */
                (void) sched_heap_push(&s->eligible, &c->heap->e[c->heap_idx].key, b);
}

/* After a job started or finished: its run's, group's and pools' room changed. */
void sched_job_update_blockers(Sched *s, SchedJob *j) {
        /* Most runs have no limit and nothing waiting aside: then there is nothing to update. */
        if (j->run && (j->run->blocker.candidate || sched_heap_size(&j->run->parked) > 0))
                sched_blocker_update(s, &j->run->blocker);
        if (j->group)
                sched_blocker_update(s, &j->group->blocker);
        if (j->owner->blocker.candidate || sched_heap_size(&j->owner->parked) > 0)
                sched_blocker_update(s, &j->owner->blocker);
        for (uint32_t i = 0; i < j->n_resources; i++)
                sched_blocker_update(s, &j->resources[i].pool->blocker);
}

/* Takes a job out of whatever heap it is in. */
void sched_job_unpark(Sched *s, SchedJob *j) {
        Blocker *b = j->parked_on;

        if (!j->heap)
                return;

        sched_heap_remove(j->heap, j);
        j->heap = NULL;
        j->parked_on = NULL;
        sched_blocker_update(s, b);
}

/* Where the job has to wait now: 1 and *ret is the park heap (*ret_blocker its run, group or pool), or 0
 * if it may start. */
static int sched_job_find_park(Sched *s, SchedJob *j, SchedHeap **ret, Blocker **ret_blocker) {
        int r;

        if (j->run && (j->run->held || j->run->running >= j->run->limit)) {
                *ret = &j->run->parked;
                *ret_blocker = &j->run->blocker;
                return 1;
        }

        if (j->group && (j->group->held || sched_group_full(j->group))) {
                *ret = &j->group->parked;
                *ret_blocker = &j->group->blocker;
                return 1;
        }

        if (j->owner->running >= sched_owner_policy(s, j->owner)->max_running) {
                *ret = &j->owner->parked;
                *ret_blocker = &j->owner->blocker;
                return 1;
        }

        for (uint32_t i = 0; i < j->n_resources; i++) {
                PoolBucket *b;

                if (sched_pool_room(j->resources[i].pool) >= (int64_t) j->resources[i].amount)
                        continue;

                r = sched_pool_bucket(j->resources[i].pool, j->resources[i].amount, &b);
                if (r < 0)
                        return r;
                *ret = &b->parked;
                *ret_blocker = &j->resources[i].pool->blocker;
                return 1;
        }

        return 0;
}

/* The first job, in key order, that may start now: 1 and *ret, or 0 if none. Blocked jobs met on the way
 * are parked. */
int sched_pick(Sched *s, SchedJob **ret) {
        SchedJob *j;
        int r;

        for (;;) {
                Blocker *from, *to = NULL;
                SchedHeap *park;

                /* The better of the top of ready and the best candidate of the eligible blockers. */
                j = sched_heap_peek(&s->ready);
                if (sched_heap_size(&s->eligible) > 0 &&
                    (!j || sched_heap_key_less(sched_heap_peek_key(&s->eligible),
                                               sched_heap_peek_key(&s->ready))))
                        j = ((Blocker *) sched_heap_peek(&s->eligible))->candidate;
                if (!j)
                        return 0;

                r = sched_job_find_park(s, j, &park, &to);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;

                r = sched_heap_reserve(park, 1);
                if (r < 0)
                        return r;

                /* A candidate passes its own blocker's check, so it moves elsewhere: each job is looked at
                 * once per call at most. */
                from = j->parked_on;
                sched_job_move(j, park);
                j->parked_on = to;
                sched_blocker_update(s, from);
                sched_blocker_update(s, to);
        }

        *ret = j;
        return 1;
}

/* ---- limits and holds ---- */

/* A group's limit or hold (whichever is given) changes: the group is made if new, and freed again if
 * it no longer holds anything back. */
static int set_group(Sched *s, const char *group, const uint32_t *limit, const bool *held,
                     const uint32_t *tokens) {
        Group *g;
        int r;

        if (!s)
                return -EINVAL;
        r = sched_check_name(group);
        if (r < 0)
                return r;

        r = sched_group_acquire(s, group, &g);
        if (r < 0)
                return r;

        s->n_groups_set -= g->limit != SCHED_UNLIMITED || g->held;
        if (limit)
                g->limit = *limit;
        if (held)
                g->held = *held;
        s->n_groups_set += g->limit != SCHED_UNLIMITED || g->held;
        if (tokens)
                g->tokens = *tokens;
        sched_blocker_update(s, &g->blocker);
        sched_group_gc(s, g);
        return 0;
}

int sched_set_group_limit(Sched *s, const char *group, uint32_t limit) {
        return set_group(s, group, &limit, NULL, NULL);
}

int sched_set_group_held(Sched *s, const char *group, bool held) {
        return set_group(s, group, NULL, &held, NULL);
}

int sched_set_group_tokens(Sched *s, const char *group, uint32_t tokens) {
        if (s && tokens == 0 && !isempty(group) && strlen(group) <= SCHED_NAME_MAX && !group_get(s, group))
                return 0;       /* nothing to lift: the group is not made for it */
        return set_group(s, group, NULL, NULL, &tokens);
}

/* The same for a run. Lifting a limit or hold of a run the Sched knows nothing of changes nothing: the
 * run is not made for it. */
static int set_run(Sched *s, uint64_t run, const uint32_t *limit, const bool *held) {
        SchedRun *x;
        int r;

        if (!s || run == 0)
                return -EINVAL;

        x = sched_run_get(s, run);
        if (!x && (limit ? *limit == SCHED_UNLIMITED : !*held))
                return 0;

        r = sched_run_acquire(s, run, &x);
        if (r < 0)
                return r;

        if (limit)
                x->limit = *limit;
        if (held)
                x->held = *held;
        sched_blocker_update(s, &x->blocker);
        sched_run_gc(s, x);
        return 0;
}

int sched_set_run_held(Sched *s, uint64_t run, bool held) {
        return set_run(s, run, NULL, &held);
}

int sched_set_run_limit(Sched *s, uint64_t run, uint32_t limit) {
        return set_run(s, run, &limit, NULL);
}

void sched_set_owner_default(Sched *s, const SchedOwnerPolicy *p) {
        Owner *o;

        if (!s || !p)
                return;
        s->owner_default = *p;
        for (size_t i = 0; (o = sched_hashmap_iterate(&s->owners, &i)); )
                if (!o->own_policy)
                        sched_blocker_update(s, &o->blocker);
}

int sched_set_owner_policy(Sched *s, uint32_t owner, const SchedOwnerPolicy *p) {
        Owner *o;
        int r;

        if (!s)
                return -EINVAL;

        o = sched_hashmap_get(&s->owners, owner, NULL, NULL);
        if (!o && !p)
                return 0;
        r = sched_owner_acquire(s, owner, &o);
        if (r < 0)
                return r;

        o->own_policy = !!p;
        if (p)
                o->policy = *p;
        sched_blocker_update(s, &o->blocker);
        sched_owner_gc(s, o);
        return 0;
}
