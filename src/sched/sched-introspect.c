/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the daemon lists: pools, slots, groups, runs, counts; names sorted. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

char *const *sched_job_slots(Sched *s, uint64_t id) {
        SchedJob *j = s ? sched_job_get(s, id) : NULL;

        if (!j || j->state != SCHED_RUNNING || j->n_slots == 0)
                return NULL;
        return j->identities;
}

SchedState sched_job_state(Sched *s, uint64_t id) {
        SchedJob *j = s ? sched_job_get(s, id) : NULL;

        return j ? j->state : _SCHED_STATE_INVALID;
}

void sched_get_counts(Sched *s, SchedCounts *ret) {
        if (!ret)
                return;
        *ret = s ? s->counts : (SchedCounts) {};
}

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
                        .capacity = (uint32_t) sched_pool_size(p),
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

        p = sched_pool_get(s, pool);
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

int sched_get_group(Sched *s, const char *group, SchedGroupInfo *ret) {
        const Group *g;

        if (!s || !ret || isempty(group))
                return -EINVAL;
        g = sched_hashmap_get(&s->groups, sched_hash_string(group), sched_match_name, group);
        if (!g) {
                *ret = (SchedGroupInfo) { .name = group, .limit = SCHED_UNLIMITED };
                return 0;
        }
        *ret = (SchedGroupInfo) {
                .name = g->name,
                .limit = g->limit,
                .running = g->running,
                .queued = g->queued,
                .held = g->held,
        };
        return 1;
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

uint32_t sched_count_groups_set(Sched *s) {
        return s ? s->n_groups_set : 0;
}

bool sched_has_pool(Sched *s, const char *name) {
        return s && name && sched_pool_get(s, name);
}

uint32_t sched_count_pools(Sched *s) {
        return s ? (uint32_t) sched_hashmap_size(&s->pools) : 0;
}

int sched_get_run(Sched *s, uint64_t run, SchedRunInfo *ret) {
        const SchedRun *x;

        if (!s || run == 0 || !ret)
                return -EINVAL;

        x = sched_run_get(s, run);
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
