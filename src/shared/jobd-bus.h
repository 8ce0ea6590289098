/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The public D-Bus contract of jobd, version 1: one header for the daemon and jobctl. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#define JOBD_BUS_NAME           "org.jobd1"
#define JOBD_MANAGER_PATH       "/org/jobd1"
#define JOBD_JOB_PATH_PREFIX    "/org/jobd1/job"
#define JOBD_RUN_PATH_PREFIX    "/org/jobd1/run"
#define JOBD_MANAGER_INTERFACE  "org.jobd1.Manager"
#define JOBD_JOB_INTERFACE      "org.jobd1.Job"
#define JOBD_RUN_INTERFACE      "org.jobd1.Run"

#define JOBD_ERROR_INVALID_SPEC      "org.jobd1.Error.InvalidSpec"
#define JOBD_ERROR_NO_SUCH_JOB       "org.jobd1.Error.NoSuchJob"
#define JOBD_ERROR_ACCESS_DENIED     "org.jobd1.Error.AccessDenied"
#define JOBD_ERROR_DEPENDENCY_CYCLE  "org.jobd1.Error.DependencyCycle"
#define JOBD_ERROR_QUOTA_EXCEEDED    "org.jobd1.Error.QuotaExceeded"
#define JOBD_ERROR_NOT_RUNNING       "org.jobd1.Error.NotRunning"
#define JOBD_ERROR_NO_SUCH_RUN       "org.jobd1.Error.NoSuchRun"
#define JOBD_ERROR_NO_SUCH_SLOT      "org.jobd1.Error.NoSuchSlot"
#define JOBD_ERROR_STATE_FULL        "org.jobd1.Error.StateFull"
#define JOBD_ERROR_TOO_LARGE         "org.jobd1.Error.TooLarge"
#define JOBD_ERROR_CGROUP_GONE       "org.jobd1.Error.CgroupGone"
#define JOBD_ERROR_BUSY              "org.jobd1.Error.Busy"

/* Maps the errors above to errno values (EINVAL, ENOENT, EACCES, ELOOP, EDQUOT, ESRCH, ENOENT, ENXIO, EROFS,
 * E2BIG, EIDRM, EBUSY);
 * registered by both the daemon and jobctl with sd_bus_error_add_map(). */
extern const sd_bus_error_map jobd_bus_error_map[];

/* "/org/jobd1/job/42"; returns 0 or -ENOMEM. */
int jobd_job_path(uint64_t id, char **ret);
/* Parses a job object path; 0 with *ret set, or -EINVAL. */
int jobd_job_path_parse(const char *path, uint64_t *ret);

/* "/org/jobd1/run/3"; returns 0 or -ENOMEM. */
int jobd_run_path(uint64_t id, char **ret);
/* Parses a run object path; 0 with *ret set, or -EINVAL. */
int jobd_run_path_parse(const char *path, uint64_t *ret);

/* Appends the {sv} entry key -> as l (Argv, After, Environment, ...) to a job spec (a{sv}) being built:
 * for jobctl and the bench programs. */
int bus_append_strv_entry(sd_bus_message *m, const char *key, char **l);
