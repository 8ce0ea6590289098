/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Job states and results as they appear on the bus (DESIGN.md). */

typedef enum JobState {
        JOB_WAITING,     /* dependencies unmet */
        JOB_QUEUED,      /* runnable, no free slot */
        JOB_STARTING,
        JOB_RUNNING,
        JOB_PAUSED,
        JOB_STOPPING,
        JOB_DONE,
        _JOB_STATE_MAX,
        _JOB_STATE_INVALID = -22,
} JobState;

typedef enum JobResult {
        JOB_RESULT_NONE,       /* "" while not done */
        JOB_SUCCESS,
        JOB_FAILED,
        JOB_KILLED,
        JOB_TIMEOUT,
        JOB_OOM,
        JOB_SKIPPED,
        JOB_CANCELLED,
        JOB_LOST,
        _JOB_RESULT_MAX,
        _JOB_RESULT_INVALID = -22,
} JobResult;

const char *job_state_to_string(JobState s);
JobState job_state_from_string(const char *s);
const char *job_result_to_string(JobResult r);
JobResult job_result_from_string(const char *s);

static inline int job_state_is_active(JobState s) {
        return s == JOB_STARTING || s == JOB_RUNNING || s == JOB_PAUSED || s == JOB_STOPPING;
}
