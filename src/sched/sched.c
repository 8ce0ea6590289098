/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * How the pieces fit:
 *
 * - jobs: id → Job in an open-addressing table. Each Job knows what it runs after (deps) and what runs
 *   after it (dependents), and counts its unfinished dependencies, so finishing a job touches only its
 *   dependents. Settling (queueing or skipping dependents, transitively) walks an intrusive FIFO, never
 *   the stack.
 *
 * - ready: one heap of QUEUED jobs that nothing is known to block, keyed (priority desc, round, seq).
 *   The round gives owners turns at equal priority in the manner of start-time fair queueing: a job that
 *   becomes QUEUED gets round max(its lane's next round, the level's virtual time), where a lane is one
 *   (priority, owner) pair and the virtual time is the highest round started at that priority. An owner
 *   with a long backlog thus alternates with one that arrives later, and an idle owner earns no credit.
 *
 * - parking: when sched_next() finds the job it looks at blocked (its run or group held or full, its
 *   owner at its limit, a pool short), the job moves to a park heap of that blocker (run, group, owner, or
 *   the pool's bucket for that amount), keeping its key, and the next one is looked at. A run, group or pool that would let some
 *   parked job through now (room, not held) is "eligible": it sits in the eligible heap keyed by the best
 *   such job, its candidate. sched_next() looks at the better of the top of ready and the best
 *   candidate, so it sees jobs in exactly the order of their keys among those not known to be blocked;
 *   the first that passes every check starts. A candidate blocked by something else moves to that park.
 *   No rescans, no job looked at twice per call, and a blocked job never blocks others.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-hashmap.h"
#include "sched-heap.h"
#include "sched-util.h"
#include "sched.h"

typedef struct Job Job;
typedef struct Level Level;
typedef struct Lane Lane;
typedef struct Group Group;
typedef struct Owner Owner;
typedef struct Run Run;
typedef struct Pool Pool;
typedef struct PoolBucket PoolBucket;
typedef struct Slot Slot;

typedef enum BlockerKind {
        BLOCKER_GROUP,
        BLOCKER_RUN,
        BLOCKER_OWNER,
        BLOCKER_POOL,
} BlockerKind;

typedef struct Blocker {
        BlockerKind kind;
        uint32_t eligible_idx;          /* in Sched.eligible, while it has a candidate */
        Job *candidate;
} Blocker;

struct Level {
        int32_t priority;
        uint64_t vtime;                 /* highest round started at this priority */
        size_t n_lanes;
};

struct Lane {
        uint64_t key;                   /* priority << 32 | owner */
        Level *level;
        uint64_t next_round;
        size_t n_queued;
        size_t n_refs;                  /* jobs that are not DONE */
};

struct Group {
        char *name;                     /* first: the name tables look names up through it */
        Blocker blocker;
        uint64_t hash;
        uint32_t limit;
        bool held;
        uint32_t running, queued;
        size_t n_jobs;                  /* jobs not forgotten */
        SchedHeap parked;
};

struct Owner {                          /* exists while jobs or a policy of its own refer to it */
        uint32_t uid;
        Blocker blocker;
        bool own_policy;                /* else the Sched's default applies */
        SchedOwnerPolicy policy;
        uint32_t running;
        size_t n_jobs;                  /* jobs not forgotten */
        SchedHeap parked;
};

struct Run {                            /* exists while jobs or settings refer to it, like a group */
        uint64_t id;
        Blocker blocker;
        uint32_t limit;
        bool held;
        uint32_t running, queued;
        size_t n_jobs;                  /* jobs not forgotten */
        SchedHeap parked;
};

struct Slot {
        char *name;
        Pool *pool;
        size_t idx;                     /* in pool->slot */
        char *identity;                 /* "POOL=SLOT" */
        uint64_t holder;
        uint32_t consecutive_failures;
        uint32_t *failed_owners;        /* owners whose failures count once, that failed in this streak */
        size_t n_failed_owners;
        bool quarantined;
        bool retired;                   /* removed from its pool while held: freed when released */
};

struct PoolBucket {
        uint32_t amount;
        SchedHeap parked;
};

struct Pool {
        char *name;
        Blocker blocker;
        uint64_t hash;
        bool slots;
        uint32_t capacity;              /* counted pools */
        uint64_t in_use;                /* tokens or slots held by running jobs */

        Slot **slot;                    /* slot pools: in the order they were defined */
        Slot **by_name;                 /* the same, sorted by name */
        size_t n_slots;
        Slot **retired;                 /* removed by a redefinition while held */
        size_t n_retired, n_retired_allocated;
        size_t n_available;             /* free and not quarantined */
        uint32_t quarantine_after;

        PoolBucket **buckets;           /* parked jobs by amount, ascending */
        size_t n_buckets, n_buckets_allocated;
};

typedef struct JobResource {
        Pool *pool;
        uint32_t amount;
} JobResource;

/* A slot the job prefers (SchedJobSpec.slots), of a slot pool it asks for. The names are stored in the
 * same allocation, after the array. */
typedef struct JobPreferred {
        Pool *pool;
        const char *slot;
} JobPreferred;

struct Job {
        uint64_t id;
        uint64_t seq;                   /* add order */
        SchedState state;
        SchedResult result;
        uint32_t heap_idx;
        SchedHeap *heap;                /* ready, or a park heap, or NULL */
        uint32_t n_unfinished;          /* dependencies not DONE yet */
        SchedCondition condition;
        bool fresh:1;                   /* being added: its own WAITING→QUEUED is not reported */
        bool retry_pending:1;           /* WAITING for sched_job_retry_now() */

        Lane *lane;                     /* NULL once DONE */
        Owner *owner;
        Group *group;
        Run *run;
        int32_t priority;

        Blocker *parked_on;             /* the run, group or pool whose park heap it is in */

        Job *settle_next;               /* intrusive FIFO of jobs whose dependents must be settled */
        Job **dependents;
        size_t n_dependents, n_dependents_allocated;
        uint32_t n_reserve;             /* scratch while a batch is added */

        JobResource *resources;
        uint32_t n_resources;
        uint32_t n_slots;               /* slots asked for over all slot pools */
        Slot **held;                    /* n_slots, while RUNNING */
        char **identities;              /* n_slots + 1, NULL-terminated, while RUNNING */
        JobPreferred *preferred;        /* n_preferred, until the job first starts */
        uint32_t n_preferred;

        uint32_t attempts;
        uint32_t retries;
        uint32_t retry_on;
        int *retry_exit_codes;
        uint32_t n_retry_exit_codes;

        uint32_t n_deps;
        Job *deps[];
};

struct Sched {
        SchedCallbacks cb;
        void *userdata;

        SchedHashmap jobs;              /* id → Job */
        SchedHashmap lanes;             /* priority << 32 | owner → Lane */
        SchedHashmap levels;            /* priority → Level */
        SchedHashmap groups;            /* hash(name) → Group */
        SchedHashmap pools;             /* hash(name) → Pool */
        SchedHashmap runs;              /* id → Run */
        SchedHashmap owners;            /* uid → Owner */
        SchedOwnerPolicy owner_default; /* of owners without a policy of their own */
        Run *last_run;                  /* the run last acquired, or NULL */

        SchedHeap ready;
        SchedHeap eligible;             /* Blockers with a candidate */
        size_t n_blockers;
        uint64_t next_seq;

        uint32_t max_parallel;
        bool draining;
        SchedCounts counts;

        Job *settle_head, *settle_tail;
};

#define RETRY_NEVER_RESULTS \
        ((1U << SCHED_RESULT_SUCCESS) | (1U << SCHED_RESULT_SKIPPED) | (1U << SCHED_RESULT_CANCELLED))

static const char *const condition_table[_SCHED_CONDITION_MAX] = {
        [SCHED_AFTER_SUCCESS] = "success",
        [SCHED_AFTER_FAILURE] = "failure",
        [SCHED_AFTER_ANY]     = "any",
};

static const char *const result_table[_SCHED_RESULT_MAX] = {
        [SCHED_RESULT_SUCCESS]   = "success",
        [SCHED_RESULT_FAILED]    = "failed",
        [SCHED_RESULT_KILLED]    = "killed",
        [SCHED_RESULT_TIMEOUT]   = "timeout",
        [SCHED_RESULT_OOM]       = "oom",
        [SCHED_RESULT_SKIPPED]   = "skipped",
        [SCHED_RESULT_CANCELLED] = "cancelled",
        [SCHED_RESULT_LOST]      = "lost",
};

const char *sched_condition_to_string(SchedCondition c) {
        if (c < 0 || c >= _SCHED_CONDITION_MAX)
                return NULL;
        return condition_table[c];
}

SchedCondition sched_condition_from_string(const char *s) {
        if (!s)
                return _SCHED_CONDITION_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(condition_table); i++)
                if (streq(condition_table[i], s))
                        return (SchedCondition) i;
        return _SCHED_CONDITION_INVALID;
}

const char *sched_result_to_string(SchedResult r) {
        if (r < 0 || r >= _SCHED_RESULT_MAX)
                return NULL;
        return result_table[r];
}

/* Objects found by name (groups, pools) start with their name. */
static bool match_name(const void *value, const void *data) {
        return streq(*(char *const *) value, data);
}

#define container_of(ptr, type, member) ((type *) ((uint8_t *) (ptr) - offsetof(type, member)))

static Group *group_of(Blocker *b) {
        return container_of(b, Group, blocker);
}

static Run *run_of(Blocker *b) {
        return container_of(b, Run, blocker);
}

static Owner *owner_of(Blocker *b) {
        return container_of(b, Owner, blocker);
}

static Pool *pool_of(Blocker *b) {
        return container_of(b, Pool, blocker);
}

/* Each run, group and pool may sit in the eligible heap: room for all is made when one is created. */
static int blocker_init(Sched *s, Blocker *b, BlockerKind kind) {
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

static int check_name(const char *name) {
        if (isempty(name))
                return -EINVAL;
        if (strlen(name) > SCHED_NAME_MAX)
                return -E2BIG;
        return 0;
}

/* ---- levels and lanes (round robin across owners) ---- */

static uint64_t lane_key(int32_t priority, uint32_t owner) {
        return (uint64_t) (uint32_t) priority << 32 | owner;
}

static void lane_unref(Sched *s, Lane *l) {
        if (!l || --l->n_refs > 0)
                return;

        if (--l->level->n_lanes == 0) {
                sched_hashmap_remove(&s->levels, (uint32_t) l->level->priority, l->level);
                free(l->level);
        }
        sched_hashmap_remove(&s->lanes, l->key, l);
        free(l);
}

static int lane_acquire(Sched *s, int32_t priority, uint32_t owner, Lane **ret) {
        uint64_t key = lane_key(priority, owner);
        Level *v;
        Lane *l;
        int r;

        l = sched_hashmap_get(&s->lanes, key, NULL, NULL);
        if (l) {
                l->n_refs++;
                *ret = l;
                return 0;
        }

        r = sched_hashmap_reserve(&s->lanes, 1);
        if (r < 0)
                return r;
        r = sched_hashmap_reserve(&s->levels, 1);
        if (r < 0)
                return r;

        l = calloc(1, sizeof(Lane));
        if (!l)
                return -ENOMEM;

        v = sched_hashmap_get(&s->levels, (uint32_t) priority, NULL, NULL);
        if (!v) {
                v = calloc(1, sizeof(Level));
                if (!v) {
                        free(l);
                        return -ENOMEM;
                }
                v->priority = priority;
                (void) sched_hashmap_put(&s->levels, (uint32_t) priority, v);
        }
        v->n_lanes++;

        *l = (Lane) { .key = key, .level = v, .n_refs = 1 };
        (void) sched_hashmap_put(&s->lanes, key, l);
        *ret = l;
        return 0;
}

/* ---- groups ---- */

static Group *group_get(Sched *s, const char *name) {
        return sched_hashmap_get(&s->groups, sched_hash_string(name), match_name, name);
}

static Group *group_free(Group *g) {
        if (!g)
                return NULL;
        sched_heap_done(&g->parked);
        free(g->name);
        return mfree(g);
}

/* Groups exist while jobs or settings refer to them: clients cannot make them pile up. */
static void group_gc(Sched *s, Group *g) {
        if (!g || g->n_jobs > 0 || g->held || g->limit != SCHED_UNLIMITED)
                return;

        sched_hashmap_remove(&s->groups, g->hash, g);
        blocker_done(s, &g->blocker);
        group_free(g);
}

static int group_acquire(Sched *s, const char *name, Group **ret) {
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
        r = blocker_init(s, &g->blocker, BLOCKER_GROUP);
        if (r < 0) {
                group_free(g);
                return r;
        }
        g->hash = sched_hash_string(name);
        g->limit = SCHED_UNLIMITED;
        g->parked = (SchedHeap) SCHED_HEAP_INIT(Job, heap_idx);

        (void) sched_hashmap_put(&s->groups, g->hash, g);
        *ret = g;
        return 0;
}

/* ---- owners (per-user limits) ---- */

static const SchedOwnerPolicy *owner_policy(const Sched *s, const Owner *o) {
        return o->own_policy ? &o->policy : &s->owner_default;
}

static Owner *owner_free(Owner *o) {
        if (!o)
                return NULL;
        sched_heap_done(&o->parked);
        return mfree(o);
}

static void owner_gc(Sched *s, Owner *o) {
        if (!o || o->n_jobs > 0 || o->own_policy)
                return;

        sched_hashmap_remove(&s->owners, o->uid, o);
        blocker_done(s, &o->blocker);
        owner_free(o);
}

static int owner_acquire(Sched *s, uint32_t uid, Owner **ret) {
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
        r = blocker_init(s, &o->blocker, BLOCKER_OWNER);
        if (r < 0) {
                free(o);
                return r;
        }
        o->uid = uid;
        o->parked = (SchedHeap) SCHED_HEAP_INIT(Job, heap_idx);

        (void) sched_hashmap_put(&s->owners, uid, o);
        *ret = o;
        return 0;
}

/* ---- runs ---- */

static Run *run_get(Sched *s, uint64_t id) {
        return sched_hashmap_get(&s->runs, id, NULL, NULL);
}

static Run *run_free(Run *x) {
        if (!x)
                return NULL;
        sched_heap_done(&x->parked);
        return mfree(x);
}

/* Runs exist while jobs or settings refer to them, so a run's running count is right whenever a limit is
 * set on it. */
static void run_gc(Sched *s, Run *x) {
        if (!x || x->n_jobs > 0 || x->held || x->limit != SCHED_UNLIMITED)
                return;

        if (s->last_run == x)
                s->last_run = NULL;
        sched_hashmap_remove(&s->runs, x->id, x);
        blocker_done(s, &x->blocker);
        run_free(x);
}

static int run_acquire(Sched *s, uint64_t id, Run **ret) {
        Run *x;
        int r;

        /* The jobs of a batch are mostly of one run (a plan): skip the lookup for them. */
        x = s->last_run && s->last_run->id == id ? s->last_run : run_get(s, id);
        if (x) {
                *ret = s->last_run = x;
                return 0;
        }

        r = sched_hashmap_reserve(&s->runs, 1);
        if (r < 0)
                return r;

        x = calloc(1, sizeof(Run));
        if (!x)
                return -ENOMEM;
        r = blocker_init(s, &x->blocker, BLOCKER_RUN);
        if (r < 0) {
                free(x);
                return r;
        }
        x->id = id;
        x->limit = SCHED_UNLIMITED;
        x->parked = (SchedHeap) SCHED_HEAP_INIT(Job, heap_idx);

        (void) sched_hashmap_put(&s->runs, id, x);
        *ret = s->last_run = x;
        return 0;
}

/* ---- pools ---- */

static Pool *pool_get(Sched *s, const char *name) {
        return sched_hashmap_get(&s->pools, sched_hash_string(name), match_name, name);
}

static Slot *slot_free(Slot *t) {
        if (!t)
                return NULL;
        free(t->failed_owners);
        free(t->name);
        free(t->identity);
        return mfree(t);
}

static int slot_cmp(const void *a, const void *b) {
        return strcmp((*(Slot *const *) a)->name, (*(Slot *const *) b)->name);
}

static Slot *slot_find(Slot **by_name, size_t n, const char *name) {
        Slot key = { .name = (char *) name }, *k = &key, **f;

        if (n == 0)
                return NULL;
        f = bsearch(&k, by_name, n, sizeof(Slot *), slot_cmp);
        return f ? *f : NULL;
}

static Pool *pool_free(Pool *p) {
        if (!p)
                return NULL;

        for (size_t i = 0; i < p->n_slots; i++)
                slot_free(p->slot[i]);
        for (size_t i = 0; i < p->n_retired; i++)
                slot_free(p->retired[i]);
        free(p->slot);
        free(p->by_name);
        free(p->retired);
        for (size_t i = 0; i < p->n_buckets; i++) {
                sched_heap_done(&p->buckets[i]->parked);
                free(p->buckets[i]);
        }
        free(p->buckets);
        free(p->name);
        return mfree(p);
}

/* How much a pool could hand out now. May be negative after a capacity cut. */
static int64_t pool_room(const Pool *p) {
        if (p->slots)
                return (int64_t) p->n_available;
        return (int64_t) p->capacity - (int64_t) p->in_use;
}

static uint64_t pool_size(const Pool *p) {
        return p->slots ? p->n_slots : p->capacity;
}

static int pool_bucket(Pool *p, uint32_t amount, PoolBucket **ret) {
        PoolBucket *b;
        size_t i;
        int r;

        for (i = 0; i < p->n_buckets; i++) {
                if (p->buckets[i]->amount == amount) {
                        *ret = p->buckets[i];
                        return 0;
                }
                if (p->buckets[i]->amount > amount)
                        break;
        }

        r = GREEDY_REALLOC(p->buckets, p->n_buckets_allocated, p->n_buckets + 1);
        if (r < 0)
                return r;
        b = calloc(1, sizeof(PoolBucket));
        if (!b)
                return -ENOMEM;
        *b = (PoolBucket) { .amount = amount, .parked = SCHED_HEAP_INIT(Job, heap_idx) };

        memmove(p->buckets + i + 1, p->buckets + i, (p->n_buckets - i) * sizeof(PoolBucket *));
        p->buckets[i] = b;
        p->n_buckets++;
        *ret = b;
        return 0;
}

/* ---- jobs ---- */

static Job *job_get(const Sched *s, uint64_t id) {
        return sched_hashmap_get(&s->jobs, id, NULL, NULL);
}

/* Frees a job that is in no heap; drops its lane and group references (so a half-built one rolls back). */
static Job *job_free(Sched *s, Job *j) {
        if (!j)
                return NULL;

        lane_unref(s, j->lane);
        if (j->owner) {
                j->owner->n_jobs--;
                owner_gc(s, j->owner);
        }
        if (j->group) {
                j->group->n_jobs--;
                group_gc(s, j->group);
        }
        if (j->run) {
                j->run->n_jobs--;
                run_gc(s, j->run);
        }
        free(j->held);
        free(j->identities);
        free(j->preferred);
        free(j->resources);
        free(j->retry_exit_codes);
        free(j->dependents);
        return mfree(j);
}

static uint32_t *count_of(Sched *s, SchedState state) {
        switch (state) {
        case SCHED_WAITING:
                return &s->counts.waiting;
        case SCHED_QUEUED:
                return &s->counts.queued;
        case SCHED_RUNNING:
                return &s->counts.running;
        default:
                return &s->counts.done;
        }
}

/* Every state change goes through here, so the counters of the Sched, runs, groups and lanes stay right. */
static void job_set_state(Sched *s, Job *j, SchedState state) {
        SchedState old = j->state;

        (*count_of(s, old))--;
        (*count_of(s, state))++;
        j->state = state;

        if (j->group) {
                if (old == SCHED_QUEUED)
                        j->group->queued--;
                else if (old == SCHED_RUNNING)
                        j->group->running--;
                if (state == SCHED_QUEUED)
                        j->group->queued++;
                else if (state == SCHED_RUNNING)
                        j->group->running++;
        }

        if (old == SCHED_RUNNING)
                j->owner->running--;
        if (state == SCHED_RUNNING)
                j->owner->running++;

        if (j->run) {
                if (old == SCHED_QUEUED)
                        j->run->queued--;
                else if (old == SCHED_RUNNING)
                        j->run->running--;
                if (state == SCHED_QUEUED)
                        j->run->queued++;
                else if (state == SCHED_RUNNING)
                        j->run->running++;
        }

        if (old == SCHED_QUEUED && --j->lane->n_queued == 0)
                /* An owner with nothing queued starts again at the virtual time: no credit for idling. */
                j->lane->next_round = 0;
        if (state == SCHED_QUEUED)
                j->lane->n_queued++;

        if (state == SCHED_DONE) {
                lane_unref(s, j->lane);
                j->lane = NULL;
        }
}

static void notify(Sched *s, Job *j, uint64_t cause_id, SchedResult cause_result) {
        if (s->cb.state_changed)
                s->cb.state_changed(s->userdata, j->id, j->state, j->result, cause_id, cause_result);
}

static SchedHeapKey job_key(const Job *j, uint64_t round) {
        /* Higher priority first: flipping the sign bit maps the order of int32 onto that of uint32. */
        return (SchedHeapKey) {
                .a = UINT32_MAX - ((uint32_t) j->priority ^ UINT32_C(0x80000000)),
                .b = round,
                .c = j->seq,
        };
}

static void job_enqueue(Sched *s, Job *j) {
        Lane *l = j->lane;
        uint64_t round = MAX(l->next_round, l->level->vtime);
        SchedHeapKey k = job_key(j, round);

        job_set_state(s, j, SCHED_QUEUED);
        l->next_round = round + 1;

        /* Room for every job that is not DONE was reserved when it was added. */
        (void) sched_heap_push(&s->ready, &k, j);
        j->heap = &s->ready;
}

/* Moves a job between heaps, keeping its key; "to" must have room. */
static void job_move(Job *j, SchedHeap *to) {
        SchedHeapKey k = j->heap->e[j->heap_idx].key;

        sched_heap_remove(j->heap, j);
        (void) sched_heap_push(to, &k, j);
        j->heap = to;
}

static Job *group_candidate(Group *g) {
        if (g->held || g->running >= g->limit)
                return NULL;
        return sched_heap_peek(&g->parked);
}

static Job *run_candidate(Run *x) {
        if (x->held || x->running >= x->limit)
                return NULL;
        return sched_heap_peek(&x->parked);
}

static Job *owner_candidate(Sched *s, Owner *o) {
        if (o->running >= owner_policy(s, o)->max_running)
                return NULL;
        return sched_heap_peek(&o->parked);
}

static Job *pool_candidate(Pool *p) {
        int64_t room = pool_room(p);
        PoolBucket *best = NULL;
        size_t k = 0;

        /* The best parked job among the amounts that fit; empty buckets are dropped on the way. */
        for (size_t i = 0; i < p->n_buckets; i++) {
                PoolBucket *b = p->buckets[i];

                if (sched_heap_size(&b->parked) == 0) {
                        sched_heap_done(&b->parked);
                        free(b);
                        continue;
                }
                p->buckets[k++] = b;

                if (b->amount > room)
                        continue;
                if (!best || sched_heap_key_less(sched_heap_peek_key(&b->parked),
                                                 sched_heap_peek_key(&best->parked)))
                        best = b;
        }
        p->n_buckets = k;

        return best ? sched_heap_peek(&best->parked) : NULL;
}

/* Recomputes a blocker's candidate after its room or its parked jobs changed. */
static void blocker_update(Sched *s, Blocker *b) {
        Job *c;

        if (!b)
                return;

        switch (b->kind) {
        case BLOCKER_GROUP:
                c = group_candidate(group_of(b));
                break;
        case BLOCKER_RUN:
                c = run_candidate(run_of(b));
                break;
        case BLOCKER_OWNER:
                c = owner_candidate(s, owner_of(b));
                break;
        default:
                c = pool_candidate(pool_of(b));
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
static void job_update_blockers(Sched *s, Job *j) {
        /* Most runs have no limit and nothing waiting aside: then there is nothing to update. */
        if (j->run && (j->run->blocker.candidate || sched_heap_size(&j->run->parked) > 0))
                blocker_update(s, &j->run->blocker);
        if (j->group)
                blocker_update(s, &j->group->blocker);
        if (j->owner->blocker.candidate || sched_heap_size(&j->owner->parked) > 0)
                blocker_update(s, &j->owner->blocker);
        for (uint32_t i = 0; i < j->n_resources; i++)
                blocker_update(s, &j->resources[i].pool->blocker);
}

/* Takes a job out of whatever heap it is in. */
static void job_unpark(Sched *s, Job *j) {
        Blocker *b = j->parked_on;

        if (!j->heap)
                return;

        sched_heap_remove(j->heap, j);
        j->heap = NULL;
        j->parked_on = NULL;
        blocker_update(s, b);
}

static void settle_push(Sched *s, Job *j) {
        j->settle_next = NULL;
        if (s->settle_tail)
                s->settle_tail->settle_next = j;
        else
                s->settle_head = j;
        s->settle_tail = j;
}

static bool condition_satisfiable(SchedCondition c, SchedResult r) {
        switch (c) {
        case SCHED_AFTER_SUCCESS:
                return r == SCHED_RESULT_SUCCESS;
        case SCHED_AFTER_FAILURE:
                return r != SCHED_RESULT_SUCCESS;
        default:
                return true;
        }
}

/* A job that is not RUNNING becomes DONE; its dependents are settled by the next settle(). */
static void job_make_done(Sched *s, Job *j, SchedResult result) {
        job_unpark(s, j);
        j->result = result;
        j->retry_pending = false;
        job_set_state(s, j, SCHED_DONE);
        settle_push(s, j);
}

/* Settles the dependents of every job on the settle FIFO, breadth first and without recursion: a chain
 * of 100k skips must not use the stack. */
static void settle(Sched *s) {
        Job *p;

        while ((p = s->settle_head)) {
                s->settle_head = p->settle_next;
                if (!s->settle_head)
                        s->settle_tail = NULL;
                p->settle_next = NULL;

                for (size_t i = 0; i < p->n_dependents; i++) {
                        Job *d = p->dependents[i];

                        if (d->state != SCHED_WAITING || d->retry_pending)
                                continue;

                        if (!condition_satisfiable(d->condition, p->result)) {
                                job_make_done(s, d, SCHED_RESULT_SKIPPED);
                                notify(s, d, p->id, p->result);
                                continue;
                        }

                        if (--d->n_unfinished == 0) {
                                job_enqueue(s, d);
                                if (!d->fresh)
                                        notify(s, d, 0, SCHED_RESULT_SUCCESS);
                        }
                }
        }
}

/* ---- adding ---- */

static int check_spec(Sched *s, const SchedJobSpec *spec) {
        int r;

        if (spec->id == 0)
                return -EINVAL;
        if (spec->after_condition < 0 || spec->after_condition >= _SCHED_CONDITION_MAX)
                return -EINVAL;
        if (spec->n_after > SCHED_DEPS_MAX || spec->n_resources > SCHED_RESOURCES_MAX ||
            spec->retry.n_on_exit_codes > SCHED_EXIT_CODES_MAX)
                return -E2BIG;
        if ((spec->n_after > 0 && !spec->after) || (spec->n_resources > 0 && !spec->resources) ||
            (spec->retry.n_on_exit_codes > 0 && !spec->retry.on_exit_codes))
                return -EINVAL;
        if (spec->retry.on_results >> _SCHED_RESULT_MAX)
                return -EINVAL;
        if (spec->retry_pending && spec->attempts == 0)
                return -EINVAL;
        if (spec->group && strlen(spec->group) > SCHED_NAME_MAX)
                return -E2BIG;

        for (size_t i = 0; i < spec->n_resources; i++) {
                const SchedResourceRequest *q = spec->resources + i;
                Pool *p;

                r = check_name(q->pool);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if (streq(spec->resources[k].pool, q->pool))
                                return -EINVAL;

                p = pool_get(s, q->pool);
                if (!p)
                        return -ENXIO;
                if (q->amount > pool_size(p))
                        return -ENOSPC;
        }

        return 0;
}

/* The slot pool among the job's resources that "POOL=SLOT" names, NULL if none; *ret_slot is the SLOT. */
static Pool *job_preferred_pool(const Job *j, const char *identity, const char **ret_slot) {
        const char *eq = strchr(identity, '=');
        size_t l;

        if (!eq)
                return NULL;
        l = (size_t) (eq - identity);

        for (uint32_t i = 0; i < j->n_resources; i++) {
                Pool *p = j->resources[i].pool;

                if (p->slots && strncmp(p->name, identity, l) == 0 && p->name[l] == 0) {
                        *ret_slot = eq + 1;
                        return p;
                }
        }
        return NULL;
}

/* Keeps the preferences that can matter (a slot pool of the job, a valid slot name), in one allocation. */
static int job_init_preferred(Job *j, char *const *slots) {
        size_t n = 0, bytes = 0;
        char *names;

        for (size_t i = 0; slots[i]; i++) {
                const char *slot;

                if (!job_preferred_pool(j, slots[i], &slot) || check_name(slot) < 0)
                        continue;
                if (n >= UINT32_MAX)
                        break;
                n++;
                bytes += strlen(slot) + 1;
        }
        if (n == 0)
                return 0;

        j->preferred = malloc(n * sizeof(JobPreferred) + bytes);
        if (!j->preferred)
                return -ENOMEM;
        names = (char *) (j->preferred + n);

        for (size_t i = 0; slots[i] && j->n_preferred < n; i++) {
                const char *slot;
                Pool *p;
                size_t l;

                p = job_preferred_pool(j, slots[i], &slot);
                if (!p || check_name(slot) < 0)
                        continue;
                l = strlen(slot) + 1;
                memcpy(names, slot, l);
                j->preferred[j->n_preferred++] = (JobPreferred) { p, names };
                names += l;
        }
        return 0;
}

static int job_init(Sched *s, Job *j, const SchedJobSpec *spec) {
        uint32_t n_res = 0;
        int r;

        j->id = spec->id;
        j->priority = spec->priority;
        j->condition = spec->after_condition;
        j->state = SCHED_WAITING;
        j->heap_idx = SCHED_HEAP_NONE;
        j->retries = spec->retry.retries;
        j->retry_on = spec->retry.on_results;
        j->attempts = spec->attempts;
        j->retry_pending = spec->retry_pending;

        r = lane_acquire(s, spec->priority, spec->owner, &j->lane);
        if (r < 0)
                return r;

        r = owner_acquire(s, spec->owner, &j->owner);
        if (r < 0)
                return r;
        j->owner->n_jobs++;

        if (!isempty(spec->group)) {
                r = group_acquire(s, spec->group, &j->group);
                if (r < 0)
                        return r;
                j->group->n_jobs++;
        }

        if (spec->run != 0) {
                r = run_acquire(s, spec->run, &j->run);
                if (r < 0)
                        return r;
                j->run->n_jobs++;
        }

        for (size_t i = 0; i < spec->n_resources; i++)
                if (spec->resources[i].amount > 0)
                        n_res++;
        if (n_res > 0) {
                j->resources = calloc(n_res, sizeof(JobResource));
                if (!j->resources)
                        return -ENOMEM;
                for (size_t i = 0; i < spec->n_resources; i++) {
                        Pool *p;

                        if (spec->resources[i].amount == 0)
                                continue;
                        p = pool_get(s, spec->resources[i].pool);
                        j->resources[j->n_resources++] = (JobResource) { p, spec->resources[i].amount };
                        if (p->slots)
                                j->n_slots += spec->resources[i].amount;
                }
        }
        if (j->n_slots > 0) {
                j->held = calloc(j->n_slots, sizeof(Slot *));
                j->identities = calloc(j->n_slots + 1, sizeof(char *));
                if (!j->held || !j->identities)
                        return -ENOMEM;
        }

        /* Preferences are for the first start: a job waiting for a retry has started before. */
        if (j->n_slots > 0 && spec->slots && !j->retry_pending) {
                r = job_init_preferred(j, spec->slots);
                if (r < 0)
                        return r;
        }

        if (spec->retry.n_on_exit_codes > 0) {
                j->retry_exit_codes = malloc(spec->retry.n_on_exit_codes * sizeof(int));
                if (!j->retry_exit_codes)
                        return -ENOMEM;
                memcpy(j->retry_exit_codes, spec->retry.on_exit_codes,
                       spec->retry.n_on_exit_codes * sizeof(int));
                j->n_retry_exit_codes = spec->retry.n_on_exit_codes;
        }

        return 0;
}

/* A job built from its spec, not linked to anything yet; its deps are filled in by the caller. */
static int job_new(Sched *s, const SchedJobSpec *spec, Job **ret) {
        Job *j;
        int r;

        j = calloc(1, sizeof(Job) + spec->n_after * sizeof(Job *));
        if (!j)
                return -ENOMEM;

        r = job_init(s, j, spec);
        if (r < 0) {
                job_free(s, j);
                return r;
        }

        *ret = j;
        return 0;
}

/* Finds a cycle among the batch's own edges with an iterative depth-first search (a 100k-deep chain
 * must not use the stack). dep_idx[offset[i]..offset[i + 1]) are the batch indexes of the dependencies
 * of spec i, UINT32_MAX for jobs already known (which cannot depend on the batch). */
static int find_cycle(const SchedJobSpec *specs, size_t n, const size_t *offset, const uint32_t *dep_idx,
                      uint64_t **ret_cycle, size_t *ret_n_cycle) {
        enum { WHITE, GREY, BLACK };
        _cleanup_(freep) uint8_t *color = NULL;
        _cleanup_(freep) uint32_t *stack = NULL;
        _cleanup_(freep) size_t *pos = NULL;

        color = calloc(n, sizeof(uint8_t));
        stack = malloc(n * sizeof(uint32_t));
        pos = malloc(n * sizeof(size_t));
        if (!color || !stack || !pos)
                return -ENOMEM;

        for (size_t root = 0; root < n; root++) {
                size_t sp = 0;

                if (color[root] != WHITE)
                        continue;

                color[root] = GREY;
                stack[sp] = (uint32_t) root;
                pos[sp++] = offset[root];

                while (sp > 0) {
                        uint32_t v = stack[sp - 1], w;
                        size_t e = pos[sp - 1];

                        while (e < offset[v + 1] && (dep_idx[e] == UINT32_MAX || color[dep_idx[e]] == BLACK))
                                e++;
                        if (e >= offset[v + 1]) {
                                color[v] = BLACK;
                                sp--;
                                continue;
                        }
                        pos[sp - 1] = e + 1;
                        w = dep_idx[e];

                        if (color[w] == WHITE) {
                                color[w] = GREY;
                                stack[sp] = w;
                                pos[sp++] = offset[w];
                                continue;
                        }

                        /* w is grey: it is on the stack, and stack[k..sp) is a cycle, each entry running
                         * after the next and the last after w. */
                        if (ret_cycle) {
                                size_t k = sp - 1;
                                uint64_t *c;

                                while (stack[k] != w)
                                        k--;
                                c = malloc((sp - k) * sizeof(uint64_t));
                                if (!c)
                                        return -ENOMEM;
                                for (size_t i = k; i < sp; i++)
                                        c[i - k] = specs[stack[i]].id;
                                *ret_cycle = c;
                                if (ret_n_cycle)
                                        *ret_n_cycle = sp - k;
                        }
                        return -ELOOP;
                }
        }

        return 0;
}

static void jobs_free_array(Sched *s, Job **jobs, size_t n) {
        for (size_t i = n; i > 0; i--)
                job_free(s, jobs[i - 1]);
        free(jobs);
}

int sched_add_batch(Sched *s, const SchedJobSpec *specs, size_t n, uint64_t *ret_bad_id,
                    uint64_t **ret_cycle, size_t *ret_n_cycle) {
        _cleanup_(sched_hashmap_done) SchedHashmap index = {};
        _cleanup_(freep) size_t *offset = NULL;
        _cleanup_(freep) uint32_t *dep_idx = NULL;
        size_t n_edges = 0, n_inner = 0;
        Job **jobs;
        int r;

        if (!s || (n > 0 && !specs))
                return -EINVAL;
        if (ret_cycle)
                *ret_cycle = NULL;
        if (ret_n_cycle)
                *ret_n_cycle = 0;
        if (n == 0)
                return 0;
        if (n >= UINT32_MAX)
                return -E2BIG;

        /* Check everything first: a refused batch changes nothing. */
        r = sched_hashmap_reserve(&index, n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                r = check_spec(s, specs + i);
                if (r >= 0 && (job_get(s, specs[i].id) ||
                               sched_hashmap_get(&index, specs[i].id, NULL, NULL)))
                        r = -EEXIST;
                if (r < 0) {
                        if (ret_bad_id)
                                *ret_bad_id = specs[i].id;
                        return r;
                }
                (void) sched_hashmap_put(&index, specs[i].id, (void *) (uintptr_t) (i + 1));
                n_edges += specs[i].n_after;
        }

        offset = malloc((n + 1) * sizeof(size_t));
        dep_idx = malloc(MAX(n_edges, (size_t) 1) * sizeof(uint32_t));
        if (!offset || !dep_idx)
                return -ENOMEM;
        for (size_t i = 0, e = 0; i < n; i++) {
                offset[i] = e;
                for (size_t k = 0; k < specs[i].n_after; k++, e++) {
                        uint64_t d = specs[i].after[k];
                        void *v = sched_hashmap_get(&index, d, NULL, NULL);

                        if (v) {
                                dep_idx[e] = (uint32_t) ((uintptr_t) v - 1);
                                n_inner++;
                        } else if (job_get(s, d))
                                dep_idx[e] = UINT32_MAX;
                        else {
                                if (ret_bad_id)
                                        *ret_bad_id = d;
                                return -ENOENT;
                        }
                }
        }
        offset[n] = n_edges;

        if (n_inner > 0) {
                r = find_cycle(specs, n, offset, dep_idx, ret_cycle, ret_n_cycle);
                if (r < 0)
                        return r;
        }

        /* Allocate everything; until the commit below, failing just frees what was built. */
        jobs = calloc(n, sizeof(Job *));
        if (!jobs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = job_new(s, specs + i, jobs + i);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < specs[i].n_after; k++) {
                        uint32_t x = dep_idx[offset[i] + k];

                        jobs[i]->deps[jobs[i]->n_deps++] =
                                x == UINT32_MAX ? job_get(s, specs[i].after[k]) : jobs[x];
                }

        r = sched_hashmap_reserve(&s->jobs, n);
        if (r < 0)
                goto fail;
        r = sched_heap_reserve(&s->ready,
                               s->counts.waiting + s->counts.queued + n - sched_heap_size(&s->ready));
        if (r < 0)
                goto fail;

        for (size_t i = 0; i < n; i++)
                for (uint32_t k = 0; k < jobs[i]->n_deps; k++)
                        jobs[i]->deps[k]->n_reserve++;
        for (size_t i = 0; i < n; i++)
                for (uint32_t k = 0; k < jobs[i]->n_deps; k++) {
                        Job *d = jobs[i]->deps[k];

                        if (d->n_reserve == 0)
                                continue;
                        if (r >= 0)
                                r = GREEDY_REALLOC(d->dependents, d->n_dependents_allocated,
                                                   d->n_dependents + d->n_reserve);
                        d->n_reserve = 0;
                }
        if (r < 0)
                goto fail;

        /* Commit; nothing can fail from here on. Link everything before settling anything, so that each
         * unfinished dependency is counted exactly once. A job waiting for a retry has met its dependencies
         * already: it counts none and is left WAITING for sched_job_retry_now() (settle() passes it by),
         * while its own dependents count it like any job that is not DONE. */
        for (size_t i = 0; i < n; i++) {
                jobs[i]->seq = s->next_seq++;
                jobs[i]->fresh = true;
                (void) sched_hashmap_put(&s->jobs, jobs[i]->id, jobs[i]);
                s->counts.waiting++;
        }
        for (size_t i = 0; i < n; i++)
                for (uint32_t k = 0; k < jobs[i]->n_deps; k++) {
                        Job *d = jobs[i]->deps[k];

                        d->dependents[d->n_dependents++] = jobs[i];
                        if (d->state != SCHED_DONE && !jobs[i]->retry_pending)
                                jobs[i]->n_unfinished++;
                }
        for (size_t i = 0; i < n; i++) {
                Job *j = jobs[i], *cause = NULL;

                if (j->retry_pending)
                        continue;

                for (uint32_t k = 0; k < j->n_deps && !cause; k++)
                        if (j->deps[k]->state == SCHED_DONE &&
                            !condition_satisfiable(j->condition, j->deps[k]->result))
                                cause = j->deps[k];

                if (cause) {
                        job_make_done(s, j, SCHED_RESULT_SKIPPED);
                        notify(s, j, cause->id, cause->result);
                } else if (j->n_unfinished == 0)
                        job_enqueue(s, j);
        }
        settle(s);

        for (size_t i = 0; i < n; i++)
                jobs[i]->fresh = false;
        free(jobs);
        return 0;

fail:
        jobs_free_array(s, jobs, n);
        return r;
}

int sched_add(Sched *s, const SchedJobSpec *spec, uint64_t *ret_bad_id) {
        int r;

        if (!s || !spec)
                return -EINVAL;

        r = sched_add_batch(s, spec, 1, ret_bad_id, NULL, NULL);
        if (r < 0)
                return r;

        return (int) job_get(s, spec->id)->state;
}

/* ---- starting and finishing ---- */

/* Where the job has to wait now: 1 and *ret is the park heap (*ret_blocker its run, group or pool), or 0
 * if it may start. */
static int job_find_park(Sched *s, Job *j, SchedHeap **ret, Blocker **ret_blocker) {
        int r;

        if (j->run && (j->run->held || j->run->running >= j->run->limit)) {
                *ret = &j->run->parked;
                *ret_blocker = &j->run->blocker;
                return 1;
        }

        if (j->group && (j->group->held || j->group->running >= j->group->limit)) {
                *ret = &j->group->parked;
                *ret_blocker = &j->group->blocker;
                return 1;
        }

        if (j->owner->running >= owner_policy(s, j->owner)->max_running) {
                *ret = &j->owner->parked;
                *ret_blocker = &j->owner->blocker;
                return 1;
        }

        for (uint32_t i = 0; i < j->n_resources; i++) {
                PoolBucket *b;

                if (pool_room(j->resources[i].pool) >= (int64_t) j->resources[i].amount)
                        continue;

                r = pool_bucket(j->resources[i].pool, j->resources[i].amount, &b);
                if (r < 0)
                        return r;
                *ret = &b->parked;
                *ret_blocker = &j->resources[i].pool->blocker;
                return 1;
        }

        return 0;
}

static void job_start(Sched *s, Job *j) {
        Level *v = j->lane->level;
        uint32_t n = 0;

        v->vtime = MAX(v->vtime, j->heap->e[j->heap_idx].key.b);
        job_unpark(s, j);

        for (uint32_t i = 0; i < j->n_resources; i++) {
                Pool *p = j->resources[i].pool;
                uint32_t want = j->resources[i].amount;

                p->in_use += want;
                if (!p->slots)
                        continue;

                /* The slots it prefers first, if they are free; then the first free ones, in the order the
                 * slots were defined. */
                for (uint32_t k = 0; k < j->n_preferred && want > 0; k++) {
                        Slot *t;

                        if (j->preferred[k].pool != p)
                                continue;
                        t = slot_find(p->by_name, p->n_slots, j->preferred[k].slot);
                        if (!t || t->holder != 0 || t->quarantined)
                                continue;
                        t->holder = j->id;
                        j->held[n] = t;
                        j->identities[n++] = t->identity;
                        p->n_available--;
                        want--;
                }
                for (size_t k = 0; k < p->n_slots && want > 0; k++) {
                        Slot *t = p->slot[k];

                        if (t->holder != 0 || t->quarantined)
                                continue;
                        t->holder = j->id;
                        j->held[n] = t;
                        j->identities[n++] = t->identity;
                        p->n_available--;
                        want--;
                }
        }
        if (j->identities)
                j->identities[n] = NULL;
        /* Preferences are for the first start only (a job restored with the slots it had). */
        j->preferred = mfree(j->preferred);
        j->n_preferred = 0;

        job_set_state(s, j, SCHED_RUNNING);
        j->attempts++;
        job_update_blockers(s, j);
}

int sched_next(Sched *s, uint64_t *ret_id) {
        Job *j;
        int r;

        if (!s || !ret_id)
                return -EINVAL;

        if (s->draining || s->counts.running >= s->max_parallel)
                return 0;

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

                r = job_find_park(s, j, &park, &to);
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
                job_move(j, park);
                j->parked_on = to;
                blocker_update(s, from);
                blocker_update(s, to);
        }

        job_start(s, j);
        *ret_id = j->id;
        return 1;
}

char *const *sched_job_slots(Sched *s, uint64_t id) {
        Job *j = s ? job_get(s, id) : NULL;

        if (!j || j->state != SCHED_RUNNING || j->n_slots == 0)
                return NULL;
        return j->identities;
}

/* Whether a failure of this owner on the slot adds to its count: an owner whose failures count once adds
 * one per streak of failures, so that one user's failing jobs alone cannot quarantine a shared slot. */
static bool slot_count_failure(const Sched *s, Slot *t, const Owner *o) {
        uint32_t *a;

        if (!owner_policy(s, o)->slot_failures_once)
                return true;
        for (size_t i = 0; i < t->n_failed_owners; i++)
                if (t->failed_owners[i] == o->uid)
                        return false;
        /* Out of memory: count it, as if the owner's failures always counted. */
        a = reallocarray(t->failed_owners, t->n_failed_owners + 1, sizeof(uint32_t));
        if (a) {
                t->failed_owners = a;
                a[t->n_failed_owners++] = o->uid;
        }
        return true;
}

static void slot_release(Sched *s, Slot *t, const Owner *o, SchedResult result) {
        Pool *p = t->pool;

        if (result == SCHED_RESULT_SUCCESS) {
                t->consecutive_failures = 0;
                t->failed_owners = mfree(t->failed_owners);
                t->n_failed_owners = 0;
        } else if (t->consecutive_failures < UINT32_MAX && slot_count_failure(s, t, o))
                t->consecutive_failures++;

        t->holder = 0;
        p->in_use--;

        if (t->retired) {
                for (size_t i = 0; i < p->n_retired; i++)
                        if (p->retired[i] == t) {
                                p->retired[i] = p->retired[--p->n_retired];
                                break;
                        }
                slot_free(t);
                return;
        }

        if (p->quarantine_after > 0 && t->consecutive_failures >= p->quarantine_after && !t->quarantined) {
                t->quarantined = true;
                if (s->cb.slot_quarantined)
                        s->cb.slot_quarantined(s->userdata, p->name, t->name);
                return;
        }
        if (!t->quarantined)
                p->n_available++;
}

static bool job_should_retry(const Job *j, SchedResult result, int exit_code) {
        uint32_t mask = j->retry_on ?: SCHED_RETRY_DEFAULT_RESULTS;

        if (j->attempts > j->retries)
                return false;
        if (j->n_retry_exit_codes > 0)
                mask |= 1U << SCHED_RESULT_FAILED;
        if (!(mask & ~RETRY_NEVER_RESULTS & (1U << result)))
                return false;

        if (result == SCHED_RESULT_FAILED && j->n_retry_exit_codes > 0) {
                for (uint32_t i = 0; i < j->n_retry_exit_codes; i++)
                        if (j->retry_exit_codes[i] == exit_code)
                                return true;
                return false;
        }
        return true;
}

int sched_job_finished(Sched *s, uint64_t id, SchedResult result, int exit_code) {
        bool retry;
        Job *j;

        if (!s || result < 0 || result >= _SCHED_RESULT_MAX)
                return -EINVAL;

        j = job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state != SCHED_RUNNING)
                return -ESTALE;

        for (uint32_t i = 0; i < j->n_resources; i++)
                if (!j->resources[i].pool->slots)
                        j->resources[i].pool->in_use -= j->resources[i].amount;
        for (uint32_t i = 0; i < j->n_slots; i++) {
                if (j->held[i])
                        slot_release(s, j->held[i], j->owner, result);
                j->held[i] = NULL;
                j->identities[i] = NULL;
        }

        retry = job_should_retry(j, result, exit_code);
        if (retry) {
                j->retry_pending = true;
                job_set_state(s, j, SCHED_WAITING);
        } else
                job_make_done(s, j, result);

        job_update_blockers(s, j);
        settle(s);

        return retry ? SCHED_FINISH_RETRY : SCHED_FINISH_DONE;
}

int sched_job_retry_now(Sched *s, uint64_t id) {
        Job *j;

        if (!s)
                return -EINVAL;

        j = job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state != SCHED_WAITING || !j->retry_pending)
                return -ESTALE;

        j->retry_pending = false;
        job_enqueue(s, j);
        return 0;
}

uint32_t sched_job_attempts(Sched *s, uint64_t id) {
        Job *j = s ? job_get(s, id) : NULL;

        return j ? j->attempts : 0;
}

int sched_cancel(Sched *s, uint64_t id) {
        Job *j;

        if (!s)
                return -EINVAL;

        j = job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state == SCHED_RUNNING)
                return -EBUSY;
        if (j->state == SCHED_DONE)
                return -EALREADY;

        job_make_done(s, j, SCHED_RESULT_CANCELLED);
        settle(s);
        return 0;
}

static size_t remove_all(Job **a, size_t n, const Job *x) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (a[i] != x)
                        a[k++] = a[i];
        return k;
}

int sched_forget(Sched *s, uint64_t id) {
        Job *j;

        if (!s)
                return -EINVAL;

        j = job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state != SCHED_DONE)
                return -EBUSY;
        for (size_t i = 0; i < j->n_dependents; i++)
                if (j->dependents[i]->state != SCHED_DONE)
                        return -EBUSY;

        /* Unlink both directions, so neither side is left with a dangling pointer. */
        for (uint32_t i = 0; i < j->n_deps; i++)
                j->deps[i]->n_dependents = remove_all(j->deps[i]->dependents, j->deps[i]->n_dependents, j);
        for (size_t i = 0; i < j->n_dependents; i++) {
                Job *d = j->dependents[i];

                d->n_deps = (uint32_t) remove_all(d->deps, d->n_deps, j);
        }

        sched_hashmap_remove(&s->jobs, j->id, j);
        s->counts.done--;
        job_free(s, j);
        return 0;
}

SchedState sched_job_state(Sched *s, uint64_t id) {
        Job *j = s ? job_get(s, id) : NULL;

        return j ? j->state : _SCHED_STATE_INVALID;
}

/* ---- limits, holds, pools ---- */

void sched_set_max_parallel(Sched *s, uint32_t n) {
        if (s)
                s->max_parallel = n;
}

uint32_t sched_get_max_parallel(Sched *s) {
        return s ? s->max_parallel : 0;
}

int sched_set_group_limit(Sched *s, const char *group, uint32_t limit) {
        Group *g;
        int r;

        if (!s)
                return -EINVAL;
        r = check_name(group);
        if (r < 0)
                return r;

        r = group_acquire(s, group, &g);
        if (r < 0)
                return r;

        g->limit = limit;
        blocker_update(s, &g->blocker);
        group_gc(s, g);
        return 0;
}

int sched_set_group_held(Sched *s, const char *group, bool held) {
        Group *g;
        int r;

        if (!s)
                return -EINVAL;
        r = check_name(group);
        if (r < 0)
                return r;

        r = group_acquire(s, group, &g);
        if (r < 0)
                return r;

        g->held = held;
        blocker_update(s, &g->blocker);
        group_gc(s, g);
        return 0;
}

int sched_set_run_held(Sched *s, uint64_t run, bool held) {
        Run *x;
        int r;

        if (!s || run == 0)
                return -EINVAL;

        /* Releasing a run the Sched knows nothing of changes nothing: no need to create it. */
        x = run_get(s, run);
        if (!x && !held)
                return 0;

        r = run_acquire(s, run, &x);
        if (r < 0)
                return r;

        x->held = held;
        blocker_update(s, &x->blocker);
        run_gc(s, x);
        return 0;
}

int sched_set_run_limit(Sched *s, uint64_t run, uint32_t limit) {
        Run *x;
        int r;

        if (!s || run == 0)
                return -EINVAL;

        x = run_get(s, run);
        if (!x && limit == SCHED_UNLIMITED)
                return 0;

        r = run_acquire(s, run, &x);
        if (r < 0)
                return r;

        x->limit = limit;
        blocker_update(s, &x->blocker);
        run_gc(s, x);
        return 0;
}

void sched_set_draining(Sched *s, bool draining) {
        if (s)
                s->draining = draining;
}

void sched_set_owner_default(Sched *s, const SchedOwnerPolicy *p) {
        Owner *o;

        if (!s || !p)
                return;
        s->owner_default = *p;
        for (size_t i = 0; (o = sched_hashmap_iterate(&s->owners, &i)); )
                if (!o->own_policy)
                        blocker_update(s, &o->blocker);
}

int sched_set_owner_policy(Sched *s, uint32_t owner, const SchedOwnerPolicy *p) {
        Owner *o;
        int r;

        if (!s)
                return -EINVAL;

        o = sched_hashmap_get(&s->owners, owner, NULL, NULL);
        if (!o && !p)
                return 0;
        r = owner_acquire(s, owner, &o);
        if (r < 0)
                return r;

        o->own_policy = !!p;
        if (p)
                o->policy = *p;
        blocker_update(s, &o->blocker);
        owner_gc(s, o);
        return 0;
}

static int check_pool_name(const char *name) {
        int r;

        r = check_name(name);
        if (r < 0)
                return r;
        /* Slot identities are "POOL=SLOT": the first '=' must end the pool name. */
        if (strchr(name, '='))
                return -EINVAL;
        return 0;
}

static int pool_acquire(Sched *s, const char *name, bool slots, Pool **ret) {
        Pool *p;
        int r;

        p = pool_get(s, name);
        if (p) {
                if (p->slots != slots)
                        return -EEXIST;
                *ret = p;
                return 0;
        }

        r = sched_hashmap_reserve(&s->pools, 1);
        if (r < 0)
                return r;
        p = calloc(1, sizeof(Pool));
        if (!p)
                return -ENOMEM;
        p->name = strdup(name);
        if (!p->name) {
                free(p);
                return -ENOMEM;
        }
        r = blocker_init(s, &p->blocker, BLOCKER_POOL);
        if (r < 0) {
                pool_free(p);
                return r;
        }
        p->hash = sched_hash_string(name);
        p->slots = slots;

        (void) sched_hashmap_put(&s->pools, p->hash, p);
        *ret = p;
        return 0;
}

int sched_set_pool(Sched *s, const char *pool, uint32_t capacity) {
        Pool *p;
        int r;

        if (!s)
                return -EINVAL;
        r = check_pool_name(pool);
        if (r < 0)
                return r;

        r = pool_acquire(s, pool, false, &p);
        if (r < 0)
                return r;

        p->capacity = capacity;
        blocker_update(s, &p->blocker);
        return 0;
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static Slot *retired_take(Pool *p, const char *name) {
        for (size_t i = 0; i < p->n_retired; i++)
                if (streq(p->retired[i]->name, name)) {
                        Slot *t = p->retired[i];

                        p->retired[i] = p->retired[--p->n_retired];
                        t->retired = false;
                        return t;
                }
        return NULL;
}

static Slot *slot_new(Pool *p, const char *name) {
        Slot *t;
        size_t lp = strlen(p->name), ls = strlen(name);

        t = calloc(1, sizeof(Slot));
        if (!t)
                return NULL;
        t->pool = p;
        t->name = strdup(name);
        t->identity = malloc(lp + 1 + ls + 1);
        if (!t->name || !t->identity)
                return slot_free(t);
        memcpy(t->identity, p->name, lp);
        t->identity[lp] = '=';
        memcpy(t->identity + lp + 1, name, ls + 1);
        return t;
}

int sched_set_slot_pool(Sched *s, const char *pool, char *const *slots, uint32_t quarantine_after) {
        _cleanup_(freep) Slot **slot = NULL, **by_name = NULL;
        _cleanup_(freep) bool *created = NULL, *kept = NULL;
        _cleanup_(freep) char **names = NULL;
        size_t n = 0;
        Pool *p;
        int r;

        if (!s || !slots)
                return -EINVAL;
        r = check_pool_name(pool);
        if (r < 0)
                return r;
        p = pool_get(s, pool);
        if (p && !p->slots)
                return -EEXIST;

        for (; slots[n]; n++) {
                if (n >= SCHED_SLOTS_MAX)
                        return -E2BIG;
                r = check_name(slots[n]);
                if (r < 0)
                        return r;
        }
        names = malloc(MAX(n, (size_t) 1) * sizeof(char *));
        if (!names)
                return -ENOMEM;
        memcpy(names, slots, n * sizeof(char *));
        qsort(names, n, sizeof(char *), str_cmp);
        for (size_t i = 1; i < n; i++)
                if (streq(names[i - 1], names[i]))
                        return -EINVAL;

        r = pool_acquire(s, pool, true, &p);
        if (r < 0)
                return r;

        slot = calloc(MAX(n, (size_t) 1), sizeof(Slot *));
        by_name = calloc(MAX(n, (size_t) 1), sizeof(Slot *));
        created = calloc(MAX(n, (size_t) 1), sizeof(bool));
        kept = calloc(MAX(p->n_slots, (size_t) 1), sizeof(bool));
        if (!slot || !by_name || !created || !kept) {
                r = -ENOMEM;
                goto fail;
        }

        /* Slots that keep their name keep their object, and so their holder, failures and quarantine. */
        for (size_t i = 0; i < n; i++) {
                Slot *t = slot_find(p->by_name, p->n_slots, slots[i]);

                if (t)
                        kept[t->idx] = true;
                else {
                        t = slot_new(p, slots[i]);
                        if (!t) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        created[i] = true;
                }
                slot[i] = t;
        }
        r = GREEDY_REALLOC(p->retired, p->n_retired_allocated, p->n_retired + p->n_slots);
        if (r < 0)
                goto fail;

        /* Commit. A slot that comes back while its old object is still held is that object again. */
        for (size_t i = 0; i < n; i++) {
                Slot *t;

                if (!created[i] || !(t = retired_take(p, slot[i]->name)))
                        continue;
                slot_free(slot[i]);
                slot[i] = t;
        }
        for (size_t k = 0; k < p->n_slots; k++) {
                if (kept[k])
                        continue;
                if (p->slot[k]->holder != 0) {
                        p->slot[k]->retired = true;
                        p->retired[p->n_retired++] = p->slot[k];
                } else
                        slot_free(p->slot[k]);
        }

        free(p->slot);
        free(p->by_name);
        p->slot = TAKE_PTR(slot);
        p->n_slots = n;
        memcpy(by_name, p->slot, n * sizeof(Slot *));
        qsort(by_name, n, sizeof(Slot *), slot_cmp);
        p->by_name = TAKE_PTR(by_name);
        p->quarantine_after = quarantine_after;
        p->n_available = 0;
        for (size_t i = 0; i < n; i++) {
                p->slot[i]->idx = i;
                if (p->slot[i]->holder == 0 && !p->slot[i]->quarantined)
                        p->n_available++;
        }

        blocker_update(s, &p->blocker);
        return 0;

fail:
        for (size_t i = 0; slot && created && i < n; i++)
                if (created[i])
                        slot_free(slot[i]);
        return r;
}

int sched_release_slot(Sched *s, const char *pool, const char *slot) {
        Pool *p;
        Slot *t;

        if (!s || !pool || !slot)
                return -EINVAL;

        p = pool_get(s, pool);
        if (!p || !p->slots)
                return -ENOENT;
        t = slot_find(p->by_name, p->n_slots, slot);
        if (!t)
                return -ENOENT;
        if (!t->quarantined)
                return 0;

        t->quarantined = false;
        t->consecutive_failures = 0;
        t->failed_owners = mfree(t->failed_owners);
        t->n_failed_owners = 0;
        if (t->holder == 0)
                p->n_available++;
        blocker_update(s, &p->blocker);
        return 1;
}

int sched_set_slot_health(Sched *s, const char *pool, const char *slot, uint32_t consecutive_failures,
                          bool quarantined) {
        Pool *p;
        Slot *t;

        if (!s || !pool || !slot)
                return -EINVAL;

        p = pool_get(s, pool);
        if (!p || !p->slots)
                return -ENOENT;
        t = slot_find(p->by_name, p->n_slots, slot);
        if (!t)
                return -ENOENT;

        t->consecutive_failures = consecutive_failures;
        if (t->quarantined == quarantined)
                return 0;

        /* A held slot is not counted available either way: its release decides. */
        t->quarantined = quarantined;
        if (t->holder == 0) {
                if (quarantined)
                        p->n_available--;
                else
                        p->n_available++;
        }
        blocker_update(s, &p->blocker);
        return 0;
}

void sched_get_counts(Sched *s, SchedCounts *ret) {
        if (!ret)
                return;
        *ret = s ? s->counts : (SchedCounts) {};
}

/* ---- introspection ---- */

static int name_cmp(const void *a, const void *b) {
        return strcmp(**(char *const *const *) a, **(char *const *const *) b);
}

/* The objects of a name table, sorted by name. */
static int sorted_by_name(const SchedHashmap *h, void ***ret) {
        void **a, *v;
        size_t n = 0;

        a = malloc(MAX(sched_hashmap_size(h), (size_t) 1) * sizeof(void *));
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; (v = sched_hashmap_iterate(h, &i)); )
                a[n++] = v;
        qsort(a, n, sizeof(void *), name_cmp);

        *ret = a;
        return (int) n;
}

int sched_foreach_pool(Sched *s, int (*f)(void *userdata, const SchedPoolInfo *p), void *userdata) {
        _cleanup_(freep) void **a = NULL;
        int n;

        if (!s || !f)
                return -EINVAL;

        n = sorted_by_name(&s->pools, &a);
        if (n < 0)
                return n;

        for (int i = 0; i < n; i++) {
                const Pool *p = a[i];
                SchedPoolInfo info = {
                        .name = p->name,
                        .slots = p->slots,
                        .capacity = (uint32_t) pool_size(p),
                        .in_use = (uint32_t) MIN(p->in_use, (uint64_t) UINT32_MAX),
                        .quarantine_after = p->slots ? p->quarantine_after : 0,
                };
                int r;

                r = f(userdata, &info);
                if (r != 0)
                        return r;
        }
        return 0;
}

int sched_foreach_slot(Sched *s, const char *pool, int (*f)(void *userdata, const SchedSlotInfo *i),
                       void *userdata) {
        Pool *p;

        if (!s || !pool || !f)
                return -EINVAL;

        p = pool_get(s, pool);
        if (!p)
                return -ENOENT;

        for (size_t i = 0; i < p->n_slots; i++) {
                const Slot *t = p->by_name[i];
                SchedSlotInfo info = {
                        .name = t->name,
                        .holder = t->holder,
                        .consecutive_failures = t->consecutive_failures,
                        .quarantined = t->quarantined,
                };
                int r;

                r = f(userdata, &info);
                if (r != 0)
                        return r;
        }
        return 0;
}

int sched_foreach_group(Sched *s, int (*f)(void *userdata, const SchedGroupInfo *g), void *userdata) {
        _cleanup_(freep) void **a = NULL;
        int n;

        if (!s || !f)
                return -EINVAL;

        n = sorted_by_name(&s->groups, &a);
        if (n < 0)
                return n;

        for (int i = 0; i < n; i++) {
                const Group *g = a[i];
                SchedGroupInfo info = {
                        .name = g->name,
                        .limit = g->limit,
                        .running = g->running,
                        .queued = g->queued,
                        .held = g->held,
                };
                int r;

                r = f(userdata, &info);
                if (r != 0)
                        return r;
        }
        return 0;
}

int sched_get_run(Sched *s, uint64_t run, SchedRunInfo *ret) {
        const Run *x;

        if (!s || run == 0 || !ret)
                return -EINVAL;

        x = run_get(s, run);
        if (!x) {
                *ret = (SchedRunInfo) { .id = run, .limit = SCHED_UNLIMITED };
                return 0;
        }

        *ret = (SchedRunInfo) {
                .id = run,
                .limit = x->limit,
                .running = x->running,
                .queued = x->queued,
                .held = x->held,
        };
        return 1;
}

/* ---- life cycle ---- */

int sched_new(const SchedCallbacks *cb, void *userdata, Sched **ret) {
        Sched *s;

        if (!ret)
                return -EINVAL;

        s = calloc(1, sizeof(Sched));
        if (!s)
                return -ENOMEM;

        if (cb)
                s->cb = *cb;
        s->userdata = userdata;
        s->ready = (SchedHeap) SCHED_HEAP_INIT(Job, heap_idx);
        s->eligible = (SchedHeap) SCHED_HEAP_INIT(Blocker, eligible_idx);
        s->max_parallel = SCHED_UNLIMITED;
        s->owner_default = (SchedOwnerPolicy) { .max_running = SCHED_UNLIMITED };
        s->next_seq = 1;

        *ret = s;
        return 0;
}

Sched *sched_free(Sched *s) {
        Job **all;
        Owner *o;
        Group *g;
        size_t n;
        Pool *p;
        Run *x;
        Job *j;

        if (!s)
                return NULL;

        /* Heaps first: they point at jobs. */
        sched_heap_done(&s->ready);
        sched_heap_done(&s->eligible);
        for (size_t i = 0; (x = sched_hashmap_iterate(&s->runs, &i)); )
                sched_heap_done(&x->parked);
        for (size_t i = 0; (g = sched_hashmap_iterate(&s->groups, &i)); )
                sched_heap_done(&g->parked);
        for (size_t i = 0; (o = sched_hashmap_iterate(&s->owners, &i)); )
                sched_heap_done(&o->parked);
        for (size_t i = 0; (p = sched_hashmap_iterate(&s->pools, &i)); )
                for (size_t k = 0; k < p->n_buckets; k++)
                        sched_heap_done(&p->buckets[k]->parked);

        /* Jobs drop their runs, groups and lanes as they go: take them out of their table first. */
        n = sched_hashmap_size(&s->jobs);
        all = malloc(MAX(n, (size_t) 1) * sizeof(Job *));
        if (all) {
                size_t k = 0;

                for (size_t i = 0; (j = sched_hashmap_iterate(&s->jobs, &i)); )
                        all[k++] = j;
                sched_hashmap_done(&s->jobs);
                for (size_t i = 0; i < n; i++)
                        job_free(s, all[i]);
                free(all);
        } else
                /* Out of memory: slower, but it still frees everything. */
                while (sched_hashmap_size(&s->jobs) > 0) {
                        size_t i = 0;

                        j = sched_hashmap_iterate(&s->jobs, &i);
                        sched_hashmap_remove(&s->jobs, j->id, j);
                        job_free(s, j);
                }
        sched_hashmap_done(&s->jobs);

        for (size_t i = 0; (x = sched_hashmap_iterate(&s->runs, &i)); )
                run_free(x);
        sched_hashmap_done(&s->runs);
        for (size_t i = 0; (g = sched_hashmap_iterate(&s->groups, &i)); )
                group_free(g);
        sched_hashmap_done(&s->groups);
        for (size_t i = 0; (o = sched_hashmap_iterate(&s->owners, &i)); )
                owner_free(o);
        sched_hashmap_done(&s->owners);
        for (size_t i = 0; (p = sched_hashmap_iterate(&s->pools, &i)); )
                pool_free(p);
        sched_hashmap_done(&s->pools);
        sched_hashmap_done(&s->lanes);
        sched_hashmap_done(&s->levels);

        return mfree(s);
}
