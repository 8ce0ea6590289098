/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the scheduler costs at regression scale: adding a 100k-job layered DAG in one batch, one
 * sched_next() + sched_job_finished() cycle per job while it all runs, and the memory it keeps per job.
 * Prints figures; it never passes or fails on them. Memory is what malloc holds (mallinfo2(): arenas
 * and mmap'ed blocks) after the batch minus before. */

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched.h"

#define BUILDS 100U
#define TESTS_PER_BUILD 990U
#define MERGES_PER_BUILD 9U
#define TESTS_PER_MERGE (TESTS_PER_BUILD / MERGES_PER_BUILD)     /* 110 */
#define JOBS_PER_BUILD (1U + TESTS_PER_BUILD + MERGES_PER_BUILD)
#define N_JOBS (BUILDS * JOBS_PER_BUILD)
#define RUNS 5

static double now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint64_t id_of(unsigned build, unsigned k) {
        return (uint64_t) build * JOBS_PER_BUILD + k + 1;
}

typedef struct Scenario {
        const char *name;
        unsigned n_owners;
        const char *group_every;        /* every 10th test in this group, NULL: none */
        uint32_t group_limit;
        const char *pool;               /* every test asks 1 token of this pool, NULL: none */
        uint32_t pool_capacity;
        uint32_t max_parallel;
} Scenario;

typedef struct Figures {
        size_t n_jobs;
        double add_ns, cycle_ns, bytes_per_job;    /* bytes_per_job < 0: not measurable */
        uint32_t done;
} Figures;

static int run(const Scenario *sc, Figures *ret) {
        static uint64_t after[2 * N_JOBS];
        static uint64_t running[N_JOBS];
        SchedResourceRequest req = { .pool = sc->pool, .amount = 1 };
        struct mallinfo2 m0, m1;
        SchedJobSpec *specs;
        size_t n = 0, n_after = 0, head = 0, tail = 0, cycles = 0;
        double t0, t_add, t_run;
        SchedCounts c;
        Sched *s;
        int r;

        specs = calloc(N_JOBS, sizeof(SchedJobSpec));
        if (!specs)
                return -ENOMEM;

        for (unsigned b = 0; b < BUILDS; b++) {
                uint32_t owner = 1000 + b % sc->n_owners;

                specs[n++] = (SchedJobSpec) { .id = id_of(b, 0), .priority = 10, .owner = owner };
                for (unsigned t = 1; t <= TESTS_PER_BUILD; t++) {
                        after[n_after] = id_of(b, 0);
                        specs[n++] = (SchedJobSpec) {
                                .id = id_of(b, t),
                                .owner = owner,
                                .after = after + n_after++,
                                .n_after = 1,
                                .group = sc->group_every && t % 10 == 0 ? sc->group_every : NULL,
                                .resources = sc->pool ? &req : NULL,
                                .n_resources = sc->pool ? 1 : 0,
                        };
                }
                for (unsigned m = 0; m < MERGES_PER_BUILD; m++) {
                        size_t first = n_after;

                        for (unsigned t = 0; t < TESTS_PER_MERGE; t++)
                                after[n_after++] = id_of(b, 1 + m * TESTS_PER_MERGE + t);
                        specs[n++] = (SchedJobSpec) {
                                .id = id_of(b, 1 + TESTS_PER_BUILD + m),
                                .priority = -1,
                                .owner = owner,
                                .after = after + first,
                                .n_after = n_after - first,
                                .after_condition = SCHED_AFTER_ANY,
                        };
                }
        }

        r = sched_new(NULL, NULL, &s);
        if (r < 0)
                return r;
        sched_set_max_parallel(s, sc->max_parallel);
        if (sc->group_every)
                (void) sched_set_group_limit(s, sc->group_every, sc->group_limit);
        if (sc->pool)
                (void) sched_set_pool(s, sc->pool, sc->pool_capacity);

        m0 = mallinfo2();
        t0 = now_ns();
        r = sched_add_batch(s, specs, n, NULL, NULL, NULL);
        t_add = now_ns() - t0;
        m1 = mallinfo2();
        if (r < 0) {
                fprintf(stderr, "sched_add_batch: %s\n", strerror(-r));
                return r;
        }

        /* Keep max_parallel jobs running, finishing the oldest first; every 7th test fails. */
        t0 = now_ns();
        for (;;) {
                uint64_t id;

                while ((r = sched_next(s, &id)) > 0)
                        running[tail++] = id;
                if (r < 0)
                        return r;
                if (head == tail)
                        break;
                id = running[head++];
                r = sched_job_finished(s, id, id % 7 == 0 ? SCHED_RESULT_FAILED : SCHED_RESULT_SUCCESS, 0);
                if (r < 0)
                        return r;
                cycles++;
        }
        t_run = now_ns() - t0;

        sched_get_counts(s, &c);
        *ret = (Figures) {
                .n_jobs = n,
                .add_ns = t_add,
                .cycle_ns = t_run / (cycles ?: 1),
                /* A sanitizer's allocator does not show in mallinfo2(). */
                .bytes_per_job = m1.uordblks + m1.hblkhd > m0.uordblks + m0.hblkhd ?
                        (double) (m1.uordblks + m1.hblkhd - m0.uordblks - m0.hblkhd) / n : -1,
                .done = c.done,
        };

        sched_free(s);
        free(specs);
        return 0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

int main(void) {
        static const Scenario scenarios[] = {
                { "plain, max_parallel 64",            1, NULL,    0, NULL,    0,  64 },
                { "plain, unlimited",                  1, NULL,    0, NULL,    0,  SCHED_UNLIMITED },
                { "10 owners, max_parallel 64",       10, NULL,    0, NULL,    0,  64 },
                { "10 owners, group limit 2 (10%)",   10, "slow",  2, NULL,    0,  64 },
                { "10 owners, pool of 16 tokens",     10, NULL,    0, "lic",  16,  64 },
        };

#if defined(__SANITIZE_ADDRESS__)
        printf("Built with AddressSanitizer: times are inflated, memory is not measured.\n");
#endif
        printf("Median of %d runs each.\n", RUNS);

        for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
                Figures f[RUNS];
                double add[RUNS], cycle[RUNS];
                char bytes[32] = "  n/a";

                for (int k = 0; k < RUNS; k++) {
                        if (run(scenarios + i, f + k) < 0)
                                return EXIT_FAILURE;
                        add[k] = f[k].add_ns;
                        cycle[k] = f[k].cycle_ns;
                }
                qsort(add, RUNS, sizeof(double), cmp_double);
                qsort(cycle, RUNS, sizeof(double), cmp_double);
                if (f[0].bytes_per_job >= 0)
                        snprintf(bytes, sizeof(bytes), "%5.0f", f[0].bytes_per_job);

                printf("%-32s %6zu jobs  add_batch %6.1f ms (%5.0f ns/job)  start+finish %5.0f ns/job  "
                       "%s B/job  (done %u)\n",
                       scenarios[i].name, f[0].n_jobs, add[RUNS / 2] / 1e6, add[RUNS / 2] / f[0].n_jobs,
                       cycle[RUNS / 2], bytes, f[0].done);
        }
        return EXIT_SUCCESS;
}
