/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The cluster side of the slurm backend: a client of slurmctld through libslurm. It submits batch jobs,
 * follows the state of every job it was given with one incremental slurm_load_jobs() per interval (never
 * one query per job), and signals or cancels them. Every libslurm call blocks on an RPC, so they all run
 * on one worker thread of this client; the event loop only hands requests over and reads results from an
 * eventfd. Nothing here knows about D-Bus or about jobd's Job: the core (src/core/job-slurm.c) maps its
 * jobs onto this interface and keeps the Slurm job id in the journal.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "time-util.h"

typedef struct sd_event sd_event;
typedef struct SlurmClient SlurmClient;

typedef struct SlurmConf {
        char *config;           /* slurm.conf to use (exported as SLURM_CONF before slurm_init()); NULL:
                                 * libslurm's default */
        char *partition;        /* NULL: the cluster's default partition */
        char *account;
        char *qos;
        char **extra_options;   /* sbatch-style "--name=value" options of the supported subset */
        char *shared_dir;       /* absolute; the same path on every node: logs and status files */
        usec_t poll_interval;   /* between two incremental queries; 0: 1 s */
} SlurmConf;

/* The subset of sbatch options that extra_options may carry: 0, or -EINVAL and *ret_why names the
 * option that is unknown or malformed (for jobd.conf's error message). Pure, unit-tested. */
int slurm_extra_option_check(const char *option, const char **ret_why);

typedef struct SlurmSubmit {
        uint64_t jobd_id;       /* the cookie handed back in every SlurmJobStatus */
        unsigned attempt;
        const char *name;       /* the Slurm job name, e.g. "jobd-42" */
        uid_t uid;              /* the job's owner; a root daemon submits on its behalf */
        gid_t gid;              /* from the user database */
        char **argv;            /* run without a shell: the batch script execs it with every word quoted */
        char **env;             /* the job's whole environment (Slurm's own variables are added) */
        const char *cwd;        /* absolute */
        const char *log_path;   /* absolute, below shared_dir: stdout and stderr both go there */
        usec_t time_limit;      /* 0: none; else rounded up to whole minutes (Slurm's unit) */
        uint64_t memory_max;    /* bytes, UINT64_MAX: none -> pn_min_memory in MiB, rounded up */
        uint64_t tasks_max;     /* UINT64_MAX: none (no Slurm request: enforced on the node only by
                                 * cgroup task/limits where the cluster has them; say so in the docs) */
        uint64_t cpu_weight;    /* 1..10000, UINT64_MAX: none -> nice, mapped linearly, 100 -> 0 */
        const char *licenses;   /* "name:count,name:count" (counted pools), NULL: none */
} SlurmSubmit;

typedef enum SlurmJobState {
        SLURM_JOB_PENDING,
        SLURM_JOB_RUNNING,
        SLURM_JOB_SUSPENDED,
        SLURM_JOB_COMPLETED,    /* exit status 0 */
        SLURM_JOB_FAILED,       /* exit_status tells the code or the signal */
        SLURM_JOB_CANCELLED,
        SLURM_JOB_TIMEOUT,
        SLURM_JOB_OUT_OF_MEMORY,
        SLURM_JOB_NODE_FAIL,    /* also BOOT_FAIL: the job is lost, retryable */
        SLURM_JOB_GONE,         /* slurmctld no longer knows the id (purged after MinJobAge) */
        _SLURM_JOB_STATE_MAX,
} SlurmJobState;

const char *slurm_job_state_to_string(SlurmJobState s);
/* From libslurm's job_state (JOB_* with flags) to the above. Pure, unit-tested. A final state with
 * JOB_COMPLETING is RUNNING until the flag clears (processes may remain on the node; "done" promises
 * none do); RUNNING|CONFIGURING is PENDING, RUNNING|STOPPED SUSPENDED; DEADLINE -> TIMEOUT, BOOT_FAIL ->
 * NODE_FAIL, PREEMPTED (PreemptMode=CANCEL) -> CANCELLED, a state unknown to this libslurm -> FAILED. */
SlurmJobState slurm_job_state_from_slurm(uint32_t job_state);
static inline bool slurm_job_state_is_final(SlurmJobState s) {
        return s >= SLURM_JOB_COMPLETED;
}

typedef struct SlurmJobStatus {
        uint64_t jobd_id;
        uint32_t slurm_id;
        SlurmJobState state;
        int exit_status;        /* a wait(2) status as job_info_t.exit_code gives it; valid when final */
        const char *node;       /* where it runs or ran, NULL before */
        const char *reason;     /* Slurm's state reason, or NULL */
        usec_t start_time;      /* CLOCK_REALTIME, 0: not started */
        usec_t end_time;
} SlurmJobStatus;

/* Called on the event loop for every change of a tracked job's state, including the final one; the
 * client stops tracking a job after its final state was reported. A job that ends between two queries
 * may go from PENDING straight to its final state. A change already on its way to the loop can still
 * arrive after slurm_client_untrack(): ignore ids you no longer know. */
typedef void (*slurm_changed_t)(SlurmClient *c, const SlurmJobStatus *s, void *userdata);

/* Called on the event loop once per slurm_client_submit(): error 0 and slurm_id set (the job is then
 * tracked, reported PENDING from then on without a change call), or -errno and message says why
 * (Slurm's own error string included): -ECOMM slurmctld not reachable (worth a retry), -EAGAIN
 * slurmctld's MaxJobCount reached, -EPERM not allowed to submit for that user, -EINVAL anything else
 * slurmctld refused (a bad licence, partition, account...). Not called for submissions still queued
 * when the client is freed (they are dropped), nor for one under way then (slurmctld's job is cancelled
 * as soon as it is accepted: nobody would know its id). */
typedef void (*slurm_submitted_t)(SlurmClient *c, uint64_t jobd_id, uint32_t slurm_id, int error,
                                  const char *message, void *userdata);

/* Starts the worker thread; fails (with a log line naming the cause) if slurmctld does not answer a
 * first ping within a few seconds. libslurm reads one slurm.conf per process: the first client's
 * conf->config stays (another path later: -EBUSY). A slurm.conf libslurm cannot process is found out in
 * a child process first (libslurm would exit() the daemon): -EINVAL. Unsupported extra_options: -EINVAL.
 * slurm_client_free() may be called from one of the client's callbacks (it then takes effect when the
 * callback returns); it waits up to 2 s for the worker to leave a libslurm call, then lets it go. */
int slurm_client_new(sd_event *event, const SlurmConf *conf, slurm_changed_t on_change, void *userdata,
                     SlurmClient **ret);
SlurmClient *slurm_client_free(SlurmClient *c);

/* Queues a submission; s and everything it points to are copied. */
int slurm_client_submit(SlurmClient *c, const SlurmSubmit *s, slurm_submitted_t cb, void *userdata);
/* Tracks a job submitted earlier (re-adoption after a daemon restart, from the journal). Its current
 * state is reported by the next query, final or not; SLURM_JOB_GONE if slurmctld forgot it. */
int slurm_client_track(SlurmClient *c, uint32_t slurm_id, uint64_t jobd_id);
void slurm_client_untrack(SlurmClient *c, uint32_t slurm_id);
/* Signals every step and the batch script of the job (slurm_kill_job(), KILL_FULL_JOB); SIGKILL of a
 * pending job cancels it, and so does any other signal (slurmctld takes only SIGKILL for a job that has
 * no process yet). SIGKILL of a running job ends it CANCELLED; another signal that kills the script ends
 * it FAILED with that signal in exit_status. Asynchronous: the state change comes through on_change. */
int slurm_client_kill(SlurmClient *c, uint32_t slurm_id, int sig);
/* Suspend/resume (slurm_suspend()/slurm_resume(): needs an operator of the cluster). Asynchronous; a
 * refusal is logged and the state does not change. */
int slurm_client_suspend(SlurmClient *c, uint32_t slurm_id, bool suspend);
/* Number of jobs tracked (submitted and not final), including submissions not yet answered. */
unsigned slurm_client_tracked(SlurmClient *c);

/* What the worker measured, for the bench and for debugging: how long the one query per interval takes
 * with the cluster's whole job table, and the submissions' RPC time. */
typedef struct SlurmClientStats {
        uint64_t n_polls;               /* queries sent (answered "no change" or not) */
        uint64_t n_polls_changed;       /* queries that returned the job table */
        usec_t poll_usec_last;          /* duration of the last query that returned the table */
        usec_t poll_usec_max;
        uint64_t poll_records_last;     /* jobs in that table (all of the cluster's, not only ours) */
        uint64_t n_submitted;           /* submissions answered (accepted or refused) */
        usec_t submit_usec_total;       /* time spent in slurm_submit_batch_job() */
        uint64_t n_delivered;           /* callbacks run on the loop */
        usec_t deliver_usec_max;        /* the longest turn of the loop spent running them */
} SlurmClientStats;

void slurm_client_get_stats(SlurmClient *c, SlurmClientStats *ret);
