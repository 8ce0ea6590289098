/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus-jobd.h"
#include "job-enums.h"
#include "jobd-bus.h"
#include "macro.h"
#include "run.h"

/* The manager's observers (ManagerObservers): what core tells, as signals and PropertiesChanged. The
 * userdata is the connection, which bus_setup() hands over to the manager with them. */

/* In the order of the JobChange bits. */
static const char *const job_change_property[] = {
        "State", "Result", "ExitCode", "ExitSignal", "Reason", "StartUSec", "FinishUSec", "ControlGroup",
        "Unit", "StrayProcessesKilled", "Attempts",
};

static void job_path(uint64_t id, char *buf, size_t l) {
        snprintf(buf, l, JOBD_JOB_PATH_PREFIX "/%llu", (unsigned long long) id);
}

static void run_path(uint64_t id, char *buf, size_t l) {
        snprintf(buf, l, JOBD_RUN_PATH_PREFIX "/%llu", (unsigned long long) id);
}

static void emit_job_new(Manager *m, uint64_t id, bool in_run, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        job_path(id, path, sizeof(path));
        /* A plan's jobs get no InterfacesAdded: with every property of every job, it would cost more than
         * the whole submission. */
        if (!in_run)
                (void) sd_bus_emit_object_added(bus, path);
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "JobNew", "to", id, path);
}

static void emit_job_changed(Manager *m, Job *j, JobChange changed, void *userdata) {
        const char *props[ELEMENTSOF(job_change_property) + 1];
        sd_bus *bus = userdata;
        char path[64];
        size_t n = 0;

        _Static_assert(_JOB_CHANGE_ALL == (1U << ELEMENTSOF(job_change_property)) - 1, "one name a bit");

        job_path(j->id, path, sizeof(path));
        for (size_t i = 0; i < ELEMENTSOF(job_change_property); i++)
                if (changed & (1U << i))
                        props[n++] = job_change_property[i];
        props[n] = NULL;

        (void) sd_bus_emit_properties_changed_strv(bus, path, JOBD_JOB_INTERFACE, (char **) props);
        if (changed & (JOB_CHANGE_STATE | JOB_CHANGE_RESULT))
                (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "JobChanged",
                                          "toss", j->id, path, job_state_to_string(j->state),
                                          job_result_to_string(j->result));
}

static void emit_job_removed(Manager *m, uint64_t id, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        job_path(id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "JobRemoved", "to", id,
                                  path);
        (void) sd_bus_emit_object_removed(bus, path);
}

static void emit_run_new(Manager *m, Run *r, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(r->id, path, sizeof(path));
        (void) sd_bus_emit_object_added(bus, path);
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "RunNew", "to", r->id,
                                  path);
}

static void emit_run_changed(Manager *m, Run *r, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(r->id, path, sizeof(path));
        (void) sd_bus_emit_properties_changed(bus, path, JOBD_RUN_INTERFACE, "State", "Result",
                                              "StateCounts", "ResultCounts", "FirstResultCounts",
                                              "FinishUSec", NULL);
}

static void emit_run_finished(Manager *m, Run *r, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(r->id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, path, JOBD_RUN_INTERFACE, "Finished", "ts", r->id, run_result(r));
}

static void emit_run_removed(Manager *m, uint64_t id, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "RunRemoved", "to", id,
                                  path);
        (void) sd_bus_emit_object_removed(bus, path);
}

static void emit_changed(Manager *m, ManagerChange changed, void *userdata) {
        static const struct {
                ManagerChange bit;
                const char *name;
        } table[] = {
                { MANAGER_CHANGE_JOBS_RUNNING, "JobsRunning" },
                { MANAGER_CHANGE_JOBS_QUEUED,  "JobsQueued"  },
                { MANAGER_CHANGE_JOBS_WAITING, "JobsWaiting" },
                { MANAGER_CHANGE_MAX_PARALLEL, "MaxParallel" },
                { MANAGER_CHANGE_DRAINING,     "Draining"    },
        };
        const char *props[ELEMENTSOF(table) + 1];
        sd_bus *bus = userdata;
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (changed & table[i].bit)
                        props[n++] = table[i].name;
        props[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                                           (char **) props);
}

static void emit_slot_quarantined(Manager *m, const char *pool, const char *slot, void *userdata) {
        (void) sd_bus_emit_signal(userdata, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "SlotQuarantined",
                                  "ss", pool, slot);
}

static void bus_detach(Manager *m, void *userdata) {
        sd_bus_flush_close_unref(userdata);
}

const ManagerObservers bus_observers = {
        .job_new = emit_job_new,
        .job_changed = emit_job_changed,
        .job_removed = emit_job_removed,
        .run_new = emit_run_new,
        .run_changed = emit_run_changed,
        .run_finished = emit_run_finished,
        .run_removed = emit_run_removed,
        .changed = emit_changed,
        .slot_quarantined = emit_slot_quarantined,
        .detach = bus_detach,
};
