/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "job-enums.h"
#include "string-table.h"

static const char *const job_state_table[_JOB_STATE_MAX] = {
        [JOB_WAITING] = "waiting",
        [JOB_QUEUED] = "queued",
        [JOB_STARTING] = "starting",
        [JOB_RUNNING] = "running",
        [JOB_PAUSED] = "paused",
        [JOB_STOPPING] = "stopping",
        [JOB_DONE] = "done",
};

DEFINE_STRING_TABLE_LOOKUP(job_state, JobState);

static const char *const job_result_table[_JOB_RESULT_MAX] = {
        [JOB_RESULT_NONE] = "",
        [JOB_SUCCESS] = "success",
        [JOB_FAILED] = "failed",
        [JOB_KILLED] = "killed",
        [JOB_TIMEOUT] = "timeout",
        [JOB_OOM] = "oom",
        [JOB_SKIPPED] = "skipped",
        [JOB_CANCELLED] = "cancelled",
        [JOB_LOST] = "lost",
};

DEFINE_STRING_TABLE_LOOKUP(job_result, JobResult);
