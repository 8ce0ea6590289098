/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "sched-hashmap.h"
#include "sched-util.h"

uint64_t sched_hash_u64(uint64_t x) {
        /* splitmix64's finaliser: sequential ids spread over all buckets. */
        x ^= x >> 30;
        x *= UINT64_C(0xbf58476d1ce4e5b9);
        x ^= x >> 27;
        x *= UINT64_C(0x94d049bb133111eb);
        x ^= x >> 31;
        return x;
}

uint64_t sched_hash_string(const char *s) {
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= UINT64_C(0x100000001b3);
        }
        return sched_hash_u64(h);
}

void sched_hashmap_done(SchedHashmap *h) {
        h->buckets = mfree(h->buckets);
        h->mask = 0;
        h->n = 0;
}

static void insert_nocheck(SchedHashEntry *buckets, size_t mask, uint64_t key, void *value) {
        size_t i = sched_hash_u64(key) & mask;

        while (buckets[i].value)
                i = (i + 1) & mask;
        buckets[i] = (SchedHashEntry) { .key = key, .value = value };
}

static int resize(SchedHashmap *h, size_t n_buckets) {
        SchedHashEntry *b;

        b = calloc(n_buckets, sizeof(SchedHashEntry));
        if (!b)
                return -ENOMEM;

        if (h->buckets)
                for (size_t i = 0; i <= h->mask; i++)
                        if (h->buckets[i].value)
                                insert_nocheck(b, n_buckets - 1, h->buckets[i].key, h->buckets[i].value);

        free(h->buckets);
        h->buckets = b;
        h->mask = n_buckets - 1;
        return 0;
}

int sched_hashmap_reserve(SchedHashmap *h, size_t n) {
        size_t need, size;

        if (n > SIZE_MAX / 4 - h->n)
                return -ENOMEM;
        need = h->n + n;

        /* Keep the load at most 1/2: linear probing stays at ~1.5 probes per hit. */
        size = h->buckets ? h->mask + 1 : 0;
        if (need * 2 <= size)
                return 0;

        size = MAX(size, (size_t) 16);
        while (size < need * 2)
                size *= 2;
        return resize(h, size);
}

int sched_hashmap_put(SchedHashmap *h, uint64_t key, void *value) {
        int r;

        r = sched_hashmap_reserve(h, 1);
        if (r < 0)
                return r;

        insert_nocheck(h->buckets, h->mask, key, value);
        h->n++;
        return 0;
}

void *sched_hashmap_get(const SchedHashmap *h, uint64_t key, SchedHashMatch match, const void *data) {
        if (!h->buckets)
                return NULL;

        for (size_t i = sched_hash_u64(key) & h->mask; h->buckets[i].value; i = (i + 1) & h->mask)
                if (h->buckets[i].key == key && (!match || match(h->buckets[i].value, data)))
                        return h->buckets[i].value;
        return NULL;
}

bool sched_hashmap_remove(SchedHashmap *h, uint64_t key, const void *value) {
        size_t i, j;

        if (!h->buckets)
                return false;

        for (i = sched_hash_u64(key) & h->mask; ; i = (i + 1) & h->mask) {
                if (!h->buckets[i].value)
                        return false;
                if (h->buckets[i].key == key && h->buckets[i].value == value)
                        break;
        }

        /* Backward shift: move later entries of the probe run into the hole when their home allows it. */
        for (j = i;;) {
                size_t home;

                j = (j + 1) & h->mask;
                if (!h->buckets[j].value)
                        break;

                home = sched_hash_u64(h->buckets[j].key) & h->mask;
                /* The entry at j may fill the hole at i only if its home is not in (i, j] (cyclically). */
                if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
                        continue;

                h->buckets[i] = h->buckets[j];
                i = j;
        }

        h->buckets[i] = (SchedHashEntry) {};
        h->n--;
        return true;
}

void *sched_hashmap_iterate(const SchedHashmap *h, size_t *i) {
        if (!h->buckets)
                return NULL;

        for (; *i <= h->mask; (*i)++)
                if (h->buckets[*i].value)
                        return h->buckets[(*i)++].value;
        return NULL;
}
