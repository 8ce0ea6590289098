/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jobd.conf(5): pools, slot pools and group limits the daemon sets up at start. Pure: text in, entries out.
 *
 *     # Licences for the simulator: at most two jobs hold one at a time.
 *     [Pool vcs_license]
 *     Capacity=2
 *
 *     [SlotPool board]
 *     Slots=board0 board1 board2
 *     QuarantineAfter=3
 *
 *     [Group build]
 *     Limit=2
 *     TimeoutSec=2h
 *
 *     # What each user may hold (system mode: every uid but root) and what a job gets by default.
 *     [Users]
 *     MaxRunningJobs=8
 *     MaxPriority=10
 *
 *     [Defaults]
 *     TimeoutSec=1d
 *     MemoryMax=4G
 *     LogMaxBytes=100M
 *
 *     # A Slurm cluster for jobs with Backend=slurm (src/core/job-slurm.c).
 *     [Slurm]
 *     Config=/etc/slurm/slurm.conf
 *     Partition=sim
 *     SharedDirectory=/shared/jobd
 *
 *     # Who may act on other users' jobs and on the daemon where polkit is absent.
 *     [Access]
 *     OperatorGroup=jobd-operators
 *
 * [Users] and [Defaults] are sections without a name: their keys are described once in a table
 * (conf-parse.c, conf_settings[]) that says the section, the key, the parser and the field of JobdConf it
 * fills; a key given twice keeps the last value.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ConfKind {
        CONF_POOL,
        CONF_SLOT_POOL,
        CONF_GROUP,
        _CONF_KIND_MAX,
} ConfKind;

typedef struct ConfEntry {
        ConfKind kind;
        char *name;
        unsigned line;                 /* of the section header */
        uint32_t value;                /* Pool: Capacity; Group: Limit (0: none) */
        bool have_limit;               /* Group: Limit= was given */
        uint64_t timeout_usec;         /* Group: TimeoutSec=, for its jobs without a timeout (0: none) */
        char **slots;                  /* SlotPool: Slots */
        uint32_t quarantine_after;     /* SlotPool: QuarantineAfter (0: never) */
} ConfEntry;

/* A number of [Users]/[Defaults] that was not given; "infinity" is CONF_INFINITY. */
#define CONF_UNSET UINT64_MAX
#define CONF_INFINITY (UINT64_MAX - 1)
#define CONF_PRIORITY_UNSET INT64_MIN

/* [Users]: limits on what each user may hold at once. */
typedef struct ConfUsers {
        uint64_t max_running_jobs;     /* jobs RUNNING at once; more wait QUEUED */
        uint64_t max_unfinished_jobs;  /* jobs not done; more are refused (QuotaExceeded) */
        uint64_t max_spec_bytes;       /* bytes of the specs of unfinished jobs; more are refused */
        int64_t max_priority;          /* highest Priority a user may give (CONF_PRIORITY_UNSET) */
} ConfUsers;

/* [Defaults]: what a job gets when its spec says nothing, and the most it may ask for. */
typedef struct ConfDefaults {
        uint64_t timeout_usec;         /* TimeoutSec=, for jobs without one (CONF_INFINITY: none) */
        uint64_t max_timeout_usec;     /* MaxTimeoutSec=: a longer (or no) timeout is refused */
        uint64_t tasks_max;            /* TasksMax= */
        uint64_t memory_max;           /* MemoryMax= (bytes) */
        uint64_t log_max_bytes;        /* LogMaxBytes=, for jobs that do not set it (0, the default: no cap) */
} ConfDefaults;

/* [Runs]: the history of runs. */
typedef struct ConfRuns {
        uint64_t keep_runs;            /* KeepRuns=: newest runs of each name kept with their jobs */
} ConfRuns;

/* [Slurm]: the cluster jobs with Backend "slurm" go to. Strings NULL unless given. */
typedef struct ConfSlurm {
        bool present;                  /* the section is there */
        unsigned line;                 /* of its header */
        char *config;                  /* Config=: slurm.conf, absolute */
        char *partition;               /* Partition= */
        char *account;                 /* Account= */
        char *qos;                     /* QOS= */
        char **extra_options;          /* ExtraOptions=: "--name=value" words; the daemon checks them
                                        * against what its Slurm client supports */
        unsigned extra_options_line;
        char *shared_dir;              /* SharedDirectory=: absolute, required */
        uint64_t poll_interval_usec;   /* PollIntervalSec= (default 1 s) */
} ConfSlurm;

typedef struct JobdConf {
        ConfEntry *entries;
        size_t n_entries;
        ConfUsers users;               /* every field CONF_UNSET (CONF_PRIORITY_UNSET) unless given */
        ConfDefaults defaults;
        ConfRuns runs;                 /* keep_runs CONF_UNSET unless given */
        char *operator_group;          /* [Access] OperatorGroup=: a group name or a gid; NULL: none */
        ConfSlurm slurm;
} JobdConf;

/* Parses the text of a configuration file. On a mistake returns -EINVAL with *ret_error saying
 * "FILENAME:LINE: what is wrong". Names and slot names are checked as the daemon's API checks them. */
int jobd_conf_parse(const char *text, const char *filename, JobdConf *ret, char **ret_error);
void jobd_conf_done(JobdConf *c);
/* An empty configuration: no entries, every [Users]/[Defaults] value unset. */
void jobd_conf_init(JobdConf *c);

const char *conf_kind_to_string(ConfKind k);
