/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Jobs with Backend "slurm": everything above the cluster client (src/slurm/slurm-client.h). The
 * scheduler decides when such a job starts, exactly as for a local one (limits, priorities, dependencies,
 * pools); starting it submits it to Slurm. It is `starting` while Slurm has it pending, `running` once
 * Slurm runs it, and done with the result Slurm's final state maps to. Its log is
 * <SharedDirectory>/<uid>/jobd-<ID>.log, which the node writes and the daemon reads (LogPath, OpenLog,
 * the patterns' scan). The journal has its start line before the submission and its Slurm id right after
 * slurmctld accepted it, so that a restart follows it again (slurm_client_track()).
 */

#include <stdbool.h>
#include <stddef.h>

#include "conf-parse.h"
#include "job.h"

/* jobd.conf [Slurm]: checks ExtraOptions= with the client's rules and starts the client. filename names
 * the file in errors. */
int manager_slurm_setup(Manager *m, const ConfSlurm *c, const char *filename);
void manager_slurm_free(Manager *m);

/* The backend a submitted job runs on: DEFAULT becomes the daemon's; slurm without a [Slurm] section,
 * and what a cluster job cannot have, are refused (-EINVAL, *ret_message says why). */
int manager_resolve_backend(Manager *m, JobSpec *spec, char **ret_message);

/* The job's start (job_start() hands over once its owner is looked up; user NULL: the daemon's own
 * credentials). On failure the job is done with result "failed" and a Reason. */
int job_slurm_start(Job *j, const struct UserRecord *user);
/* After a restart: follows the job again by its Slurm id (0: it was submitted but its id is not in the
 * journal: lost). The job must be RUNNING in the scheduler. */
int job_slurm_adopt(Job *j, uint32_t slurm_id);
int job_slurm_kill(Job *j, int sig);
int job_slurm_cancel(Job *j);

const char *job_slurm_log_path(Job *j, char *buf, size_t l);
/* <SharedDirectory>/<uid>: made the owner's (gid: its group, (gid_t) -1: left) if missing. */
int job_slurm_make_log_dir(Job *j, gid_t gid);
/* Job.Remove(): its log in the shared folder goes with it. */
void job_slurm_remove_log(Job *j);
