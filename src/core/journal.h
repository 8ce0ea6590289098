/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's memory across restarts: an append-only file of JSON lines in the state folder, one line
 * per event of a job ("submit" with the whole spec, "start" with the slots it holds, "retry" with how the
 * attempt went, "done"), each written with one write() so a SIGKILL loses at most the line being written.
 * At start-up it is replayed, then rewritten with only the jobs still kept. Its first line names the
 * format version; the submit line's fields are described by one table (src/core/journal-line.c). Runs have "run" lines; the
 * scheduler's controls live in a file of their own (src/core/controls.c).
 */

#include <stdbool.h>

#include "job.h"

/* Named so that nobody takes it for systemd-journald's; JOURNAL_FILE_OLD is read once if it is missing. */
#define JOURNAL_FILE "state.log"
#define JOURNAL_FILE_OLD "journal"
/* The journal is rewritten once the GC has forgotten --keep-finished plus this many jobs. */
#define JOURNAL_COMPACT_SLACK 64U

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
        JobSharedEnv *environment;
        uint32_t gone[_JOB_RESULT_MAX];
        char *first;     /* once the first pass is over: each job's first result, 'a' + JobResult */
} JournalRun;

/* The filter of the last submit line that spelled one out (a reference held), and its job. */
typedef struct JournalFilterRef {
        SeccompFilter *filter;
        uint64_t job;
} JournalFilterRef;

typedef struct Journal {
        int dir_fd;      /* the state folder */
        JournalFilterRef filter_ref;
        int fd;          /* open for appending, or -EBADF */
        bool broken;     /* a write failed: logged once */
        bool migrate;    /* journal_replay() read JOURNAL_FILE_OLD: journal_compact() removes it */
        JournalRun *runs;/* found by journal_replay(), in id order; journal_runs_free() */
        size_t n_runs;
} Journal;

void journal_init(Journal *jr, int dir_fd);
void journal_close(Journal *jr);

void journal_submit(Journal *jr, Job *j);
/* The submit lines of the jobs first ... first + n - 1 (a plan's), in few large writes. */
void journal_submit_many(Journal *jr, Manager *m, uint64_t first, size_t n);
void journal_start(Journal *jr, Job *j);
void journal_retry(Journal *jr, Job *j);
void journal_done(Journal *jr, Job *j);
/* A run, before the submit lines of its jobs, and again when it finished or changed (src/core/run.c). */
struct Run;
void journal_run(Journal *jr, const struct Run *r);
/* A finished job is to run again (Run.Retry()): what it did is forgotten, it waits to start. */
void journal_rerun(Journal *jr, Job *j);
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
        uint32_t tries;           /* attempts the scheduler counts (since the last Run.Retry()), the
                                   * started one not included */
        bool retry_pending;       /* the last line is a retry: the job waited for its next attempt */
} JournalRecord;

/* Reads state.log (or, if it is missing, the journal of earlier versions once: jr->migrate), creating a
 * Job (with m as manager) for each submitted job, in id order. Lines it cannot parse, or with a field out
 * of range, are skipped with a warning. Returns the number of records (*ret: malloc'ed array), or a
 * negative errno, logged with the file's name: -EPROTONOSUPPORT for a file of a newer format version. */
int journal_replay(Journal *jr, Manager *m, JournalRecord **ret);
void journal_records_free(JournalRecord *r, size_t n);

/* Rewrites state.log from the jobs the manager holds (its header first; fsync, rename, fsync of the folder),
 * removes the old journal if that was read, then opens state.log for appending. */
int journal_compact(Journal *jr, Manager *m);
