/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

/* Connects the manager to its bus (address, or the system/session bus), registers the Manager object,
 * the per-job objects and the ObjectManager, and asks for the bus name; READY=1 is sent to the service
 * manager once the name is ours. */
int bus_setup(Manager *m, const char *address);

/* src/bus/bus-emit.c: tells the bus what the manager tells its observers; the userdata is the sd_bus,
 * which the manager then holds (detach closes it). */
extern const ManagerObservers bus_observers;

/* src/bus/bus-objects.c: GetManagedObjects() (sliced, bounded) and NoSuchJob/NoSuchRun for calls on stale
 * paths, from a filter that sees every call before sd-bus's own handling. */
int bus_objects_setup(Manager *m, sd_bus *bus);
void bus_objects_free(void);
/* A GetManagedObjects() reply is built over several loop iterations and has each job as it was when its
 * entry went in. The number of the newest build whose reply has the job's entry but has not gone out yet,
 * or 0; and whether the builds up to number seq are all answered (or given up). */
uint64_t bus_objects_holder(uint64_t job_id);
bool bus_objects_answered(uint64_t seq);
/* bus-emit.c: a build is answered; the signals that waited for it go out (over the next iterations). */
void bus_emit_release_held(Manager *m);

/* The bound of every reply (the system bus carries at most 32 MiB a message): a larger one is refused with
 * org.jobd1.Error.TooLarge. GetManagedObjects() leaves the big per-job properties (Argv, Environment,
 * SystemCallFilter, RestrictAddressFamilies, FailPatterns, PassPatterns) out of the jobs that come after
 * its first REPLY_FULL_FROM. */
#define REPLY_SIZE_MAX  (24U * 1024U * 1024U)
#define REPLY_FULL_FROM (4U * 1024U * 1024U)
/* What a string list costs in a reply (each string, its length and NUL, alignment), to count toward
 * REPLY_SIZE_MAX. */
size_t bus_strv_wire_bytes(char **l);

/* Who reads job properties outside of a call being dispatched (a sliced GetManagedObjects()): Argv and
 * Environment are revealed to root and the job's owner only (system mode). NULL: the current message
 * decides. */
void bus_job_set_reader(const uid_t *uid);

/* Manager.Subscribe()/Unsubscribe() (bus-emit.c): per-job PropertiesChanged goes out only while a client
 * is subscribed. */
int bus_subscribe(sd_bus_message *m, bool subscribe, sd_bus_error *error);
/* GetManagedObjects() (bus-objects.c): its caller follows the jobs' InterfacesAdded/InterfacesRemoved,
 * which go out only while such a client or a subscriber is on the bus. */
int bus_watch_objects(sd_bus_message *m);

extern const sd_bus_vtable bus_manager_vtable[];
extern const sd_bus_vtable bus_job_vtable[];
int bus_job_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                 sd_bus_error *error);
int bus_job_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);

/* Shared by org.jobd1.Job.Kill/Cancel and org.jobd1.Manager.KillJob/CancelJob: authorise, act, reply. */
int bus_job_kill(Job *j, sd_bus_message *m, int sig, sd_bus_error *error);
int bus_job_cancel(Job *j, sd_bus_message *m, sd_bus_error *error);
/* Forgets a done job (Job.Remove(), Manager.RemoveJob()). */
int bus_job_remove(Job *j, sd_bus_message *m, sd_bus_error *error);

/* Who called: the uid of the caller's connection as the bus driver gives it (never augmented from the
 * client's /proc). In system mode a job's gid and groups come from the user database, not from the bus. */
typedef struct BusCaller {
        uid_t uid;
} BusCaller;
int bus_get_caller(sd_bus_message *m, BusCaller *ret);
/* bus_get_caller() for Submit and SubmitPlan, which must not drop a call silently: if the sender's uid
 * cannot be learned (it left the bus already), a --user daemon takes the job as its own uid's (it runs
 * every job as itself); in system mode the call is refused with a line in the log. */
int bus_get_caller_or_self(Manager *manager, sd_bus_message *m, BusCaller *ret);

/* 0 if uid may submit jobs: in system mode (uid other than 0) it must have a passwd entry and at most
 * USER_GROUPS_MAX groups; otherwise sets org.jobd1.Error.AccessDenied (or an errno error if the lookup
 * itself fails). Blocks on NSS (see user_record_get()). */
int bus_verify_submitter(Manager *manager, uid_t uid, sd_bus_error *error);

/* May the caller act on the job (kill, cancel, pause, resume, open its log)? Its owner, root and the
 * daemon's own user may; in system mode an operator too (polkit action org.jobd1.manage-jobs, else
 * jobd.conf's OperatorGroup=). Returns bus_verify_operator()'s 1 (allowed; *ret who), 0 (polkit is asked:
 * return 1 from the handler, it is called again) or negative, with org.jobd1.Error.AccessDenied set on
 * a refusal. */
typedef struct BusAuth BusAuth;
int bus_verify_manage_job(Job *j, sd_bus_message *m, BusAuth *ret, sd_bus_error *error);
