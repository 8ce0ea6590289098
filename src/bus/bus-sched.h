/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

/* The scheduler's part of the API: org.jobd1.Manager's plans, groups, pools and drain (bus-sched.c), the
 * scheduling properties of org.jobd1.Job (the same interface, a second vtable), and the run objects
 * /org/jobd1/run/<id> with org.jobd1.Run (bus-run.c). Called by bus_setup(). */
int bus_sched_setup(Manager *m, sd_bus *bus);

extern const sd_bus_vtable bus_manager_sched_vtable[];
extern const sd_bus_vtable bus_job_sched_vtable[];
extern const sd_bus_vtable bus_run_vtable[];

int bus_run_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                 sd_bus_error *error);
int bus_run_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);

/* Appends the ListJobs() entry (tsssuo) of each job with an id in [first, first + n) that still exists;
 * -E2BIG once the entries would pass REPLY_SIZE_MAX (the caller refuses with TooLarge). */
int bus_append_job_list(Manager *m, sd_bus_message *reply, uint64_t first, uint64_t n);

/* May the caller change the daemon (limits, pools, groups, slots, drain)? Root and the daemon's own user
 * may; in system mode an operator too (polkit action org.jobd1.manage-daemon, else jobd.conf's
 * OperatorGroup=). Returns bus_verify_operator()'s 1 (allowed; *ret who), 0 (polkit is asked: return 1
 * from the handler, it is called again with the answer) or negative, with org.jobd1.Error.AccessDenied
 * saying what only they may do. */
typedef struct BusAuth BusAuth;
int bus_verify_manage_daemon(Manager *m, sd_bus_message *msg, const char *what, BusAuth *ret,
                             sd_bus_error *error);
