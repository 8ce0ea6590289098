/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Pools: counted ones hand out tokens, slot pools named slots ("POOL=SLOT"), which a job may prefer and
 * which are quarantined after too many consecutive failures. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sched-internal.h"

Pool *sched_pool_get(Sched *s, const char *name) {
        return sched_hashmap_get(&s->pools, sched_hash_string(name), sched_match_name, name);
}

static Slot *slot_free(Slot *t) {
        if (!t)
                return NULL;
        free(t->failed_owners);
        free(t->name);
        free(t->identity);
        return mfree(t);
}

static int slot_cmp(const void *a, const void *b) {
        return strcmp((*(Slot *const *) a)->name, (*(Slot *const *) b)->name);
}

static Slot *slot_find(Slot **by_name, size_t n, const char *name) {
        Slot key = { .name = (char *) name }, *k = &key, **f;

        if (n == 0)
                return NULL;
        f = bsearch(&k, by_name, n, sizeof(Slot *), slot_cmp);
        return f ? *f : NULL;
}

Pool *sched_pool_free(Pool *p) {
        if (!p)
                return NULL;

        for (size_t i = 0; i < p->n_slots; i++)
                slot_free(p->slot[i]);
        for (size_t i = 0; i < p->n_retired; i++)
                slot_free(p->retired[i]);
        free(p->slot);
        free(p->by_name);
        free(p->retired);
        for (size_t i = 0; i < p->n_buckets; i++) {
                sched_heap_done(&p->buckets[i]->parked);
                free(p->buckets[i]);
        }
        free(p->buckets);
        free(p->name);
        return mfree(p);
}

int sched_pool_bucket(Pool *p, uint32_t amount, PoolBucket **ret) {
        PoolBucket *b;
        size_t i;
        int r;

        for (i = 0; i < p->n_buckets; i++) {
                if (p->buckets[i]->amount == amount) {
                        *ret = p->buckets[i];
                        return 0;
                }
                if (p->buckets[i]->amount > amount)
                        break;
        }

        r = GREEDY_REALLOC(p->buckets, p->n_buckets_allocated, p->n_buckets + 1);
        if (r < 0)
                return r;
        b = calloc(1, sizeof(PoolBucket));
        if (!b)
                return -ENOMEM;
        *b = (PoolBucket) { .amount = amount, .parked = SCHED_HEAP_INIT(SchedJob, heap_idx) };

        memmove(p->buckets + i + 1, p->buckets + i, (p->n_buckets - i) * sizeof(PoolBucket *));
        p->buckets[i] = b;
        p->n_buckets++;
        *ret = b;
        return 0;
}

SchedJob *sched_pool_candidate(Pool *p) {
        int64_t room = sched_pool_room(p);
        PoolBucket *best = NULL;
        size_t k = 0;

        /* The best parked job among the amounts that fit; empty buckets are dropped on the way. */
        for (size_t i = 0; i < p->n_buckets; i++) {
                PoolBucket *b = p->buckets[i];

                if (sched_heap_size(&b->parked) == 0) {
                        sched_heap_done(&b->parked);
                        free(b);
                        continue;
                }
                p->buckets[k++] = b;

                if (b->amount > room)
                        continue;
                if (!best || sched_heap_key_less(sched_heap_peek_key(&b->parked),
                                                 sched_heap_peek_key(&best->parked)))
                        best = b;
        }
        p->n_buckets = k;

        return best ? sched_heap_peek(&best->parked) : NULL;
}

/* ---- a job's pools: preferences, taking, releasing ---- */

/* The slot pool among the job's resources that "POOL=SLOT" names, NULL if none; *ret_slot is the SLOT. */
static Pool *sched_job_preferred_pool(const SchedJob *j, const char *identity, const char **ret_slot) {
        const char *eq = strchr(identity, '=');
        size_t l;

        if (!eq)
                return NULL;
        l = (size_t) (eq - identity);

        for (uint32_t i = 0; i < j->n_resources; i++) {
                Pool *p = j->resources[i].pool;

                if (p->slots && strncmp(p->name, identity, l) == 0 && p->name[l] == 0) {
                        *ret_slot = eq + 1;
                        return p;
                }
        }
        return NULL;
}

/* Keeps the preferences that can matter (a slot pool of the job, a valid slot name), in one allocation. */
int sched_job_init_preferred(SchedJob *j, char *const *slots) {
        size_t n = 0, bytes = 0;
        char *names;

        for (size_t i = 0; slots[i]; i++) {
                const char *slot;

                if (!sched_job_preferred_pool(j, slots[i], &slot) || sched_check_name(slot) < 0)
                        continue;
                if (n >= UINT32_MAX)
                        break;
                n++;
                bytes += strlen(slot) + 1;
        }
        if (n == 0)
                return 0;

        j->preferred = malloc(n * sizeof(JobPreferred) + bytes);
        if (!j->preferred)
                return -ENOMEM;
        names = (char *) (j->preferred + n);

        for (size_t i = 0; slots[i] && j->n_preferred < n; i++) {
                const char *slot;
                Pool *p;
                size_t l;

                p = sched_job_preferred_pool(j, slots[i], &slot);
                if (!p || sched_check_name(slot) < 0)
                        continue;
                l = strlen(slot) + 1;
                memcpy(names, slot, l);
                j->preferred[j->n_preferred++] = (JobPreferred) { p, names };
                names += l;
        }
        return 0;
}

/* Whether a failure of this owner on the slot adds to its count: an owner whose failures count once adds
 * one per streak of failures, so that one user's failing jobs alone cannot quarantine a shared slot. */
static bool slot_count_failure(const Sched *s, Slot *t, const Owner *o) {
        uint32_t *a;

        if (!sched_owner_policy(s, o)->slot_failures_once)
                return true;
        for (size_t i = 0; i < t->n_failed_owners; i++)
                if (t->failed_owners[i] == o->uid)
                        return false;
        /* Out of memory: count it, as if the owner's failures always counted. */
        a = reallocarray(t->failed_owners, t->n_failed_owners + 1, sizeof(uint32_t));
        if (a) {
                t->failed_owners = a;
                a[t->n_failed_owners++] = o->uid;
        }
        return true;
}

static void slot_release(Sched *s, Slot *t, const Owner *o, SchedResult result) {
        Pool *p = t->pool;

        if (result == SCHED_RESULT_SUCCESS) {
                t->consecutive_failures = 0;
                t->failed_owners = mfree(t->failed_owners);
                t->n_failed_owners = 0;
        } else if (t->consecutive_failures < UINT32_MAX && slot_count_failure(s, t, o))
                t->consecutive_failures++;

        t->holder = 0;
        p->in_use--;

        if (t->retired) {
                for (size_t i = 0; i < p->n_retired; i++)
                        if (p->retired[i] == t) {
                                p->retired[i] = p->retired[--p->n_retired];
                                break;
                        }
                slot_free(t);
                return;
        }

        if (p->quarantine_after > 0 && t->consecutive_failures >= p->quarantine_after && !t->quarantined) {
                t->quarantined = true;
                if (s->cb.slot_quarantined)
                        s->cb.slot_quarantined(s->userdata, p->name, t->name);
                return;
        }
        if (!t->quarantined)
                p->n_available++;
}

/* Takes the job's pool tokens and slots as it starts; the room was checked by sched_pick(). */
void sched_job_take_resources(SchedJob *j) {
        uint32_t n = 0;

        for (uint32_t i = 0; i < j->n_resources; i++) {
                Pool *p = j->resources[i].pool;
                uint32_t want = j->resources[i].amount;

                p->in_use += want;
                if (!p->slots)
                        continue;

                /* The slots it prefers first, if they are free; then the first free ones, in the order the
                 * slots were defined. */
                for (uint32_t k = 0; k < j->n_preferred && want > 0; k++) {
                        Slot *t;

                        if (j->preferred[k].pool != p)
                                continue;
                        t = slot_find(p->by_name, p->n_slots, j->preferred[k].slot);
                        if (!t || t->holder != 0 || t->quarantined)
                                continue;
                        t->holder = j->id;
                        j->held[n] = t;
                        j->identities[n++] = t->identity;
                        p->n_available--;
                        want--;
                }
                for (size_t k = 0; k < p->n_slots && want > 0; k++) {
                        Slot *t = p->slot[k];

                        if (t->holder != 0 || t->quarantined)
                                continue;
                        t->holder = j->id;
                        j->held[n] = t;
                        j->identities[n++] = t->identity;
                        p->n_available--;
                        want--;
                }
        }
        if (j->identities)
                j->identities[n] = NULL;
        /* Preferences are for the first start only (a job restored with the slots it had). */
        j->preferred = mfree(j->preferred);
        j->n_preferred = 0;
}

/* Gives the job's pool tokens and slots back as its attempt ends; its result counts for the slots. */
void sched_job_release_resources(Sched *s, SchedJob *j, SchedResult result) {
        for (uint32_t i = 0; i < j->n_resources; i++)
                if (!j->resources[i].pool->slots)
                        j->resources[i].pool->in_use -= j->resources[i].amount;
        for (uint32_t i = 0; i < j->n_slots; i++) {
                if (j->held[i])
                        slot_release(s, j->held[i], j->owner, result);
                j->held[i] = NULL;
                j->identities[i] = NULL;
        }
}

/* ---- defining pools and slots ---- */

static int check_pool_name(const char *name) {
        int r;

        r = sched_check_name(name);
        if (r < 0)
                return r;
        /* Slot identities are "POOL=SLOT": the first '=' must end the pool name. */
        if (strchr(name, '='))
                return -EINVAL;
        return 0;
}

static int pool_acquire(Sched *s, const char *name, bool slots, Pool **ret) {
        Pool *p;
        int r;

        p = sched_pool_get(s, name);
        if (p) {
                if (p->slots != slots)
                        return -EEXIST;
                *ret = p;
                return 0;
        }

        r = sched_hashmap_reserve(&s->pools, 1);
        if (r < 0)
                return r;
        p = calloc(1, sizeof(Pool));
        if (!p)
                return -ENOMEM;
        p->name = strdup(name);
        if (!p->name) {
                free(p);
                return -ENOMEM;
        }
        r = sched_blocker_init(s, &p->blocker, BLOCKER_POOL);
        if (r < 0) {
                sched_pool_free(p);
                return r;
        }
        p->hash = sched_hash_string(name);
        p->slots = slots;

        (void) sched_hashmap_put(&s->pools, p->hash, p);
        *ret = p;
        return 0;
}

int sched_set_pool(Sched *s, const char *pool, uint32_t capacity) {
        Pool *p;
        int r;

        if (!s)
                return -EINVAL;
        r = check_pool_name(pool);
        if (r < 0)
                return r;

        r = pool_acquire(s, pool, false, &p);
        if (r < 0)
                return r;

        p->capacity = capacity;
        sched_blocker_update(s, &p->blocker);
        return 0;
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static Slot *retired_take(Pool *p, const char *name) {
        for (size_t i = 0; i < p->n_retired; i++)
                if (streq(p->retired[i]->name, name)) {
                        Slot *t = p->retired[i];

                        p->retired[i] = p->retired[--p->n_retired];
                        t->retired = false;
                        return t;
                }
        return NULL;
}

static Slot *slot_new(Pool *p, const char *name) {
        Slot *t;
        size_t lp = strlen(p->name), ls = strlen(name);

        t = calloc(1, sizeof(Slot));
        if (!t)
                return NULL;
        t->pool = p;
        t->name = strdup(name);
        t->identity = malloc(lp + 1 + ls + 1);
        if (!t->name || !t->identity)
                return slot_free(t);
        memcpy(t->identity, p->name, lp);
        t->identity[lp] = '=';
        memcpy(t->identity + lp + 1, name, ls + 1);
        return t;
}

int sched_set_slot_pool(Sched *s, const char *pool, char *const *slots, uint32_t quarantine_after) {
        _cleanup_(freep) Slot **slot = NULL, **by_name = NULL;
        _cleanup_(freep) bool *created = NULL, *kept = NULL;
        _cleanup_(freep) char **names = NULL;
        size_t n = 0;
        Pool *p;
        int r;

        if (!s || !slots)
                return -EINVAL;
        r = check_pool_name(pool);
        if (r < 0)
                return r;
        p = sched_pool_get(s, pool);
        if (p && !p->slots)
                return -EEXIST;

        for (; slots[n]; n++) {
                if (n >= SCHED_SLOTS_MAX)
                        return -E2BIG;
                r = sched_check_name(slots[n]);
                if (r < 0)
                        return r;
        }
        names = malloc(MAX(n, (size_t) 1) * sizeof(char *));
        if (!names)
                return -ENOMEM;
        memcpy(names, slots, n * sizeof(char *));
        qsort(names, n, sizeof(char *), str_cmp);
        for (size_t i = 1; i < n; i++)
                if (streq(names[i - 1], names[i]))
                        return -EINVAL;

        r = pool_acquire(s, pool, true, &p);
        if (r < 0)
                return r;

        slot = calloc(MAX(n, (size_t) 1), sizeof(Slot *));
        by_name = calloc(MAX(n, (size_t) 1), sizeof(Slot *));
        created = calloc(MAX(n, (size_t) 1), sizeof(bool));
        kept = calloc(MAX(p->n_slots, (size_t) 1), sizeof(bool));
        if (!slot || !by_name || !created || !kept) {
                r = -ENOMEM;
                goto fail;
        }

        /* Slots that keep their name keep their object, and so their holder, failures and quarantine. */
        for (size_t i = 0; i < n; i++) {
                Slot *t = slot_find(p->by_name, p->n_slots, slots[i]);

                if (t)
                        kept[t->idx] = true;
                else {
                        t = slot_new(p, slots[i]);
                        if (!t) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        created[i] = true;
                }
                slot[i] = t;
        }
        r = GREEDY_REALLOC(p->retired, p->n_retired_allocated, p->n_retired + p->n_slots);
        if (r < 0)
                goto fail;

        /* Commit. A slot that comes back while its old object is still held is that object again. */
        for (size_t i = 0; i < n; i++) {
                Slot *t;

                if (!created[i] || !(t = retired_take(p, slot[i]->name)))
                        continue;
                slot_free(slot[i]);
                slot[i] = t;
        }
        for (size_t k = 0; k < p->n_slots; k++) {
                if (kept[k])
                        continue;
                if (p->slot[k]->holder != 0) {
                        p->slot[k]->retired = true;
                        p->retired[p->n_retired++] = p->slot[k];
                } else
                        slot_free(p->slot[k]);
        }

        free(p->slot);
        free(p->by_name);
        p->slot = TAKE_PTR(slot);
        p->n_slots = n;
        memcpy(by_name, p->slot, n * sizeof(Slot *));
        qsort(by_name, n, sizeof(Slot *), slot_cmp);
        p->by_name = TAKE_PTR(by_name);
        p->quarantine_after = quarantine_after;
        p->n_available = 0;
        for (size_t i = 0; i < n; i++) {
                p->slot[i]->idx = i;
                if (p->slot[i]->holder == 0 && !p->slot[i]->quarantined)
                        p->n_available++;
        }

        sched_blocker_update(s, &p->blocker);
        return 0;

fail:
        for (size_t i = 0; slot && created && i < n; i++)
                if (created[i])
                        slot_free(slot[i]);
        return r;
}

/* The named slot of a slot pool: -ENOENT if there is no such pool or slot. */
static int slot_lookup(Sched *s, const char *pool, const char *slot, Pool **ret_pool, Slot **ret_slot) {
        Pool *p;
        Slot *t;

        if (!s || !pool || !slot)
                return -EINVAL;
        p = sched_pool_get(s, pool);
        if (!p || !p->slots)
                return -ENOENT;
        t = slot_find(p->by_name, p->n_slots, slot);
        if (!t)
                return -ENOENT;
        *ret_pool = p;
        *ret_slot = t;
        return 0;
}

int sched_release_slot(Sched *s, const char *pool, const char *slot) {
        Pool *p;
        Slot *t;
        int r;

        r = slot_lookup(s, pool, slot, &p, &t);
        if (r < 0)
                return r;
        if (!t->quarantined)
                return 0;

        t->quarantined = false;
        t->consecutive_failures = 0;
        t->failed_owners = mfree(t->failed_owners);
        t->n_failed_owners = 0;
        if (t->holder == 0)
                p->n_available++;
        sched_blocker_update(s, &p->blocker);
        return 1;
}

int sched_set_slot_health(Sched *s, const char *pool, const char *slot, uint32_t consecutive_failures,
                          bool quarantined) {
        Pool *p;
        Slot *t;
        int r;

        r = slot_lookup(s, pool, slot, &p, &t);
        if (r < 0)
                return r;

        t->consecutive_failures = consecutive_failures;
        if (t->quarantined == quarantined)
                return 0;

        /* A held slot is not counted available either way: its release decides. */
        t->quarantined = quarantined;
        if (t->holder == 0) {
                if (quarantined)
                        p->n_available--;
                else
                        p->n_available++;
        }
        sched_blocker_update(s, &p->blocker);
        return 0;
}
