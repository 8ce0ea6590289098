/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "log.h"
#include "quota.h"
#include "resources.h"

/* Users with unfinished jobs are few (the users of one machine): a short array. */
static UserUsage *usage_find(Manager *m, uid_t uid) {
        for (size_t i = 0; i < m->n_usage; i++)
                if (m->usage[i].uid == uid)
                        return &m->usage[i];
        return NULL;
}

int manager_setup_user_limits(Manager *m, const JobdConf *c, const char *filename) {
        _cleanup_free_ char *why = NULL;
        int r;

        r = user_limits_from_conf(c, m->system_mode, &m->user_limits, &why);
        if (r == -EINVAL)
                return log_error_errno(r, "%s: %s", strna(filename), strna(why));
        if (r < 0)
                return log_oom();

        r = sched_set_owner_policy(m->sched, 0, &(SchedOwnerPolicy) { .max_running = SCHED_UNLIMITED });
        if (r < 0)
                return log_oom();
        manager_enforce_running_limits(m, true);
        return 0;
}

void manager_enforce_running_limits(Manager *m, bool enforce) {
        /* In system mode one user's failures count once per streak on a shared slot: alone, a user
         * cannot take a board away from everyone. Root's (and a --user daemon's) count each. */
        sched_set_owner_default(m->sched, &(SchedOwnerPolicy) {
                        .max_running = enforce ? m->user_limits.max_running_jobs : SCHED_UNLIMITED,
                        .slot_failures_once = m->system_mode,
                });
}

void manager_apply_defaults(Manager *m, JobSpec *spec) {
        manager_apply_group_defaults(m, spec);
        user_limits_apply_defaults(&m->user_limits, spec);
}

int manager_check_user_limits(Manager *m, uid_t owner, const JobSpec *spec, char **ret_message) {
        if (!user_limits_apply_to(owner))
                return 0;
        return user_limits_check_spec(&m->user_limits, spec, ret_message);
}

int manager_check_quota(Manager *m, uid_t owner, uint64_t n_jobs, uint64_t bytes, char **ret_message) {
        UserUsage *u = usage_find(m, owner);

        if (!user_limits_apply_to(owner))
                return 0;
        return user_limits_check_quota(&m->user_limits, owner, u ? u->unfinished : 0, u ? u->spec_bytes : 0,
                                       n_jobs, bytes, ret_message);
}

uint64_t manager_quota_unfinished(Manager *m, uid_t owner) {
        UserUsage *u = usage_find(m, owner);

        return u ? u->unfinished : 0;
}

static UserUsage *usage_get(Manager *m, uid_t uid) {
        UserUsage *u = usage_find(m, uid), *t;

        if (u)
                return u;
        t = reallocarray(m->usage, m->n_usage + 1, sizeof(UserUsage));
        if (!t)
                return NULL;
        m->usage = t;
        u = &m->usage[m->n_usage++];
        *u = (UserUsage) { .uid = uid };
        return u;
}

static void usage_forget_if_unused(Manager *m, UserUsage *u) {
        if (u->unfinished == 0 && u->spec_bytes == 0)
                *u = m->usage[--m->n_usage];
}

void manager_quota_count(Manager *m, Job *j) {
        UserUsage *u;

        if (j->quota_counted)
                return;
        u = usage_get(m, j->owner);
        if (!u) {
                /* Not counted: the user holds a job more than its quota says, never less. */
                log_oom();
                return;
        }
        j->quota_counted = true;
        u->unfinished++;
        /* A run's job that is started again (Retry) still holds its spec's bytes from the first time. */
        if (!j->quota_holds_bytes) {
                j->quota_bytes = job_spec_bytes(&j->spec);
                j->quota_holds_bytes = true;
                u->spec_bytes += j->quota_bytes;
        }
}

void manager_quota_uncount(Manager *m, Job *j) {
        UserUsage *u;

        if (!j->quota_counted)
                return;
        j->quota_counted = false;
        u = usage_find(m, j->owner);
        if (!u)
                return;
        u->unfinished--;
        usage_forget_if_unused(m, u);
}

void manager_quota_release_bytes(Manager *m, Job *j) {
        UserUsage *u;

        if (!j->quota_holds_bytes)
                return;
        j->quota_holds_bytes = false;
        u = usage_find(m, j->owner);
        if (!u)
                return;
        u->spec_bytes -= MIN(u->spec_bytes, j->quota_bytes);
        usage_forget_if_unused(m, u);
}

void manager_quota_free(Manager *m) {
        m->usage = mfree(m->usage);
        m->n_usage = 0;
        m->trim_source = sd_event_source_disable_unref(m->trim_source);
}

/* glibc gives back only the top of the heap by itself: the specs of done jobs are freed between the
 * allocations of others, so without malloc_trim() (which releases every whole free page) the daemon's RSS
 * would stay at its peak. Measured with bench/spec-memory.sh --hold. */
#define TRIM_AFTER_BYTES (8ULL * 1024 * 1024)

static int on_trim(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        m->freed_since_trim = 0;
        (void) malloc_trim(0);
        return 0;
}

void manager_note_freed(Manager *m, uint64_t bytes) {
        int r;

        m->freed_since_trim += bytes;
        if (m->freed_since_trim < TRIM_AFTER_BYTES || !m->event)
                return;
        if (!m->trim_source) {
                r = sd_event_add_defer(m->event, &m->trim_source, on_trim, m);
                if (r < 0)
                        return;
                (void) sd_event_source_set_description(m->trim_source, "malloc-trim");
                (void) sd_event_source_set_priority(m->trim_source, SD_EVENT_PRIORITY_IDLE);
        }
        (void) sd_event_source_set_enabled(m->trim_source, SD_EVENT_ONESHOT);
}
