/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-hashmap.h"
#include "sched-heap.h"
#include "sched-util.h"
#include "sched.h"

typedef struct Job Job;

struct Job {
        uint64_t id;
        uint64_t seq;                   /* add order */
        int32_t priority;
        uint32_t owner;
        SchedState state;
        SchedResult result;
        SchedCondition condition;
        uint32_t n_unfinished;          /* dependencies not DONE yet */
        uint32_t heap_idx;

        Job **deps;                     /* what this job runs after */
        uint32_t n_deps;
        Job **dependents;               /* what runs after this job */
        size_t n_dependents, n_dependents_allocated;

        Job *settle_next;               /* intrusive FIFO of jobs whose dependents must be settled */
        uint32_t attempts;
};

struct Sched {
        SchedCallbacks cb;
        void *userdata;

        SchedHashmap jobs;              /* id → Job */
        SchedHeap ready;                /* QUEUED jobs */
        uint64_t next_seq;

        uint32_t max_parallel;
        SchedCounts counts;

        Job *settle_head, *settle_tail;
};

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

static Job *job_free(Job *j) {
        if (!j)
                return NULL;
        free(j->deps);
        free(j->dependents);
        return mfree(j);
}

static void job_freep(Job **j) {
        job_free(*j);
}

static Job *job_get(const Sched *s, uint64_t id) {
        return sched_hashmap_get(&s->jobs, id, NULL, NULL);
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

static void job_set_state(Sched *s, Job *j, SchedState state) {
        (*count_of(s, j->state))--;
        j->state = state;
        (*count_of(s, state))++;
}

static void notify(Sched *s, Job *j, uint64_t cause_id, SchedResult cause_result) {
        if (s->cb.state_changed)
                s->cb.state_changed(s->userdata, j->id, j->state, j->result, cause_id, cause_result);
}

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
        s->max_parallel = SCHED_UNLIMITED;
        s->next_seq = 1;

        *ret = s;
        return 0;
}

Sched *sched_free(Sched *s) {
        Job *j;

        if (!s)
                return NULL;

        sched_heap_done(&s->ready);
        for (size_t i = 0; (j = sched_hashmap_iterate(&s->jobs, &i)); )
                job_free(j);
        sched_hashmap_done(&s->jobs);
        return mfree(s);
}

static SchedHeapKey job_key(const Job *j) {
        /* Higher priority first: flip the sign bit so the order of int32 becomes the order of uint32. */
        return (SchedHeapKey) {
                .a = UINT32_MAX - ((uint32_t) j->priority ^ UINT32_C(0x80000000)),
                .b = 0,
                .c = j->seq,
        };
}

static void job_enqueue(Sched *s, Job *j) {
        SchedHeapKey k = job_key(j);

        job_set_state(s, j, SCHED_QUEUED);
        /* Room for every job that is not DONE was reserved when it was added. */
        (void) sched_heap_push(&s->ready, &k, j);
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

static void job_make_done(Sched *s, Job *j, SchedResult result) {
        if (j->heap_idx != SCHED_HEAP_NONE)
                sched_heap_remove(&s->ready, j);
        j->result = result;
        job_set_state(s, j, SCHED_DONE);
        settle_push(s, j);
}

/* Settles the dependents of every job on the settle FIFO, breadth first and without recursion: a long
 * chain of skips must not use the stack. */
static void settle(Sched *s) {
        Job *p;

        while ((p = s->settle_head)) {
                s->settle_head = p->settle_next;
                if (!s->settle_head)
                        s->settle_tail = NULL;
                p->settle_next = NULL;

                for (size_t i = 0; i < p->n_dependents; i++) {
                        Job *d = p->dependents[i];

                        if (d->state != SCHED_WAITING)
                                continue;

                        if (!condition_satisfiable(d->condition, p->result)) {
                                job_make_done(s, d, SCHED_RESULT_SKIPPED);
                                notify(s, d, p->id, p->result);
                                continue;
                        }

                        if (--d->n_unfinished == 0) {
                                job_enqueue(s, d);
                                notify(s, d, 0, SCHED_RESULT_SUCCESS);
                        }
                }
        }
}

int sched_add_batch(Sched *s, const SchedJobSpec *specs, size_t n, uint64_t *ret_bad_id,
                    uint64_t **ret_cycle, size_t *ret_n_cycle) {
        return -EOPNOTSUPP;
}

int sched_add(Sched *s, const SchedJobSpec *spec, uint64_t *ret_bad_id) {
        _cleanup_(job_freep) Job *j = NULL;
        Job *cause = NULL;
        int r;

        if (!s || !spec || spec->id == 0)
                return -EINVAL;
        if (spec->after_condition < 0 || spec->after_condition >= _SCHED_CONDITION_MAX)
                return -EINVAL;
        if (spec->n_after > SCHED_DEPS_MAX || spec->n_resources > SCHED_RESOURCES_MAX)
                return -E2BIG;
        if (spec->n_resources > 0 || !isempty(spec->group) || spec->run != 0 || spec->retry.retries > 0)
                return -EOPNOTSUPP;
        if (job_get(s, spec->id))
                return -EEXIST;

        j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        *j = (Job) {
                .id = spec->id,
                .priority = spec->priority,
                .owner = spec->owner,
                .condition = spec->after_condition,
                .heap_idx = SCHED_HEAP_NONE,
                .state = SCHED_WAITING,
        };

        if (spec->n_after > 0) {
                j->deps = calloc(spec->n_after, sizeof(Job *));
                if (!j->deps)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < spec->n_after; i++) {
                Job *d = job_get(s, spec->after[i]);

                if (!d) {
                        if (ret_bad_id)
                                *ret_bad_id = spec->after[i];
                        return spec->after[i] == spec->id ? -ELOOP : -ENOENT;
                }
                j->deps[j->n_deps++] = d;
        }

        r = sched_hashmap_reserve(&s->jobs, 1);
        if (r < 0)
                return r;
        r = sched_heap_reserve(&s->ready, s->counts.waiting + s->counts.queued + 1 - s->ready.n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->n_deps; i++) {
                r = GREEDY_REALLOC(j->deps[i]->dependents, j->deps[i]->n_dependents_allocated,
                                   j->deps[i]->n_dependents + 1);
                if (r < 0)
                        return r;
        }

        /* Nothing can fail from here on. */
        j->seq = s->next_seq++;
        for (size_t i = 0; i < j->n_deps; i++) {
                Job *d = j->deps[i];

                d->dependents[d->n_dependents++] = j;
                if (d->state != SCHED_DONE)
                        j->n_unfinished++;
                else if (!cause && !condition_satisfiable(j->condition, d->result))
                        cause = d;
        }
        (void) sched_hashmap_put(&s->jobs, j->id, j);
        s->counts.waiting++;

        if (cause) {
                job_make_done(s, j, SCHED_RESULT_SKIPPED);
                notify(s, j, cause->id, cause->result);
                settle(s);
        } else if (j->n_unfinished == 0)
                job_enqueue(s, j);

        return (int) TAKE_PTR(j)->state;
}

int sched_next(Sched *s, uint64_t *ret_id) {
        Job *j;

        if (!s || !ret_id)
                return -EINVAL;

        if (s->counts.running >= s->max_parallel)
                return 0;

        j = sched_heap_pop(&s->ready);
        if (!j)
                return 0;

        job_set_state(s, j, SCHED_RUNNING);
        j->attempts++;
        *ret_id = j->id;
        return 1;
}

char *const *sched_job_slots(Sched *s, uint64_t id) {
        return NULL;
}

int sched_job_finished(Sched *s, uint64_t id, SchedResult result, int exit_code) {
        Job *j;

        if (!s || result < 0 || result >= _SCHED_RESULT_MAX)
                return -EINVAL;

        j = job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state != SCHED_RUNNING)
                return -ESTALE;

        job_make_done(s, j, result);
        settle(s);
        return SCHED_FINISH_DONE;
}

int sched_job_retry_now(Sched *s, uint64_t id) {
        return -EOPNOTSUPP;
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

int sched_forget(Sched *s, uint64_t id) {
        return -EOPNOTSUPP;
}

SchedState sched_job_state(Sched *s, uint64_t id) {
        Job *j = s ? job_get(s, id) : NULL;

        return j ? j->state : _SCHED_STATE_INVALID;
}

void sched_set_max_parallel(Sched *s, uint32_t n) {
        if (s)
                s->max_parallel = n;
}

uint32_t sched_get_max_parallel(Sched *s) {
        return s ? s->max_parallel : 0;
}

int sched_set_group_limit(Sched *s, const char *group, uint32_t limit) {
        return -EOPNOTSUPP;
}

int sched_set_pool(Sched *s, const char *pool, uint32_t capacity) {
        return -EOPNOTSUPP;
}

int sched_set_slot_pool(Sched *s, const char *pool, char *const *slots, uint32_t quarantine_after) {
        return -EOPNOTSUPP;
}

int sched_release_slot(Sched *s, const char *pool, const char *slot) {
        return -EOPNOTSUPP;
}

int sched_set_group_held(Sched *s, const char *group, bool held) {
        return -EOPNOTSUPP;
}

int sched_set_run_held(Sched *s, uint64_t run, bool held) {
        return -EOPNOTSUPP;
}

void sched_set_draining(Sched *s, bool draining) {
}

void sched_get_counts(Sched *s, SchedCounts *ret) {
        if (!ret)
                return;
        *ret = s ? s->counts : (SchedCounts) {};
}

int sched_foreach_pool(Sched *s, int (*f)(void *userdata, const SchedPoolInfo *p), void *userdata) {
        return -EOPNOTSUPP;
}

int sched_foreach_slot(Sched *s, const char *pool, int (*f)(void *userdata, const SchedSlotInfo *i),
                       void *userdata) {
        return -EOPNOTSUPP;
}

int sched_foreach_group(Sched *s, int (*f)(void *userdata, const SchedGroupInfo *g), void *userdata) {
        return -EOPNOTSUPP;
}
