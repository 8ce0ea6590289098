/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sched.h"

#define AFTER(...)                                                              \
        .after = (const uint64_t[]) { __VA_ARGS__ },                            \
        .n_after = sizeof((const uint64_t[]) { __VA_ARGS__ }) / sizeof(uint64_t)
#define RES(...)                                                                                \
        .resources = (const SchedResourceRequest[]) { __VA_ARGS__ },                            \
        .n_resources = sizeof((const SchedResourceRequest[]) { __VA_ARGS__ }) / sizeof(SchedResourceRequest)
#define SLOTS(...) ((char *const[]) { __VA_ARGS__, NULL })
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
/* sched_add() of a spec written in place */
#define ALL_RESULTS ((1U << _SCHED_RESULT_MAX) - 1)
#define ADD(s, ...) sched_add((s), &(SchedJobSpec) { __VA_ARGS__ }, NULL)

typedef struct Event {
        uint64_t id;
        SchedState state;
        SchedResult result;
        uint64_t cause_id;
        SchedResult cause_result;
} Event;

typedef struct Recorder {
        Event ev[1024];
        size_t n;                      /* events seen, possibly more than kept */
        char quarantined[16][64];
        size_t n_quarantined;
} Recorder;

static void on_state(void *userdata, uint64_t id, SchedState state, SchedResult result, uint64_t cause_id,
                     SchedResult cause_result) {
        Recorder *r = userdata;

        if (!r)
                return;
        if (r->n < ELEMENTSOF(r->ev))
                r->ev[r->n] = (Event) { id, state, result, cause_id, cause_result };
        r->n++;
}

static void on_quarantine(void *userdata, const char *pool, const char *slot) {
        Recorder *r = userdata;

        assert_true(r->n_quarantined < ELEMENTSOF(r->quarantined));
        snprintf(r->quarantined[r->n_quarantined++], sizeof(r->quarantined[0]), "%s=%s", pool, slot);
}

static const SchedCallbacks callbacks = {
        .state_changed = on_state,
        .slot_quarantined = on_quarantine,
};

static Sched *new_sched(Recorder *rec) {
        Sched *s = NULL;

        if (rec)
                memset(rec, 0, sizeof(*rec));
        assert_int_equal(sched_new(&callbacks, rec, &s), 0);
        assert_non_null(s);
        return s;
}

/* The next job sched_next() hands out, 0 if none. */
static uint64_t next(Sched *s) {
        uint64_t id = 0;
        int r;

        r = sched_next(s, &id);
        assert_true(r == 0 || r == 1);
        return r == 1 ? id : 0;
}

static void finish(Sched *s, uint64_t id, SchedResult result) {
        assert_int_equal(sched_job_finished(s, id, result, result == SCHED_RESULT_SUCCESS ? 0 : 1),
                         SCHED_FINISH_DONE);
}

static void assert_event(const Recorder *rec, size_t i, uint64_t id, SchedState state, SchedResult result,
                         uint64_t cause_id, SchedResult cause_result) {
        assert_true(i < rec->n);
        assert_int_equal(rec->ev[i].id, id);
        assert_int_equal(rec->ev[i].state, state);
        assert_int_equal(rec->ev[i].result, result);
        assert_int_equal(rec->ev[i].cause_id, cause_id);
        if (cause_id != 0)
                assert_int_equal(rec->ev[i].cause_result, cause_result);
}

static void assert_counts(Sched *s, uint32_t waiting, uint32_t queued, uint32_t running, uint32_t done) {
        SchedCounts c;

        sched_get_counts(s, &c);
        assert_int_equal(c.waiting, waiting);
        assert_int_equal(c.queued, queued);
        assert_int_equal(c.running, running);
        assert_int_equal(c.done, done);
}

static int count_calls(void *userdata, const SchedGroupInfo *g) {
        (*(int *) userdata)++;
        return 0;
}

/* ---- enums and life cycle ---- */

static void test_strings(void **state) {
        assert_string_equal(sched_condition_to_string(SCHED_AFTER_SUCCESS), "success");
        assert_string_equal(sched_condition_to_string(SCHED_AFTER_FAILURE), "failure");
        assert_string_equal(sched_condition_to_string(SCHED_AFTER_ANY), "any");
        assert_null(sched_condition_to_string(_SCHED_CONDITION_MAX));
        assert_null(sched_condition_to_string(_SCHED_CONDITION_INVALID));
        assert_int_equal(sched_condition_from_string("failure"), SCHED_AFTER_FAILURE);
        assert_int_equal(sched_condition_from_string("any"), SCHED_AFTER_ANY);
        assert_int_equal(sched_condition_from_string("success"), SCHED_AFTER_SUCCESS);
        assert_int_equal(sched_condition_from_string("Any"), _SCHED_CONDITION_INVALID);
        assert_int_equal(sched_condition_from_string(NULL), _SCHED_CONDITION_INVALID);

        assert_string_equal(sched_result_to_string(SCHED_RESULT_SUCCESS), "success");
        assert_string_equal(sched_result_to_string(SCHED_RESULT_OOM), "oom");
        assert_string_equal(sched_result_to_string(SCHED_RESULT_LOST), "lost");
        assert_null(sched_result_to_string(_SCHED_RESULT_MAX));
        assert_null(sched_result_to_string(_SCHED_RESULT_INVALID));
}

static void test_new_free(void **state) {
        Sched *s = NULL;
        uint64_t id = 77;

        assert_int_equal(sched_new(NULL, NULL, NULL), -EINVAL);
        assert_null(sched_free(NULL));

        /* No callbacks at all is fine, even when skips happen. */
        assert_int_equal(sched_new(NULL, NULL, &s), 0);
        assert_int_equal(sched_get_max_parallel(s), SCHED_UNLIMITED);
        assert_int_equal(sched_next(s, &id), 0);
        assert_int_equal(id, 77);
        assert_int_equal(sched_job_state(s, 1), _SCHED_STATE_INVALID);
        assert_int_equal(sched_job_attempts(s, 1), 0);
        assert_null(sched_job_slots(s, 1));
        assert_int_equal(sched_next(s, NULL), -EINVAL);
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, AFTER(1)), SCHED_WAITING);
        assert_int_equal(next(s), 1);
        finish(s, 1, SCHED_RESULT_FAILED);
        assert_int_equal(sched_job_state(s, 2), SCHED_DONE);
        assert_counts(s, 0, 0, 0, 2);

        /* Freeing with jobs in every state and parked everywhere must not leak (ASan checks). */
        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(sched_set_pool(s, "p", 1), 0);
        assert_int_equal(sched_set_slot_pool(s, "q", SLOTS("a"), 1), 0);
        assert_int_equal(sched_set_run_held(s, 9, true), 0);
        assert_int_equal(ADD(s, .id = 10, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 11, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 12, RES({ "p", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 13, RES({ "p", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 14, RES({ "q", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 15, RES({ "q", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 16, .run = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 17, AFTER(10)), SCHED_WAITING);
        assert_int_equal(next(s), 10);
        assert_int_equal(next(s), 12);
        assert_int_equal(next(s), 14);
        assert_int_equal(next(s), 0);
        assert_counts(s, 1, 4, 3, 2);
        assert_null(sched_free(s));
}

/* ---- adding ---- */

static void test_add_errors(void **state) {
        static uint64_t many[SCHED_DEPS_MAX + 1];
        static SchedResourceRequest res[SCHED_RESOURCES_MAX + 1];
        static int codes[SCHED_EXIT_CODES_MAX + 1];
        char long_name[SCHED_NAME_MAX + 2];
        Recorder rec;
        Sched *s = new_sched(&rec);
        uint64_t bad = 0;

        assert_int_equal(sched_add(NULL, &(SchedJobSpec) { .id = 1 }, NULL), -EINVAL);
        assert_int_equal(sched_add(s, NULL, NULL), -EINVAL);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 0 }, &bad), -EINVAL);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 1, .after_condition = _SCHED_CONDITION_MAX },
                                   NULL), -EINVAL);
        assert_int_equal(ADD(s, .id = 1, .after_condition = -1), -EINVAL);
        assert_int_equal(ADD(s, .id = 1, .n_after = 1), -EINVAL);
        assert_int_equal(ADD(s, .id = 1, .retry.on_results = 1U << _SCHED_RESULT_MAX), -EINVAL);

        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        bad = 0;
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 1 }, &bad), -EEXIST);
        assert_int_equal(bad, 1);

        bad = 0;
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 2, AFTER(1, 42) }, &bad), -ENOENT);
        assert_int_equal(bad, 42);
        assert_int_equal(ADD(s, .id = 2, AFTER(1, 42)), -ENOENT);

        assert_int_equal(ADD(s, .id = 3, AFTER(3)), -ELOOP);

        /* Bounds: one more than allowed is refused, exactly the bound is fine. */
        for (size_t i = 0; i < ELEMENTSOF(many); i++)
                many[i] = 1;
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 4, .after = many,
                                                        .n_after = SCHED_DEPS_MAX + 1 }, &bad), -E2BIG);
        assert_int_equal(bad, 4);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 4, .after = many, .n_after = SCHED_DEPS_MAX },
                                   NULL), SCHED_WAITING);

        assert_int_equal(sched_set_pool(s, "p", 10), 0);
        for (size_t i = 0; i < ELEMENTSOF(res); i++)
                res[i] = (SchedResourceRequest) { "p", 0 };
        assert_int_equal(ADD(s, .id = 5, .resources = res, .n_resources = SCHED_RESOURCES_MAX + 1), -E2BIG);

        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 5, .retry = { .retries = 1,
                                                        .on_exit_codes = codes,
                                                        .n_on_exit_codes = SCHED_EXIT_CODES_MAX + 1 } },
                                   NULL), -E2BIG);

        memset(long_name, 'x', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = 0;
        assert_int_equal(ADD(s, .id = 5, .group = long_name), -E2BIG);
        long_name[SCHED_NAME_MAX] = 0;
        assert_int_equal(ADD(s, .id = 5, .group = long_name), SCHED_QUEUED);

        /* Pools: unknown, too big, asked twice, unnamed. */
        bad = 0;
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 6, RES({ "nope", 1 }) }, &bad), -ENXIO);
        assert_int_equal(bad, 6);
        assert_int_equal(ADD(s, .id = 6, RES({ "p", 11 })), -ENOSPC);
        assert_int_equal(ADD(s, .id = 6, RES({ "p", 1 }, { "p", 1 })), -EINVAL);
        assert_int_equal(ADD(s, .id = 6, RES({ "", 1 })), -EINVAL);
        assert_int_equal(ADD(s, .id = 6, RES({ NULL, 1 })), -EINVAL);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("g0", "g1"), 0), 0);
        assert_int_equal(ADD(s, .id = 6, RES({ "gpu", 3 })), -ENOSPC);
        assert_int_equal(ADD(s, .id = 6, RES({ "p", 10 }, { "gpu", 2 })),
                         SCHED_QUEUED);

        /* None of the refused ones left a trace. */
        assert_counts(s, 1, 3, 0, 0);
        assert_int_equal(sched_job_state(s, 2), _SCHED_STATE_INVALID);
        assert_int_equal(sched_job_state(s, 3), _SCHED_STATE_INVALID);
        assert_int_equal(rec.n, 0);
        sched_free(s);
}

static void test_condition_success(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        for (SchedResult r = 0; r < _SCHED_RESULT_MAX; r++) {
                uint64_t dep = 100 + r * 2, job = dep + 1;

                rec.n = 0;
                assert_int_equal(ADD(s, .id = dep), SCHED_QUEUED);
                assert_int_equal(ADD(s, .id = job, AFTER(dep)), SCHED_WAITING);
                assert_int_equal(next(s), dep);
                finish(s, dep, r);
                assert_int_equal(rec.n, 1);
                if (r == SCHED_RESULT_SUCCESS) {
                        assert_int_equal(sched_job_state(s, job), SCHED_QUEUED);
                        assert_event(&rec, 0, job, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
                        assert_int_equal(next(s), job);
                        finish(s, job, SCHED_RESULT_SUCCESS);
                } else {
                        assert_int_equal(sched_job_state(s, job), SCHED_DONE);
                        assert_event(&rec, 0, job, SCHED_DONE, SCHED_RESULT_SKIPPED, dep, r);
                }
        }
        sched_free(s);
}

static void test_condition_failure(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        for (SchedResult r = 0; r < _SCHED_RESULT_MAX; r++) {
                uint64_t dep = 100 + r * 2, job = dep + 1;

                rec.n = 0;
                assert_int_equal(ADD(s, .id = dep), SCHED_QUEUED);
                assert_int_equal(ADD(s, .id = job, AFTER(dep), .after_condition = SCHED_AFTER_FAILURE),
                                 SCHED_WAITING);
                assert_int_equal(next(s), dep);
                finish(s, dep, r);
                assert_int_equal(rec.n, 1);
                if (r == SCHED_RESULT_SUCCESS) {
                        assert_int_equal(sched_job_state(s, job), SCHED_DONE);
                        assert_event(&rec, 0, job, SCHED_DONE, SCHED_RESULT_SKIPPED, dep,
                                     SCHED_RESULT_SUCCESS);
                } else {
                        assert_event(&rec, 0, job, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
                        assert_int_equal(next(s), job);
                        finish(s, job, SCHED_RESULT_SUCCESS);
                }
        }
        sched_free(s);
}

static void test_condition_any(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        for (SchedResult r = 0; r < _SCHED_RESULT_MAX; r++) {
                uint64_t dep = 100 + r * 2, job = dep + 1;

                assert_int_equal(ADD(s, .id = dep), SCHED_QUEUED);
                assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = job, AFTER(dep),
                                                                .after_condition = SCHED_AFTER_ANY }, NULL),
                                 SCHED_WAITING);
                assert_int_equal(next(s), dep);
                finish(s, dep, r);
                assert_int_equal(sched_job_state(s, job), SCHED_QUEUED);
                assert_int_equal(next(s), job);
                finish(s, job, SCHED_RESULT_FAILED);
        }
        assert_int_equal(rec.n, _SCHED_RESULT_MAX);
        for (size_t i = 0; i < rec.n; i++)
                assert_int_equal(rec.ev[i].state, SCHED_QUEUED);
        sched_free(s);
}

static void test_condition_several_deps(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        /* success: waits for all; the first failure skips at once, even with another still running. */
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 10, AFTER(1, 2, 3)), SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 11, AFTER(1, 2, 3),
                                                        .after_condition = SCHED_AFTER_FAILURE }, NULL),
                         SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 12, AFTER(1, 2, 3),
                                                        .after_condition = SCHED_AFTER_ANY }, NULL),
                         SCHED_WAITING);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 3);

        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, 11, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_state(s, 10), SCHED_WAITING);
        assert_int_equal(sched_job_state(s, 12), SCHED_WAITING);

        finish(s, 2, SCHED_RESULT_TIMEOUT);
        assert_int_equal(rec.n, 2);
        assert_event(&rec, 1, 10, SCHED_DONE, SCHED_RESULT_SKIPPED, 2, SCHED_RESULT_TIMEOUT);
        assert_int_equal(sched_job_state(s, 12), SCHED_WAITING);

        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(rec.n, 3);
        assert_event(&rec, 2, 12, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_int_equal(next(s), 12);
        sched_free(s);
}

static void test_transitive_skip(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        /* 1 ← 2 ← 3 ← 4, and 5 (after failure of 3), 6 (any, after 4), 7 after 2 and 5 */
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, AFTER(1)), SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 3, AFTER(2)), SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 4, AFTER(3)), SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 5, AFTER(3),
                                                        .after_condition = SCHED_AFTER_FAILURE }, NULL),
                         SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 6, AFTER(4),
                                                        .after_condition = SCHED_AFTER_ANY }, NULL),
                         SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 7, AFTER(5, 2),
                                                        .after_condition = SCHED_AFTER_ANY }, NULL),
                         SCHED_WAITING);

        assert_int_equal(next(s), 1);
        finish(s, 1, SCHED_RESULT_OOM);

        /* Everything settled inside that one call, each skip naming its own cause. */
        assert_event(&rec, 0, 2, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_OOM);
        assert_event(&rec, 1, 3, SCHED_DONE, SCHED_RESULT_SKIPPED, 2, SCHED_RESULT_SKIPPED);
        assert_event(&rec, 2, 4, SCHED_DONE, SCHED_RESULT_SKIPPED, 3, SCHED_RESULT_SKIPPED);
        assert_event(&rec, 3, 5, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_event(&rec, 4, 6, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_int_equal(rec.n, 5);
        assert_int_equal(sched_job_state(s, 7), SCHED_WAITING);
        assert_counts(s, 1, 2, 0, 4);

        assert_int_equal(next(s), 5);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_state(s, 7), SCHED_QUEUED);
        sched_free(s);
}

static void test_done_dep_at_add(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 2);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        finish(s, 2, SCHED_RESULT_KILLED);
        assert_int_equal(rec.n, 0);

        assert_int_equal(ADD(s, .id = 3, AFTER(1)), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, AFTER(1, 2)), SCHED_DONE);
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, 4, SCHED_DONE, SCHED_RESULT_SKIPPED, 2, SCHED_RESULT_KILLED);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 5, AFTER(2),
                                                        .after_condition = SCHED_AFTER_FAILURE }, NULL),
                         SCHED_QUEUED);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 6, AFTER(1),
                                                        .after_condition = SCHED_AFTER_FAILURE }, NULL),
                         SCHED_DONE);
        assert_event(&rec, 1, 6, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 7, AFTER(1, 2),
                                                        .after_condition = SCHED_AFTER_ANY }, NULL),
                         SCHED_QUEUED);

        /* A job waiting on a running one and a DONE one that already rules it out: skipped at once, and
         * then its own dependents in the same batch too. */
        assert_int_equal(next(s), 3);
        {
                const SchedJobSpec b[] = {
                        { .id = 9, AFTER(8) },
                        { .id = 8, AFTER(3, 2) },
                };

                rec.n = 0;
                assert_int_equal(sched_add_batch(s, b, ELEMENTSOF(b), NULL, NULL, NULL), 0);
                assert_int_equal(rec.n, 2);
                assert_event(&rec, 0, 8, SCHED_DONE, SCHED_RESULT_SKIPPED, 2, SCHED_RESULT_KILLED);
                assert_event(&rec, 1, 9, SCHED_DONE, SCHED_RESULT_SKIPPED, 8, SCHED_RESULT_SKIPPED);
        }
        assert_counts(s, 0, 2, 1, 6);
        sched_free(s);
}

/* ---- batches and cycles ---- */

static void test_batch_any_order(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        const SchedJobSpec b[] = {
                { .id = 4, AFTER(3, 2) },
                { .id = 3, AFTER(1) },
                { .id = 2, AFTER(1) },
                { .id = 1 },
                { .id = 6 },
                { .id = 5 },
        };

        assert_int_equal(sched_add_batch(s, b, ELEMENTSOF(b), NULL, NULL, NULL), 0);
        assert_int_equal(rec.n, 0);        /* the batch's own WAITING→QUEUED is not reported */
        assert_int_equal(sched_job_state(s, 4), SCHED_WAITING);
        assert_int_equal(sched_job_state(s, 3), SCHED_WAITING);
        assert_counts(s, 3, 3, 0, 0);

        /* Runnable jobs of a batch queue in array order. */
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 5);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 2);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_state(s, 4), SCHED_WAITING);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 4);

        assert_int_equal(sched_add_batch(s, NULL, 0, NULL, NULL, NULL), 0);
        assert_int_equal(sched_add_batch(s, NULL, 1, NULL, NULL, NULL), -EINVAL);
        sched_free(s);
}

static void assert_cycle(const SchedJobSpec *specs, size_t n, const uint64_t *cycle, size_t n_cycle) {
        /* Each runs after the next, the last after the first. */
        assert_true(n_cycle > 0);
        for (size_t i = 0; i < n_cycle; i++) {
                uint64_t a = cycle[i], b = cycle[(i + 1) % n_cycle];
                bool found = false;

                for (size_t k = 0; k < n && !found; k++)
                        if (specs[k].id == a)
                                for (size_t d = 0; d < specs[k].n_after; d++)
                                        found = found || specs[k].after[d] == b;
                assert_true(found);
        }
}

static void test_cycles(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        uint64_t *cycle = NULL, bad = 0;
        size_t n_cycle = 0;

        assert_int_equal(ADD(s, .id = 100), SCHED_QUEUED);
        {
                const SchedJobSpec b[] = {
                        { .id = 1, AFTER(100) },
                        { .id = 2, AFTER(1, 4) },
                        { .id = 3, AFTER(2) },
                        { .id = 4, AFTER(3, 100) },
                        { .id = 5, AFTER(4) },
                };

                assert_int_equal(sched_add_batch(s, b, ELEMENTSOF(b), &bad, &cycle, &n_cycle), -ELOOP);
                assert_int_equal(n_cycle, 3);
                assert_cycle(b, ELEMENTSOF(b), cycle, n_cycle);
                free(cycle);
                /* Without room for the cycle it is still refused. */
                assert_int_equal(sched_add_batch(s, b, ELEMENTSOF(b), NULL, NULL, NULL), -ELOOP);
        }
        {
                const SchedJobSpec b[] = {
                        { .id = 1 },
                        { .id = 2, AFTER(1, 2) },
                };

                cycle = NULL;
                assert_int_equal(sched_add_batch(s, b, ELEMENTSOF(b), NULL, &cycle, &n_cycle), -ELOOP);
                assert_int_equal(n_cycle, 1);
                assert_int_equal(cycle[0], 2);
                free(cycle);
        }
        {
                /* Two jobs after one another, then a diamond that is not a cycle. */
                const SchedJobSpec loop2[] = { { .id = 1, AFTER(2) }, { .id = 2, AFTER(1) } };
                const SchedJobSpec diamond[] = {
                        { .id = 4, AFTER(2, 3) }, { .id = 2, AFTER(1) }, { .id = 3, AFTER(1) }, { .id = 1 },
                };

                cycle = NULL;
                assert_int_equal(sched_add_batch(s, loop2, 2, NULL, &cycle, &n_cycle), -ELOOP);
                assert_int_equal(n_cycle, 2);
                assert_cycle(loop2, 2, cycle, n_cycle);
                free(cycle);

                assert_counts(s, 0, 1, 0, 0);
                assert_int_equal(rec.n, 0);
                assert_int_equal(sched_add_batch(s, diamond, 4, NULL, &cycle, &n_cycle), 0);
                assert_null(cycle);
                assert_int_equal(n_cycle, 0);
                assert_counts(s, 3, 2, 0, 0);
        }
        sched_free(s);
}

#define CHAIN 100000U

static void test_long_chains(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        SchedJobSpec *b = calloc(CHAIN, sizeof(SchedJobSpec));
        uint64_t *deps = calloc(CHAIN, sizeof(uint64_t)), *cycle = NULL;
        size_t n_cycle = 0;

        assert_non_null(b);
        assert_non_null(deps);

        /* A closed chain: one cycle through all of it, found without recursion. */
        for (size_t i = 0; i < CHAIN; i++) {
                deps[i] = i == 0 ? CHAIN : i;          /* job i + 1 after job i (and job 1 after the last) */
                b[i] = (SchedJobSpec) { .id = i + 1, .after = deps + i, .n_after = 1 };
        }
        assert_int_equal(sched_add_batch(s, b, CHAIN, NULL, &cycle, &n_cycle), -ELOOP);
        assert_int_equal(n_cycle, CHAIN);
        for (size_t i = 0; i < n_cycle; i++) {
                uint64_t a = cycle[i], d = cycle[(i + 1) % n_cycle];

                assert_int_equal(d, a == 1 ? CHAIN : a - 1);
        }
        free(cycle);
        assert_counts(s, 0, 0, 0, 0);

        /* Open it, listed from the end: accepted. */
        b[0].n_after = 0;
        for (size_t i = 0; i < CHAIN / 2; i++) {
                SchedJobSpec t = b[i];

                b[i] = b[CHAIN - 1 - i];
                b[CHAIN - 1 - i] = t;
        }
        assert_int_equal(sched_add_batch(s, b, CHAIN, NULL, NULL, NULL), 0);
        assert_counts(s, CHAIN - 1, 1, 0, 0);

        /* The head fails: 99,999 skips in one call, in chain order, each caused by the one before. */
        assert_int_equal(next(s), 1);
        finish(s, 1, SCHED_RESULT_FAILED);
        assert_int_equal(rec.n, CHAIN - 1);
        assert_event(&rec, 0, 2, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_FAILED);
        assert_event(&rec, 1, 3, SCHED_DONE, SCHED_RESULT_SKIPPED, 2, SCHED_RESULT_SKIPPED);
        assert_counts(s, 0, 0, 0, CHAIN);

        /* Forget it all from the tail, so nothing depends on what is forgotten... and from the head. */
        for (uint64_t id = CHAIN; id > CHAIN / 2; id--)
                assert_int_equal(sched_forget(s, id), 0);
        for (uint64_t id = 1; id <= CHAIN / 2; id++)
                assert_int_equal(sched_forget(s, id), 0);
        assert_counts(s, 0, 0, 0, 0);

        free(b);
        free(deps);
        sched_free(s);
}

static void test_batch_atomic(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        uint64_t bad = 0;
        int calls = 0;

        assert_int_equal(sched_set_pool(s, "p", 2), 0);
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(next(s), 1);

        {
                const SchedJobSpec unknown[] = {
                        { .id = 2, AFTER(1), .group = "new-group" },
                        { .id = 3, AFTER(2) },
                        { .id = 4, AFTER(1, 99) },
                };
                const SchedJobSpec dup_in_batch[] = { { .id = 2, AFTER(1) }, { .id = 5 }, { .id = 2 } };
                const SchedJobSpec dup_known[] = { { .id = 2, AFTER(1) }, { .id = 1 } };
                const SchedJobSpec too_big[] = { { .id = 2, AFTER(1) }, { .id = 3, RES({ "p", 3 }) } };
                const SchedJobSpec no_pool[] = { { .id = 2, AFTER(1) }, { .id = 3, RES({ "q", 1 }) } };

                assert_int_equal(sched_add_batch(s, unknown, 3, &bad, NULL, NULL), -ENOENT);
                assert_int_equal(bad, 99);
                assert_int_equal(sched_add_batch(s, dup_in_batch, 3, &bad, NULL, NULL), -EEXIST);
                assert_int_equal(bad, 2);
                assert_int_equal(sched_add_batch(s, dup_known, 2, &bad, NULL, NULL), -EEXIST);
                assert_int_equal(bad, 1);
                assert_int_equal(sched_add_batch(s, too_big, 2, &bad, NULL, NULL), -ENOSPC);
                assert_int_equal(bad, 3);
                assert_int_equal(sched_add_batch(s, no_pool, 2, &bad, NULL, NULL), -ENXIO);
                assert_int_equal(bad, 3);
        }

        /* Unchanged: no jobs, no group, and job 1 finishing settles nothing. */
        assert_counts(s, 0, 0, 1, 0);
        for (uint64_t id = 2; id <= 5; id++)
                assert_int_equal(sched_job_state(s, id), _SCHED_STATE_INVALID);
        assert_int_equal(sched_foreach_group(s, count_calls, &calls), 0);
        assert_int_equal(calls, 0);
        assert_int_equal(sched_foreach_group(s, NULL, &calls), -EINVAL);
        finish(s, 1, SCHED_RESULT_FAILED);
        assert_int_equal(rec.n, 0);
        assert_counts(s, 0, 0, 0, 1);

        /* And the same ids go in fine afterwards. */
        {
                const SchedJobSpec ok[] = { { .id = 2, AFTER(1), .after_condition = SCHED_AFTER_FAILURE },
                                            { .id = 3, AFTER(2) } };

                assert_int_equal(sched_add_batch(s, ok, 2, NULL, NULL, NULL), 0);
                assert_int_equal(sched_job_state(s, 2), SCHED_QUEUED);
                assert_int_equal(sched_job_state(s, 3), SCHED_WAITING);
        }
        sched_free(s);
}

/* ---- order ---- */

static void test_priority_order(void **state) {
        Sched *s = new_sched(NULL);
        const struct { uint64_t id; int32_t prio; } jobs[] = {
                { 1, 0 }, { 2, 5 }, { 3, -3 }, { 4, 5 }, { 5, INT32_MAX }, { 6, INT32_MIN }, { 7, 0 },
                { 8, -1 }, { 9, 1 }, { 10, 5 },
        };
        const uint64_t expect[] = { 5, 2, 4, 10, 9, 1, 7, 8, 3, 6 };

        for (size_t i = 0; i < ELEMENTSOF(jobs); i++)
                assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = jobs[i].id, .priority = jobs[i].prio },
                                           NULL), SCHED_QUEUED);

        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                assert_int_equal(next(s), expect[i]);
        assert_int_equal(next(s), 0);

        /* A late high-priority job overtakes everything still queued. */
        for (uint64_t id = 20; id < 25; id++)
                assert_int_equal(ADD(s, .id = id), SCHED_QUEUED);
        assert_int_equal(next(s), 20);
        assert_int_equal(ADD(s, .id = 30, .priority = 1), SCHED_QUEUED);
        assert_int_equal(next(s), 30);
        assert_int_equal(next(s), 21);
        sched_free(s);
}

static void test_heap_order_many(void **state) {
        Sched *s = new_sched(NULL);
        int32_t last_prio = INT32_MAX;
        uint64_t last_id = 0;

        /* Pseudo-random priorities over a small range: strictly by priority, then by add order. */
        for (uint64_t id = 1; id <= 5000; id++)
                assert_int_equal(ADD(s, .id = id, .priority = (int32_t) ((id * 7919) % 13) - 6),
                                 SCHED_QUEUED);
        for (size_t i = 0; i < 5000; i++) {
                uint64_t id = next(s);
                int32_t prio = (int32_t) ((id * 7919) % 13) - 6;

                assert_true(id != 0);
                assert_true(prio <= last_prio);
                if (prio == last_prio)
                        assert_true(id > last_id);
                last_prio = prio;
                last_id = id;
                if (i % 3 == 0)
                        finish(s, id, SCHED_RESULT_SUCCESS);
        }
        assert_int_equal(next(s), 0);
        sched_free(s);
}

static void test_fairness(void **state) {
        Sched *s = new_sched(NULL);
        const uint64_t expect[] = { 1, 11, 2, 12, 3, 13, 4, 5, 6 };

        /* Owner 100 queues six, then owner 200 three: they alternate, the earlier one first. */
        for (uint64_t id = 1; id <= 6; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 100), SCHED_QUEUED);
        for (uint64_t id = 11; id <= 13; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 200), SCHED_QUEUED);
        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                assert_int_equal(next(s), expect[i]);
        sched_free(s);

        /* Priority comes before fairness. */
        s = new_sched(NULL);
        for (uint64_t id = 1; id <= 3; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 100, .priority = 1),
                                 SCHED_QUEUED);
        for (uint64_t id = 11; id <= 13; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 200), SCHED_QUEUED);
        for (uint64_t id = 1; id <= 3; id++)
                assert_int_equal(next(s), id);
        assert_int_equal(next(s), 11);
        sched_free(s);

        /* An owner who comes late earns no credit for the time it had nothing queued: after four jobs of
         * owner 100 ran alone, the newcomers get one turn each before owner 100's next (they have not had
         * this round yet), not both of their jobs. Then the three owners rotate. */
        s = new_sched(NULL);
        for (uint64_t id = 1; id <= 10; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 100), SCHED_QUEUED);
        for (uint64_t id = 1; id <= 4; id++)
                assert_int_equal(next(s), id);
        assert_int_equal(ADD(s, .id = 21, .owner = 200), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 22, .owner = 200), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 31, .owner = 300), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 32, .owner = 300), SCHED_QUEUED);
        {
                const uint64_t e[] = { 21, 31, 5, 22, 32, 6, 7, 8 };

                for (size_t i = 0; i < ELEMENTSOF(e); i++)
                        assert_int_equal(next(s), e[i]);
        }
        sched_free(s);
}

static void test_fairness_under_group_limit(void **state) {
        Sched *s = new_sched(NULL);
        uint64_t started[8];

        /* All in one group of limit 2: once the group is full, the waiting jobs still take turns. */
        assert_int_equal(sched_set_group_limit(s, "g", 2), 0);
        for (uint64_t id = 1; id <= 6; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 100, .group = "g"),
                                 SCHED_QUEUED);
        for (uint64_t id = 11; id <= 16; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 200, .group = "g"),
                                 SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 11);
        assert_int_equal(next(s), 0);

        started[0] = 1;
        started[1] = 11;
        for (size_t i = 2; i < ELEMENTSOF(started); i++) {
                finish(s, started[i - 2], SCHED_RESULT_SUCCESS);
                started[i] = next(s);
                assert_int_equal(next(s), 0);
        }
        {
                const uint64_t e[] = { 1, 11, 2, 12, 3, 13, 4, 14 };

                for (size_t i = 0; i < ELEMENTSOF(e); i++)
                        assert_int_equal(started[i], e[i]);
        }
        sched_free(s);
}

/* ---- limits and holds ---- */

static void test_jobserver_tokens(void **state) {
        Sched *s = new_sched(NULL);

        /* Tokens that makes hold count like running jobs against the global limit. */
        sched_set_max_parallel(s, 4);
        for (uint64_t id = 1; id <= 6; id++)
                assert_int_equal(ADD(s, .id = id), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        sched_set_tokens(s, 3);
        assert_int_equal(next(s), 0);
        sched_set_tokens(s, 2);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        /* More tokens than the limit leaves (after a limit cut): nothing starts, nothing overflows. */
        sched_set_tokens(s, UINT32_MAX);
        assert_int_equal(next(s), 0);
        sched_set_tokens(s, 0);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);
        sched_free(s);

        /* And against their group's limit; a group with tokens only is kept until they are back. */
        s = new_sched(NULL);
        assert_int_equal(sched_set_group_tokens(s, "none", 0), 0);
        assert_int_equal(sched_set_group_tokens(s, "", 1), -EINVAL);
        assert_int_equal(sched_set_group_limit(s, "g", 3), 0);
        for (uint64_t id = 1; id <= 4; id++)
                assert_int_equal(ADD(s, .id = id, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 9), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_set_group_tokens(s, "g", 2), 0);
        /* The group is full: the job outside it goes first. */
        assert_int_equal(next(s), 9);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_group_tokens(s, "g", 1), 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_group_tokens(s, "g", 0), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 4);
        sched_free(s);
}

static void test_max_parallel(void **state) {
        Sched *s = new_sched(NULL);

        for (uint64_t id = 1; id <= 10; id++)
                assert_int_equal(ADD(s, .id = id), SCHED_QUEUED);

        sched_set_max_parallel(s, 2);
        assert_int_equal(sched_get_max_parallel(s), 2);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        assert_counts(s, 0, 8, 2, 0);

        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);

        sched_set_max_parallel(s, 5);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 0);
        assert_counts(s, 0, 4, 5, 1);

        /* Lowering leaves running jobs alone; nothing starts until they are below the new limit. */
        sched_set_max_parallel(s, 2);
        assert_counts(s, 0, 4, 5, 1);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 7);
        assert_int_equal(next(s), 0);

        sched_set_max_parallel(s, 0);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        finish(s, 7, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);

        sched_set_max_parallel(s, SCHED_UNLIMITED);
        assert_int_equal(next(s), 8);
        assert_int_equal(next(s), 9);
        assert_int_equal(next(s), 10);
        assert_int_equal(next(s), 0);
        sched_free(s);
}

typedef struct GroupSeen {
        char names[8][32];
        SchedGroupInfo info[8];
        size_t n;
        int stop_after;
} GroupSeen;

static int see_group(void *userdata, const SchedGroupInfo *g) {
        GroupSeen *seen = userdata;

        assert_true(seen->n < ELEMENTSOF(seen->info));
        snprintf(seen->names[seen->n], sizeof(seen->names[0]), "%s", g->name);
        seen->info[seen->n++] = *g;
        return seen->stop_after > 0 && (int) seen->n >= seen->stop_after ? 42 : 0;
}

static void test_group_limit(void **state) {
        Sched *s = new_sched(NULL);
        GroupSeen seen = {};

        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(sched_set_group_limit(s, "", 1), -EINVAL);
        assert_int_equal(sched_set_group_limit(s, NULL, 1), -EINVAL);

        /* High-priority jobs of a full group do not hold back the one behind them. */
        assert_int_equal(ADD(s, .id = 1, .group = "g", .priority = 9),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .group = "g", .priority = 9),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, .group = "g", .priority = 9),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, .group = "h"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 0);

        assert_int_equal(sched_foreach_group(s, see_group, &seen), 0);
        assert_int_equal(seen.n, 2);
        assert_string_equal(seen.names[0], "g");
        assert_int_equal(seen.info[0].limit, 1);
        assert_int_equal(seen.info[0].running, 1);
        assert_int_equal(seen.info[0].queued, 2);
        assert_false(seen.info[0].held);
        assert_string_equal(seen.names[1], "h");
        assert_int_equal(seen.info[1].limit, SCHED_UNLIMITED);
        assert_int_equal(seen.info[1].running, 1);

        /* The next of the group starts when the first ends. */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);

        /* Raising the limit lets more start at once; lowering never touches running ones. */
        assert_int_equal(sched_set_group_limit(s, "g", 3), 0);
        assert_int_equal(next(s), 3);
        assert_int_equal(ADD(s, .id = 6, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 7, .group = "g"), SCHED_QUEUED);
        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_counts(s, 0, 2, 4, 1);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 3, SCHED_RESULT_FAILED);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 0);

        /* Limit 0: nothing of the group starts; unlimited: everything. */
        assert_int_equal(sched_set_group_limit(s, "g", 0), 0);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_group_limit(s, "g", SCHED_UNLIMITED), 0);
        assert_int_equal(next(s), 7);

        seen = (GroupSeen) { .stop_after = 1 };
        assert_int_equal(sched_foreach_group(s, see_group, &seen), 42);
        assert_int_equal(seen.n, 1);
        sched_free(s);
}

/* Per-owner limits (jobd.conf's MaxRunningJobs=): an owner at its limit waits, others pass it by. */
static void test_owner_limit(void **state) {
        Sched *s = new_sched(NULL);
        const SchedOwnerPolicy two = { .max_running = 2 }, none = { .max_running = SCHED_UNLIMITED };

        sched_set_owner_default(s, &two);
        assert_int_equal(sched_set_owner_policy(s, 0, &none), 0);   /* root: no limit */

        /* Owner 1000 has high-priority jobs; the third waits without holding back owner 1001's. */
        for (uint64_t id = 1; id <= 4; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 1000, .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, .owner = 1001), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 6, .owner = 1001), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 7, .owner = 1001), SCHED_QUEUED);
        for (uint64_t id = 8; id <= 10; id++)
                assert_int_equal(ADD(s, .id = id, .owner = 0), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 8);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 9);
        assert_int_equal(next(s), 10);
        assert_int_equal(next(s), 0);
        assert_counts(s, 0, 3, 7, 0);

        /* One of 1000's ends: its next one starts (before 1001's, which is at its limit anyway). */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);

        /* A limit of its own for 1001 (raised), and the default lowered: running jobs are not touched. */
        assert_int_equal(sched_set_owner_policy(s, 1001, &(SchedOwnerPolicy) { .max_running = 3 }), 0);
        assert_int_equal(next(s), 7);
        sched_set_owner_default(s, &(SchedOwnerPolicy) { .max_running = 1 });
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);   /* 1000 still runs 3 > 1 */
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 4);
        finish(s, 4, SCHED_RESULT_FAILED);

        /* Back to the default for 1001 (1), which it is over: nothing new of it starts. */
        assert_int_equal(sched_set_owner_policy(s, 1001, NULL), 0);
        assert_int_equal(ADD(s, .id = 11, .owner = 1001), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 7, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 11);
        assert_int_equal(sched_set_owner_policy(s, 0, NULL), 0);
        sched_free(s);
}

static void test_group_hold(void **state) {
        Sched *s = new_sched(NULL);
        GroupSeen seen = {};

        assert_int_equal(sched_set_group_held(s, "g", true), 0);
        assert_int_equal(ADD(s, .id = 1, .group = "g", .priority = 5),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .group = "g", .priority = 5),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3), SCHED_QUEUED);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);

        assert_int_equal(sched_foreach_group(s, see_group, &seen), 0);
        assert_int_equal(seen.n, 1);
        assert_true(seen.info[0].held);
        assert_int_equal(seen.info[0].queued, 2);

        assert_int_equal(sched_set_group_held(s, "g", false), 0);
        assert_int_equal(next(s), 1);

        /* Holding with a job running: it keeps running, the next waits. */
        assert_int_equal(sched_set_group_held(s, "g", true), 0);
        assert_int_equal(next(s), 0);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_group_held(s, "g", false), 0);
        assert_int_equal(next(s), 2);

        /* Hold and limit together. */
        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(ADD(s, .id = 4, .group = "g"), SCHED_QUEUED);
        assert_int_equal(sched_set_group_held(s, "g", true), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_group_held(s, "g", false), 0);
        assert_int_equal(next(s), 4);
        sched_free(s);
}

static void test_run_hold(void **state) {
        Sched *s = new_sched(NULL);

        assert_int_equal(sched_set_run_held(s, 0, true), -EINVAL);
        assert_int_equal(sched_set_run_held(s, 7, false), 0);     /* not held: nothing to do */

        assert_int_equal(ADD(s, .id = 1, .run = 7, .priority = 3), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .run = 7, .priority = 3), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, .run = 8), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4), SCHED_QUEUED);

        assert_int_equal(sched_set_run_held(s, 7, true), 0);
        assert_int_equal(sched_set_run_held(s, 7, true), 0);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);

        /* Jobs added to a held run wait too, even ones added before there were any. */
        assert_int_equal(sched_set_run_held(s, 9, true), 0);
        assert_int_equal(ADD(s, .id = 5, .run = 9, .priority = 10),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 0);

        assert_int_equal(sched_set_run_held(s, 7, false), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_run_held(s, 9, false), 0);
        assert_int_equal(next(s), 5);

        /* A held run's queued job can be cancelled while it waits aside. */
        assert_int_equal(sched_set_run_held(s, 7, true), 0);
        assert_int_equal(ADD(s, .id = 6, .run = 7), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_cancel(s, 6), 0);
        assert_int_equal(sched_set_run_held(s, 7, false), 0);
        assert_int_equal(next(s), 0);
        sched_free(s);
}

/* The run's state, checking whether the Sched keeps any for it. */
static SchedRunInfo run_info(Sched *s, uint64_t run, int known) {
        SchedRunInfo info;

        assert_int_equal(sched_get_run(s, run, &info), known);
        assert_int_equal(info.id, run);
        return info;
}

static void test_run_limit(void **state) {
        Sched *s = new_sched(NULL);
        SchedRunInfo info;

        assert_int_equal(sched_set_run_limit(s, 0, 2), -EINVAL);
        assert_int_equal(sched_set_run_limit(NULL, 5, 2), -EINVAL);
        assert_int_equal(sched_get_run(s, 0, &info), -EINVAL);
        assert_int_equal(sched_get_run(s, 5, NULL), -EINVAL);

        /* A limit before the run has any jobs. */
        assert_int_equal(sched_set_run_limit(s, 5, 2), 0);
        info = run_info(s, 5, 1);
        assert_int_equal(info.limit, 2);
        assert_false(info.held);

        /* The run's jobs are in two groups (one unlimited, one limited higher) and in none: the run's limit
         * holds them all to 2 at once. They come first by priority, yet do not hold back jobs of another
         * run or of none behind them. */
        assert_int_equal(sched_set_group_limit(s, "sims", 5), 0);
        assert_int_equal(ADD(s, .id = 1, .run = 5, .group = "builds", .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .run = 5, .group = "sims", .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, .run = 5, .group = "builds", .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, .run = 5, .group = "sims", .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, .run = 5, .group = "sims", .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 6, .run = 5, .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 10, .run = 6, .group = "builds"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 11, .group = "sims"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 12), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 10);
        assert_int_equal(next(s), 11);
        assert_int_equal(next(s), 12);
        assert_int_equal(next(s), 0);
        info = run_info(s, 5, 1);
        assert_int_equal(info.running, 2);
        assert_int_equal(info.queued, 4);
        info = run_info(s, 6, 1);
        assert_int_equal(info.limit, SCHED_UNLIMITED);
        assert_int_equal(info.running, 1);

        /* The next of the run starts when one of it ends, whichever group either is in. */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);
        finish(s, 10, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 3, SCHED_RESULT_FAILED);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);

        /* Raising the limit lets more start at once. */
        assert_int_equal(sched_set_run_limit(s, 5, 4), 0);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 0);
        assert_int_equal(run_info(s, 5, 1).running, 4);

        /* Lowering never touches running ones: none starts until fewer than 2 run. */
        assert_int_equal(ADD(s, .id = 7, .run = 5, .group = "builds", .priority = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 8, .run = 5), SCHED_QUEUED);
        assert_int_equal(sched_set_run_limit(s, 5, 2), 0);
        assert_counts(s, 0, 2, 6, 3);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 7);
        assert_int_equal(next(s), 0);

        /* Limit 0: nothing of the run starts; unlimited: everything. */
        assert_int_equal(sched_set_run_limit(s, 5, 0), 0);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        finish(s, 7, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_run_limit(s, 5, SCHED_UNLIMITED), 0);
        assert_int_equal(next(s), 8);
        info = run_info(s, 5, 1);
        assert_int_equal(info.limit, SCHED_UNLIMITED);
        assert_int_equal(info.running, 1);
        assert_int_equal(info.queued, 0);
        sched_free(s);
}

static void test_run_limit_and_group_limit(void **state) {
        Sched *s = new_sched(NULL);

        /* Both apply: group limit 1 and run limit 3 let at most 1 of the group start. */
        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(sched_set_run_limit(s, 3, 3), 0);
        assert_int_equal(ADD(s, .id = 1, .run = 3, .group = "g", .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .run = 3, .group = "g", .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, .run = 3, .group = "g", .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, .run = 3, .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, .run = 3, .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 6, .run = 3, .group = "h"), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 0);

        /* Room in the run, none in the group: only the job of another group starts. */
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 0);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 0, 0, 6);

        /* A job waiting for its group goes on to wait for its run once the group has room, without
         * holding back a job of that group behind it; it starts when both have room. */
        assert_int_equal(sched_set_run_limit(s, 4, 2), 0);
        assert_int_equal(ADD(s, .id = 20, .group = "g"), SCHED_QUEUED);
        assert_int_equal(next(s), 20);
        assert_int_equal(ADD(s, .id = 21, .run = 4, .group = "g"), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        assert_int_equal(ADD(s, .id = 22, .run = 4), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 23, .run = 4), SCHED_QUEUED);
        assert_int_equal(next(s), 22);
        assert_int_equal(next(s), 23);
        assert_int_equal(next(s), 0);
        finish(s, 20, SCHED_RESULT_SUCCESS);
        assert_int_equal(ADD(s, .id = 24, .group = "g"), SCHED_QUEUED);
        assert_int_equal(next(s), 24);
        assert_int_equal(next(s), 0);
        finish(s, 22, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);             /* the run has room, the group not */
        finish(s, 24, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 21);
        assert_int_equal(next(s), 0);

        /* And the other way round: a job waiting for its run, then for its group. */
        assert_int_equal(ADD(s, .id = 25, .run = 4, .group = "g"), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        finish(s, 23, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);             /* the run has room, the group not */
        finish(s, 21, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 25);
        assert_int_equal(run_info(s, 4, 1).running, 1);
        sched_free(s);
}

static void test_run_limit_retry(void **state) {
        Sched *s = new_sched(NULL);
        SchedRunInfo info;

        assert_int_equal(sched_set_run_limit(s, 4, 1), 0);
        assert_int_equal(ADD(s, .id = 1, .run = 4, .priority = 1, .retry = { .retries = 2 }), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .run = 4, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, .run = 4, .retry = { .retries = 1 }), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 0);

        /* A job waiting for its retry holds no slot of its run... */
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 0);
        assert_int_equal(info.queued, 2);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);

        /* ... and its retry is a new start that waits for one. */
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        assert_int_equal(run_info(s, 4, 1).running, 1);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_int_equal(sched_job_finished(s, 3, SCHED_RESULT_TIMEOUT, -1), SCHED_FINISH_RETRY);

        /* A cancelled retry gives nothing back twice. */
        assert_int_equal(ADD(s, .id = 4, .run = 4), SCHED_QUEUED);
        assert_int_equal(sched_cancel(s, 3), 0);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 1);
        assert_int_equal(info.queued, 0);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 0);

        /* Two at once, both failing and retried: the counts stay right. */
        assert_int_equal(sched_set_run_limit(s, 4, 2), 0);
        assert_int_equal(ADD(s, .id = 5, .run = 4, .retry = { .retries = 1 }), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 6, .run = 4, .retry = { .retries = 1 }), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 7, .run = 4), SCHED_QUEUED);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_finished(s, 5, SCHED_RESULT_KILLED, -1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_finished(s, 6, SCHED_RESULT_KILLED, -1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 6), 0);
        assert_int_equal(sched_job_retry_now(s, 5), 0);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 0);
        assert_int_equal(info.queued, 3);
        /* Retries take their owner's next turns, after 7 which was queued before. */
        assert_int_equal(next(s), 7);
        assert_int_equal(next(s), 6);
        assert_int_equal(next(s), 0);
        finish(s, 7, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_attempts(s, 5), 2);
        finish(s, 5, SCHED_RESULT_FAILED);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 0);
        assert_int_equal(info.queued, 0);
        sched_free(s);
}

static void test_run_limit_hold(void **state) {
        Sched *s = new_sched(NULL);
        SchedRunInfo info;

        /* A held run with a limit: nothing starts until it is released, then the limit applies. */
        assert_int_equal(sched_set_run_held(s, 7, true), 0);
        assert_int_equal(sched_set_run_limit(s, 7, 1), 0);
        assert_int_equal(ADD(s, .id = 1, .run = 7, .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .run = 7, .priority = 5, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, .run = 7, .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4), SCHED_QUEUED);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);
        info = run_info(s, 7, 1);
        assert_true(info.held);
        assert_int_equal(info.limit, 1);
        assert_int_equal(info.queued, 3);

        assert_int_equal(sched_set_run_held(s, 7, false), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 0);

        /* Held while there is room: still nothing; released while full: nothing either. */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_set_run_held(s, 7, true), 0);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_run_held(s, 7, false), 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(sched_set_run_held(s, 7, true), 0);
        assert_int_equal(sched_set_run_held(s, 7, false), 0);
        assert_int_equal(next(s), 0);

        /* Unlimited again, the rest goes; released and unlimited, the run stays for its jobs. */
        assert_int_equal(sched_set_run_limit(s, 7, SCHED_UNLIMITED), 0);
        assert_int_equal(next(s), 3);
        info = run_info(s, 7, 1);
        assert_false(info.held);
        assert_int_equal(info.limit, SCHED_UNLIMITED);
        assert_int_equal(info.running, 2);
        sched_free(s);
}

static void test_run_lifetime(void **state) {
        Sched *s = new_sched(NULL);
        SchedRunInfo info;

        /* Unknown runs: clearing a setting creates nothing. */
        info = run_info(s, 9, 0);
        assert_int_equal(info.limit, SCHED_UNLIMITED);
        assert_false(info.held);
        assert_int_equal(info.running + info.queued, 0);
        assert_int_equal(sched_set_run_limit(s, 9, SCHED_UNLIMITED), 0);
        assert_int_equal(sched_set_run_held(s, 9, false), 0);
        run_info(s, 9, 0);

        /* A run is kept while it is held or limited, and freed when neither. */
        assert_int_equal(sched_set_run_limit(s, 9, 3), 0);
        run_info(s, 9, 1);
        assert_int_equal(sched_set_run_limit(s, 9, SCHED_UNLIMITED), 0);
        run_info(s, 9, 0);
        assert_int_equal(sched_set_run_held(s, 9, true), 0);
        assert_int_equal(sched_set_run_limit(s, 9, 2), 0);
        assert_int_equal(sched_set_run_held(s, 9, false), 0);
        assert_int_equal(run_info(s, 9, 1).limit, 2);
        assert_int_equal(sched_set_run_held(s, 9, true), 0);
        assert_int_equal(sched_set_run_limit(s, 9, SCHED_UNLIMITED), 0);
        assert_true(run_info(s, 9, 1).held);
        assert_int_equal(sched_set_run_held(s, 9, false), 0);
        run_info(s, 9, 0);

        /* ... and while it has jobs that are not forgotten, so its running count is always right. */
        assert_int_equal(ADD(s, .id = 1, .run = 9), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .run = 9), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_set_run_limit(s, 9, 1), 0);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_run_limit(s, 9, SCHED_UNLIMITED), 0);
        info = run_info(s, 9, 1);
        assert_int_equal(info.running, 1);
        assert_int_equal(info.queued, 1);
        assert_int_equal(next(s), 2);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_forget(s, 1), 0);
        run_info(s, 9, 1);
        assert_int_equal(sched_forget(s, 2), 0);
        run_info(s, 9, 0);

        /* A limited run with a job waiting aside and one cancelled there. */
        assert_int_equal(sched_set_run_limit(s, 10, 1), 0);
        assert_int_equal(ADD(s, .id = 3, .run = 10), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, .run = 10), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, .run = 10), SCHED_QUEUED);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_cancel(s, 4), 0);
        assert_int_equal(run_info(s, 10, 1).queued, 1);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_set_run_limit(s, 10, SCHED_UNLIMITED), 0);
        assert_int_equal(sched_cancel(s, 5), 0);
        assert_int_equal(sched_forget(s, 3), 0);
        assert_int_equal(sched_forget(s, 4), 0);
        run_info(s, 10, 1);
        assert_int_equal(sched_forget(s, 5), 0);
        run_info(s, 10, 0);
        assert_int_equal(next(s), 0);
        assert_counts(s, 0, 0, 0, 0);

        /* The id can be used again, from scratch. */
        assert_int_equal(ADD(s, .id = 6, .run = 10), SCHED_QUEUED);
        info = run_info(s, 10, 1);
        assert_int_equal(info.limit, SCHED_UNLIMITED);
        assert_int_equal(info.queued, 1);
        assert_int_equal(next(s), 6);

        /* Freeing with limited runs that have jobs running, waiting aside and none must not leak. */
        assert_int_equal(sched_set_run_limit(s, 10, 1), 0);
        assert_int_equal(ADD(s, .id = 7, .run = 10), SCHED_QUEUED);
        assert_int_equal(sched_set_run_limit(s, 11, 1), 0);
        assert_int_equal(sched_set_run_held(s, 12, true), 0);
        assert_int_equal(ADD(s, .id = 8, .run = 12), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        sched_free(s);
}

static void test_run_limit_at_scale(void **state) {
        Sched *s = new_sched(NULL);
        uint64_t id;

        /* 20,000 high-priority jobs of a run limited to 1, in two unlimited groups, then one of another
         * run and one of none: they start second and third. */
        assert_int_equal(sched_set_run_limit(s, 1, 1), 0);
        for (id = 1; id <= 20000; id++)
                assert_int_equal(ADD(s, .id = id, .priority = 10, .run = 1, .group = id % 2 ? "a" : "b"),
                                 SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 99998, .run = 2, .group = "a"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 99999), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 99998);
        assert_int_equal(next(s), 99999);
        assert_int_equal(next(s), 0);

        /* And the run goes on one at a time, in order. */
        for (id = 1; id < 20000; id++) {
                finish(s, id, SCHED_RESULT_SUCCESS);
                assert_int_equal(next(s), id + 1);
                assert_int_equal(next(s), 0);
        }
        sched_free(s);
}

static void test_draining(void **state) {
        Sched *s = new_sched(NULL);

        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, AFTER(1)), SCHED_WAITING);
        assert_int_equal(next(s), 1);

        sched_set_draining(s, true);
        assert_int_equal(next(s), 0);
        /* Running jobs finish normally and settle their dependents; nothing new starts. */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_state(s, 3), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        assert_counts(s, 0, 2, 0, 1);

        sched_set_draining(s, false);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 3);
        sched_free(s);
}

/* ---- pools ---- */

typedef struct PoolSeen {
        char names[8][32];
        SchedPoolInfo info[8];
        size_t n;
} PoolSeen;

static int see_pool(void *userdata, const SchedPoolInfo *p) {
        PoolSeen *seen = userdata;

        assert_true(seen->n < ELEMENTSOF(seen->info));
        snprintf(seen->names[seen->n], sizeof(seen->names[0]), "%s", p->name);
        seen->info[seen->n++] = *p;
        return 0;
}

static void test_counted_pool(void **state) {
        Sched *s = new_sched(NULL);
        PoolSeen seen = {};

        assert_int_equal(sched_set_pool(s, "lic", 3), 0);
        assert_int_equal(ADD(s, .id = 1, RES({ "lic", 2 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, RES({ "lic", 2 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, RES({ "lic", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, RES({ "lic", 0 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, RES({ "lic", 1 })), SCHED_QUEUED);

        /* 2 does not fit after 1, but 3 (and 4, which asks nothing) do: no head-of-line blocking. */
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);

        assert_int_equal(sched_foreach_pool(s, see_pool, &seen), 0);
        assert_int_equal(seen.n, 1);
        assert_string_equal(seen.names[0], "lic");
        assert_false(seen.info[0].slots);
        assert_int_equal(seen.info[0].capacity, 3);
        assert_int_equal(seen.info[0].in_use, 3);

        /* Two tokens come back: 2 (older, and now fitting) starts before 5. */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);

        /* Lowering the capacity leaves running jobs alone and delays new starts. */
        assert_int_equal(sched_set_pool(s, "lic", 1), 0);
        assert_counts(s, 0, 1, 3, 1);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);             /* 2 still holds 2 of 1 */
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 5);

        /* A request larger than the (new) capacity is refused at add; raising it lets one in. */
        assert_int_equal(ADD(s, .id = 6, RES({ "lic", 2 })), -ENOSPC);
        assert_int_equal(ADD(s, .id = 6, RES({ "lic", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_pool(s, "lic", 2), 0);
        assert_int_equal(next(s), 6);
        assert_int_equal(ADD(s, .id = 7, RES({ "lic", 2 })), SCHED_QUEUED);

        /* Capacity 0: nothing asking for it starts, others do. */
        assert_int_equal(sched_set_pool(s, "lic", 0), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        assert_int_equal(ADD(s, .id = 8), SCHED_QUEUED);
        assert_int_equal(next(s), 8);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_pool(s, "lic", 5), 0);
        assert_int_equal(next(s), 7);
        sched_free(s);
}

static void test_several_pools(void **state) {
        Sched *s = new_sched(NULL);
        PoolSeen seen = {};

        assert_int_equal(sched_set_pool(s, "mem", 4), 0);
        assert_int_equal(sched_set_pool(s, "cpu", 2), 0);
        assert_int_equal(sched_set_slot_pool(s, "board", SLOTS("b1"), 0), 0);

        assert_int_equal(ADD(s, .id = 1, RES({ "mem", 3 }, { "cpu", 1 })),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, RES({ "mem", 2 }, { "cpu", 1 })),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, RES({ "cpu", 1 }, { "board", 1 })),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, RES({ "mem", 1 }, { "board", 1 })),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 3);        /* 2 lacks mem */
        assert_int_equal(next(s), 0);        /* 4 lacks the board */

        /* mem comes back, but cpu is now what 2 lacks... */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 4);

        assert_int_equal(sched_foreach_pool(s, see_pool, &seen), 0);
        assert_int_equal(seen.n, 3);
        assert_string_equal(seen.names[0], "board");
        assert_true(seen.info[0].slots);
        assert_int_equal(seen.info[0].capacity, 1);
        assert_int_equal(seen.info[0].in_use, 1);
        assert_string_equal(seen.names[1], "cpu");
        assert_int_equal(seen.info[1].in_use, 1);
        assert_string_equal(seen.names[2], "mem");
        assert_int_equal(seen.info[2].in_use, 3);
        sched_free(s);
}

typedef struct SlotSeen {
        char names[16][32];
        SchedSlotInfo info[16];
        size_t n;
} SlotSeen;

static int see_slot(void *userdata, const SchedSlotInfo *i) {
        SlotSeen *seen = userdata;

        assert_true(seen->n < ELEMENTSOF(seen->info));
        snprintf(seen->names[seen->n], sizeof(seen->names[0]), "%s", i->name);
        seen->info[seen->n++] = *i;
        return 0;
}

static void test_pool_names(void **state) {
        Sched *s = new_sched(NULL);
        char long_name[SCHED_NAME_MAX + 2];

        memset(long_name, 'p', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = 0;

        assert_int_equal(sched_set_pool(s, "", 1), -EINVAL);
        assert_int_equal(sched_set_pool(s, NULL, 1), -EINVAL);
        assert_int_equal(sched_set_pool(s, "a=b", 1), -EINVAL);
        assert_int_equal(sched_set_pool(s, long_name, 1), -E2BIG);
        assert_int_equal(sched_set_slot_pool(s, "a=b", SLOTS("x"), 0), -EINVAL);
        assert_int_equal(sched_set_slot_pool(s, "gpu", NULL, 0), -EINVAL);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("x", ""), 0), -EINVAL);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("x", "y", "x"), 0), -EINVAL);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS(long_name), 0), -E2BIG);
        {
                char **many = calloc(SCHED_SLOTS_MAX + 2, sizeof(char *));
                char (*names)[8] = calloc(SCHED_SLOTS_MAX + 1, 8);

                assert_non_null(many);
                assert_non_null(names);
                for (size_t i = 0; i <= SCHED_SLOTS_MAX; i++) {
                        snprintf(names[i], 8, "s%zu", i);
                        many[i] = names[i];
                }
                assert_int_equal(sched_set_slot_pool(s, "gpu", many, 0), -E2BIG);
                many[SCHED_SLOTS_MAX] = NULL;
                assert_int_equal(sched_set_slot_pool(s, "big", many, 0), 0);
                free(many);
                free(names);
        }
        /* None of the refused calls created the pool. */
        assert_int_equal(ADD(s, .id = 1, RES({ "gpu", 1 })), -ENXIO);
        assert_int_equal(ADD(s, .id = 1, RES({ "big", SCHED_SLOTS_MAX })),
                         SCHED_QUEUED);

        /* A pool keeps its kind. */
        assert_int_equal(sched_set_pool(s, "lic", 1), 0);
        assert_int_equal(sched_set_slot_pool(s, "lic", SLOTS("x"), 0), -EEXIST);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("x"), 0), 0);
        assert_int_equal(sched_set_pool(s, "gpu", 5), -EEXIST);
        assert_int_equal(sched_foreach_slot(s, "lic", NULL, NULL), -EINVAL);
        {
                SlotSeen seen = {};

                assert_int_equal(sched_foreach_slot(s, "lic", see_slot, &seen), 0);
                assert_int_equal(seen.n, 0);
                assert_int_equal(sched_foreach_slot(s, "gpu", see_slot, &seen), 0);
                assert_int_equal(seen.n, 1);
        }
        sched_free(s);
}

static void assert_slots(Sched *s, uint64_t id, const char *const *expect) {
        char *const *got = sched_job_slots(s, id);
        size_t i;

        assert_non_null(got);
        for (i = 0; expect[i]; i++) {
                assert_non_null(got[i]);
                assert_string_equal(got[i], expect[i]);
        }
        assert_null(got[i]);
}

static void test_slot_pool(void **state) {
        Sched *s = new_sched(NULL);
        SlotSeen seen = {};

        /* Handed out in the order given, reported sorted by name. */
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("g3", "g1", "g2", "g0"), 0), 0);
        assert_int_equal(ADD(s, .id = 1, RES({ "gpu", 2 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, RES({ "gpu", 2 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5), SCHED_QUEUED);

        assert_null(sched_job_slots(s, 1));       /* not running yet */
        assert_int_equal(next(s), 1);
        assert_slots(s, 1, (const char *const[]) { "gpu=g3", "gpu=g1", NULL });
        assert_int_equal(next(s), 2);
        assert_slots(s, 2, (const char *const[]) { "gpu=g2", NULL });
        assert_int_equal(next(s), 4);             /* 3 wants two, one is left */
        assert_slots(s, 4, (const char *const[]) { "gpu=g0", NULL });
        assert_int_equal(next(s), 5);
        assert_null(sched_job_slots(s, 5));
        assert_int_equal(next(s), 0);

        assert_int_equal(sched_foreach_slot(s, "gpu", see_slot, &seen), 0);
        assert_int_equal(seen.n, 4);
        assert_string_equal(seen.names[0], "g0");
        assert_int_equal(seen.info[0].holder, 4);
        assert_string_equal(seen.names[1], "g1");
        assert_int_equal(seen.info[1].holder, 1);
        assert_string_equal(seen.names[3], "g3");
        assert_int_equal(seen.info[3].holder, 1);
        assert_int_equal(sched_foreach_slot(s, "nope", see_slot, &seen), -ENOENT);

        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_null(sched_job_slots(s, 2));
        assert_int_equal(next(s), 0);             /* one free, 3 needs two */
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        assert_slots(s, 3, (const char *const[]) { "gpu=g2", "gpu=g0", NULL });

        /* A slot pool and a counted pool in one request. */
        assert_int_equal(sched_set_pool(s, "lic", 1), 0);
        assert_int_equal(ADD(s, .id = 6, RES({ "lic", 1 }, { "gpu", 1 })),
                         SCHED_QUEUED);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 6);
        assert_slots(s, 6, (const char *const[]) { "gpu=g3", NULL });
        sched_free(s);
}

static void test_slot_quarantine(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        uint64_t id = 1;
        SlotSeen seen = {};

        assert_int_equal(sched_set_slot_pool(s, "board", SLOTS("b0", "b1"), 2), 0);

        /* b0: fail, success (resets), fail: not quarantined. Every run takes b0 as the first free one. */
        for (SchedResult r = 0; r < 3; r++) {
                SchedResult res = r == 1 ? SCHED_RESULT_SUCCESS : SCHED_RESULT_FAILED;

                assert_int_equal(ADD(s, .id = id, RES({ "board", 1 })),
                                 SCHED_QUEUED);
                assert_int_equal(next(s), id);
                assert_slots(s, id, (const char *const[]) { "board=b0", NULL });
                finish(s, id++, res);
        }
        assert_int_equal(rec.n_quarantined, 0);

        /* A second consecutive failure (a timeout counts too) quarantines b0. */
        assert_int_equal(ADD(s, .id = id, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), id);
        finish(s, id++, SCHED_RESULT_TIMEOUT);
        assert_int_equal(rec.n_quarantined, 1);
        assert_string_equal(rec.quarantined[0], "board=b0");

        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_true(seen.info[0].quarantined);
        assert_int_equal(seen.info[0].consecutive_failures, 2);
        assert_false(seen.info[1].quarantined);

        /* Never handed out again: two jobs, one slot left. */
        assert_int_equal(ADD(s, .id = 10, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 11, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 10);
        assert_slots(s, 10, (const char *const[]) { "board=b1", NULL });
        assert_int_equal(next(s), 0);

        /* Releasing it wakes the waiting job at once. */
        assert_int_equal(sched_release_slot(s, "board", "b1"), 0);
        assert_int_equal(sched_release_slot(s, "board", "nope"), -ENOENT);
        assert_int_equal(sched_release_slot(s, "nope", "b0"), -ENOENT);
        assert_int_equal(sched_release_slot(s, "board", "b0"), 1);
        assert_int_equal(sched_release_slot(s, "board", "b0"), 0);
        assert_int_equal(next(s), 11);
        assert_slots(s, 11, (const char *const[]) { "board=b0", NULL });

        /* With two slots per job, both count the failure; quarantine_after 0 never quarantines. */
        finish(s, 10, SCHED_RESULT_SUCCESS);
        finish(s, 11, SCHED_RESULT_FAILED);
        assert_int_equal(ADD(s, .id = 12, RES({ "board", 2 })), SCHED_QUEUED);
        assert_int_equal(next(s), 12);
        finish(s, 12, SCHED_RESULT_LOST);
        assert_int_equal(rec.n_quarantined, 2);
        assert_string_equal(rec.quarantined[1], "board=b0");
        assert_int_equal(ADD(s, .id = 13, RES({ "board", 2 })), SCHED_QUEUED);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_slot_pool(s, "board", SLOTS("b0", "b1"), 0), 0);   /* still quarantined */
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_release_slot(s, "board", "b0"), 1);
        assert_int_equal(next(s), 13);
        finish(s, 13, SCHED_RESULT_FAILED);
        for (uint64_t k = 20; k < 25; k++) {
                assert_int_equal(ADD(s, .id = k, RES({ "board", 2 })),
                                 SCHED_QUEUED);
                assert_int_equal(next(s), k);
                finish(s, k, SCHED_RESULT_FAILED);
        }
        seen = (SlotSeen) {};
        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_int_equal(seen.info[0].consecutive_failures, 6);
        assert_false(seen.info[0].quarantined);
        assert_false(seen.info[1].quarantined);
        assert_int_equal(rec.n_quarantined, 2);
        sched_free(s);
}

/* One owner's failures alone do not quarantine a shared slot when they count once per streak. */
static void test_slot_quarantine_owners(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        SlotSeen seen = {};
        uint64_t id = 1;

        sched_set_owner_default(s, &(SchedOwnerPolicy) { .max_running = SCHED_UNLIMITED,
                                                         .slot_failures_once = true });
        assert_int_equal(sched_set_owner_policy(s, 0, &(SchedOwnerPolicy) { .max_running = SCHED_UNLIMITED }),
                         0);
        assert_int_equal(sched_set_slot_pool(s, "board", SLOTS("b0"), 3), 0);

        /* Ten failures of uid 1000 on b0: one counts. */
        for (int i = 0; i < 10; i++, id++) {
                assert_int_equal(ADD(s, .id = id, .owner = 1000, RES({ "board", 1 })), SCHED_QUEUED);
                assert_int_equal(next(s), id);
                finish(s, id, SCHED_RESULT_FAILED);
        }
        assert_int_equal(rec.n_quarantined, 0);
        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_int_equal(seen.info[0].consecutive_failures, 1);

        /* Another user's failure counts; then a success of anyone ends the streak. */
        assert_int_equal(ADD(s, .id = id, .owner = 1001, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), id);
        finish(s, id++, SCHED_RESULT_FAILED);
        assert_int_equal(ADD(s, .id = id, .owner = 1000, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), id);
        finish(s, id++, SCHED_RESULT_SUCCESS);
        seen = (SlotSeen) {};
        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_int_equal(seen.info[0].consecutive_failures, 0);

        /* After the success, 1000's failure counts again; with root's two (each counts) b0 goes. */
        assert_int_equal(ADD(s, .id = id, .owner = 1000, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), id);
        finish(s, id++, SCHED_RESULT_FAILED);
        for (int i = 0; i < 2; i++, id++) {
                assert_int_equal(ADD(s, .id = id, .owner = 0, RES({ "board", 1 })), SCHED_QUEUED);
                assert_int_equal(next(s), id);
                finish(s, id, SCHED_RESULT_FAILED);
        }
        assert_int_equal(rec.n_quarantined, 1);
        assert_string_equal(rec.quarantined[0], "board=b0");

        /* Released: the streak starts anew, 1000 counts once again. */
        assert_int_equal(sched_release_slot(s, "board", "b0"), 1);
        for (int i = 0; i < 3; i++, id++) {
                assert_int_equal(ADD(s, .id = id, .owner = 1000, RES({ "board", 1 })), SCHED_QUEUED);
                assert_int_equal(next(s), id);
                finish(s, id, SCHED_RESULT_FAILED);
        }
        assert_int_equal(rec.n_quarantined, 1);
        seen = (SlotSeen) {};
        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_int_equal(seen.info[0].consecutive_failures, 1);
        sched_free(s);
}

static void test_slot_pool_redefine(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        SlotSeen seen = {};

        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("a", "b", "c"), 3), 0);
        assert_int_equal(ADD(s, .id = 1, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 1);         /* a */
        assert_int_equal(next(s), 2);         /* b */
        finish(s, 2, SCHED_RESULT_FAILED);    /* b: 1 failure */

        /* Drop a (held by 1) and c, keep b (with its failure count), add d. */
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("d", "b"), 3), 0);
        assert_slots(s, 1, (const char *const[]) { "gpu=a", NULL });     /* still valid */
        assert_int_equal(sched_foreach_slot(s, "gpu", see_slot, &seen), 0);
        assert_int_equal(seen.n, 2);
        assert_string_equal(seen.names[0], "b");
        assert_int_equal(seen.info[0].consecutive_failures, 1);
        assert_string_equal(seen.names[1], "d");

        /* a comes back while job 1 still holds it: it is the same slot, not handed out twice. */
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("a", "d", "b"), 3), 0);
        assert_int_equal(ADD(s, .id = 3, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 3);
        assert_slots(s, 3, (const char *const[]) { "gpu=d", NULL });
        seen = (SlotSeen) {};
        assert_int_equal(sched_foreach_slot(s, "gpu", see_slot, &seen), 0);
        assert_int_equal(seen.n, 3);
        assert_string_equal(seen.names[0], "a");
        assert_int_equal(seen.info[0].holder, 1);

        /* Dropping a slot held by a job: the job finishes, and the slot is gone, not back in the pool. */
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("b"), 3), 0);
        assert_int_equal(ADD(s, .id = 4, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, RES({ "gpu", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 4);
        assert_slots(s, 4, (const char *const[]) { "gpu=b", NULL });
        finish(s, 1, SCHED_RESULT_FAILED);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(rec.n_quarantined, 0);

        /* Growing the pool wakes the waiting job. */
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("b", "e"), 3), 0);
        assert_int_equal(next(s), 5);
        assert_slots(s, 5, (const char *const[]) { "gpu=e", NULL });

        /* Shrinking below a queued job's need makes it wait (not fail). */
        assert_int_equal(ADD(s, .id = 6, RES({ "gpu", 2 })), SCHED_QUEUED);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("b"), 3), 0);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_state(s, 6), SCHED_QUEUED);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("b", "f"), 3), 0);
        assert_int_equal(next(s), 6);
        sched_free(s);
}

static void test_preferred_slots(void **state) {
        Sched *s = new_sched(NULL);
        char pref[] = "gpu=c";
        char *const mine[] = { pref, NULL };

        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("a", "b", "c"), 0), 0);
        assert_int_equal(sched_set_slot_pool(s, "board", SLOTS("b0", "b1"), 0), 0);
        assert_int_equal(sched_set_pool(s, "lic", 5), 0);

        /* The preferred slot rather than the first free one; the caller's strings were copied. */
        assert_int_equal(ADD(s, .id = 1, RES({ "gpu", 1 }), .slots = mine), SCHED_QUEUED);
        pref[4] = 'a';
        assert_int_equal(next(s), 1);
        assert_slots(s, 1, (const char *const[]) { "gpu=c", NULL });
        finish(s, 1, SCHED_RESULT_SUCCESS);

        /* Each gets its own, whatever the order of the slots. */
        assert_int_equal(ADD(s, .id = 2, RES({ "gpu", 1 }), .slots = SLOTS("gpu=b")), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, RES({ "gpu", 1 }), .slots = SLOTS("gpu=a")), SCHED_QUEUED);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 3);
        assert_slots(s, 2, (const char *const[]) { "gpu=b", NULL });
        assert_slots(s, 3, (const char *const[]) { "gpu=a", NULL });

        /* Held: the first free one instead. */
        assert_int_equal(ADD(s, .id = 4, RES({ "gpu", 1 }), .slots = SLOTS("gpu=a")), SCHED_QUEUED);
        assert_int_equal(next(s), 4);
        assert_slots(s, 4, (const char *const[]) { "gpu=c", NULL });
        finish(s, 4, SCHED_RESULT_SUCCESS);
        finish(s, 2, SCHED_RESULT_SUCCESS);

        /* Quarantined: likewise (b is the one free slot that is not). */
        assert_int_equal(sched_set_slot_health(s, "gpu", "c", 0, true), 0);
        assert_int_equal(ADD(s, .id = 5, RES({ "gpu", 1 }), .slots = SLOTS("gpu=c")), SCHED_QUEUED);
        assert_int_equal(next(s), 5);
        assert_slots(s, 5, (const char *const[]) { "gpu=b", NULL });
        finish(s, 5, SCHED_RESULT_SUCCESS);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_release_slot(s, "gpu", "c"), 1);

        /* Unknown slots, other pools (counted, not asked for, unknown) and malformed entries are ignored;
         * the valid preference among them still counts. Preferred first, then the first free ones. */
        assert_int_equal(ADD(s, .id = 6, RES({ "gpu", 2 }, { "lic", 1 }),
                             .slots = SLOTS("gpu=zz", "nope=a", "lic=a", "board=b0", "gpu", "=c", "gpu=",
                                            "gpu=c", "gpu=c")),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 6);
        assert_slots(s, 6, (const char *const[]) { "gpu=c", "gpu=a", NULL });
        finish(s, 6, SCHED_RESULT_SUCCESS);

        /* Several pools, each its own preferences, in the order of the job's resources. */
        assert_int_equal(ADD(s, .id = 7, RES({ "board", 1 }, { "gpu", 2 }),
                             .slots = SLOTS("gpu=c", "board=b1", "gpu=b")),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 7);
        assert_slots(s, 7, (const char *const[]) { "board=b1", "gpu=c", "gpu=b", NULL });
        finish(s, 7, SCHED_RESULT_SUCCESS);

        /* A job that asks no slots ignores its preferences. */
        assert_int_equal(ADD(s, .id = 8, RES({ "lic", 1 }), .slots = SLOTS("gpu=c")), SCHED_QUEUED);
        assert_int_equal(next(s), 8);
        assert_null(sched_job_slots(s, 8));
        finish(s, 8, SCHED_RESULT_SUCCESS);

        /* Preferences are for the first start only: a retry takes the first free slot. */
        assert_int_equal(ADD(s, .id = 9, RES({ "gpu", 1 }), .slots = SLOTS("gpu=c"), .retry = { .retries = 1 }),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 9);
        assert_slots(s, 9, (const char *const[]) { "gpu=c", NULL });
        assert_int_equal(sched_job_finished(s, 9, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 9), 0);
        assert_int_equal(next(s), 9);
        assert_slots(s, 9, (const char *const[]) { "gpu=a", NULL });
        finish(s, 9, SCHED_RESULT_SUCCESS);

        /* The slots are looked up when the job starts: a redefinition in between counts. */
        assert_int_equal(ADD(s, .id = 10, RES({ "gpu", 1 }), .slots = SLOTS("gpu=d")), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 11, RES({ "gpu", 1 }), .slots = SLOTS("gpu=b")), SCHED_QUEUED);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("a", "c", "d"), 0), 0);
        assert_int_equal(next(s), 10);
        assert_int_equal(next(s), 11);
        assert_slots(s, 10, (const char *const[]) { "gpu=d", NULL });
        assert_slots(s, 11, (const char *const[]) { "gpu=a", NULL });

        /* Batches too; a job that never starts frees its preferences with itself. */
        {
                const SchedJobSpec specs[] = {
                        { .id = 12, RES({ "gpu", 1 }), .slots = SLOTS("gpu=c") },
                        { .id = 13, RES({ "gpu", 1 }), .slots = SLOTS("gpu=a") },
                };

                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), NULL, NULL, NULL), 0);
        }
        assert_int_equal(next(s), 12);
        assert_slots(s, 12, (const char *const[]) { "gpu=c", NULL });
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_cancel(s, 13), 0);
        sched_free(s);
}

static void test_slot_health(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        PoolSeen pools = {};
        SlotSeen seen = {};

        assert_int_equal(sched_set_slot_pool(s, "board", SLOTS("b0", "b1"), 3), 0);
        assert_int_equal(sched_set_pool(s, "lic", 2), 0);

        assert_int_equal(sched_set_slot_health(s, "nope", "b0", 0, true), -ENOENT);
        assert_int_equal(sched_set_slot_health(s, "board", "zz", 0, true), -ENOENT);
        assert_int_equal(sched_set_slot_health(s, "lic", "b0", 0, true), -ENOENT);
        assert_int_equal(sched_set_slot_health(s, NULL, "b0", 0, true), -EINVAL);
        assert_int_equal(sched_set_slot_health(NULL, "board", "b0", 0, true), -EINVAL);

        /* Restored as saved, quietly; setting the same twice counts once. */
        assert_int_equal(sched_set_slot_health(s, "board", "b0", 2, true), 0);
        assert_int_equal(sched_set_slot_health(s, "board", "b0", 2, true), 0);
        assert_int_equal(sched_set_slot_health(s, "board", "b1", 1, false), 0);
        assert_int_equal(sched_set_slot_health(s, "board", "b1", 1, false), 0);
        assert_int_equal(sched_set_slot_health(s, "board", "b1", 1, false), 0);
        assert_int_equal(rec.n_quarantined, 0);
        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_int_equal(seen.n, 2);
        assert_true(seen.info[0].quarantined);
        assert_int_equal(seen.info[0].consecutive_failures, 2);
        assert_false(seen.info[1].quarantined);
        assert_int_equal(seen.info[1].consecutive_failures, 1);

        assert_int_equal(sched_foreach_pool(s, see_pool, &pools), 0);
        assert_int_equal(pools.n, 2);
        assert_string_equal(pools.names[0], "board");
        assert_int_equal(pools.info[0].capacity, 2);
        assert_int_equal(pools.info[0].quarantine_after, 3);
        assert_string_equal(pools.names[1], "lic");
        assert_int_equal(pools.info[1].quarantine_after, 0);

        /* The quarantined slot is not handed out: one job gets the other, the next waits. A job that needs
         * both slots is still accepted (the pool has two), and waits. */
        assert_int_equal(ADD(s, .id = 1, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, RES({ "board", 2 })), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_slots(s, 1, (const char *const[]) { "board=b1", NULL });
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_release_slot(s, "board", "b0"), 1);
        assert_int_equal(next(s), 2);
        assert_slots(s, 2, (const char *const[]) { "board=b0", NULL });
        assert_int_equal(next(s), 0);

        /* Quarantining a held slot: its job keeps it, and it stays quarantined once released. */
        assert_int_equal(sched_set_slot_health(s, "board", "b1", 0, true), 0);
        assert_slots(s, 1, (const char *const[]) { "board=b1", NULL });
        finish(s, 1, SCHED_RESULT_SUCCESS);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);             /* 3 needs both */
        seen = (SlotSeen) {};
        assert_int_equal(sched_foreach_slot(s, "board", see_slot, &seen), 0);
        assert_true(seen.info[1].quarantined);
        assert_int_equal(seen.info[1].holder, 0);
        assert_int_equal(rec.n_quarantined, 0);

        /* Un-quarantining a free slot wakes the job waiting for it. */
        assert_int_equal(sched_set_slot_health(s, "board", "b1", 0, false), 0);
        assert_int_equal(next(s), 3);
        assert_slots(s, 3, (const char *const[]) { "board=b0", "board=b1", NULL });

        /* Un-quarantining a held slot: available again once released. */
        assert_int_equal(sched_set_slot_health(s, "board", "b0", 0, true), 0);
        assert_int_equal(sched_set_slot_health(s, "board", "b0", 0, false), 0);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(ADD(s, .id = 4, RES({ "board", 2 })), SCHED_QUEUED);
        assert_int_equal(next(s), 4);

        /* A restored failure count counts towards the quarantine: one more failure reaches 3. */
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_set_slot_health(s, "board", "b0", 2, false), 0);
        assert_int_equal(ADD(s, .id = 5, RES({ "board", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 5);
        assert_slots(s, 5, (const char *const[]) { "board=b0", NULL });
        finish(s, 5, SCHED_RESULT_FAILED);
        assert_int_equal(rec.n_quarantined, 1);
        assert_string_equal(rec.quarantined[0], "board=b0");
        sched_free(s);
}

/* ---- retries ---- */

static void test_retry(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        const SchedRetryPolicy policy = { .retries = 2, .on_results = 1U << SCHED_RESULT_FAILED };

        assert_int_equal(ADD(s, .id = 1, .retry = policy), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, AFTER(1)), SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 3), SCHED_QUEUED);
        assert_int_equal(sched_job_attempts(s, 1), 0);

        assert_int_equal(sched_job_retry_now(s, 1), -ESTALE);
        assert_int_equal(sched_job_retry_now(s, 99), -ENOENT);

        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_state(s, 1), SCHED_WAITING);
        assert_int_equal(sched_job_state(s, 2), SCHED_WAITING);
        assert_int_equal(rec.n, 0);
        assert_counts(s, 2, 1, 0, 0);

        /* Held until retry_now, even with room: 3 goes first. */
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(sched_job_retry_now(s, 1), -ESTALE);
        assert_int_equal(sched_job_state(s, 1), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 3);

        /* The last attempt settles the dependents, with its result as the cause. */
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        assert_int_equal(sched_job_state(s, 1), SCHED_DONE);
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, 2, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_FAILED);
        assert_int_equal(sched_job_attempts(s, 1), 3);
        sched_free(s);
}

static void test_retry_then_success(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        assert_int_equal(ADD(s, .id = 1, .retry = { .retries = 5 }),
                         SCHED_QUEUED);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 2, AFTER(1),
                                                        .after_condition = SCHED_AFTER_FAILURE }, NULL),
                         SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 3, AFTER(1)), SCHED_WAITING);

        /* Default results: killed, timeout, oom, lost and failed retry. A failure that will be retried is
         * not a failure yet: the AFTER_FAILURE job keeps waiting. */
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_KILLED, -1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_state(s, 2), SCHED_WAITING);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_OOM, -1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_SUCCESS, 0), SCHED_FINISH_DONE);
        assert_int_equal(sched_job_attempts(s, 1), 3);
        assert_int_equal(rec.n, 2);
        assert_event(&rec, 0, 2, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_SUCCESS);
        assert_event(&rec, 1, 3, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);

        /* Cancelled is never retried, and a job waiting for its retry can be cancelled. */
        assert_int_equal(ADD(s, .id = 4, .retry = { .retries = 5, .on_results = ALL_RESULTS }),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, AFTER(4)), SCHED_WAITING);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 4);
        assert_int_equal(sched_job_finished(s, 4, SCHED_RESULT_CANCELLED, -1), SCHED_FINISH_DONE);
        assert_int_equal(ADD(s, .id = 6, .retry = { .retries = 5 }),
                         SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 7, AFTER(6)), SCHED_WAITING);
        assert_int_equal(next(s), 6);
        assert_int_equal(sched_job_finished(s, 6, SCHED_RESULT_OOM, -1), SCHED_FINISH_RETRY);
        rec.n = 0;
        assert_int_equal(sched_cancel(s, 6), 0);
        assert_int_equal(sched_job_state(s, 6), SCHED_DONE);
        assert_int_equal(sched_job_retry_now(s, 6), -ESTALE);
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, 7, SCHED_DONE, SCHED_RESULT_SKIPPED, 6, SCHED_RESULT_CANCELLED);

        /* The default set is the one RetryOn documents (the same as job_spec_retry_policy()'s): not lost. */
        for (SchedResult r = 0; r < _SCHED_RESULT_MAX; r++) {
                bool retried = r == SCHED_RESULT_FAILED || r == SCHED_RESULT_KILLED ||
                               r == SCHED_RESULT_TIMEOUT || r == SCHED_RESULT_OOM;

                assert_int_equal(ADD(s, .id = 8 + r, .retry = { .retries = 1 }), SCHED_QUEUED);
                assert_int_equal(next(s), 8 + r);
                assert_int_equal(sched_job_finished(s, 8 + r, r, r == SCHED_RESULT_FAILED ? 1 : -1),
                                 retried ? SCHED_FINISH_RETRY : SCHED_FINISH_DONE);
                if (retried)
                        assert_int_equal(sched_cancel(s, 8 + r), 0);
        }
        sched_free(s);
}

static void test_retry_exit_codes(void **state) {
        Sched *s = new_sched(NULL);
        const int codes[] = { 3, 75 };
        const SchedRetryPolicy only_codes = { .retries = 3, .on_exit_codes = codes, .n_on_exit_codes = 2 };
        const SchedRetryPolicy timeout_and_codes = {
                .retries = 3, .on_results = 1U << SCHED_RESULT_TIMEOUT,
                .on_exit_codes = codes, .n_on_exit_codes = 2,
        };

        assert_int_equal(ADD(s, .id = 1, .retry = only_codes), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 75), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 3), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);

        /* Codes restrict FAILED only; other results follow on_results. */
        assert_int_equal(ADD(s, .id = 2, .retry = timeout_and_codes),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 2);
        assert_int_equal(sched_job_finished(s, 2, SCHED_RESULT_TIMEOUT, -1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 2), 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(sched_job_finished(s, 2, SCHED_RESULT_FAILED, 3), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 2), 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(sched_job_finished(s, 2, SCHED_RESULT_KILLED, -1), SCHED_FINISH_DONE);

        /* The caller's array was copied. */
        {
                int mine[] = { 9 };

                assert_int_equal(ADD(s, .id = 3, .retry = { .retries = 1, .on_exit_codes = mine,
                                                             .n_on_exit_codes = 1 }), SCHED_QUEUED);
                mine[0] = 1;
                assert_int_equal(next(s), 3);
                assert_int_equal(sched_job_finished(s, 3, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        }

        /* No retries: never. */
        assert_int_equal(ADD(s, .id = 4, .retry.on_results = ALL_RESULTS),
                         SCHED_QUEUED);
        assert_int_equal(next(s), 4);
        assert_int_equal(sched_job_finished(s, 4, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        sched_free(s);
}

static void test_retry_keeps_resources_rules(void **state) {
        Sched *s = new_sched(NULL);

        /* A retried job gives back its group slot and pool tokens between attempts. */
        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(sched_set_pool(s, "lic", 1), 0);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 1, .group = "g", RES({ "lic", 1 }),
                                                        .retry = { .retries = 1 } }, NULL), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, RES({ "lic", 1 })), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 3);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        sched_free(s);
}

static void test_restored_attempts(void **state) {
        Sched *s = new_sched(NULL);
        const SchedRetryPolicy policy = { .retries = 2, .on_results = 1U << SCHED_RESULT_FAILED };

        /* Two of three attempts made before the restart: exactly one more. */
        assert_int_equal(ADD(s, .id = 1, .retry = policy, .attempts = 2), SCHED_QUEUED);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 3);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        assert_int_equal(sched_job_attempts(s, 1), 3);

        /* One made: two more. */
        assert_int_equal(ADD(s, .id = 2, .retry = policy, .attempts = 1), SCHED_QUEUED);
        assert_int_equal(next(s), 2);
        assert_int_equal(sched_job_attempts(s, 2), 2);
        assert_int_equal(sched_job_finished(s, 2, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_retry_now(s, 2), 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(sched_job_attempts(s, 2), 3);
        assert_int_equal(sched_job_finished(s, 2, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);

        /* More than the policy allows: taken as it is, no retry. */
        assert_int_equal(ADD(s, .id = 3, .retry = policy, .attempts = 7), SCHED_QUEUED);
        assert_int_equal(sched_job_attempts(s, 3), 7);
        assert_int_equal(next(s), 3);
        assert_int_equal(sched_job_attempts(s, 3), 8);
        assert_int_equal(sched_job_finished(s, 3, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);

        /* Batches take them over too; a waiting job reports them before it starts. */
        {
                const SchedJobSpec specs[] = {
                        { .id = 4, .retry = policy, .attempts = 2 },
                        { .id = 5, AFTER(4), .retry = policy, .attempts = 1 },
                };

                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), NULL, NULL, NULL), 0);
        }
        assert_int_equal(sched_job_attempts(s, 4), 2);
        assert_int_equal(sched_job_attempts(s, 5), 1);
        assert_int_equal(next(s), 4);
        assert_int_equal(sched_job_finished(s, 4, SCHED_RESULT_SUCCESS, 0), SCHED_FINISH_DONE);
        assert_int_equal(next(s), 5);
        assert_int_equal(sched_job_attempts(s, 5), 2);
        assert_int_equal(sched_job_finished(s, 5, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        sched_free(s);
}

/* ---- jobs restored while they waited for a retry ---- */

static void test_retry_pending(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        const SchedRetryPolicy policy = { .retries = 2, .on_results = 1U << SCHED_RESULT_FAILED };
        uint64_t bad = 0;

        /* Without an attempt made before, there is nothing to retry: refused, alone or in a batch. */
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 1, .retry_pending = true }, &bad), -EINVAL);
        assert_int_equal(bad, 1);
        {
                const SchedJobSpec specs[] = {
                        { .id = 1 },
                        { .id = 2, AFTER(1), .retry = policy, .retry_pending = true },
                };

                bad = 0;
                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), &bad, NULL, NULL), -EINVAL);
                assert_int_equal(bad, 2);
        }
        assert_int_equal(sched_job_state(s, 1), _SCHED_STATE_INVALID);
        assert_counts(s, 0, 0, 0, 0);

        /* WAITING, counted so, and not handed out, even with room. */
        assert_int_equal(ADD(s, .id = 1, .retry = policy, .attempts = 1, .retry_pending = true),
                         SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 2), SCHED_QUEUED);
        assert_int_equal(sched_job_state(s, 1), SCHED_WAITING);
        assert_int_equal(sched_job_attempts(s, 1), 1);
        assert_counts(s, 1, 1, 0, 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_SUCCESS, 0), -ESTALE);
        assert_int_equal(sched_forget(s, 1), -EBUSY);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_counts(s, 1, 0, 0, 1);

        /* Until retry_now: then QUEUED, and it starts as its second attempt, the policy counting on. */
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(sched_job_retry_now(s, 1), -ESTALE);
        assert_int_equal(sched_job_state(s, 1), SCHED_QUEUED);
        assert_counts(s, 0, 1, 0, 1);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        assert_counts(s, 0, 0, 1, 1);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_counts(s, 1, 0, 0, 1);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 3);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        assert_counts(s, 0, 0, 0, 2);

        /* The attempt it waited for is made even past its policy; none after it. */
        assert_int_equal(ADD(s, .id = 3, .retry = policy, .attempts = 5, .retry_pending = true),
                         SCHED_WAITING);
        assert_int_equal(sched_job_retry_now(s, 3), 0);
        assert_int_equal(next(s), 3);
        assert_int_equal(sched_job_attempts(s, 3), 6);
        assert_int_equal(sched_job_finished(s, 3, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);

        /* Its dependencies are not looked at again: one that failed does not skip it, one that has not
         * finished does not hold it back, and ending later changes nothing for it. */
        assert_int_equal(ADD(s, .id = 4), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, AFTER(4, 1), .attempts = 1, .retry_pending = true), SCHED_WAITING);
        assert_int_equal(sched_job_state(s, 5), SCHED_WAITING);
        assert_int_equal(sched_job_retry_now(s, 5), 0);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 5);
        finish(s, 4, SCHED_RESULT_FAILED);
        assert_int_equal(sched_job_state(s, 5), SCHED_RUNNING);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 0, 0, 5);

        /* Nothing of this was reported: WAITING is where jobs start, the rest the caller did itself. */
        assert_int_equal(rec.n, 0);

        assert_int_equal(sched_forget(s, 5), 0);
        assert_int_equal(sched_forget(s, 1), 0);
        assert_counts(s, 0, 0, 0, 3);
        sched_free(s);
}

static void test_retry_pending_batch(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        /* Dependents in the same batch, before and after it, wait for it like for any unfinished job;
         * so does one added later. */
        {
                const SchedJobSpec specs[] = {
                        { .id = 2, AFTER(1) },
                        { .id = 1, .retry = { .retries = 1 }, .attempts = 1, .retry_pending = true },
                        { .id = 3, AFTER(1), .after_condition = SCHED_AFTER_FAILURE },
                        { .id = 4, AFTER(2) },
                        { .id = 5 },
                };

                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), NULL, NULL, NULL), 0);
        }
        assert_int_equal(ADD(s, .id = 6, AFTER(1)), SCHED_WAITING);
        for (uint64_t id = 1; id <= 6; id++)
                assert_int_equal(sched_job_state(s, id), id == 5 ? SCHED_QUEUED : SCHED_WAITING);
        assert_counts(s, 5, 1, 0, 0);
        assert_int_equal(rec.n, 0);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);

        /* It succeeds: those after success are queued, the one after failure skipped. */
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        assert_int_equal(rec.n, 0);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_SUCCESS, 0), SCHED_FINISH_DONE);
        assert_int_equal(rec.n, 3);
        assert_event(&rec, 0, 2, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_event(&rec, 1, 3, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_SUCCESS);
        assert_event(&rec, 2, 6, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_counts(s, 1, 2, 0, 3);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 6);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(rec.n, 4);
        assert_event(&rec, 3, 4, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_int_equal(next(s), 4);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        finish(s, 6, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 0, 0, 6);

        /* It fails for good: those after success are skipped, transitively; the one after any queued. */
        rec.n = 0;
        {
                const SchedJobSpec specs[] = {
                        { .id = 11, .retry = { .retries = 1 }, .attempts = 2, .retry_pending = true },
                        { .id = 12, AFTER(11) },
                        { .id = 13, AFTER(11), .after_condition = SCHED_AFTER_ANY },
                        { .id = 14, AFTER(12) },
                };

                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), NULL, NULL, NULL), 0);
        }
        assert_counts(s, 4, 0, 0, 6);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_retry_now(s, 11), 0);
        assert_int_equal(next(s), 11);
        assert_int_equal(sched_job_attempts(s, 11), 3);
        assert_int_equal(sched_job_finished(s, 11, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        assert_int_equal(rec.n, 3);
        assert_event(&rec, 0, 12, SCHED_DONE, SCHED_RESULT_SKIPPED, 11, SCHED_RESULT_FAILED);
        assert_event(&rec, 1, 13, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_event(&rec, 2, 14, SCHED_DONE, SCHED_RESULT_SKIPPED, 12, SCHED_RESULT_SKIPPED);
        assert_int_equal(next(s), 13);
        finish(s, 13, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 0, 0, 10);

        /* Retried once more: its dependents wait on through the new delay. */
        rec.n = 0;
        {
                const SchedJobSpec specs[] = {
                        { .id = 22, AFTER(21) },
                        { .id = 21, .retry = { .retries = 2 }, .attempts = 1, .retry_pending = true },
                };

                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), NULL, NULL, NULL), 0);
        }
        assert_int_equal(sched_job_retry_now(s, 21), 0);
        assert_int_equal(next(s), 21);
        assert_int_equal(sched_job_finished(s, 21, SCHED_RESULT_KILLED, -1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_state(s, 22), SCHED_WAITING);
        assert_counts(s, 2, 0, 0, 10);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_retry_now(s, 21), 0);
        assert_int_equal(next(s), 21);
        assert_int_equal(sched_job_attempts(s, 21), 3);
        assert_int_equal(rec.n, 0);
        finish(s, 21, SCHED_RESULT_SUCCESS);
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, 22, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_int_equal(next(s), 22);
        sched_free(s);
}

static void test_retry_pending_cancel(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        {
                const SchedJobSpec specs[] = {
                        { .id = 1, .retry = { .retries = 3 }, .attempts = 1, .retry_pending = true },
                        { .id = 2, AFTER(1) },
                        { .id = 3, AFTER(1), .after_condition = SCHED_AFTER_FAILURE },
                        { .id = 4, AFTER(1), .after_condition = SCHED_AFTER_ANY },
                };

                assert_int_equal(sched_add_batch(s, specs, ELEMENTSOF(specs), NULL, NULL, NULL), 0);
        }
        assert_counts(s, 4, 0, 0, 0);

        /* Cancelled while it waits for its delay: DONE/cancelled, not reported itself, its dependents
         * settled. */
        assert_int_equal(sched_cancel(s, 1), 0);
        assert_int_equal(sched_job_state(s, 1), SCHED_DONE);
        assert_int_equal(sched_job_attempts(s, 1), 1);
        assert_int_equal(rec.n, 3);
        assert_event(&rec, 0, 2, SCHED_DONE, SCHED_RESULT_SKIPPED, 1, SCHED_RESULT_CANCELLED);
        assert_event(&rec, 1, 3, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_event(&rec, 2, 4, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_counts(s, 0, 2, 0, 2);
        assert_int_equal(sched_cancel(s, 1), -EALREADY);
        assert_int_equal(sched_job_retry_now(s, 1), -ESTALE);

        /* Forgotten once its dependents are done; the id can come back. */
        assert_int_equal(sched_forget(s, 1), -EBUSY);
        assert_int_equal(next(s), 3);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_forget(s, 1), 0);
        assert_int_equal(sched_job_state(s, 1), _SCHED_STATE_INVALID);
        assert_int_equal(ADD(s, .id = 1, .attempts = 2, .retry_pending = true), SCHED_WAITING);
        assert_counts(s, 1, 0, 0, 3);

        /* Left pending with its group, run and pool at the end: sched_free() takes care of it. */
        assert_int_equal(sched_set_pool(s, "lic", 1), 0);
        assert_int_equal(ADD(s, .id = 9, .group = "g", .run = 3, RES({ "lic", 1 }), .attempts = 1,
                             .retry_pending = true), SCHED_WAITING);
        assert_int_equal(rec.n, 3);
        sched_free(s);
}

static void test_retry_pending_run(void **state) {
        Sched *s = new_sched(NULL);
        SchedRunInfo info;

        /* A limited run: a pending job holds no slot of it, its retry waits for one. */
        assert_int_equal(sched_set_run_limit(s, 4, 1), 0);
        assert_int_equal(ADD(s, .id = 1, .run = 4, .attempts = 1, .retry_pending = true), SCHED_WAITING);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 0);
        assert_int_equal(info.queued, 0);
        assert_int_equal(ADD(s, .id = 2, .run = 4), SCHED_QUEUED);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_retry_now(s, 1), 0);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 1);
        assert_int_equal(info.queued, 1);
        assert_int_equal(next(s), 0);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_attempts(s, 1), 2);
        info = run_info(s, 4, 1);
        assert_int_equal(info.running, 1);
        assert_int_equal(info.queued, 0);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(run_info(s, 4, 1).running, 0);

        /* A held run, with a group limit and a pool: the pending job takes none of them; its retry waits
         * for the run's release. */
        assert_int_equal(sched_set_run_held(s, 5, true), 0);
        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(sched_set_pool(s, "lic", 2), 0);
        assert_int_equal(ADD(s, .id = 3, .run = 5, .group = "g", RES({ "lic", 2 }), .attempts = 1,
                             .retry_pending = true), SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 4, .group = "g", RES({ "lic", 2 })), SCHED_QUEUED);
        assert_int_equal(next(s), 4);
        assert_int_equal(sched_job_retry_now(s, 3), 0);
        assert_int_equal(run_info(s, 5, 1).queued, 1);
        assert_int_equal(next(s), 0);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_set_run_held(s, 5, false), 0);
        assert_int_equal(next(s), 3);
        info = run_info(s, 5, 1);
        assert_int_equal(info.running, 1);
        assert_int_equal(info.queued, 0);
        assert_int_equal(sched_job_attempts(s, 3), 2);
        /* Its policy has no retry: done. */
        assert_int_equal(sched_job_finished(s, 3, SCHED_RESULT_FAILED, 1), SCHED_FINISH_DONE);
        assert_int_equal(run_info(s, 5, 1).running, 0);

        /* The run lives for a pending job alone, and goes with it. */
        assert_int_equal(ADD(s, .id = 5, .run = 6, .attempts = 1, .retry_pending = true), SCHED_WAITING);
        info = run_info(s, 6, 1);
        assert_int_equal(info.running, 0);
        assert_int_equal(info.queued, 0);
        assert_int_equal(sched_cancel(s, 5), 0);
        (void) run_info(s, 6, 1);
        assert_int_equal(sched_forget(s, 5), 0);
        (void) run_info(s, 6, 0);

        /* Preferred slots are for a first start: its retry takes the first free one. */
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("a", "b"), 0), 0);
        assert_int_equal(ADD(s, .id = 6, RES({ "gpu", 1 }), .slots = SLOTS("gpu=b"), .attempts = 1,
                             .retry_pending = true), SCHED_WAITING);
        assert_int_equal(sched_job_retry_now(s, 6), 0);
        assert_int_equal(next(s), 6);
        assert_slots(s, 6, (const char *const[]) { "gpu=a", NULL });
        finish(s, 6, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 0, 0, 5);
        sched_free(s);
}

/* ---- cancel, forget, errors of finish ---- */

static void test_cancel(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        assert_int_equal(sched_set_group_limit(s, "g", 1), 0);
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, AFTER(1)), SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 3, AFTER(2)), SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 4, AFTER(2),
                                                        .after_condition = SCHED_AFTER_FAILURE }, NULL),
                         SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 5, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 6, .group = "g"), SCHED_QUEUED);

        assert_int_equal(sched_cancel(s, 99), -ENOENT);
        assert_int_equal(sched_cancel(NULL, 1), -EINVAL);

        /* Cancelling a waiting job: not reported itself, its dependents are. */
        assert_int_equal(sched_cancel(s, 2), 0);
        assert_int_equal(sched_job_state(s, 2), SCHED_DONE);
        assert_int_equal(rec.n, 2);
        assert_event(&rec, 0, 3, SCHED_DONE, SCHED_RESULT_SKIPPED, 2, SCHED_RESULT_CANCELLED);
        assert_event(&rec, 1, 4, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        assert_int_equal(sched_cancel(s, 2), -EALREADY);

        /* 4 became QUEUED after 5 and 6 did: it comes after 5 (6 waits aside for its group). */
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_cancel(s, 1), -EBUSY);
        assert_int_equal(next(s), 5);
        assert_int_equal(next(s), 4);
        assert_int_equal(next(s), 0);

        /* A queued job parked behind its group's limit can be cancelled, and never comes back. */
        assert_int_equal(sched_cancel(s, 6), 0);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 0);
        assert_counts(s, 0, 0, 2, 4);

        /* Cancelling the job a group with room would offer next offers the one after it instead. */
        assert_int_equal(ADD(s, .id = 7, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 8, .group = "g"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 9, .group = "g"), SCHED_QUEUED);
        assert_int_equal(next(s), 7);
        assert_int_equal(next(s), 0);             /* 8 and 9 parked */
        finish(s, 7, SCHED_RESULT_SUCCESS);       /* the group's room goes to 8 */
        assert_int_equal(sched_cancel(s, 8), 0);  /* so to 9 */
        assert_int_equal(next(s), 9);
        sched_free(s);
}

static void test_finish_errors(void **state) {
        Sched *s = new_sched(NULL);

        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, AFTER(1)), SCHED_WAITING);
        assert_int_equal(sched_job_finished(s, 9, SCHED_RESULT_SUCCESS, 0), -ENOENT);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_SUCCESS, 0), -ESTALE);
        assert_int_equal(sched_job_finished(s, 2, SCHED_RESULT_SUCCESS, 0), -ESTALE);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_job_finished(s, 1, _SCHED_RESULT_MAX, 0), -EINVAL);
        assert_int_equal(sched_job_finished(s, 1, _SCHED_RESULT_INVALID, 0), -EINVAL);
        assert_int_equal(sched_job_finished(NULL, 1, SCHED_RESULT_SUCCESS, 0), -EINVAL);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_finished(s, 1, SCHED_RESULT_SUCCESS, 0), -ESTALE);
        assert_counts(s, 0, 1, 0, 1);
        sched_free(s);
}

static void test_forget(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        GroupSeen seen = {};

        assert_int_equal(ADD(s, .id = 1, .group = "tmp"), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2, AFTER(1)), SCHED_WAITING);
        assert_int_equal(sched_add(s, &(SchedJobSpec) { .id = 3, AFTER(1, 2),
                                                        .after_condition = SCHED_AFTER_ANY }, NULL),
                         SCHED_WAITING);

        assert_int_equal(sched_forget(s, 9), -ENOENT);
        assert_int_equal(sched_forget(s, 1), -EBUSY);    /* queued */
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_forget(s, 1), -EBUSY);    /* running */
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_forget(s, 1), -EBUSY);    /* 2 and 3 still need it */
        assert_int_equal(next(s), 2);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_forget(s, 1), -EBUSY);    /* 3 still needs it */
        assert_int_equal(next(s), 3);
        finish(s, 3, SCHED_RESULT_SUCCESS);

        /* A job whose dependency was forgotten, then the dependency of a forgotten job. */
        assert_int_equal(sched_forget(s, 1), 0);
        assert_int_equal(sched_job_state(s, 1), _SCHED_STATE_INVALID);
        assert_int_equal(sched_forget(s, 1), -ENOENT);
        assert_int_equal(sched_forget(s, 3), 0);
        assert_int_equal(sched_forget(s, 2), 0);
        assert_counts(s, 0, 0, 0, 0);

        /* The group of forgotten jobs is gone; one with a setting stays. */
        assert_int_equal(sched_foreach_group(s, see_group, &seen), 0);
        assert_int_equal(seen.n, 0);
        assert_int_equal(sched_set_group_held(s, "kept", true), 0);
        assert_int_equal(ADD(s, .id = 10, .group = "kept"), SCHED_QUEUED);
        assert_int_equal(sched_cancel(s, 10), 0);
        assert_int_equal(sched_forget(s, 10), 0);
        assert_int_equal(sched_foreach_group(s, see_group, &seen), 0);
        assert_int_equal(seen.n, 1);
        assert_string_equal(seen.names[0], "kept");
        assert_true(seen.info[0].held);
        assert_int_equal(seen.info[0].queued, 0);
        assert_int_equal(sched_set_group_held(s, "kept", false), 0);
        seen = (GroupSeen) {};
        assert_int_equal(sched_foreach_group(s, see_group, &seen), 0);
        assert_int_equal(seen.n, 0);

        /* Ids can come back, and a dependency on a forgotten id is unknown. */
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 4, AFTER(2)), -ENOENT);

        /* A cancelled job with a dependency still running can go; the dependency then finishes fine. */
        assert_int_equal(ADD(s, .id = 5, AFTER(1)), SCHED_WAITING);
        assert_int_equal(next(s), 1);
        assert_int_equal(sched_cancel(s, 5), 0);
        assert_int_equal(sched_forget(s, 5), 0);
        rec.n = 0;
        finish(s, 1, SCHED_RESULT_FAILED);
        assert_int_equal(rec.n, 0);
        assert_int_equal(sched_forget(s, 1), 0);
        sched_free(s);
}

static void test_counts_and_callbacks_quiet(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);
        SchedCounts c = { 1, 1, 1, 1 };

        sched_get_counts(NULL, &c);
        assert_int_equal(c.waiting + c.queued + c.running + c.done, 0);
        sched_get_counts(s, NULL);

        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 2), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 3, AFTER(1)), SCHED_WAITING);
        assert_counts(s, 1, 2, 0, 0);
        assert_int_equal(next(s), 1);
        assert_counts(s, 1, 1, 1, 0);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 2, 0, 1);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 3);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_counts(s, 0, 0, 0, 3);

        /* Only the dependent's WAITING→QUEUED was reported: not adds, starts, or the finished jobs. */
        assert_int_equal(rec.n, 1);
        assert_event(&rec, 0, 3, SCHED_QUEUED, SCHED_RESULT_SUCCESS, 0, 0);
        sched_free(s);
}

/* ---- no head-of-line blocking, at scale, against a brute-force model ---- */

typedef struct Model {
        uint64_t id;
        int32_t priority;
        int group;                      /* -1: none */
        uint64_t run;
        uint32_t lic, gpu;
        SchedState state;
} Model;

#define M_JOBS 600
#define M_GROUPS 3

static uint64_t rnd(uint64_t *x) {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        return *x;
}

static const char *const group_names[M_GROUPS] = { "g0", "g1", "g2" };

typedef struct World {
        uint32_t group_limit[M_GROUPS];
        bool group_held[M_GROUPS];
        bool run_held;                  /* run 1 */
        uint32_t run_limit[3];          /* runs 1 and 2 */
        uint32_t lic_cap;
        uint32_t gpu_free;
        bool owner_own[3];              /* owner (id % 3) has a policy of its own ... */
        uint32_t owner_limit[3];        /* ... with this limit */
        uint32_t owner_default;         /* the limit of the others */
} World;

/* May m start now, by the rules, ignoring the global limit? */
static bool model_allowed(const Model *m, const Model *all, size_t n, const World *w) {
        uint32_t lic_used = 0, in_group = 0, in_run = 0, of_owner = 0;
        uint64_t o = m->id % 3;

        if (m->run == 1 && w->run_held)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (all[i].state != SCHED_RUNNING)
                        continue;
                lic_used += all[i].lic;
                if (all[i].id % 3 == o)
                        of_owner++;
                if (m->group >= 0 && all[i].group == m->group)
                        in_group++;
                if (m->run != 0 && all[i].run == m->run)
                        in_run++;
        }
        if (m->run != 0 && in_run >= w->run_limit[m->run])
                return false;
        if (m->group >= 0 && (w->group_held[m->group] || in_group >= w->group_limit[m->group]))
                return false;
        if (of_owner >= (w->owner_own[o] ? w->owner_limit[o] : w->owner_default))
                return false;
        if (m->lic > 0 && lic_used + m->lic > w->lic_cap)
                return false;
        if (m->gpu > w->gpu_free)
                return false;
        return true;
}

static int count_free_gpu(void *userdata, const SchedSlotInfo *i) {
        uint32_t *n = userdata;

        if (i->holder == 0 && !i->quarantined)
                (*n)++;
        return 0;
}

/* With run_limits, runs 1 and 2 get limits that change at random too. */
/* With owner_limits, the owners' limits (of their own, or the default) change at random. */
static void model(bool run_limits, bool owner_limits) {
        Model m[M_JOBS];
        World w = {
                .group_limit = { 2, 1, 4 },
                .run_limit = { SCHED_UNLIMITED, SCHED_UNLIMITED, SCHED_UNLIMITED },
                .lic_cap = 5,
                .owner_default = SCHED_UNLIMITED,
        };
        uint32_t max_parallel = 8;
        uint64_t seed = 0x9e3779b97f4a7c15ULL;
        size_t n = 0, steps = 0;
        Sched *s = new_sched(NULL);

        sched_set_max_parallel(s, max_parallel);
        for (int g = 0; g < M_GROUPS; g++)
                assert_int_equal(sched_set_group_limit(s, group_names[g], w.group_limit[g]), 0);
        assert_int_equal(sched_set_pool(s, "lic", w.lic_cap), 0);
        assert_int_equal(sched_set_slot_pool(s, "gpu", SLOTS("0", "1", "2", "3"), 0), 0);

        for (;;) {
                uint64_t op = rnd(&seed) % 100, id;
                        bool any_allowed = false;
                int32_t best = INT32_MIN;

                steps++;
                if (op < 30 && n < M_JOBS) {
                        Model *x = m + n;
                        SchedResourceRequest req[2];
                        size_t nr = 0;
                        SchedJobSpec spec;

                        *x = (Model) {
                                .id = n + 1,
                                .priority = (int32_t) (rnd(&seed) % 4),
                                .group = (int) (rnd(&seed) % (M_GROUPS + 2)) - 2,
                                .run = rnd(&seed) % 3,
                                .lic = rnd(&seed) % 3 == 0 ? (uint32_t) (rnd(&seed) % 4) : 0,
                                .gpu = rnd(&seed) % 4 == 0 ? (uint32_t) (rnd(&seed) % 3) : 0,
                        };
                        if (x->group < 0)
                                x->group = -1;
                        if (x->lic > 0)
                                req[nr++] = (SchedResourceRequest) { "lic", x->lic };
                        if (x->gpu > 0)
                                req[nr++] = (SchedResourceRequest) { "gpu", x->gpu };
                        spec = (SchedJobSpec) {
                                .id = x->id, .priority = x->priority, .owner = (uint32_t) (x->id % 3),
                                .group = x->group >= 0 ? group_names[x->group] : NULL, .run = x->run,
                                .resources = req, .n_resources = nr,
                        };
                        assert_int_equal(sched_add(s, &spec, NULL), SCHED_QUEUED);
                        x->state = SCHED_QUEUED;
                        n++;
                } else if (op < 60) {
                        /* Finish a random running job. */
                        size_t k = rnd(&seed) % (n ?: 1);

                        for (size_t i = 0; i < n; i++) {
                                Model *x = m + (k + i) % n;

                                if (x->state == SCHED_RUNNING) {
                                        finish(s, x->id, rnd(&seed) % 2 ? SCHED_RESULT_SUCCESS :
                                                                          SCHED_RESULT_FAILED);
                                        x->state = SCHED_DONE;
                                        break;
                                }
                        }
                } else if (op < 64) {
                        int g = (int) (rnd(&seed) % M_GROUPS);

                        w.group_limit[g] = (uint32_t) (rnd(&seed) % 4);
                        assert_int_equal(sched_set_group_limit(s, group_names[g], w.group_limit[g]), 0);
                } else if (op < 67) {
                        int g = (int) (rnd(&seed) % M_GROUPS);

                        w.group_held[g] = !w.group_held[g];
                        assert_int_equal(sched_set_group_held(s, group_names[g], w.group_held[g]), 0);
                } else if (op < 69) {
                        w.run_held = !w.run_held;
                        assert_int_equal(sched_set_run_held(s, 1, w.run_held), 0);
                } else if (op < 72) {
                        w.lic_cap = (uint32_t) (3 + rnd(&seed) % 5);
                        assert_int_equal(sched_set_pool(s, "lic", w.lic_cap), 0);
                } else if (op < 75 && n > 0) {
                        Model *x = m + rnd(&seed) % n;

                        if (x->state == SCHED_QUEUED) {
                                assert_int_equal(sched_cancel(s, x->id), 0);
                                x->state = SCHED_DONE;
                        }
                } else if (op < 77) {
                        max_parallel = (uint32_t) (2 + rnd(&seed) % 10);
                        sched_set_max_parallel(s, max_parallel);
                } else if (op < 80 && run_limits) {
                        uint64_t run = 1 + rnd(&seed) % 2;
                        uint32_t limit = (uint32_t) (rnd(&seed) % 5);

                        w.run_limit[run] = limit == 4 ? SCHED_UNLIMITED : limit;
                        assert_int_equal(sched_set_run_limit(s, run, w.run_limit[run]), 0);
                } else if (op < 84 && owner_limits) {
                        uint32_t o = (uint32_t) (rnd(&seed) % 3), limit = (uint32_t) (rnd(&seed) % 5);

                        limit = limit == 4 ? SCHED_UNLIMITED : limit;
                        switch (rnd(&seed) % 3) {
                        case 0:
                                w.owner_own[o] = true;
                                w.owner_limit[o] = limit;
                                assert_int_equal(sched_set_owner_policy(s, o, &(SchedOwnerPolicy) {
                                                                                .max_running = limit }),
                                                 0);
                                break;
                        case 1:
                                w.owner_own[o] = false;
                                assert_int_equal(sched_set_owner_policy(s, o, NULL), 0);
                                break;
                        default:
                                w.owner_default = limit;
                                sched_set_owner_default(s, &(SchedOwnerPolicy) { .max_running = limit });
                        }
                } else {
                        /* Start all that may start, checking each against the model. */
                        for (;;) {
                                size_t running = 0;

                                w.gpu_free = 0;
                                assert_int_equal(sched_foreach_slot(s, "gpu", count_free_gpu, &w.gpu_free),
                                                 0);
                                for (size_t i = 0; i < n; i++)
                                        running += m[i].state == SCHED_RUNNING;

                                best = INT32_MIN;
                                any_allowed = false;
                                for (size_t i = 0; i < n; i++)
                                        if (m[i].state == SCHED_QUEUED && model_allowed(m + i, m, n, &w)) {
                                                any_allowed = true;
                                                if (m[i].priority > best)
                                                        best = m[i].priority;
                                        }

                                id = next(s);
                                if (id == 0) {
                                        /* Nothing allowed was left behind. */
                                        assert_true(!any_allowed || running >= max_parallel);
                                        break;
                                }
                                assert_true(running < max_parallel);
                                assert_true(any_allowed);
                                assert_int_equal(m[id - 1].state, SCHED_QUEUED);
                                assert_true(model_allowed(m + id - 1, m, n, &w));
                                /* And it is of the best priority among those allowed. */
                                assert_int_equal(m[id - 1].priority, best);
                                /* Of its owner's allowed jobs at that priority, the one queued first. */
                                for (size_t i = 0; i + 1 < id; i++)
                                        assert_false(m[i].state == SCHED_QUEUED && m[i].id % 3 == id % 3 &&
                                                     m[i].priority == best &&
                                                     model_allowed(m + i, m, n, &w));
                                m[id - 1].state = SCHED_RUNNING;
                        }
                }

                if (n == M_JOBS && steps > 20000) {
                        bool busy = false;

                        for (size_t i = 0; i < n; i++)
                                busy = busy || m[i].state != SCHED_DONE;
                        if (!busy)
                                break;
                        /* Let everything through in the end. */
                        for (int g = 0; g < M_GROUPS; g++) {
                                w.group_held[g] = false;
                                w.group_limit[g] = SCHED_UNLIMITED;
                                assert_int_equal(sched_set_group_held(s, group_names[g], false), 0);
                                assert_int_equal(sched_set_group_limit(s, group_names[g], SCHED_UNLIMITED),
                                                 0);
                        }
                        w.run_held = false;
                        assert_int_equal(sched_set_run_held(s, 1, false), 0);
                        for (uint64_t run = 1; run <= 2; run++) {
                                w.run_limit[run] = SCHED_UNLIMITED;
                                assert_int_equal(sched_set_run_limit(s, run, SCHED_UNLIMITED), 0);
                        }
                        w.lic_cap = 10;
                        assert_int_equal(sched_set_pool(s, "lic", w.lic_cap), 0);
                        for (uint32_t o = 0; o < 3; o++) {
                                w.owner_own[o] = false;
                                assert_int_equal(sched_set_owner_policy(s, o, NULL), 0);
                        }
                        w.owner_default = SCHED_UNLIMITED;
                        sched_set_owner_default(s, &(SchedOwnerPolicy) { .max_running = SCHED_UNLIMITED });
                }
                assert_true(steps < 200000);
        }
        assert_counts(s, 0, 0, 0, M_JOBS);
        sched_free(s);
}

static void test_model(void **state) {
        model(false, false);
}

static void test_model_run_limits(void **state) {
        model(true, false);
}

static void test_model_owner_limits(void **state) {
        model(true, true);
}

static void test_no_head_of_line_at_scale(void **state) {
        Sched *s = new_sched(NULL);
        uint64_t id;

        /* 20,000 high-priority jobs of a group limited to 1, then one plain job: it starts second. */
        assert_int_equal(sched_set_group_limit(s, "slow", 1), 0);
        for (id = 1; id <= 20000; id++)
                assert_int_equal(ADD(s, .id = id, .priority = 10, .group = "slow"),
                                 SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 99999), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        assert_int_equal(next(s), 99999);
        assert_int_equal(next(s), 0);

        /* And the group goes on one at a time, in order. */
        for (id = 1; id < 20000; id++) {
                finish(s, id, SCHED_RESULT_SUCCESS);
                assert_int_equal(next(s), id + 1);
                assert_int_equal(next(s), 0);
        }
        sched_free(s);
}

/* Holds: a held job stays WAITING whatever its dependencies; let go, it queues; held while QUEUED, it
 * leaves the queue; the hold outlasts a retry. */
static void test_hold_release(void **state) {
        Recorder rec;
        Sched *s = new_sched(&rec);

        assert_int_equal(ADD(s, .id = 1, .held = true), SCHED_WAITING);
        assert_int_equal(ADD(s, .id = 2), SCHED_QUEUED);
        assert_true(sched_job_held(s, 1));
        assert_false(sched_job_held(s, 2));
        assert_counts(s, 1, 1, 0, 0);
        assert_int_equal(next(s), 2);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_set_held(s, 2, true), -EBUSY);
        assert_int_equal(sched_job_set_held(s, 42, true), -ENOENT);

        assert_int_equal(sched_job_set_held(s, 1, false), 1);
        assert_int_equal(sched_job_set_held(s, 1, false), 0);
        assert_int_equal(sched_job_state(s, 1), SCHED_QUEUED);
        /* Held again while queued: back to WAITING, not handed out. */
        assert_int_equal(sched_job_set_held(s, 1, true), 1);
        assert_int_equal(sched_job_state(s, 1), SCHED_WAITING);
        assert_counts(s, 1, 0, 1, 0);
        assert_int_equal(next(s), 0);

        /* A held dependent of 2 stays WAITING when 2 succeeds; let go, it queues. */
        assert_int_equal(ADD(s, .id = 3, AFTER(2), .held = true), SCHED_WAITING);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_state(s, 3), SCHED_WAITING);
        assert_int_equal(next(s), 0);
        assert_int_equal(sched_job_set_held(s, 3, false), 1);
        assert_int_equal(next(s), 3);
        assert_int_equal(sched_job_set_held(s, 1, false), 1);
        assert_int_equal(next(s), 1);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_set_held(s, 1, true), -EALREADY);

        /* A job held while it waits for its retry is not queued by sched_job_retry_now(). */
        assert_int_equal(ADD(s, .id = 4, .retry.retries = 1), SCHED_QUEUED);
        assert_int_equal(next(s), 4);
        assert_int_equal(sched_job_finished(s, 4, SCHED_RESULT_FAILED, 1), SCHED_FINISH_RETRY);
        assert_int_equal(sched_job_set_held(s, 4, true), 1);
        assert_int_equal(sched_job_retry_now(s, 4), 0);
        assert_int_equal(sched_job_state(s, 4), SCHED_WAITING);
        assert_int_equal(sched_job_set_held(s, 4, false), 1);
        assert_int_equal(next(s), 4);

        /* A held job can be cancelled. */
        assert_int_equal(ADD(s, .id = 5, .held = true), SCHED_WAITING);
        assert_int_equal(sched_cancel(s, 5), 0);
        assert_int_equal(sched_job_state(s, 5), SCHED_DONE);
        sched_free(s);
        (void) state;
}

/* A queued job's priority changes where it stands: it starts before (or after) the others. */
static void test_set_priority(void **state) {
        Sched *s = new_sched(NULL);

        sched_set_max_parallel(s, 1);
        assert_int_equal(ADD(s, .id = 1), SCHED_QUEUED);
        assert_int_equal(next(s), 1);
        for (uint64_t id = 2; id <= 4; id++)
                assert_int_equal(ADD(s, .id = id, .priority = 5), SCHED_QUEUED);
        assert_int_equal(ADD(s, .id = 5, AFTER(1)), SCHED_WAITING);
        assert_int_equal(sched_job_set_priority(s, 4, 9), 1);
        assert_int_equal(sched_job_set_priority(s, 4, 9), 0);
        assert_int_equal(sched_job_set_priority(s, 2, -1), 1);
        /* A waiting job gets it too, for when it queues. */
        assert_int_equal(sched_job_set_priority(s, 5, 7), 1);
        assert_int_equal(sched_job_set_priority(s, 1, 7), -EBUSY);
        assert_int_equal(sched_job_set_priority(s, 99, 7), -ENOENT);
        assert_counts(s, 1, 3, 1, 0);
        finish(s, 1, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 4);
        finish(s, 4, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 5);
        finish(s, 5, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 3);
        finish(s, 3, SCHED_RESULT_SUCCESS);
        assert_int_equal(next(s), 2);
        finish(s, 2, SCHED_RESULT_SUCCESS);
        assert_int_equal(sched_job_set_priority(s, 2, 1), -EALREADY);
        assert_counts(s, 0, 0, 0, 5);
        sched_free(s);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_strings),
                cmocka_unit_test(test_new_free),
                cmocka_unit_test(test_add_errors),
                cmocka_unit_test(test_condition_success),
                cmocka_unit_test(test_condition_failure),
                cmocka_unit_test(test_condition_any),
                cmocka_unit_test(test_condition_several_deps),
                cmocka_unit_test(test_transitive_skip),
                cmocka_unit_test(test_done_dep_at_add),
                cmocka_unit_test(test_batch_any_order),
                cmocka_unit_test(test_cycles),
                cmocka_unit_test(test_long_chains),
                cmocka_unit_test(test_batch_atomic),
                cmocka_unit_test(test_priority_order),
                cmocka_unit_test(test_heap_order_many),
                cmocka_unit_test(test_fairness),
                cmocka_unit_test(test_fairness_under_group_limit),
                cmocka_unit_test(test_max_parallel),
                cmocka_unit_test(test_jobserver_tokens),
                cmocka_unit_test(test_group_limit),
                cmocka_unit_test(test_owner_limit),
                cmocka_unit_test(test_group_hold),
                cmocka_unit_test(test_run_hold),
                cmocka_unit_test(test_run_limit),
                cmocka_unit_test(test_run_limit_and_group_limit),
                cmocka_unit_test(test_run_limit_retry),
                cmocka_unit_test(test_run_limit_hold),
                cmocka_unit_test(test_run_lifetime),
                cmocka_unit_test(test_run_limit_at_scale),
                cmocka_unit_test(test_draining),
                cmocka_unit_test(test_counted_pool),
                cmocka_unit_test(test_several_pools),
                cmocka_unit_test(test_pool_names),
                cmocka_unit_test(test_slot_pool),
                cmocka_unit_test(test_slot_quarantine),
                cmocka_unit_test(test_slot_quarantine_owners),
                cmocka_unit_test(test_slot_pool_redefine),
                cmocka_unit_test(test_preferred_slots),
                cmocka_unit_test(test_slot_health),
                cmocka_unit_test(test_retry),
                cmocka_unit_test(test_retry_then_success),
                cmocka_unit_test(test_retry_exit_codes),
                cmocka_unit_test(test_retry_keeps_resources_rules),
                cmocka_unit_test(test_restored_attempts),
                cmocka_unit_test(test_retry_pending),
                cmocka_unit_test(test_retry_pending_batch),
                cmocka_unit_test(test_retry_pending_cancel),
                cmocka_unit_test(test_retry_pending_run),
                cmocka_unit_test(test_cancel),
                cmocka_unit_test(test_finish_errors),
                cmocka_unit_test(test_forget),
                cmocka_unit_test(test_counts_and_callbacks_quiet),
                cmocka_unit_test(test_model),
                cmocka_unit_test(test_model_run_limits),
                cmocka_unit_test(test_model_owner_limits),
                cmocka_unit_test(test_no_head_of_line_at_scale),
                cmocka_unit_test(test_hold_release),
                cmocka_unit_test(test_set_priority),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
