/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An open-addressing (linear probing) table from a 64-bit key to a pointer. Keys may repeat (e.g. the hash
 * of a name); lookups then pass a match function to tell the entries apart. Removal shifts entries back,
 * so there are no tombstones and lookups stay short however much churn there is. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct SchedHashEntry {
        uint64_t key;
        void *value;             /* NULL: empty bucket */
} SchedHashEntry;

typedef struct SchedHashmap {
        SchedHashEntry *buckets;
        size_t mask;             /* number of buckets - 1; buckets is NULL while empty */
        size_t n;
} SchedHashmap;

typedef bool (*SchedHashMatch)(const void *value, const void *data);

void sched_hashmap_done(SchedHashmap *h);

/* Makes room for n more entries without further allocation. */
int sched_hashmap_reserve(SchedHashmap *h, size_t n);

/* Never fails if sched_hashmap_reserve() made room before; value must not be NULL. */
int sched_hashmap_put(SchedHashmap *h, uint64_t key, void *value);

/* match == NULL: the first entry with this key. */
void *sched_hashmap_get(const SchedHashmap *h, uint64_t key, SchedHashMatch match, const void *data);

/* Removes the entry with this key and value. Returns true if it was there. */
bool sched_hashmap_remove(SchedHashmap *h, uint64_t key, const void *value);

static inline size_t sched_hashmap_size(const SchedHashmap *h) {
        return h->n;
}

/* Iteration: *i starts at 0; returns NULL at the end. Not stable across modifications. */
void *sched_hashmap_iterate(const SchedHashmap *h, size_t *i);

uint64_t sched_hash_u64(uint64_t x);
uint64_t sched_hash_string(const char *s);
