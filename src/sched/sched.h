/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The scheduler: pure logic, no I/O, no sd-*, no logging, no clocks. It decides which job may start next;
 * the caller (src/core) does the starting and reports back how each job ended.
 *
 * A job enters with sched_add()/sched_add_batch() and is then, from the scheduler's point of view:
 *
 *   WAITING  - some dependency has not finished yet (or has not finished the way the condition wants),
 *              or it waits for sched_job_retry_now() before another attempt
 *   QUEUED   - runnable; waits for the global limit, its run's, its group's and its owner's limits, its
 *              run/group not being held, the scheduler not draining, and its resources
 *   RUNNING  - handed out by sched_next(); holds one global slot, one run slot, one group slot and its
 *              resources until sched_job_finished()
 *   DONE     - finished (any result), or skipped because a dependency can no longer satisfy its condition,
 *              or cancelled before it started
 *
 * Ownership: the Sched owns its per-job records; job ids are the caller's (non-zero, unique). Strings
 * passed in are copied. Every function that can fail returns a negative errno; "nothing to do" is 0, not
 * an error.
 *
 * Notifications go through SchedCallbacks, called synchronously from inside the sched_* call that caused
 * them. Callbacks must not call back into the Sched (record what happened and act on it afterwards).
 * What happens to the job a call names is not reported (the caller knows), except a skip at add time;
 * so callbacks from sched_add()/sched_add_batch() may name jobs of that very batch.
 *
 * Cost: adding is O(deps) per job, sched_next() and sched_job_finished() O(log n) plus the dependents
 * they settle; a job blocked by its run, group or a pool waits aside and is looked at again only when
 * that blocker gets room, so blocked jobs are never rescanned.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Sched Sched;

#define SCHED_UNLIMITED UINT32_MAX

/* Bounds a client can hit, checked by sched_add(): -E2BIG when exceeded. */
#define SCHED_DEPS_MAX          4096U
#define SCHED_RESOURCES_MAX     32U
#define SCHED_NAME_MAX          255U
#define SCHED_EXIT_CODES_MAX    256U    /* SchedRetryPolicy.n_on_exit_codes */
#define SCHED_SLOTS_MAX         4096U   /* slots of one slot pool (sched_set_slot_pool()) */

typedef enum SchedCondition {
        SCHED_AFTER_SUCCESS,    /* every dependency succeeded (default) */
        SCHED_AFTER_FAILURE,    /* every dependency finished with a result other than success */
        SCHED_AFTER_ANY,        /* every dependency finished, whatever its result */
        _SCHED_CONDITION_MAX,
        _SCHED_CONDITION_INVALID = -22,
} SchedCondition;

const char *sched_condition_to_string(SchedCondition c);
SchedCondition sched_condition_from_string(const char *s);

/* How a job ended, as far as scheduling is concerned. Mirrors JobResult in src/shared/job-enums.h but the
 * scheduler does not depend on it. */
typedef enum SchedResult {
        SCHED_RESULT_SUCCESS,
        SCHED_RESULT_FAILED,     /* non-zero exit, exec failure, ... */
        SCHED_RESULT_KILLED,     /* a signal */
        SCHED_RESULT_TIMEOUT,
        SCHED_RESULT_OOM,
        SCHED_RESULT_SKIPPED,
        SCHED_RESULT_CANCELLED,
        SCHED_RESULT_LOST,
        _SCHED_RESULT_MAX,
        _SCHED_RESULT_INVALID = -22,
} SchedResult;

const char *sched_result_to_string(SchedResult r);

typedef enum SchedState {
        SCHED_WAITING,
        SCHED_QUEUED,
        SCHED_RUNNING,
        SCHED_DONE,
        _SCHED_STATE_MAX,
        _SCHED_STATE_INVALID = -22,
} SchedState;

/* What on_results == 0 means, the RetryOn default of org.jobd1(5): endings of the job's own, not "lost" (it
 * ended while jobd was not running and its outcome is unknown: it may well have done its work). */
#define SCHED_RETRY_DEFAULT_RESULTS                                                                     \
        ((1U << SCHED_RESULT_FAILED) | (1U << SCHED_RESULT_KILLED) | (1U << SCHED_RESULT_TIMEOUT) |     \
         (1U << SCHED_RESULT_OOM))

/* Which results trigger a retry (bit mask of 1U << SchedResult) plus specific exit codes.
 * on_results == 0 means SCHED_RETRY_DEFAULT_RESULTS. A non-empty on_exit_codes implies FAILED
 * and restricts it to those codes (other results are retried per on_results). SUCCESS, SKIPPED and
 * CANCELLED are never retried. */
typedef struct SchedRetryPolicy {
        uint32_t retries;              /* additional attempts after the first; 0: none */
        uint32_t on_results;           /* e.g. (1U << SCHED_RESULT_FAILED) | (1U << SCHED_RESULT_TIMEOUT) */
        const int *on_exit_codes;      /* if non-empty, a FAILED result retries only for these codes */
        size_t n_on_exit_codes;        /* at most SCHED_EXIT_CODES_MAX */
} SchedRetryPolicy;

typedef struct SchedResourceRequest {
        const char *pool;              /* each pool at most once per job */
        uint32_t amount;               /* tokens of a counted pool, or slots of a slot pool; 0: none */
} SchedResourceRequest;

typedef struct SchedJobSpec {
        uint64_t id;                   /* non-zero, unique */
        int32_t priority;              /* higher starts first */
        uint32_t owner;                /* uid; equal-priority jobs of different owners start round robin */
        const char *group;             /* NULL or "": no group */
        uint64_t run;                  /* 0: not part of a run (plan); see sched_set_run_limit() */
        const uint64_t *after;         /* dependencies: ids known to the Sched, or in the same batch */
        size_t n_after;
        SchedCondition after_condition;
        const SchedResourceRequest *resources;
        size_t n_resources;
        SchedRetryPolicy retry;
        uint32_t attempts;             /* attempts this job already made before it was added (a job restored
                                        * after a restart of the daemon); its retry policy counts them, and so
                                        * does sched_job_attempts(). 0: none. More than retries + 1 is taken
                                        * as it is: the job then gets no retry. */
        char *const *slots;            /* NULL, or NULL-terminated "POOL=SLOT" identities (as sched_job_slots()
                                        * hands them out) the job prefers: when it first starts, it takes those
                                        * of each slot pool it asks for that exist, are free and not
                                        * quarantined, then the first free ones as usual. Copied; entries of
                                        * other pools and unknown slots are ignored. Not used for retries,
                                        * so not for a job added retry_pending either. */
        bool retry_pending;            /* the job is waiting for another attempt (a job restored after a
                                        * restart while it waited for its retry delay): it is added WAITING,
                                        * held as after sched_job_finished() returned SCHED_FINISH_RETRY,
                                        * until sched_job_retry_now() makes it QUEUED (its dependencies are
                                        * not looked at again: they were met when it first started; that
                                        * attempt is made whatever its retry policy says). It holds no
                                        * slot of its run, group or pools meanwhile; jobs that depend on it
                                        * wait for it like for any unfinished job. sched_cancel() ends it.
                                        * Requires attempts >= 1: -EINVAL otherwise. */
        bool held;                     /* added held: WAITING whatever its dependencies, until
                                        * sched_job_set_held() lets it go */
} SchedJobSpec;

typedef struct SchedCallbacks {
        /* The job's scheduling state changed (WAITING→QUEUED, QUEUED→RUNNING is NOT reported: the caller
         * learns that from sched_next(); →DONE is reported only for skips and cancels the scheduler
         * decided on its own, i.e. not for the job passed to sched_job_finished() itself).
         * For a skip: result == SCHED_RESULT_SKIPPED, cause_id is the dependency that could no longer
         * satisfy the condition and cause_result is how it ended. Otherwise cause_id is 0. */
        void (*state_changed)(void *userdata, uint64_t id, SchedState state, SchedResult result,
                              uint64_t cause_id, SchedResult cause_result);
        /* A slot of a slot pool was quarantined after too many consecutive failures on it. */
        void (*slot_quarantined)(void *userdata, const char *pool, const char *slot);
} SchedCallbacks;

/* cb may be NULL, and so may each callback. A new Sched has max_parallel SCHED_UNLIMITED. */
int sched_new(const SchedCallbacks *cb, void *userdata, Sched **ret);
Sched *sched_free(Sched *s);

/* Adds one job. Its dependencies must already be known: -ENOENT otherwise (then *ret_bad_id is set to the
 * unknown id if ret_bad_id is non-NULL). -EEXIST: duplicate id. -E2BIG: too many deps/resources.
 * -ENOSPC: a resource request can never be satisfied (more than the pool's capacity, or unknown pool:
 * -ENXIO). On success the job is WAITING, QUEUED, or — if a dependency has already ended in a way that
 * can no longer satisfy the condition — DONE/skipped at once (reported through state_changed); a
 * retry_pending job is always WAITING (not reported: WAITING is the initial state).
 * -EINVAL: id 0, an invalid condition or result bit, a pool asked for twice, NULL arrays with a count,
 * retry_pending with attempts 0.
 * -ELOOP: the job depends on itself. For errors other than -ENOENT, *ret_bad_id is the job's own id.
 * Returns the job's initial SchedState. */
int sched_add(Sched *s, const SchedJobSpec *spec, uint64_t *ret_bad_id);

/* Adds a batch atomically: either all jobs are added, or none (and the Sched is unchanged). Jobs may
 * depend on each other in any order. -ELOOP: the batch has a dependency cycle; then, if ret_cycle is
 * non-NULL, *ret_cycle is a malloc'ed array of the ids on one cycle (in dependency order: each runs after
 * the next, the last after the first; a self-dependency is a cycle of one) and *ret_n_cycle its length.
 * Other errors as sched_add(), *ret_bad_id naming the refused job (or, for -ENOENT, the unknown id).
 * Jobs of the batch that are runnable at once are queued in array order. Returns 0. */
int sched_add_batch(Sched *s, const SchedJobSpec *specs, size_t n, uint64_t *ret_bad_id,
                    uint64_t **ret_cycle, size_t *ret_n_cycle);

/* Picks the next job to start: the highest priority (then earliest added, round robin across owners at
 * equal priority) QUEUED job that every limit and pool allows. Marks it RUNNING and takes its global
 * slot, run slot, group slot and resources. Returns 1 and sets *ret_id, or 0 if nothing may start now.
 * Jobs blocked only by their own run's or group's limit or hold, or by resources, do not block jobs
 * behind them that are allowed.
 * Precisely: at equal priority, owners take turns (start-time fair queueing: an owner that has been idle
 * starts level with the others, it earns no credit); one owner's jobs start in the order they became
 * QUEUED, which is add order for jobs queued by the same call. No reservations: a job that needs much of
 * a pool may wait while smaller ones that fit go first. -ENOMEM is possible (and changes nothing). */
int sched_next(Sched *s, uint64_t *ret_id);

/* For a job handed out by sched_next(): the identities of the slots it got, as a NULL-terminated array
 * of "POOL=SLOT" strings owned by the Sched, valid until the job finishes. NULL if none. Free slots are
 * handed out in the order sched_set_slot_pool() listed them. */
char *const *sched_job_slots(Sched *s, uint64_t id);

typedef enum SchedFinish {
        SCHED_FINISH_DONE,      /* the job is DONE with this result */
        SCHED_FINISH_RETRY,     /* the policy wants another attempt: the job is back in WAITING, held
                                 * until the caller calls sched_job_retry_now() (after its delay) */
} SchedFinish;

/* A RUNNING job ended: releases its global slot, run slot, group slot and resources, counts slot failures
 * (quarantining a slot after sched_set_slot_pool()'s limit of consecutive failures), and either retries it
 * (returns SCHED_FINISH_RETRY) or marks it DONE and settles its dependents: those whose condition is now
 * met become QUEUED, those whose condition can no longer be met are skipped, transitively (reported via
 * state_changed). -ENOENT: unknown id, -ESTALE: the job is not RUNNING. */
int sched_job_finished(Sched *s, uint64_t id, SchedResult result, int exit_code);

/* A job for which sched_job_finished() returned SCHED_FINISH_RETRY, or one added with retry_pending,
 * becomes QUEUED (again) (it keeps its add order, and takes its owner's next turn; not reported through
 * state_changed). -ENOENT: unknown id, -ESTALE: not waiting for a retry. sched_cancel() ends such a job
 * instead. */
int sched_job_retry_now(Sched *s, uint64_t id);

/* Holds a job that has not started, or lets it go: a held job stays WAITING (a QUEUED one goes back to
 * WAITING) whatever its dependencies; let go, it is QUEUED once they are met (and its retry, if it waits
 * for one, was let through by sched_job_retry_now()). Not reported through state_changed. -EBUSY: RUNNING,
 * -EALREADY: DONE, -ENOENT: unknown id. Returns 1 if the hold changed, 0 if it was so already. */
int sched_job_set_held(Sched *s, uint64_t id, bool held);
bool sched_job_held(Sched *s, uint64_t id);

/* Gives a job that has not started another priority; a QUEUED one takes its turn anew among the jobs of
 * that priority. -EBUSY: RUNNING, -EALREADY: DONE, -ENOENT, -ENOMEM. Returns 1 if it changed. */
int sched_job_set_priority(Sched *s, uint64_t id, int32_t priority);

/* Number of attempts started so far for this job (1 after the first sched_next()), 0 if unknown. */
uint32_t sched_job_attempts(Sched *s, uint64_t id);

/* Cancels a job that has not started (WAITING or QUEUED): it becomes DONE/cancelled and its dependents
 * are settled like after sched_job_finished(). A RUNNING job: -EBUSY (the caller stops it and reports
 * through sched_job_finished()). DONE: -EALREADY. -ENOENT: unknown id. */
int sched_cancel(Sched *s, uint64_t id);

/* Forgets a DONE job (to bound memory); jobs that depend on it must be DONE too, else -EBUSY (also when
 * the job itself is not DONE). -ENOENT: unknown id. The id may then be added again. */
int sched_forget(Sched *s, uint64_t id);

SchedState sched_job_state(Sched *s, uint64_t id);

/* Limits; all take effect for the next sched_next() (lowering never touches running jobs). */
void sched_set_max_parallel(Sched *s, uint32_t n);
uint32_t sched_get_max_parallel(Sched *s);
/* Groups and pools are named by non-empty strings of at most SCHED_NAME_MAX bytes (-EINVAL, -E2BIG). */
int sched_set_group_limit(Sched *s, const char *group, uint32_t limit);   /* SCHED_UNLIMITED: none */
/* Counted pool; capacity may change at any time. Pool names contain no '=' (-EINVAL). A pool keeps its
 * kind: -EEXIST if a slot pool has this name. Pools cannot be removed (jobs refer to them). */
int sched_set_pool(Sched *s, const char *pool, uint32_t capacity);
/* Slot pool with named slots (NULL-terminated, distinct: -EINVAL; at most SCHED_SLOTS_MAX: -E2BIG);
 * quarantine_after: consecutive failures on one slot that quarantine it (0: never). -EEXIST: a counted
 * pool has this name. Redefining a pool keeps the state of slots that keep their name; a slot dropped
 * while held stays with its job until the job finishes. */
int sched_set_slot_pool(Sched *s, const char *pool, char *const *slots, uint32_t quarantine_after);
/* Puts a quarantined slot back. -ENOENT: no such pool/slot; 0 if it was not quarantined, 1 if released. */
int sched_release_slot(Sched *s, const char *pool, const char *slot);
/* Restores a slot's count of consecutive failures and its quarantine, as sched_foreach_slot() reported
 * them before a restart of the daemon. A quarantined slot is not handed out; one that is held now stays
 * with its job and remains quarantined when released. A restore, not an event: slot_quarantined is not
 * called. -ENOENT: no such slot pool or slot. Returns 0. */
int sched_set_slot_health(Sched *s, const char *pool, const char *slot, uint32_t consecutive_failures,
                          bool quarantined);

/* Holds: nothing new starts from a held group/run, or at all while draining. Holding a run that has no
 * jobs (yet) is fine; run 0 is "no run": -EINVAL. */
int sched_set_group_held(Sched *s, const char *group, bool held);
int sched_set_run_held(Sched *s, uint64_t run, bool held);
void sched_set_draining(Sched *s, bool draining);

/* GNU make jobserver tokens (src/core/jobserver.c): slots that makes inside running jobs took as tokens
 * count against the global limit (sched_set_tokens()) and their group's limit (sched_set_group_tokens()),
 * on top of the RUNNING jobs: a job starts only if running + tokens < limit. The caller sets the counts
 * it observed before it calls sched_next(); takes effect for the next sched_next(), like a limit change.
 * Setting a group's tokens may make the group (as a limit does; it is freed again once its tokens are 0
 * and nothing else keeps it); 0 for a group the Sched does not know changes nothing. Names: as
 * sched_set_group_limit(). */
void sched_set_tokens(Sched *s, uint32_t n);
int sched_set_group_tokens(Sched *s, const char *group, uint32_t tokens);

/* At most limit jobs of the run RUNNING at once (SCHED_UNLIMITED: no limit), on top of the global, group
 * and pool limits; changeable at any time with the same semantics as group limits (lowering never touches
 * running jobs; takes effect for the next sched_next()). Run 0 is "no run": -EINVAL. Setting a limit on a
 * run that has no jobs (yet) is fine. */
int sched_set_run_limit(Sched *s, uint64_t run, uint32_t limit);

/* What one owner (uid) may do. */
typedef struct SchedOwnerPolicy {
        uint32_t max_running;          /* at most this many of its jobs RUNNING at once; the others wait
                                        * QUEUED (SCHED_UNLIMITED: no limit); lowering never touches running
                                        * jobs */
        bool slot_failures_once;       /* on a slot, its failures count once per streak of consecutive
                                        * failures (quarantine_after of sched_set_slot_pool()), however
                                        * many of its jobs fail there: one such owner alone cannot
                                        * quarantine a slot that quarantine_after > 1 protects. A success
                                        * of anyone ends the streak. */
} SchedOwnerPolicy;

/* The policy of every owner without one of its own (initially: no limit, every failure counts). */
void sched_set_owner_default(Sched *s, const SchedOwnerPolicy *p);
/* A policy of the owner's own; NULL: the default again. Takes effect for the next sched_next(). */
int sched_set_owner_policy(Sched *s, uint32_t owner, const SchedOwnerPolicy *p);

/* Counters for the Manager properties. */
typedef struct SchedCounts {
        uint32_t waiting, queued, running, done;
} SchedCounts;
void sched_get_counts(Sched *s, SchedCounts *ret);

/* Introspection for `jobctl pools`/`jobctl group` and the bus: iterate pools and slots. */
typedef struct SchedPoolInfo {
        const char *name;
        bool slots;               /* a slot pool */
        uint32_t capacity;        /* counted: capacity; slot pool: number of slots */
        uint32_t in_use;
        uint32_t quarantine_after;  /* slot pool: as given to sched_set_slot_pool(); counted: 0 */
} SchedPoolInfo;
typedef struct SchedSlotInfo {
        const char *name;
        uint64_t holder;          /* job id, 0: free */
        uint32_t consecutive_failures;
        bool quarantined;
} SchedSlotInfo;
/* Calls f for each pool (sorted by name); stops and returns f's value if it is non-zero. The info is valid
 * during the call only. sched_foreach_slot(): the slots of one pool by name (none for a counted pool),
 * -ENOENT: no such pool. -ENOMEM is possible. */
int sched_foreach_pool(Sched *s, int (*f)(void *userdata, const SchedPoolInfo *p), void *userdata);
int sched_foreach_slot(Sched *s, const char *pool, int (*f)(void *userdata, const SchedSlotInfo *i),
                       void *userdata);
typedef struct SchedGroupInfo {
        const char *name;
        uint32_t limit;
        uint32_t running, queued;
        bool held;
} SchedGroupInfo;
int sched_foreach_group(Sched *s, int (*f)(void *userdata, const SchedGroupInfo *g), void *userdata);
/* The state of one group: 1 if the Sched keeps state for it, 0 if not (then *ret is that of a group with
 * nothing: no limit, not held, nothing running or queued). -EINVAL: no name. */
int sched_get_group(Sched *s, const char *group, SchedGroupInfo *ret);
/* Groups with a limit or a hold; pools (counted and slot pools); whether a pool exists. O(1). */
uint32_t sched_count_groups_set(Sched *s);
uint32_t sched_count_pools(Sched *s);
bool sched_has_pool(Sched *s, const char *name);
typedef struct SchedRunInfo {
        uint64_t id;
        uint32_t limit;           /* SCHED_UNLIMITED: none */
        uint32_t running, queued;
        bool held;
} SchedRunInfo;
/* The state of one run. Returns 1 if the Sched keeps state for it (it has jobs not forgotten, or is held
 * or limited), 0 if not: then *ret is that of a run with nothing (no limit, not held, nothing running or
 * queued). -EINVAL: run 0. */
int sched_get_run(Sched *s, uint64_t run, SchedRunInfo *ret);
