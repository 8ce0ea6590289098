/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libslurm's job_state (base state | flags) -> the states the core maps to results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include <slurm/slurm.h>

#include "macro.h"
#include "slurm-client.h"
#include "slurm-util.h"

static void test_base_states(void **state) {
        assert_int_equal(slurm_job_state_from_slurm(JOB_PENDING), SLURM_JOB_PENDING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_RUNNING), SLURM_JOB_RUNNING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_SUSPENDED), SLURM_JOB_SUSPENDED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_COMPLETE), SLURM_JOB_COMPLETED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_CANCELLED), SLURM_JOB_CANCELLED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_FAILED), SLURM_JOB_FAILED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_TIMEOUT), SLURM_JOB_TIMEOUT);
        assert_int_equal(slurm_job_state_from_slurm(JOB_NODE_FAIL), SLURM_JOB_NODE_FAIL);
        assert_int_equal(slurm_job_state_from_slurm(JOB_PREEMPTED), SLURM_JOB_CANCELLED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_BOOT_FAIL), SLURM_JOB_NODE_FAIL);
        assert_int_equal(slurm_job_state_from_slurm(JOB_DEADLINE), SLURM_JOB_TIMEOUT);
        assert_int_equal(slurm_job_state_from_slurm(JOB_OOM), SLURM_JOB_OUT_OF_MEMORY);
        /* Unknown: final, never a success. */
        assert_int_equal(slurm_job_state_from_slurm(JOB_END), SLURM_JOB_FAILED);
        assert_int_equal(slurm_job_state_from_slurm(0xfe), SLURM_JOB_FAILED);
}

static void test_flags(void **state) {
        /* Ended, but its processes may still be on the node: not final until COMPLETING clears. */
        for (uint32_t s = JOB_COMPLETE; s < JOB_END; s++) {
                assert_int_equal(slurm_job_state_from_slurm(s | JOB_COMPLETING), SLURM_JOB_RUNNING);
                assert_true(slurm_job_state_is_final(slurm_job_state_from_slurm(s)));
        }
        assert_int_equal(slurm_job_state_from_slurm(JOB_CANCELLED | JOB_COMPLETING | JOB_REQUEUE),
                         SLURM_JOB_RUNNING);
        /* Requeued, waiting again. */
        assert_int_equal(slurm_job_state_from_slurm(JOB_PENDING | JOB_COMPLETING), SLURM_JOB_PENDING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_PENDING | JOB_REQUEUE_HOLD), SLURM_JOB_PENDING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_RUNNING | JOB_CONFIGURING), SLURM_JOB_PENDING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_RUNNING | JOB_POWER_UP_NODE), SLURM_JOB_PENDING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_RUNNING | JOB_STOPPED), SLURM_JOB_SUSPENDED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_RUNNING | JOB_SIGNALING), SLURM_JOB_RUNNING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_RUNNING | JOB_RESIZING), SLURM_JOB_RUNNING);
        assert_int_equal(slurm_job_state_from_slurm(JOB_COMPLETE | JOB_UPDATE_DB), SLURM_JOB_COMPLETED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_FAILED | JOB_LAUNCH_FAILED), SLURM_JOB_FAILED);
        assert_int_equal(slurm_job_state_from_slurm(JOB_OOM | JOB_UPDATE_DB), SLURM_JOB_OUT_OF_MEMORY);
}

static void test_exit_status(void **state) {
        assert_int_equal(slurm_exit_status_from_slurm(0), 0);
        assert_int_equal(slurm_exit_status_from_slurm(3 << 8), 3 << 8);
        assert_int_equal(slurm_exit_status_from_slurm(255 << 8), 255 << 8);
        assert_int_equal(slurm_exit_status_from_slurm(SIGTERM), SIGTERM);
        assert_int_equal(slurm_exit_status_from_slurm(0x80 | SIGSEGV), 0x80 | SIGSEGV);
        /* SIG_OOM (253): what the OOM killer sends. */
        assert_int_equal(slurm_exit_status_from_slurm(253), SIGKILL);
        assert_true(WIFSIGNALED(slurm_exit_status_from_slurm(253)));
        /* SIG_TERM_KILL .. SIG_FAILURE (991-999) */
        for (uint32_t v = 991; v <= 999; v++)
                assert_int_equal(slurm_exit_status_from_slurm(v), SIGKILL);
        assert_int_equal(slurm_exit_status_from_slurm(0x7f), SIGKILL);
        assert_int_equal(slurm_exit_status_from_slurm(0x10000), SIGKILL);
}

static void test_strings(void **state) {
        for (SlurmJobState s = 0; s < _SLURM_JOB_STATE_MAX; s++)
                assert_non_null(slurm_job_state_to_string(s));
        assert_string_equal(slurm_job_state_to_string(SLURM_JOB_OUT_OF_MEMORY), "out-of-memory");
        assert_string_equal(slurm_job_state_to_string(SLURM_JOB_GONE), "gone");
        assert_null(slurm_job_state_to_string(_SLURM_JOB_STATE_MAX));
        assert_null(slurm_job_state_to_string((SlurmJobState) -1));
        assert_false(slurm_job_state_is_final(SLURM_JOB_SUSPENDED));
        assert_true(slurm_job_state_is_final(SLURM_JOB_GONE));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_base_states),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_exit_status),
                cmocka_unit_test(test_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
