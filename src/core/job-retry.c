/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "job.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"

int job_add_attempt(Job *j, const JobAttempt *attempt) {
        JobAttempt *a;

        if (j->n_attempts >= JOB_ATTEMPTS_MAX) {
                /* Keep the first ones and the latest: the latest overwrites the last slot. */
                a = &j->attempts[JOB_ATTEMPTS_MAX - 1];
        } else {
                a = reallocarray(j->attempts, j->n_attempts + 1, sizeof(JobAttempt));
                if (!a)
                        return -ENOMEM;
                j->attempts = a;
                a = &j->attempts[j->n_attempts];
        }
        j->n_attempts++;
        *a = *attempt;
        return 0;
}

const JobAttempt *job_last_attempt(const Job *j) {
        return j->n_attempts > 0 ? &j->attempts[MIN(j->n_attempts, JOB_ATTEMPTS_MAX) - 1] : NULL;
}

int job_record_attempt(Job *j) {
        int r;

        r = job_add_attempt(j, &(JobAttempt) {
                        .start_usec = j->start_usec,
                        .finish_usec = now(CLOCK_REALTIME),
                        .result = j->result,
                        .exit_code = j->exit_code,
                        .exit_signal = j->exit_signal,
                });
        if (r < 0)
                return log_oom();
        manager_job_changed(j->manager, j, JOB_CHANGE_ATTEMPTS);
        return 0;
}

uint32_t job_attempt_number(Job *j) {
        return j->n_attempts + (job_state_is_active(j->state) ? 1 : 0);
}

static void job_queue_again(Job *j) {
        Manager *m = j->manager;
        int r;

        r = sched_job_retry_now(m->sched, j->id);
        if (r < 0) {
                log_warning_errno(r, "Job %llu: the scheduler refuses another attempt, ignoring: %m",
                                  (unsigned long long) j->id);
                return;
        }
        job_set_state(j, JOB_QUEUED, 0);
        manager_reschedule(m);
}

static int on_retry_delay(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        j->retry_source = sd_event_source_disable_unref(j->retry_source);
        /* Cancelled while it waited: it is done, and the scheduler knows. */
        if (j->state != JOB_WAITING)
                return 0;
        job_queue_again(j);
        return 0;
}

/* "Attempt 2 of 4 ended with result failed (exit code 1); next attempt in 5s". */
static void job_set_retry_reason(Job *j, usec_t delay, const char *note) {
        const JobAttempt *last = job_last_attempt(j);
        char span[64] = "", status[32] = "";
        char *reason = NULL;

        if (last && last->exit_signal > 0)
                snprintf(status, sizeof(status), " (signal %s)", signal_to_string(last->exit_signal) ?: "?");
        else if (last && last->exit_code >= 0)
                snprintf(status, sizeof(status), " (exit code %i)", last->exit_code);
        if (delay > 0)
                format_timespan(span, sizeof(span), delay);
        if (asprintf(&reason, "Attempt %u of %u ended with result %s%s; %s%s%s", j->n_attempts,
                     j->spec.retries + 1, job_result_to_string(last ? last->result : j->result), status,
                     delay > 0 ? "next attempt in " : "trying again", span, note) >= 0) {
                free(j->reason);
                j->reason = reason;
        }
}

/* Queues the job again after delay (0: now). */
static void job_arm_retry(Job *j, usec_t delay) {
        Manager *m = j->manager;
        int r;

        j->retry_source = sd_event_source_disable_unref(j->retry_source);
        if (delay == 0) {
                job_queue_again(j);
                return;
        }
        /* From now, not from the start of this loop iteration (what a relative timer counts from). */
        r = sd_event_add_time(m->event, &j->retry_source, CLOCK_MONOTONIC, now(CLOCK_MONOTONIC) + delay,
                              10 * USEC_PER_MSEC, on_retry_delay, j);
        if (r < 0) {
                log_warning_errno(r, "Job %llu: cannot arm the retry delay, retrying at once: %m",
                                  (unsigned long long) j->id);
                job_queue_again(j);
                return;
        }
        (void) sd_event_source_set_description(j->retry_source, "job-retry-delay");
}

void job_retry_later(Job *j) {
        job_set_retry_reason(j, j->spec.retry_delay_usec, "");
        log_info("Job %llu: %s.", (unsigned long long) j->id, j->reason);

        job_reset_for_retry(j);
        manager_job_changed(j->manager, j, JOB_CHANGE_REASON);
        job_arm_retry(j, j->spec.retry_delay_usec);
}

void job_retry_restored(Job *j, usec_t remaining) {
        job_set_retry_reason(j, remaining, " (the rest of its delay, after a restart of jobd)");
        log_info("Job %llu: %s.", (unsigned long long) j->id, j->reason);
        job_arm_retry(j, remaining);
}
