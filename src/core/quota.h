/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Per-user limits as the Manager applies them (jobd.conf(5) [Users], [Defaults]; the rules are in
 * user-limits.h): what each user's unfinished jobs hold, counted as jobs come and go, and the checks of
 * Submit, SubmitPlan and a run's Retry. */

#include "manager.h"

typedef struct UserUsage {
        uid_t uid;
        uint64_t unfinished;           /* jobs not done */
        uint64_t spec_bytes;           /* job_spec_bytes() of those, and of done jobs that keep their spec
                                        * (a run's, for Retry) until they are forgotten */
} UserUsage;

/* Sets the limits (c NULL: the built-in ones) and the scheduler's per-owner policies. Logs what is wrong
 * in the file. */
int manager_setup_user_limits(Manager *m, const JobdConf *c, const char *filename);

/* Off while the jobs that ran before a restart are re-adopted: they run, whatever MaxRunningJobs= says
 * now. */
void manager_enforce_running_limits(Manager *m, bool enforce);

/* The defaults of the job's group (jobd.conf [Group] TimeoutSec=), then of [Defaults]. */
void manager_apply_defaults(Manager *m, JobSpec *spec);

/* For a spec with its defaults applied: 0, or -EINVAL and a message naming the key (Priority,
 * TimeoutUSec). Root is not limited. */
int manager_check_user_limits(Manager *m, uid_t owner, const JobSpec *spec, char **ret_message);
/* Whether owner may have n_jobs more unfinished jobs holding bytes more: 0, or -EDQUOT and a message. */
int manager_check_quota(Manager *m, uid_t owner, uint64_t n_jobs, uint64_t bytes, char **ret_message);

/* The owner's unfinished jobs, as counted (O(users), not O(jobs)). */
uint64_t manager_quota_unfinished(Manager *m, uid_t owner);
/* A job became unfinished (submitted, restored, run again): counted in its owner's usage. */
void manager_quota_count(Manager *m, Job *j);
/* A counted job became done or is freed; does nothing for one not counted. Its spec's bytes stay
 * counted until manager_quota_release_bytes(): a done job of a run keeps its whole spec for Retry(), so
 * cancelling a run does not give a user room for another of the same size while the first is kept. */
void manager_quota_uncount(Manager *m, Job *j);
/* The job's spec was trimmed (done, outside a run) or the job is freed. */
void manager_quota_release_bytes(Manager *m, Job *j);
void manager_quota_free(Manager *m);

/* bytes of a done job's spec were freed (job_trim_done()): once many were, the heap's free pages are
 * given back to the system, from an idle event source. */
void manager_note_freed(Manager *m, uint64_t bytes);
