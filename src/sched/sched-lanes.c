/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Ready: one heap of QUEUED jobs that nothing is known to block, keyed (priority desc, round, seq).
 * The round gives owners turns at equal priority in the manner of start-time fair queueing: a job that
 * becomes QUEUED gets round max(its lane's next round, the level's virtual time), where a lane is one
 * (priority, owner) pair and the virtual time is the highest round started at that priority. An owner
 * with a long backlog thus alternates with one that arrives later, and an idle owner earns no credit.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

static uint64_t lane_key(int32_t priority, uint32_t owner) {
        return (uint64_t) (uint32_t) priority << 32 | owner;
}

void sched_lane_unref(Sched *s, Lane *l) {
        if (!l || --l->n_refs > 0)
                return;

        if (--l->level->n_lanes == 0) {
                sched_hashmap_remove(&s->levels, (uint32_t) l->level->priority, l->level);
                free(l->level);
        }
        sched_hashmap_remove(&s->lanes, l->key, l);
        free(l);
}

int sched_lane_acquire(Sched *s, int32_t priority, uint32_t owner, Lane **ret) {
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

static SchedHeapKey sched_job_key(const SchedJob *j, uint64_t round) {
        /* Higher priority first: flipping the sign bit maps the order of int32 onto that of uint32. */
        return (SchedHeapKey) {
                .a = UINT32_MAX - ((uint32_t) j->priority ^ UINT32_C(0x80000000)),
                .b = round,
                .c = j->seq,
        };
}

void sched_job_enqueue(Sched *s, SchedJob *j) {
        Lane *l = j->lane;
        uint64_t round = MAX(l->next_round, l->level->vtime);
        SchedHeapKey k = sched_job_key(j, round);

        sched_job_set_state(s, j, SCHED_QUEUED);
        l->next_round = round + 1;

        /* Room for every job that is not DONE was reserved when it was added. */
        (void) sched_heap_push(&s->ready, &k, j);
        j->heap = &s->ready;
}
