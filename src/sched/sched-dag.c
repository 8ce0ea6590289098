/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Jobs: id → SchedJob in an open-addressing table. Each SchedJob knows what it runs after (deps) and what
 * runs after it (dependents), and counts its unfinished dependencies, so finishing a job touches only its
 * dependents. Settling (queueing or skipping dependents, transitively) walks an intrusive FIFO, never the
 * stack (sched_settle() in sched.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

/* Frees a job that is in no heap; drops its lane and group references (so a half-built one rolls back). */
SchedJob *sched_job_free(Sched *s, SchedJob *j) {
        if (!j)
                return NULL;

        sched_lane_unref(s, j->lane);
        if (j->owner) {
                j->owner->n_jobs--;
                sched_owner_gc(s, j->owner);
        }
        if (j->group) {
                j->group->n_jobs--;
                sched_group_gc(s, j->group);
        }
        if (j->run) {
                j->run->n_jobs--;
                sched_run_gc(s, j->run);
        }
        free(j->held);
        free(j->identities);
        free(j->preferred);
        free(j->resources);
        free(j->retry_exit_codes);
        free(j->dependents);
        return mfree(j);
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

                r = sched_check_name(q->pool);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < i; k++)
                        if (streq(spec->resources[k].pool, q->pool))
                                return -EINVAL;

                p = sched_pool_get(s, q->pool);
                if (!p)
                        return -ENXIO;
                if (q->amount > sched_pool_size(p))
                        return -ENOSPC;
        }

        return 0;
}

static int sched_job_init(Sched *s, SchedJob *j, const SchedJobSpec *spec) {
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
        j->on_hold = spec->held;

        r = sched_lane_acquire(s, spec->priority, spec->owner, &j->lane);
        if (r < 0)
                return r;

        r = sched_owner_acquire(s, spec->owner, &j->owner);
        if (r < 0)
                return r;
        j->owner->n_jobs++;

        if (!isempty(spec->group)) {
                r = sched_group_acquire(s, spec->group, &j->group);
                if (r < 0)
                        return r;
                j->group->n_jobs++;
        }

        if (spec->run != 0) {
                r = sched_run_acquire(s, spec->run, &j->run);
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
                        p = sched_pool_get(s, spec->resources[i].pool);
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
                r = sched_job_init_preferred(j, spec->slots);
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
static int sched_job_new(Sched *s, const SchedJobSpec *spec, SchedJob **ret) {
        SchedJob *j;
        int r;

        j = calloc(1, sizeof(SchedJob) + spec->n_after * sizeof(SchedJob *));
        if (!j)
                return -ENOMEM;

        r = sched_job_init(s, j, spec);
        if (r < 0) {
                sched_job_free(s, j);
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

static void sched_jobs_free_array(Sched *s, SchedJob **jobs, size_t n) {
        for (size_t i = n; i > 0; i--)
                sched_job_free(s, jobs[i - 1]);
        free(jobs);
}

int sched_add_batch(Sched *s, const SchedJobSpec *specs, size_t n, uint64_t *ret_bad_id,
                    uint64_t **ret_cycle, size_t *ret_n_cycle) {
        _cleanup_(sched_hashmap_done) SchedHashmap index = {};
        _cleanup_(freep) size_t *offset = NULL;
        _cleanup_(freep) uint32_t *dep_idx = NULL;
        size_t n_edges = 0, n_inner = 0;
        SchedJob **jobs;
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
                if (r >= 0 && (sched_job_get(s, specs[i].id) ||
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
                        } else if (sched_job_get(s, d))
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
        jobs = calloc(n, sizeof(SchedJob *));
        if (!jobs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = sched_job_new(s, specs + i, jobs + i);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < specs[i].n_after; k++) {
                        uint32_t x = dep_idx[offset[i] + k];

                        jobs[i]->deps[jobs[i]->n_deps++] =
                                x == UINT32_MAX ? sched_job_get(s, specs[i].after[k]) : jobs[x];
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
                        SchedJob *d = jobs[i]->deps[k];

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
         * already: it counts none and is left WAITING for sched_job_retry_now() (sched_settle() passes it
         * by), while its own dependents count it like any job that is not DONE. */
        for (size_t i = 0; i < n; i++) {
                jobs[i]->seq = s->next_seq++;
                jobs[i]->fresh = true;
                (void) sched_hashmap_put(&s->jobs, jobs[i]->id, jobs[i]);
                s->counts.waiting++;
        }
        for (size_t i = 0; i < n; i++)
                for (uint32_t k = 0; k < jobs[i]->n_deps; k++) {
                        SchedJob *d = jobs[i]->deps[k];

                        d->dependents[d->n_dependents++] = jobs[i];
                        if (d->state != SCHED_DONE && !jobs[i]->retry_pending)
                                jobs[i]->n_unfinished++;
                }
        for (size_t i = 0; i < n; i++) {
                SchedJob *j = jobs[i], *cause = NULL;

                if (j->retry_pending)
                        continue;

                for (uint32_t k = 0; k < j->n_deps && !cause; k++)
                        if (j->deps[k]->state == SCHED_DONE &&
                            !sched_condition_satisfiable(j->condition, j->deps[k]->result))
                                cause = j->deps[k];

                if (cause) {
                        sched_job_make_done(s, j, SCHED_RESULT_SKIPPED);
                        sched_notify(s, j, cause->id, cause->result);
                } else if (j->n_unfinished == 0 && !j->on_hold)
                        sched_job_enqueue(s, j);
        }
        sched_settle(s);

        for (size_t i = 0; i < n; i++)
                jobs[i]->fresh = false;
        free(jobs);
        return 0;

fail:
        sched_jobs_free_array(s, jobs, n);
        return r;
}

int sched_add(Sched *s, const SchedJobSpec *spec, uint64_t *ret_bad_id) {
        int r;

        if (!s || !spec)
                return -EINVAL;

        r = sched_add_batch(s, spec, 1, ret_bad_id, NULL, NULL);
        if (r < 0)
                return r;

        return (int) sched_job_get(s, spec->id)->state;
}

/* ---- forgetting ---- */

static size_t remove_all(SchedJob **a, size_t n, const SchedJob *x) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
                if (a[i] != x)
                        a[k++] = a[i];
        return k;
}

int sched_forget(Sched *s, uint64_t id) {
        SchedJob *j;

        if (!s)
                return -EINVAL;

        j = sched_job_get(s, id);
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
                SchedJob *d = j->dependents[i];

                d->n_deps = (uint32_t) remove_all(d->deps, d->n_deps, j);
        }

        sched_hashmap_remove(&s->jobs, j->id, j);
        s->counts.done--;
        sched_job_free(s, j);
        return 0;
}
