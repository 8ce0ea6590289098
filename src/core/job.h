/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "exec-status.h"
#include "job-enums.h"
#include "job-spec.h"
#include "macro.h"
#include "time-util.h"

typedef struct Manager Manager;

/* One attempt of a job, as Job.Attempts shows it. */
typedef struct JobAttempt {
        usec_t start_usec, finish_usec;          /* CLOCK_REALTIME; start 0: it never started */
        JobResult result;
        int exit_code;                           /* -1: none */
        int exit_signal;                         /* 0: none */
} JobAttempt;

/* Why the daemon is ending a running job; decides the result when it is gone. */
typedef enum JobStopReason {
        JOB_STOP_NONE,
        JOB_STOP_TIMEOUT,
        JOB_STOP_CANCEL,
} JobStopReason;

/* After SIGKILL, this long without the cgroup emptying means a process is stuck (D state). */
#define JOB_STUCK_USEC (5 * USEC_PER_SEC)

typedef struct Job {
        Manager *manager;
        uint64_t id;
        JobSpec spec;

        uid_t owner;                   /* system mode: gid and groups are looked up for each start */
        unsigned observer_changes;     /* the observers' own (bus-emit.c: changes not told yet) */
        bool announced;                /* a plan's job: its JobNew went out ahead of its run's batches */
        bool quota_counted;            /* unfinished: counted in its owner's usage (src/core/quota.c) */
        bool quota_holds_bytes;        /* its spec's bytes are counted in its owner's usage */
        uint64_t quota_bytes;          /* job_spec_bytes() when it was counted */

        JobState state;
        JobResult result;
        int exit_code;                 /* -1: none */
        int exit_signal;               /* 0: none */
        char *reason;

        usec_t submit_usec, start_usec, finish_usec;   /* CLOCK_REALTIME */
        usec_t start_monotonic;

        BackendJob *cgroup;
        char *unit;                    /* where the job ran, kept once it is done (Unit, ControlGroup) */
        char *control_group;
        int hold_fd;                   /* >= 0: the exec helper waits for a byte here before it runs the
                                        * command (a backend is still placing it in the job's cgroup) */
        pid_t main_pid;                /* the exec helper */
        pid_t command_pid;             /* its child, read lazily from the state folder; 0: unknown */
        int state_dir_fd;              /* DIR/jobs/<id> */
        struct Jobserver *jobserver;   /* while it runs with Jobserver=true (src/core/jobserver.c) */
        int log_fd;                    /* LogMaxBytes: the daemon's own fd of the log (no O_APPEND) */
        sd_event_source *log_source;   /* LogMaxBytes: inotify IN_MODIFY on the log, rate limited */
        bool log_truncated;            /* this attempt's log was cut at LogMaxBytes */
        bool log_cap_failed;           /* cutting it failed once: said once, not on every write */
        bool reason_is_log_note;       /* Reason is only the note that the log was cut (running) */
        sd_event_source *child_source;
        sd_event_source *timeout_source;
        sd_event_source *kill_source;  /* grace period after SIGTERM, then "stuck" after SIGKILL */
        sd_event_source *events_source;/* while processes remain: inotify on cgroup.events, or a timer that
                                        * polls it if no watch could be set */
        struct CgroupDirWatch *events_dir; /* the watch on the folder of its cgroup, shared (job.c) */
        size_t events_dir_index;       /* its place in events_dir->jobs */

        JobStopReason stop_reason;
        bool main_exited;
        bool killed_by_user;           /* KillJob/Kill with SIGKILL: result "killed" */
        bool frozen_by_other;          /* paused: someone else froze its cgroup (job_sync_cgroup()) */
        bool sigkill_sent;             /* jobd SIGKILLed the cgroup (a helper it did not fork died of it) */
        unsigned stray_processes;
        JobStats stats;
        ExecStatus exec_status;
        bool have_exec_status;

        /* FailPatterns/PassPatterns: the scan of the log that decides the verdict (src/core/job-scan.c).
         * While it runs the job is stopping and j->result is the process's result. */
        struct JobScan *scan;
        sd_event_source *scan_source;
        struct Job *scan_next;         /* waiting for a scan thread: the manager's queue */
        uint64_t log_offset;           /* the size of the log when this attempt started: its output follows */
        dev_t log_dev;                 /* LogPath: the file jobd opened for the job (0: not yet) */
        ino_t log_ino;
        usec_t timeout_left;           /* paused: what was left of TimeoutUSec (the timer is off meanwhile) */
        bool timeout_paused;
        /* Time paused in this attempt (CLOCK_REALTIME), kept in the job's state folder (JOB_PAUSE_FILE)
         * so that a restart of the daemon does not count it toward TimeoutUSec either. */
        usec_t paused_total_usec, paused_since_usec;
        bool scan_queued;

        /* Attempts that ended, oldest first, and the delay before the next one (src/core/job-retry.c). */
        JobAttempt *attempts;
        uint32_t n_attempts;
        sd_event_source *retry_source;

        char **slots;                  /* "POOL=SLOT" the latest attempt got (Slots), kept once done */

        bool held;                     /* Hold: the scheduler holds it until Release() (src/core/job-hold.c) */
        sd_event_source *not_before_source; /* NotBeforeUSec still ahead: the timer that lets it go */

        uint64_t *log_offsets;         /* where each attempt started in the log (AttemptLogOffsets), in the
                                        * order they started since the daemon started; JOB_ATTEMPTS_MAX */
        uint32_t n_log_offsets;

        /* Backend "slurm" (src/core/job-slurm.c): the Slurm job id of the latest attempt (SlurmJobId), 0:
         * none yet; submitted and slurmctld's answer not back yet; a kill asked for meanwhile. */
        uint32_t slurm_id;
        bool slurm_submitting;
        int slurm_pending_signal;
} Job;

static inline bool job_is_slurm(const Job *j) {
        return j->spec.backend == JOB_BACKEND_SLURM;
}

/* Takes ownership of the spec's contents (leaves *spec initialised). */
int job_new(Manager *m, uint64_t id, JobSpec *spec, uid_t owner, Job **ret);
Job *job_free(Job *j);

/* Starts a job the scheduler handed out. On failure the job is already done with result "failed" and a
 * Reason; the return value only says so. */
int job_start(Job *j);

/* Takes over a job started by an earlier instance of the daemon (from the journal): watches its main
 * process through a pidfd (it is not our child) and its cgroup; a job that ended meanwhile is settled from
 * its status file. The job must be RUNNING in the scheduler. */
int job_adopt(Job *j, const char *cgroup_path, const char *unit, pid_t main_pid);

/* Signal to every process of the job (SIGKILL: atomically, via cgroup.kill). -ESRCH if it is not
 * running. */
int job_kill(Job *j, int sig);
/* Unstarted: never runs (result cancelled). Running: SIGTERM to all, SIGKILL after the grace period. */
int job_cancel(Job *j);
/* The kill/cancel/pause/resume calls return -EIDRM when the job's cgroup was removed by someone else
 * (its processes moved out of it): nothing can act on them through it. */
int job_pause(Job *j);
int job_resume(Job *j);
/* Makes State tell the truth about what others did to the job's cgroup: a running job whose cgroup
 * someone else froze (cgroup.freeze) is paused, with a Reason saying so, and running again once thawed.
 * Cheap (one read of cgroup.freeze), only for running and paused jobs. */
void job_sync_cgroup(Job *j);
/* A new read-only fd of the job's log (DIR/logs/<owner uid>/<id>.log, its owner's); -ENOENT if it has none
 * (yet); -EPERM, -EBADFD, -EMLINK if what is there is not a regular file of the owner's with one link. */
int job_open_log(Job *j);

/* A done job that will not run again (not of a run) gives back its Environment and most of a long Argv
 * (job_spec_trim_done()): a finished job holds little. */
void job_trim_done(Job *j);

/* What changed in a job, for the observers (ManagerObservers.job_changed): each bit is one property. */
typedef enum JobChange {
        JOB_CHANGE_STATE                  = 1U << 0,
        JOB_CHANGE_RESULT                 = 1U << 1,
        JOB_CHANGE_EXIT_CODE              = 1U << 2,
        JOB_CHANGE_EXIT_SIGNAL            = 1U << 3,
        JOB_CHANGE_REASON                 = 1U << 4,
        JOB_CHANGE_START_USEC             = 1U << 5,
        JOB_CHANGE_FINISH_USEC            = 1U << 6,
        JOB_CHANGE_CONTROL_GROUP          = 1U << 7,
        JOB_CHANGE_UNIT                   = 1U << 8,
        JOB_CHANGE_STRAY_PROCESSES_KILLED = 1U << 9,
        JOB_CHANGE_ATTEMPTS               = 1U << 10,
        JOB_CHANGE_PRIORITY               = 1U << 11,
        JOB_CHANGE_HELD                   = 1U << 12,
        JOB_CHANGE_SLURM_JOB_ID           = 1U << 13,
        _JOB_CHANGE_ALL                   = (1U << 14) - 1,
        /* Not a property: job_set_state() writes the state and tells nobody, neither the observers nor
         * the job's run. For a job not announced yet (a submission, whose JobNew follows), restore and
         * journal replay (no observers yet, the runs are counted afresh after), and a caller that
         * announces the change itself with manager_job_changed() once it has set the rest. */
        JOB_CHANGE_QUIET                  = 1U << 30,
} JobChange;

/* The only writer of j->state. Entering done cancels a pending retry delay. Unless JOB_CHANGE_QUIET,
 * tells the job's run and the observers what changed: the state (if it did) and the properties in
 * also, which the caller set before. */
void job_set_state(Job *j, JobState state, JobChange also);
void job_finish_unstarted(Job *j, JobResult result, const char *reason);
/* Publishes a started job as done with j->result (called by the manager once no retry follows). */
void job_complete(Job *j);
/* Back to waiting for another attempt. */
void job_reset_for_retry(Job *j);

/* Attempts kept in Job.attempts: Retries is at most JOB_RETRIES_MAX, but a run's Retry() starts counting
 * again. Beyond this many the last entry is the latest attempt. */
#define JOB_ATTEMPTS_MAX 256U

/* src/core/job-retry.c. Records how the attempt that just ended went (Attempts). */
int job_record_attempt(Job *j);
/* Adds an attempt to the history as it is (a replay of the journal); announces nothing. */
int job_add_attempt(Job *j, const JobAttempt *a);
/* The latest attempt of the history, NULL if none. */
const JobAttempt *job_last_attempt(const Job *j);
/* The scheduler wants another attempt: back to waiting, and queued again after RetryDelayUSec. */
void job_retry_later(Job *j);
/* A job restored waiting for its retry (the scheduler holds it): queued again after remaining. */
void job_retry_restored(Job *j, usec_t remaining);
/* Attempts started so far (the current one included). */
uint32_t job_attempt_number(Job *j);

const char *job_log_path(Job *j, char *buf, size_t l);
/* A read-only fd of the log as the daemon wrote it (the checks of job_open_log()), for the scan. */
int job_open_log_for_scan(Job *j, int *ret_fd);

/* src/core/job-scan.c. At most this many logs are scanned at once, each in a thread of its own. */
#define JOB_SCANS_MAX 4U
/* Whether the job's result waits for a scan of its log: it has FailPatterns or PassPatterns, and its
 * command ran and exited (result success, or failed with an exit code). */
bool job_scan_wanted(Job *j);
/* Starts (or queues) the scan; the job is stopping until the verdict, which then goes to
 * manager_job_done(). A scan that cannot start fails a job that succeeded (its Reason says why). */
int job_scan_start(Job *j);
/* A job freed while its log is scanned: the thread is told to stop and lets go of what it holds. */
void job_scan_abandon(Job *j);
/* The job's cgroup (the ControlGroup property), as recorded or as the backend names it for a started job
 * that recorded none; *ret NULL if it has none (never started, or only a placement knew it). */
int job_control_group(Job *j, char **ret);
pid_t job_main_pid(Job *j);
/* src/core/job-hold.c. Whether the scheduler must hold the job: Hold()/the Hold key, or NotBeforeUSec
 * still ahead. */
bool job_wants_hold(Job *j);
/* Hands the scheduler the hold job_wants_hold() says and sets the Reason of a held job, telling nobody
 * (a job not announced yet: a submission). -EBUSY: it started, -EALREADY: it is done. */
int job_apply_hold(Job *j);
/* Arms the timer that lets a job go at its NotBeforeUSec (nothing if none is ahead). */
int job_arm_not_before(Job *j);
/* Job.Hold()/Release(). -EBUSY: started, -EALREADY: done. */
int job_set_held(Job *j, bool held);
/* Job.SetPriority(): for a job that has not started. -EBUSY: started, -EALREADY: done. */
int job_set_priority(Job *j, int32_t priority);

/* For src/core/job-slurm.c, which runs a job on the cluster instead of through a cgroup backend. */
struct UserRecord;
char **job_build_env(Job *j, const struct UserRecord *user);
int job_open_log_for_writing(Job *j, const struct UserRecord *user, struct stat *st);
void job_note_log_offset(Job *j, const struct stat *st);
void job_watch_log_restored(Job *j);
void job_reason_add_log_truncated(Job *j);
int job_fail_start_full(Job *j, int error, const char *what, const char *reason);
int job_add_timer(Job *j, sd_event_source **ret, usec_t after, sd_event_time_handler_t cb,
                  const char *description);
uid_t job_log_uid(Job *j);
void job_copy_slots(Job *j);
/* Sets Reason (escaped where it is not UTF-8: it goes on the bus). */
void job_set_reason(Job *j, const char *fmt, ...) _printf_(2, 3);
int job_watch_log(Job *j, int logfd);
int job_enforce_log_cap(Job *j, bool announce);
int job_open_log_file(Job *j, bool for_writing, gid_t gid, int *ret_fd);

/* CPU time so far (live while running, final once done). */
uint64_t job_cpu_usage(Job *j);
