/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's memory across restarts: an append-only file of JSON lines in the state folder, one line
 * per event of a job ("submit" with the whole spec, "start" with the slots it holds, "stop" when it is
 * killed for its timeout or a cancel, "retry" with how the attempt went, "done"), each written with one
 * write() so a SIGKILL loses at most the line being written. At start-up it is replayed, then rewritten
 * with only the jobs still kept. Its first line names the format version; the submit line's fields are
 * described by one table (src/core/journal-line.c). Runs have "run" lines; a plan's is followed by its
 * jobs' submit lines and a "commit" line, without which the replay drops it. The scheduler's controls live
 * in a file of their own (src/core/controls.c).
 *
 * The order is the promise (jobd(8), Durability): a Submit's or plan's lines before the reply and before
 * the scheduler sees the jobs; a job's start line before its command can run; a stop line before the kill.
 */

#include <stdbool.h>

#include "job.h"

/* Named so that nobody takes it for systemd-journald's; JOURNAL_FILE_OLD is read once if it is missing. */
#define JOURNAL_FILE "state.log"
#define JOURNAL_FILE_OLD "journal"
/* The journal is rewritten once the GC has forgotten --keep-finished plus this many jobs. */
#define JOURNAL_COMPACT_SLACK 64U
/* While the state folder cannot be written (read-only mode), a rewrite is tried this often. */
#define JOURNAL_RETRY_USEC (2 * USEC_PER_SEC)

/* A run (plan) as its "run" line says: written before its jobs, so that they find its shared environment;
 * gone counts, per result, its jobs that were forgotten before the journal was last rewritten. */
typedef struct JournalRun {
        uint64_t id;
        char *name;
        uid_t owner;
        uint64_t first_job;
        uint32_t n_jobs;
        uint32_t max_parallel;
        usec_t submit_usec, finish_usec;
        bool cancelled;
        bool paused;
        bool timed_out;
        usec_t timeout_usec, deadline_usec;
        char *output_root;
        JobSharedEnv *environment;
        uint32_t gone[_JOB_RESULT_MAX];
        bool needs_commit;   /* its submission's line: valid only once its "commit" line follows */
        bool committed;
        char *first;     /* once the first pass is over: each job's first result, 'a' + JobResult */
} JournalRun;

/* The filter of the last submit line that spelled one out (a reference held), and its job. */
typedef struct JournalFilterRef {
        SeccompFilter *filter;
        uint64_t job;
} JournalFilterRef;

typedef struct Journal {
        int dir_fd;      /* the state folder */
        Manager *manager;
        JournalFilterRef filter_ref;
        int fd;          /* open for appending, or -EBADF */
        uint64_t size;   /* what fd holds: a failed append is cut off again (ftruncate()) */
        /* Read-only mode: an append failed (error, a negative errno). The file may lack lines since: no
         * Submit is accepted and no job started until a rewrite from memory succeeds (tried every
         * JOURNAL_RETRY_USEC). Logged once per episode. */
        bool read_only;
        int error;
        sd_event_source *retry_source;
        bool migrate;    /* journal_replay() read JOURNAL_FILE_OLD: journal_compact() removes it */
        JournalRun *runs;/* found by journal_replay(), in id order; journal_runs_free() */
        size_t n_runs;
        /* A rewrite in a child process (journal_compact_start()): what is appended meanwhile is kept
         * here too, and added to the new file before it replaces the old one. */
        pid_t compact_pid;
        sd_event_source *compact_source;
        char *pending;
        size_t n_pending, pending_allocated;
        bool pending_failed;
        usec_t compact_begin, compact_fork_usec;
        /* -Dtest_hooks=true: JOBD_TEST_CRASH_AT_WRITE=N kills the daemon (SIGKILL) half-way through its
         * Nth append; 0: never. */
        uint64_t crash_at, n_appends;
} Journal;

void journal_init(Journal *jr, int dir_fd);
void journal_close(Journal *jr);

void journal_init_manager(Journal *jr, Manager *m);

/* Appends return 0, or a negative errno (-EROFS in read-only mode) after which the file is as it was
 * before the call; the first failure of an episode is logged with its errno and starts read-only mode. */
int journal_submit(Journal *jr, Job *j);
/* A run (a plan): its line, the submit lines of its jobs in few large writes, then a "commit" line. The
 * replay drops a run whose commit line is missing, with its jobs: a plan is all there or not at all. */
struct Run;
int journal_submit_run(Journal *jr, const struct Run *r);
int journal_start(Journal *jr, Job *j);
int journal_retry(Journal *jr, Job *j);
/* Before a running job is killed for its timeout or a cancel (j->stop_reason): "stop". */
int journal_stop(Journal *jr, Job *j);
int journal_done(Journal *jr, Job *j);
/* A Slurm job's id once slurmctld accepted it: "slurm" (src/core/job-slurm.c). */
int journal_slurm(Journal *jr, Job *j);
/* A run again when it finished or changed (src/core/run.c). */
int journal_run(Journal *jr, const struct Run *r);
/* A finished job is to run again (Run.Retry()): what it did is forgotten, it waits to start. */
int journal_rerun(Journal *jr, Job *j);
/* Job.Hold()/Release() of a job that has not started: "hold" or "release", before the reply, so that a
 * restart keeps the job held (or lets it go) as the last call said. */
int journal_hold(Journal *jr, Job *j, bool held);
/* Starts read-only mode (error: why, a negative errno), logged once per episode. */
void journal_enter_read_only(Journal *jr, int error);
/* Cuts the file back to size (a value of jr->size taken before appending what is to be undone). */
void journal_truncate(Journal *jr, uint64_t size);
void journal_runs_free(Journal *jr);

/* What a replay found for one job. */
typedef struct JournalRecord {
        uint64_t id;
        Job *job;                 /* built from the submit line (state WAITING), owned by the caller */
        bool started;             /* a start line after the last retry */
        bool done;
        pid_t main_pid;           /* from the start line */
        char *cgroup;             /* ditto, relative to the v2 mount */
        char *unit;
        char **slots;             /* ditto: the "POOL=SLOT" identities the job holds */
        uint64_t run;             /* the run of the submit line, 0: none */
        JobStopReason stop_reason;/* a stop line after the last start */
        uint32_t tries;           /* attempts the scheduler counts (since the last Run.Retry()), the
                                   * started one not included */
        bool retry_pending;       /* the last line is a retry: the job waited for its next attempt */
        uint32_t slurm_id;        /* Backend slurm: of the start line or the "slurm" line after it; 0: the
                                   * job was handed to Slurm but its id never made it to the file */
} JournalRecord;

/* Reads state.log (or, if it is missing, the journal of earlier versions once: jr->migrate), creating a
 * Job (with m as manager) for each submitted job, in id order. Lines it cannot parse, or with a field out
 * of range, are skipped with a warning. Returns the number of records (*ret: malloc'ed array), or a
 * negative errno, logged with the file's name: -EPROTONOSUPPORT for a file of a newer format version. */
int journal_replay(Journal *jr, Manager *m, JournalRecord **ret);
void journal_records_free(JournalRecord *r, size_t n);

/* Rewrites state.log from the jobs the manager holds (its header first; fsync, rename, fsync of the folder),
 * removes the old journal if that was read, then opens state.log for appending. Ends read-only mode. */
int journal_compact(Journal *jr, Manager *m);
/* The same in a child process (fork()), so that the event loop is not blocked while 100k jobs are written;
 * the parent appends to the old file meanwhile and, once the child is done, adds those lines to the new
 * file and renames it. 0 if started (or one is under way), or a negative errno. */
int journal_compact_start(Journal *jr);
