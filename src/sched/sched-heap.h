/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A 4-ary min-heap of objects with their keys stored inline (so sifting does not touch the objects' memory
 * except to update their position). Each object carries its position: a uint32_t at idx_offset, which is
 * SCHED_HEAP_NONE while the object is in no heap. An object is in at most one heap at a time. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_HEAP_NONE UINT32_MAX

typedef struct SchedHeapKey {
        uint64_t a, b, c;        /* compared in this order, smallest first */
} SchedHeapKey;

typedef struct SchedHeapEntry {
        SchedHeapKey key;
        void *obj;
} SchedHeapEntry;

typedef struct SchedHeap {
        SchedHeapEntry *e;
        size_t n, allocated;
        size_t idx_offset;
} SchedHeap;

#define SCHED_HEAP_INIT(type, member) { .idx_offset = offsetof(type, member) }

void sched_heap_done(SchedHeap *h);
int sched_heap_reserve(SchedHeap *h, size_t n);
/* Fails only if no room was reserved and growing fails. */
int sched_heap_push(SchedHeap *h, const SchedHeapKey *key, void *obj);
void *sched_heap_peek(const SchedHeap *h);
const SchedHeapKey *sched_heap_peek_key(const SchedHeap *h);
void *sched_heap_pop(SchedHeap *h);
/* Removes obj, which must be in h. */
void sched_heap_remove(SchedHeap *h, void *obj);

static inline size_t sched_heap_size(const SchedHeap *h) {
        return h->n;
}

static inline bool sched_heap_key_less(const SchedHeapKey *x, const SchedHeapKey *y) {
        if (x->a != y->a)
                return x->a < y->a;
        if (x->b != y->b)
                return x->b < y->b;
        return x->c < y->c;
}
