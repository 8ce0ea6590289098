/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* State shared by the jobctl verbs: the parsed command line (arg_*), set once by main(). */

#include <stdbool.h>
#include <stdint.h>

#include "time-util.h"

/* Exit statuses, documented in jobctl(1) and "jobctl --help". "run" exits with the job's own status. */
enum {
        JOBCTL_EXIT_FAILURE       = 1,
        JOBCTL_EXIT_USAGE         = 2,
        JOBCTL_EXIT_NO_SUCH_JOB   = 3,
        JOBCTL_EXIT_ACCESS_DENIED = 4,
        JOBCTL_EXIT_TIMEOUT       = 124,  /* "run": the job hit its TimeoutUSec, as timeout(1) */
};

typedef enum BusTransport {
        BUS_TRANSPORT_USER,
        BUS_TRANSPORT_SYSTEM,
        BUS_TRANSPORT_ADDRESS,
} BusTransport;

typedef enum JsonMode {
        JSON_OFF,
        JSON_SHORT,
        JSON_PRETTY,
} JsonMode;

typedef struct ResourceArg {
        char *pool;
        unsigned amount;
} ResourceArg;

extern BusTransport arg_transport;
extern const char *arg_address;
extern JsonMode arg_json;
extern bool arg_ask_password;           /* --no-ask-password: false */
/* How long each D-Bus call waits for its reply (--timeout= outside submit and run, --call-timeout=
 * everywhere): JOBCTL_CALL_TIMEOUT_USEC, and SubmitPlan() JOBCTL_SUBMIT_PLAN_TIMEOUT_USEC, unless given;
 * USEC_INFINITY: no limit. Set on the connection by jobctl_bus_open(). SubmitPlan() gets longer by
 * default: a 100k-job plan is a message of some MB that the daemon checks as a whole. */
#define JOBCTL_CALL_TIMEOUT_USEC (25 * USEC_PER_SEC)
#define JOBCTL_SUBMIT_PLAN_TIMEOUT_USEC (5 * 60 * USEC_PER_SEC)
extern bool arg_call_timeout_set;
extern usec_t arg_call_timeout;

/* submit and run */
extern char **arg_command;
extern const char *arg_name;
extern bool arg_priority_set;
extern int arg_priority;
extern bool arg_timeout_set;
extern usec_t arg_timeout;
extern bool arg_memory_max_set;
extern uint64_t arg_memory_max;
extern bool arg_tasks_max_set;
extern uint64_t arg_tasks_max;
extern bool arg_cpu_weight_set;
extern uint64_t arg_cpu_weight;
extern char *arg_cwd;                   /* NULL: our own */
extern char **arg_setenv;
extern bool arg_no_env;
extern uint64_t *arg_after;
extern size_t arg_n_after;
extern const char *arg_after_condition;
extern const char *arg_group;
extern ResourceArg *arg_resources;
extern size_t arg_n_resources;
extern bool arg_retries_set;
extern unsigned arg_retries;
extern char **arg_system_call_filter;
extern char **arg_fail_patterns;
extern char *arg_log_path;              /* LogPath, absolute; NULL: the daemon's */
extern char *arg_output_directory;      /* OutputDirectory, absolute */
extern char **arg_pass_patterns;
extern bool arg_system_call_filter_set;
extern char **arg_restrict_address_families;
extern bool arg_restrict_address_families_set;
extern bool arg_jobserver;
extern const char *arg_jobserver_style;
extern const char *arg_backend;
extern bool arg_log_max_bytes_set;
extern uint64_t arg_log_max_bytes;
extern bool arg_pipe;
extern char **arg_labels;               /* submit/run: labels; list and friends: the label to filter on */
extern char **arg_retry_on;
extern bool arg_retry_on_set;
extern bool arg_retry_delay_set;
extern usec_t arg_retry_delay;

/* list, clean, kill/cancel --all: which jobs (the daemon filters: ListJobsFiltered) */
extern char **arg_states;
extern char **arg_results;
extern bool arg_run_set;
extern uint64_t arg_run;
extern bool arg_owner_set;
extern uint32_t arg_owner;
extern usec_t arg_since;                /* 0: not given */
extern bool arg_no_legend;
extern bool arg_jobs;                   /* run-status --jobs */
extern const char *arg_exec;            /* wait --exec= */
extern bool arg_hold;                   /* submit --hold */
extern const char *arg_stderr;          /* submit --stderr=FILE: opened by jobctl, passed as StderrFD */
extern usec_t arg_not_before;           /* submit --delay=/--at=: CLOCK_REALTIME; 0: not given */
extern unsigned arg_attempt;            /* logs --attempt=K; 0: not given */
extern bool arg_lines_set;              /* logs -n */
extern unsigned arg_lines;

/* kill, logs, wait */
extern int arg_signal;
extern bool arg_follow;
extern bool arg_all;
extern bool arg_progress;

/* plan, slot-pool */
extern bool arg_wait;
extern bool arg_detach;
extern unsigned arg_max_parallel;       /* 0: not given */
extern unsigned arg_quarantine_after;

/* report, compare, run-status --watch */
typedef enum ReportFormat {
        REPORT_FORMAT_JUNIT,
        REPORT_FORMAT_JSON,
        REPORT_FORMAT_MARKDOWN,
} ReportFormat;
extern ReportFormat arg_format;
extern bool arg_write;
extern const char *arg_write_dir;      /* --write=DIR; NULL: the run's output root */
extern double arg_factor;
extern bool arg_watch;

/* The verbs. Each returns an exit status >= 0, or a negative errno after logging the failure (then
 * main() exits with jobctl_failure_status()). */
int verb_submit(int argc, char *argv[]);
int verb_run(int argc, char *argv[]);
int verb_list(int argc, char *argv[]);
int verb_show(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_kill(int argc, char *argv[]);
int verb_cancel(int argc, char *argv[]);
int verb_pause(int argc, char *argv[]);
int verb_resume(int argc, char *argv[]);
int verb_set_parallel(int argc, char *argv[]);
int verb_wait(int argc, char *argv[]);
int verb_watch(int argc, char *argv[]);
int verb_logs(int argc, char *argv[]);
/* jobctl-daily.c */
int verb_restart(int argc, char *argv[]);
int verb_remove(int argc, char *argv[]);
int verb_clean(int argc, char *argv[]);
int verb_hold(int argc, char *argv[]);
int verb_release(int argc, char *argv[]);
int verb_set_priority(int argc, char *argv[]);
/* jobctl-plan.c */
int verb_plan(int argc, char *argv[]);
int verb_runs(int argc, char *argv[]);
int verb_run_status(int argc, char *argv[]);
int verb_run_cancel(int argc, char *argv[]);
int verb_run_pause(int argc, char *argv[]);
int verb_run_resume(int argc, char *argv[]);
int verb_run_retry(int argc, char *argv[]);
/* jobctl-report.c */
int verb_report(int argc, char *argv[]);
int verb_compare(int argc, char *argv[]);
/* jobctl-sched.c */
int verb_pools(int argc, char *argv[]);
int verb_pool(int argc, char *argv[]);
int verb_slot_pool(int argc, char *argv[]);
int verb_release_slot(int argc, char *argv[]);
int verb_groups(int argc, char *argv[]);
int verb_group(int argc, char *argv[]);
int verb_pause_group(int argc, char *argv[]);
int verb_resume_group(int argc, char *argv[]);
int verb_drain(int argc, char *argv[]);
int verb_undrain(int argc, char *argv[]);
