/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "sched-heap.h"
#include "sched-util.h"

#define ARITY 4U

static inline uint32_t *obj_idx(const SchedHeap *h, void *obj) {
        return (uint32_t *) ((uint8_t *) obj + h->idx_offset);
}

static inline void place(SchedHeap *h, size_t i, const SchedHeapEntry *e) {
        h->e[i] = *e;
        *obj_idx(h, e->obj) = (uint32_t) i;
}

static void sift_up(SchedHeap *h, size_t i) {
        SchedHeapEntry x = h->e[i];

        while (i > 0) {
                size_t parent = (i - 1) / ARITY;

                if (!sched_heap_key_less(&x.key, &h->e[parent].key))
                        break;
                place(h, i, &h->e[parent]);
                i = parent;
        }
        place(h, i, &x);
}

static void sift_down(SchedHeap *h, size_t i) {
        SchedHeapEntry x = h->e[i];

        for (;;) {
                size_t first = i * ARITY + 1, best;

                if (first >= h->n)
                        break;

                best = first;
                for (size_t c = first + 1; c < MIN(first + ARITY, h->n); c++)
                        if (sched_heap_key_less(&h->e[c].key, &h->e[best].key))
                                best = c;

                if (!sched_heap_key_less(&h->e[best].key, &x.key))
                        break;
                place(h, i, &h->e[best]);
                i = best;
        }
        place(h, i, &x);
}

void sched_heap_done(SchedHeap *h) {
        for (size_t i = 0; i < h->n; i++)
                *obj_idx(h, h->e[i].obj) = SCHED_HEAP_NONE;
        h->e = mfree(h->e);
        h->n = h->allocated = 0;
}

int sched_heap_reserve(SchedHeap *h, size_t n) {
        if (n > SCHED_HEAP_NONE - 1 - h->n)
                return -ENOMEM;
        return GREEDY_REALLOC(h->e, h->allocated, h->n + n);
}

int sched_heap_push(SchedHeap *h, const SchedHeapKey *key, void *obj) {
        int r;

        r = sched_heap_reserve(h, 1);
        if (r < 0)
                return r;

        h->e[h->n] = (SchedHeapEntry) { .key = *key, .obj = obj };
        sift_up(h, h->n++);
        return 0;
}

void *sched_heap_peek(const SchedHeap *h) {
        return h->n > 0 ? h->e[0].obj : NULL;
}

const SchedHeapKey *sched_heap_peek_key(const SchedHeap *h) {
        return h->n > 0 ? &h->e[0].key : NULL;
}

void sched_heap_remove(SchedHeap *h, void *obj) {
        uint32_t *idx = obj_idx(h, obj);
        size_t i = *idx;

        *idx = SCHED_HEAP_NONE;
        if (i == --h->n)
                return;

        h->e[i] = h->e[h->n];
        if (i > 0 && sched_heap_key_less(&h->e[i].key, &h->e[(i - 1) / ARITY].key))
                sift_up(h, i);
        else
                sift_down(h, i);
}

void *sched_heap_pop(SchedHeap *h) {
        void *obj;

        if (h->n == 0)
                return NULL;

        obj = h->e[0].obj;
        sched_heap_remove(h, obj);
        return obj;
}
