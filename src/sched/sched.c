/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * How the pieces fit (each file says more about its part; sched-internal.h holds the objects):
 *
 * - sched-dag.c: jobs, their dependencies and dependents, adding a batch (cycles refused), forgetting.
 * - sched-lanes.c: the ready heap's order, fair across owners at equal priority.
 * - sched-block.c: runs, groups and owners, and the parking of jobs that one of them, or a pool, blocks.
 * - sched-pools.c: counted pools and slot pools, slot preferences, quarantine.
 * - sched-retry.c: which results are retried, and the retry itself.
 * - sched-introspect.c: what the daemon lists.
 * - here: the one state setter, settling dependents, and the flow of sched_next() and
 *   sched_job_finished().
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

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

/* ---- states and settling ---- */

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
void sched_job_set_state(Sched *s, SchedJob *j, SchedState state) {
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
                sched_lane_unref(s, j->lane);
                j->lane = NULL;
        }
}

void sched_notify(Sched *s, SchedJob *j, uint64_t cause_id, SchedResult cause_result) {
        if (s->cb.state_changed)
                s->cb.state_changed(s->userdata, j->id, j->state, j->result, cause_id, cause_result);
}

static void settle_push(Sched *s, SchedJob *j) {
        j->settle_next = NULL;
        if (s->settle_tail)
                s->settle_tail->settle_next = j;
        else
                s->settle_head = j;
        s->settle_tail = j;
}

bool sched_condition_satisfiable(SchedCondition c, SchedResult r) {
        switch (c) {
        case SCHED_AFTER_SUCCESS:
                return r == SCHED_RESULT_SUCCESS;
        case SCHED_AFTER_FAILURE:
                return r != SCHED_RESULT_SUCCESS;
        default:
                return true;
        }
}

/* A job that is not RUNNING becomes DONE; its dependents are settled by the next sched_settle(). */
void sched_job_make_done(Sched *s, SchedJob *j, SchedResult result) {
        sched_job_unpark(s, j);
        j->result = result;
        j->retry_pending = false;
        sched_job_set_state(s, j, SCHED_DONE);
        settle_push(s, j);
}

/* Settles the dependents of every job on the settle FIFO, breadth first and without recursion: a chain
 * of 100k skips must not use the stack. */
void sched_settle(Sched *s) {
        SchedJob *p;

        while ((p = s->settle_head)) {
                s->settle_head = p->settle_next;
                if (!s->settle_head)
                        s->settle_tail = NULL;
                p->settle_next = NULL;

                for (size_t i = 0; i < p->n_dependents; i++) {
                        SchedJob *d = p->dependents[i];

                        if (d->state != SCHED_WAITING || d->retry_pending)
                                continue;

                        if (!sched_condition_satisfiable(d->condition, p->result)) {
                                sched_job_make_done(s, d, SCHED_RESULT_SKIPPED);
                                sched_notify(s, d, p->id, p->result);
                                continue;
                        }

                        if (--d->n_unfinished == 0 && !d->on_hold) {
                                sched_job_enqueue(s, d);
                                if (!d->fresh)
                                        sched_notify(s, d, 0, SCHED_RESULT_SUCCESS);
                        }
                }
        }
}

/* ---- starting and finishing ---- */

static void sched_job_start(Sched *s, SchedJob *j) {
        Level *v = j->lane->level;

        v->vtime = MAX(v->vtime, j->heap->e[j->heap_idx].key.b);
        sched_job_unpark(s, j);
        if (j->n_resources > 0)
                sched_job_take_resources(j);

        sched_job_set_state(s, j, SCHED_RUNNING);
        j->attempts++;
        sched_job_update_blockers(s, j);
}

int sched_next(Sched *s, uint64_t *ret_id) {
        SchedJob *j;
        int r;

        if (!s || !ret_id)
                return -EINVAL;

        if (s->draining || (uint64_t) s->counts.running + s->tokens >= s->max_parallel)
                return 0;

        r = sched_pick(s, &j);
        if (r <= 0)
                return r;

        sched_job_start(s, j);
        *ret_id = j->id;
        return 1;
}

int sched_job_finished(Sched *s, uint64_t id, SchedResult result, int exit_code) {
        bool retry;
        SchedJob *j;

        if (!s || result < 0 || result >= _SCHED_RESULT_MAX)
                return -EINVAL;

        j = sched_job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state != SCHED_RUNNING)
                return -ESTALE;

        if (j->n_resources > 0)
                sched_job_release_resources(s, j, result);

        retry = sched_job_should_retry(j, result, exit_code);
        if (retry) {
                j->retry_pending = true;
                sched_job_set_state(s, j, SCHED_WAITING);
        } else
                sched_job_make_done(s, j, result);

        sched_job_update_blockers(s, j);
        sched_settle(s);

        return retry ? SCHED_FINISH_RETRY : SCHED_FINISH_DONE;
}

int sched_job_get_unstarted(Sched *s, uint64_t id, SchedJob **ret) {
        SchedJob *j;

        if (!s)
                return -EINVAL;
        j = sched_job_get(s, id);
        if (!j)
                return -ENOENT;
        if (j->state == SCHED_RUNNING)
                return -EBUSY;
        if (j->state == SCHED_DONE)
                return -EALREADY;
        *ret = j;
        return 0;
}

int sched_cancel(Sched *s, uint64_t id) {
        SchedJob *j;
        int r;

        r = sched_job_get_unstarted(s, id, &j);
        if (r < 0)
                return r;

        sched_job_make_done(s, j, SCHED_RESULT_CANCELLED);
        sched_settle(s);
        return 0;
}

/* ---- global limits ---- */

void sched_set_max_parallel(Sched *s, uint32_t n) {
        if (s)
                s->max_parallel = n;
}

void sched_set_tokens(Sched *s, uint32_t n) {
        if (s)
                s->tokens = n;
}

uint32_t sched_get_max_parallel(Sched *s) {
        return s ? s->max_parallel : 0;
}

void sched_set_draining(Sched *s, bool draining) {
        if (s)
                s->draining = draining;
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
        s->ready = (SchedHeap) SCHED_HEAP_INIT(SchedJob, heap_idx);
        s->eligible = (SchedHeap) SCHED_HEAP_INIT(Blocker, eligible_idx);
        s->max_parallel = SCHED_UNLIMITED;
        s->owner_default = (SchedOwnerPolicy) { .max_running = SCHED_UNLIMITED };
        s->next_seq = 1;

        *ret = s;
        return 0;
}

Sched *sched_free(Sched *s) {
        SchedJob **all;
        Owner *o;
        Group *g;
        size_t n;
        Pool *p;
        SchedRun *x;
        SchedJob *j;

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
        all = malloc(MAX(n, (size_t) 1) * sizeof(SchedJob *));
        if (all) {
                size_t k = 0;

                for (size_t i = 0; (j = sched_hashmap_iterate(&s->jobs, &i)); )
                        all[k++] = j;
                sched_hashmap_done(&s->jobs);
                for (size_t i = 0; i < n; i++)
                        sched_job_free(s, all[i]);
                free(all);
        } else
                /* Out of memory: slower, but it still frees everything. */
                while (sched_hashmap_size(&s->jobs) > 0) {
                        size_t i = 0;

                        j = sched_hashmap_iterate(&s->jobs, &i);
                        sched_hashmap_remove(&s->jobs, j->id, j);
                        sched_job_free(s, j);
                }
        sched_hashmap_done(&s->jobs);

        for (size_t i = 0; (x = sched_hashmap_iterate(&s->runs, &i)); )
                sched_run_free(x);
        sched_hashmap_done(&s->runs);
        for (size_t i = 0; (g = sched_hashmap_iterate(&s->groups, &i)); )
                sched_group_free(g);
        sched_hashmap_done(&s->groups);
        for (size_t i = 0; (o = sched_hashmap_iterate(&s->owners, &i)); )
                sched_owner_free(o);
        sched_hashmap_done(&s->owners);
        for (size_t i = 0; (p = sched_hashmap_iterate(&s->pools, &i)); )
                sched_pool_free(p);
        sched_hashmap_done(&s->pools);
        sched_hashmap_done(&s->lanes);
        sched_hashmap_done(&s->levels);

        return mfree(s);
}
