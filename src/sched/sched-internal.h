/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler's objects and the functions its files share. Private to src/sched: sched.h is the API.
 * sched.c says how the pieces fit. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sched-hashmap.h"
#include "sched-heap.h"
#include "sched-util.h"
#include "sched.h"

typedef struct SchedJob SchedJob;
typedef struct Level Level;
typedef struct Lane Lane;
typedef struct Group Group;
typedef struct Owner Owner;
typedef struct SchedRun SchedRun;
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
        SchedJob *candidate;
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
        uint32_t tokens;                /* slots held by jobserver tokens (sched_set_group_tokens()) */
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

struct SchedRun {                       /* exists while jobs or settings refer to it, like a group */
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

struct SchedJob {
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
        bool on_hold:1;                 /* stays WAITING until sched_job_set_held(false) */

        Lane *lane;                     /* NULL once DONE */
        Owner *owner;
        Group *group;
        SchedRun *run;
        int32_t priority;

        Blocker *parked_on;             /* the run, group or pool whose park heap it is in */

        SchedJob *settle_next;          /* intrusive FIFO of jobs whose dependents must be settled */
        SchedJob **dependents;
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
        SchedJob *deps[];
};

struct Sched {
        SchedCallbacks cb;
        void *userdata;

        SchedHashmap jobs;              /* id → SchedJob */
        SchedHashmap lanes;             /* priority << 32 | owner → Lane */
        SchedHashmap levels;            /* priority → Level */
        SchedHashmap groups;            /* hash(name) → Group */
        uint32_t n_groups_set;          /* groups with a limit or a hold (sched_count_groups_set()) */
        SchedHashmap pools;             /* hash(name) → Pool */
        SchedHashmap runs;              /* id → SchedRun */
        SchedHashmap owners;            /* uid → Owner */
        SchedOwnerPolicy owner_default; /* of owners without a policy of their own */
        SchedRun *last_run;             /* the run last acquired, or NULL */

        SchedHeap ready;
        SchedHeap eligible;             /* Blockers with a candidate */
        size_t n_blockers;
        uint64_t next_seq;

        uint32_t max_parallel;
        uint32_t tokens;                /* slots held by jobserver tokens (sched_set_tokens()) */
        bool draining;
        SchedCounts counts;

        SchedJob *settle_head, *settle_tail;
};

#define container_of(ptr, type, member) ((type *) ((uint8_t *) (ptr) - offsetof(type, member)))

/* sched.c: the state setter and the settling of dependents */
void sched_job_set_state(Sched *s, SchedJob *j, SchedState state);
void sched_notify(Sched *s, SchedJob *j, uint64_t cause_id, SchedResult cause_result);
bool sched_condition_satisfiable(SchedCondition c, SchedResult r);
void sched_job_make_done(Sched *s, SchedJob *j, SchedResult result);
void sched_settle(Sched *s);

/* sched-dag.c: jobs and their dependencies */
SchedJob *sched_job_free(Sched *s, SchedJob *j);

/* sched-lanes.c: fairness lanes and the ready heap */
void sched_lane_unref(Sched *s, Lane *l);
int sched_lane_acquire(Sched *s, int32_t priority, uint32_t owner, Lane **ret);
void sched_job_enqueue(Sched *s, SchedJob *j);

/* sched-block.c: runs, groups, owners as blockers; parking */
int sched_blocker_init(Sched *s, Blocker *b, BlockerKind kind);
Group *sched_group_free(Group *g);
void sched_group_gc(Sched *s, Group *g);
int sched_group_acquire(Sched *s, const char *name, Group **ret);
Owner *sched_owner_free(Owner *o);
void sched_owner_gc(Sched *s, Owner *o);
int sched_owner_acquire(Sched *s, uint32_t uid, Owner **ret);
SchedRun *sched_run_get(Sched *s, uint64_t id);
SchedRun *sched_run_free(SchedRun *x);
void sched_run_gc(Sched *s, SchedRun *x);
int sched_run_acquire(Sched *s, uint64_t id, SchedRun **ret);
void sched_blocker_update(Sched *s, Blocker *b);
void sched_job_update_blockers(Sched *s, SchedJob *j);
void sched_job_unpark(Sched *s, SchedJob *j);
int sched_pick(Sched *s, SchedJob **ret);

/* sched-pools.c: pools, slots, quarantine */
Pool *sched_pool_get(Sched *s, const char *name);
Pool *sched_pool_free(Pool *p);
int sched_pool_bucket(Pool *p, uint32_t amount, PoolBucket **ret);
SchedJob *sched_pool_candidate(Pool *p);
int sched_job_init_preferred(SchedJob *j, char *const *slots);
void sched_job_take_resources(SchedJob *j);
void sched_job_release_resources(Sched *s, SchedJob *j, SchedResult result);

/* sched-retry.c */
bool sched_job_should_retry(const SchedJob *j, SchedResult result, int exit_code);

/* Objects found by name (groups, pools) start with their name. */
static inline bool sched_match_name(const void *value, const void *data) {
        return streq(*(char *const *) value, data);
}

static inline int sched_check_name(const char *name) {
        if (isempty(name))
                return -EINVAL;
        if (strlen(name) > SCHED_NAME_MAX)
                return -E2BIG;
        return 0;
}

static inline const SchedOwnerPolicy *sched_owner_policy(const Sched *s, const Owner *o) {
        return o->own_policy ? &o->policy : &s->owner_default;
}

/* How much a pool could hand out now. May be negative after a capacity cut. */
static inline int64_t sched_pool_room(const Pool *p) {
        if (p->slots)
                return (int64_t) p->n_available;
        return (int64_t) p->capacity - (int64_t) p->in_use;
}

static inline uint64_t sched_pool_size(const Pool *p) {
        return p->slots ? p->n_slots : p->capacity;
}

/* Whether a group's running jobs plus the slots its jobserver tokens hold leave no room. */
static inline bool sched_group_full(const Group *g) {
        return (uint64_t) g->running + g->tokens >= g->limit;
}

static inline SchedJob *sched_job_get(const Sched *s, uint64_t id) {
        return sched_hashmap_get(&s->jobs, id, NULL, NULL);
}
/* The job by id if it has not started: -EINVAL (no s), -ENOENT, -EBUSY (running), -EALREADY (done). */
int sched_job_get_unstarted(Sched *s, uint64_t id, SchedJob **ret);
