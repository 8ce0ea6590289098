/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-jobd.h"
#include "bus-polkit.h"
#include "bus-sched.h"
#include "jobd-bus.h"
#include "run.h"
#include "strv.h"

int bus_run_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                 sd_bus_error *error) {
        uint64_t id;
        Run *r;

        if (jobd_run_path_parse(path, &id) < 0)
                return 0;
        r = manager_get_run(userdata, id);
        if (!r)
                return 0;
        *found = r;
        return 1;
}

int bus_run_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        Manager *m = userdata;

        l = calloc(m->n_runs + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_runs; i++) {
                int r = jobd_run_path(m->runs[i]->id, &l[i]);
                if (r < 0)
                        return r;
        }
        *nodes = TAKE_PTR(l);
        return 1;
}

static BusOperation run_operation(Run *r, sd_bus_message *m) {
        return (BusOperation) {
                .action = JOBD_ACTION_MANAGE_JOBS,
                .verb = sd_bus_message_get_member(m),
                .run_id = r->id,
                .owner = r->owner,
        };
}

static int verify_run_access(Run *r, sd_bus_message *m, BusAuth *ret, sd_bus_error *error) {
        BusOperation op = run_operation(r, m);
        int q;

        q = bus_verify_operator(r->manager, m, &op, ret, error);
        if (q == -EACCES)
                return bus_access_denied(error,
                                         "Run %llu belongs to uid %u; only its owner or root may do this%s",
                                         (unsigned long long) r->id, (unsigned) r->owner,
                                         r->manager->system_mode ? " (or an operator: polkit action "
                                         JOBD_ACTION_MANAGE_JOBS ", see org.jobd1(5))" : "");
        return q;
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Run *r = userdata;
        const char *s;

        if (streq(property, "Name"))
                s = strempty(r->name);
        else if (streq(property, "State"))
                s = run_state(r);
        else if (streq(property, "OutputRoot"))
                s = strempty(r->output_root);
        else
                s = run_result(r);
        return sd_bus_message_append_basic(reply, 's', s);
}

/* {"waiting": 3, "running": 2, ...}: every state (every result) with its count, zeros included, so a client
 * sees the full set. */
static int property_get_counts(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Run *r = userdata;
        bool states = streq(property, "StateCounts");
        int q;

        q = sd_bus_message_open_container(reply, 'a', "{su}");
        if (states)
                for (JobState s = 0; q >= 0 && s < _JOB_STATE_MAX; s++)
                        q = sd_bus_message_append(reply, "{su}", job_state_to_string(s), r->state_counts[s]);
        else
                for (JobResult s = JOB_SUCCESS; q >= 0 && s < _JOB_RESULT_MAX; s++)
                        q = sd_bus_message_append(reply, "{su}", job_result_to_string(s),
                                                  streq(property, "FirstResultCounts") ?
                                                  r->first_result_counts[s] : r->result_counts[s]);
        if (q < 0)
                return q;
        return sd_bus_message_close_container(reply);
}

static int reply_run_errno(sd_bus_message *m, Run *r, int q, sd_bus_error *error) {
        if (q == -EALREADY)
                return sd_bus_error_setf(error, JOBD_ERROR_NOT_RUNNING, "Run %llu is done",
                                         (unsigned long long) r->id);
        if (q < 0)
                return q;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Run *r = userdata;
        BusOperation op = run_operation(r, m);
        BusAuth a;
        int q;

        q = verify_run_access(r, m, &a, error);
        if (q <= 0)
                return q == 0 ? 1 : q;   /* 0: polkit is asked, the call comes back with the answer */
        q = run_cancel(r);
        if (q >= 0)
                bus_log_operation(&op, &a, "Run %llu of uid %u cancelled", (unsigned long long) r->id,
                                  (unsigned) r->owner);
        return reply_run_errno(m, r, q, error);
}

static int method_pause_resume(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Run *r = userdata;
        BusOperation op = run_operation(r, m);
        bool pause = streq(sd_bus_message_get_member(m), "Pause");
        BusAuth a;
        int q;

        q = verify_run_access(r, m, &a, error);
        if (q <= 0)
                return q == 0 ? 1 : q;
        q = pause ? run_pause(r) : run_resume(r);
        if (q >= 0)
                bus_log_operation(&op, &a, "Run %llu of uid %u %s", (unsigned long long) r->id,
                                  (unsigned) r->owner, pause ? "paused" : "resumed");
        return reply_run_errno(m, r, q, error);
}

static int method_retry(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        const char *which;
        Run *r = userdata;
        BusOperation op = run_operation(r, m);
        BusAuth a;
        int q;

        q = sd_bus_message_read(m, "s", &which);
        if (q < 0)
                return q;
        q = verify_run_access(r, m, &a, error);
        if (q <= 0)
                return q == 0 ? 1 : q;
        q = run_retry(r, which, &why);
        if (q >= 0)
                bus_log_operation(&op, &a, "Run %llu of uid %u: %s jobs retried (%i queued)",
                                  (unsigned long long) r->id, (unsigned) r->owner, which, q);
        if (q < 0 && why)
                return sd_bus_error_set(error, q == -EINVAL ? SD_BUS_ERROR_INVALID_ARGS :
                                               q == -EBUSY ? JOBD_ERROR_NOT_RUNNING :
                                               q == -EDQUOT ? JOBD_ERROR_QUOTA_EXCEEDED : SD_BUS_ERROR_FAILED,
                                        why);
        if (q < 0)
                return q;
        return sd_bus_reply_method_return(m, "u", (uint32_t) q);
}

static int method_list_jobs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Run *r = userdata;
        int q;

        q = sd_bus_message_new_method_return(m, &reply);
        if (q < 0)
                return q;
        q = sd_bus_message_open_container(reply, 'a', "(tsssuo)");
        if (q < 0)
                return q;
        q = bus_append_job_list(r->manager, reply, r->first_job, r->n_jobs);
        if (q == -E2BIG)
                return sd_bus_error_setf(error, JOBD_ERROR_TOO_LARGE,
                                         "ListJobs() of run %llu's %u jobs would pass %u MiB, more than a "
                                         "bus carries; page through them with Manager.ListJobsFiltered() "
                                         "(filter \"Run\")",
                                         (unsigned long long) r->id, r->n_jobs, REPLY_SIZE_MAX >> 20);
        if (q < 0)
                return q;
        q = sd_bus_message_close_container(reply);
        if (q < 0)
                return q;
        return sd_bus_send(NULL, reply, NULL);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST SD_BUS_VTABLE_PROPERTY_CONST

const sd_bus_vtable bus_run_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "t", NULL, offsetof(Run, id), CONST),
        SD_BUS_PROPERTY("Name", "s", property_get_string, 0, CONST),
        SD_BUS_PROPERTY("Owner", "u", NULL, offsetof(Run, owner), CONST),
        SD_BUS_PROPERTY("State", "s", property_get_string, 0, EMITS),
        SD_BUS_PROPERTY("Result", "s", property_get_string, 0, EMITS),
        SD_BUS_PROPERTY("JobCount", "u", NULL, offsetof(Run, n_jobs), CONST),
        SD_BUS_PROPERTY("MaxParallel", "u", NULL, offsetof(Run, max_parallel), CONST),
        SD_BUS_PROPERTY("StateCounts", "a{su}", property_get_counts, 0, EMITS),
        SD_BUS_PROPERTY("ResultCounts", "a{su}", property_get_counts, 0, EMITS),
        SD_BUS_PROPERTY("FirstResultCounts", "a{su}", property_get_counts, 0, EMITS),
        SD_BUS_PROPERTY("SubmitUSec", "t", NULL, offsetof(Run, submit_usec), CONST),
        SD_BUS_PROPERTY("FinishUSec", "t", NULL, offsetof(Run, finish_usec), EMITS),
        SD_BUS_PROPERTY("TimeoutUSec", "t", NULL, offsetof(Run, timeout_usec), CONST),
        SD_BUS_PROPERTY("OutputRoot", "s", property_get_string, 0, CONST),
        SD_BUS_METHOD("Cancel", NULL, NULL, method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pause", NULL, NULL, method_pause_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Resume", NULL, NULL, method_pause_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Retry", SD_BUS_ARGS("s", which), SD_BUS_RESULT("u", queued), method_retry,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(tsssuo)", jobs),
                                method_list_jobs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("Finished", SD_BUS_ARGS("t", id, "s", result), 0),
        SD_BUS_VTABLE_END
};
