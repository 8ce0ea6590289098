/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Waiting for jobs to be done, and following a job's log, on sd-event.
 *
 * A Watch subscribes to JobChanged/JobRemoved (and to jobd leaving or re-joining the bus) when it is
 * created, so create it before submitting a job to watch. Then watch_add() the jobs, watch_start() reads
 * each one's state once (a job may have been done before we subscribed), and watch_run() runs the event
 * loop until every job is done. A daemon restart is survived: when jobd comes back, the jobs still
 * pending are read again.
 *
 * Only signals from the unique name that owns org.jobd1 count (see jobctl_signal_from_daemon()), and a
 * job is done when the daemon, asked after its JobChanged "done", says so: another user's forged signals
 * cannot end a wait. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "macro.h"

typedef struct WatchedJob {
        uint64_t id;
        char *path;
        char *state;            /* last known */
        bool done;
        char *result;           /* once done */
        int exit_code;          /* once done, with want_details: -1 for none */
        int exit_signal;        /* ditto: 0 for none */
        char *reason;           /* ditto */
        char *name;             /* filled in by the caller if it wants (wait --progress) */
} WatchedJob;

typedef struct Watch Watch;

/* Called after the state of a watched job changed (including to "done"). */
typedef void (*watch_handler_t)(Watch *w, WatchedJob *j, void *userdata);
/* Called for JobNew from the daemon while following (jobctl watch): it may watch_follow() the job. */
typedef void (*watch_new_handler_t)(Watch *w, uint64_t id, const char *path, void *userdata);

struct Watch {
        sd_bus *bus;
        sd_event *event;
        sd_bus_slot *slot_changed;
        sd_bus_slot *slot_removed;
        sd_bus_slot *slot_owner;
        sd_bus_slot *slot_disconnected;
        char *daemon;           /* the unique name that owns org.jobd1 now, NULL while nobody does */
        WatchedJob *jobs;       /* sorted by id after watch_start() */
        size_t n_jobs;
        size_t n_done;
        bool started;
        bool want_details;      /* read ExitCode, ExitSignal, Reason when a job is done */
        bool warned_gone;
        watch_handler_t on_state;
        void *userdata;
        /* jobctl watch: the loop runs on once every job is done, and new jobs are offered to on_new. */
        bool follow;
        sd_bus_slot *slot_new;
        watch_new_handler_t on_new;
};

/* Subscribes (asynchronously: the AddMatch calls go out before anything sent afterwards), then asks who
 * owns org.jobd1. The bus must be attached to event. */
int watch_new(sd_bus *bus, sd_event *event, bool want_details, Watch **ret);
Watch *watch_free(Watch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(Watch *, watch_free);

/* Adds a job; path may be NULL (then watch_start() asks GetJob). state and result may say what a read made
 * after watch_new() returned (ListJobs), else NULL: watch_start() reads them. Duplicates are merged. */
int watch_add(Watch *w, uint64_t id, const char *path, const char *state, const char *result);
/* Reads the state of every job not known yet. Logs and fails if a job does not exist or cannot be read. */
int watch_start(Watch *w);
WatchedJob *watch_find(Watch *w, uint64_t id);
/* After watch_start(): adds a job (a new one, from on_new) and reads its state, telling on_state. */
int watch_follow(Watch *w, uint64_t id, const char *path);
/* Runs the event loop until every job is done (with follow, until something exits it): 0; or the negative errno something exited it with. */
int watch_run(Watch *w);

/* Copies a log fd to stdout: what it holds now, then (if follow) whatever is appended, on IN_MODIFY. */
typedef struct LogFollow {
        int fd;
        sd_event *event;
        sd_event_source *inotify;
} LogFollow;

/* Takes fd. With follow, copying errors exit the event loop with the error. */
int log_follow_new(sd_event *event, int fd, bool follow, LogFollow **ret);
/* Copies what has been appended since the last copy. */
int log_follow_drain(LogFollow *f);
LogFollow *log_follow_free(LogFollow *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(LogFollow *, log_follow_free);

/* Puts fd's offset at the start of its last n lines (0: its end). */
int log_seek_last_lines(int fd, unsigned n);

/* The exit status "run" and "wait" (of one job) give for a finished job: 0 on success, its exit code,
 * 128+N if a signal N ended it, 124 if it timed out, 1 otherwise. */
int watched_job_exit_status(const WatchedJob *j);

/* Job.OpenLog(): the log fd, in *ret_fd. Logs failures, as debug messages only if quiet. */
int jobctl_open_log(sd_bus *bus, const char *path, uint64_t id, bool quiet, int *ret_fd);
