/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

BusTransport arg_transport = BUS_TRANSPORT_USER;
const char *arg_address = NULL;
JsonMode arg_json = JSON_OFF;
bool arg_ask_password = true;

char **arg_command = NULL;
const char *arg_name = NULL;
bool arg_priority_set = false;
int arg_priority = 0;
bool arg_timeout_set = false;
usec_t arg_timeout = 0;
bool arg_memory_max_set = false;
uint64_t arg_memory_max = 0;
bool arg_tasks_max_set = false;
uint64_t arg_tasks_max = 0;
bool arg_cpu_weight_set = false;
uint64_t arg_cpu_weight = 0;
char *arg_cwd = NULL;
char **arg_setenv = NULL;
bool arg_no_env = false;
uint64_t *arg_after = NULL;
size_t arg_n_after = 0;
const char *arg_after_condition = NULL;
const char *arg_group = NULL;
ResourceArg *arg_resources = NULL;
size_t arg_n_resources = 0;
bool arg_retries_set = false;
unsigned arg_retries = 0;
char **arg_system_call_filter = NULL;
bool arg_system_call_filter_set = false;
char **arg_restrict_address_families = NULL;
bool arg_restrict_address_families_set = false;
bool arg_jobserver = false;
const char *arg_jobserver_style = NULL;
bool arg_log_max_bytes_set = false;
uint64_t arg_log_max_bytes = 0;
bool arg_pipe = false;

int arg_signal = SIGTERM;
bool arg_follow = false;
bool arg_all = false;
bool arg_progress = false;

bool arg_wait = false;
unsigned arg_max_parallel = 0;
unsigned arg_quarantine_after = 0;

/* Every option jobctl knows, global or not; the verb table says which verb takes which. */
typedef enum Option {
        OPT_HELP,
        OPT_VERSION,
        OPT_USER,
        OPT_SYSTEM,
        OPT_ADDRESS,
        OPT_JSON,
        OPT_NO_PAGER,
        OPT_NO_ASK_PASSWORD,
        OPT_NAME,
        OPT_PRIORITY,
        OPT_TIMEOUT,
        OPT_MEMORY_MAX,
        OPT_TASKS_MAX,
        OPT_CPU_WEIGHT,
        OPT_CWD,
        OPT_SETENV,
        OPT_NO_ENV,
        OPT_AFTER,
        OPT_AFTER_CONDITION,
        OPT_GROUP,
        OPT_RESOURCE,
        OPT_RETRIES,
        OPT_SYSTEM_CALL_FILTER,
        OPT_RESTRICT_ADDRESS_FAMILIES,
        OPT_LOG_MAX_BYTES,
        OPT_JOBSERVER,
        OPT_PIPE,
        OPT_SIGNAL,
        OPT_FOLLOW,
        OPT_ALL,
        OPT_PROGRESS,
        OPT_WAIT,
        OPT_MAX_PARALLEL,
        OPT_QUARANTINE_AFTER,
        _OPT_MAX,
} Option;

#define OPT(o) (UINT64_C(1) << (o))
#define OPTS_GLOBAL (OPT(OPT_HELP) | OPT(OPT_VERSION) | OPT(OPT_USER) | OPT(OPT_SYSTEM) | \
                     OPT(OPT_ADDRESS) | OPT(OPT_NO_PAGER) | OPT(OPT_NO_ASK_PASSWORD))
#define OPTS_SUBMIT (OPT(OPT_NAME) | OPT(OPT_PRIORITY) | OPT(OPT_TIMEOUT) | OPT(OPT_MEMORY_MAX) |  \
                     OPT(OPT_TASKS_MAX) | OPT(OPT_CPU_WEIGHT) | OPT(OPT_CWD) | OPT(OPT_SETENV) |     \
                     OPT(OPT_NO_ENV) | OPT(OPT_AFTER) | OPT(OPT_AFTER_CONDITION) | OPT(OPT_GROUP) | \
                     OPT(OPT_RESOURCE) | OPT(OPT_RETRIES) | OPT(OPT_SYSTEM_CALL_FILTER) |   \
                     OPT(OPT_RESTRICT_ADDRESS_FAMILIES) | OPT(OPT_LOG_MAX_BYTES) | \
                     OPT(OPT_JOBSERVER))

/* getopt_long() returns the short letter where there is one, else 0x100 + Option. */
#define OPT_VAL(o) (0x100 + (int) (o))

static const struct option options[] = {
        { "help",            no_argument,       NULL, 'h'                          },
        { "version",         no_argument,       NULL, OPT_VAL(OPT_VERSION)         },
        { "user",            no_argument,       NULL, OPT_VAL(OPT_USER)            },
        { "system",          no_argument,       NULL, OPT_VAL(OPT_SYSTEM)          },
        { "address",         required_argument, NULL, OPT_VAL(OPT_ADDRESS)         },
        { "json",            optional_argument, NULL, OPT_VAL(OPT_JSON)            },
        { "no-pager",        no_argument,       NULL, OPT_VAL(OPT_NO_PAGER)        },
        { "no-ask-password", no_argument,       NULL, OPT_VAL(OPT_NO_ASK_PASSWORD) },
        { "name",            required_argument, NULL, OPT_VAL(OPT_NAME)            },
        { "priority",        required_argument, NULL, OPT_VAL(OPT_PRIORITY)        },
        { "timeout",         required_argument, NULL, OPT_VAL(OPT_TIMEOUT)         },
        { "memory-max",      required_argument, NULL, OPT_VAL(OPT_MEMORY_MAX)      },
        { "tasks-max",       required_argument, NULL, OPT_VAL(OPT_TASKS_MAX)       },
        { "cpu-weight",      required_argument, NULL, OPT_VAL(OPT_CPU_WEIGHT)      },
        { "cwd",             required_argument, NULL, OPT_VAL(OPT_CWD)             },
        { "setenv",          required_argument, NULL, 'E'                          },
        { "no-env",          no_argument,       NULL, OPT_VAL(OPT_NO_ENV)          },
        { "after",           required_argument, NULL, OPT_VAL(OPT_AFTER)           },
        { "after-condition", required_argument, NULL, OPT_VAL(OPT_AFTER_CONDITION) },
        { "group",           required_argument, NULL, OPT_VAL(OPT_GROUP)           },
        { "resource",        required_argument, NULL, OPT_VAL(OPT_RESOURCE)        },
        { "retries",         required_argument, NULL, OPT_VAL(OPT_RETRIES)         },
        { "system-call-filter", required_argument, NULL, OPT_VAL(OPT_SYSTEM_CALL_FILTER) },
        { "restrict-address-families", required_argument, NULL, OPT_VAL(OPT_RESTRICT_ADDRESS_FAMILIES) },
        { "log-max-bytes",   required_argument, NULL, OPT_VAL(OPT_LOG_MAX_BYTES)   },
        { "jobserver",       optional_argument, NULL, OPT_VAL(OPT_JOBSERVER)       },
        { "pipe",            no_argument,       NULL, OPT_VAL(OPT_PIPE)            },
        { "signal",          required_argument, NULL, 's'                          },
        { "follow",          no_argument,       NULL, 'f'                          },
        { "all",             no_argument,       NULL, OPT_VAL(OPT_ALL)             },
        { "progress",        no_argument,       NULL, OPT_VAL(OPT_PROGRESS)        },
        { "wait",            no_argument,       NULL, OPT_VAL(OPT_WAIT)            },
        { "max-parallel",    required_argument, NULL, OPT_VAL(OPT_MAX_PARALLEL)    },
        { "quarantine-after", required_argument, NULL, OPT_VAL(OPT_QUARANTINE_AFTER) },
        {}
};

/* The option as the user would write it, for messages. */
static const char *option_name(Option o) {
        static const char *const short_names[_OPT_MAX] = {
                [OPT_HELP] = "-h/--help", [OPT_SETENV] = "-E/--setenv",
                [OPT_SIGNAL] = "-s/--signal", [OPT_FOLLOW] = "-f/--follow",
        };
        static char buf[64];

        if (short_names[o])
                return short_names[o];
        for (const struct option *i = options; i->name; i++)
                if (i->val == OPT_VAL(o)) {
                        snprintf(buf, sizeof(buf), "--%s", i->name);
                        return buf;
                }
        return "?";
}

#define SUBMIT_OPTIONS_HELP                                                                             \
        "     --name=NAME             Name of the job (shown by list)\n"                                \
        "     --priority=N            Priority; higher starts first (default 0, may be negative)\n"    \
        "     --timeout=TIME          Kill the job after TIME (\"90\", \"1.5s\", \"10min\", \"2h\")\n"  \
        "     --memory-max=BYTES      Memory limit (\"512M\", \"2G\", \"infinity\")\n"                  \
        "     --tasks-max=N           Limit on the number of processes and threads\n"                  \
        "     --cpu-weight=N          CPU weight relative to other jobs (1...10000)\n"                  \
        "     --cwd=PATH              Working directory (default: the current one)\n"                  \
        "  -E --setenv=NAME[=VALUE]   Set an environment variable; without VALUE, pass on ours\n"      \
        "     --no-env                Start from an empty environment, not ours\n"                     \
        "     --after=ID[,ID...]      Start only after these jobs are done\n"                          \
        "     --after-condition=COND  What --after waits for: success, failure or any\n"               \
        "     --group=GROUP           Put the job into a group (groups have their own limits)\n"       \
        "     --resource=POOL=N       Hold N tokens of resource POOL while running\n"                  \
        "     --retries=N             Retry a failed job up to N more times\n"                         \
        "     --system-call-filter=LIST\n"                                                             \
        "                             Only these system calls (names, separated by spaces or\n"        \
        "                             commas); with a leading ~, all but these. Refused: EPERM\n"      \
        "     --restrict-address-families=LIST\n"                                                      \
        "                             Only these socket families (AF_UNIX AF_INET ...); with a\n"      \
        "                             leading ~, all but these. Refused: EAFNOSUPPORT\n" \
        "     --log-max-bytes=BYTES   Cut the log at BYTES (\"1M\"; 0 or \"infinity\": no cap)\n"     \
        "     --jobserver[=STYLE]     Share the job's slots with make inside it (GNU make\n"          \
        "                             jobserver in MAKEFLAGS; run make without -jN); STYLE:\n"       \
        "                             pipe (fds 3,4, make 4.3; default) or fifo (make >= 4.4)\n"

typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;    /* positional arguments after the verb */
        const char *args_name;          /* what they are, for messages */
        uint64_t options;               /* accepted besides OPTS_GLOBAL */
        bool stop_at_command;           /* the first non-option starts a command line */
        int (*dispatch)(int argc, char *argv[]);
        const char *synopsis;
        const char *summary;            /* one line for "jobctl --help" */
        const char *help;               /* description and options, for "jobctl VERB --help" */
} Verb;

static const Verb verbs[] = {
        {
                "submit", 1, UINT_MAX, "command", OPTS_SUBMIT | OPT(OPT_JSON), true, verb_submit,
                "submit [OPTIONS...] [--] COMMAND [ARGS...]",
                "Submit a job and print its ID",
                "Submits COMMAND as a job and prints its ID (with --json: {\"id\":ID,\"path\":PATH}).\n"
                "The job gets the current directory and the whole current environment unless\n"
                "--cwd=, --no-env or -E say otherwise.\n\n"
                "Options:\n"
                SUBMIT_OPTIONS_HELP
                "     --json[=short|pretty]   Print the ID and object path as JSON\n",
        },
        {
                "run", 1, UINT_MAX, "command", OPTS_SUBMIT | OPT(OPT_PIPE), true, verb_run,
                "run [OPTIONS...] [--] COMMAND [ARGS...]",
                "Submit a job, print its output live, exit with its status",
                "Submits COMMAND as a job, prints the job's log to stdout while it runs, and exits\n"
                "with the job's exit status once it is done: 128+N if it was killed by signal N,\n"
                "124 if it timed out, 1 if it did not succeed without an exit status of its own.\n"
                "Ctrl-C (or SIGTERM) cancels the job and keeps waiting for it to end; a second\n"
                "one kills it with SIGKILL; a third stops waiting (exit status 130).\n\n"
                "Options:\n"
                SUBMIT_OPTIONS_HELP
                "     --pipe                  Connect the job to jobctl's own stdin, stdout and\n"
                "                             stderr instead of printing its log\n",
        },
        {
                "list", 0, 0, NULL, OPT(OPT_JSON), false, verb_list,
                "list",
                "List all jobs",
                "Lists the jobs the daemon knows: ID, NAME, STATE, RESULT, OWNER.\n\n"
                "Options:\n"
                "     --json[=short|pretty]   Print an array of objects with the keys id, name,\n"
                "                             state, result, owner, path\n",
        },
        {
                "show", 1, UINT_MAX, "job ID", OPT(OPT_JSON), false, verb_show,
                "show ID...",
                "Show all properties of jobs",
                "Shows every property of the jobs, times and sizes in human-readable form.\n\n"
                "Options:\n"
                "     --json[=short|pretty]   Print an array with one object per job, keyed by\n"
                "                             property name, values as on the bus\n",
        },
        {
                "status", 0, 0, NULL, OPT(OPT_JSON), false, verb_status,
                "status",
                "Show the daemon's version, backend, limits and job counts",
                "Shows the daemon's properties: Version, Backend, MaxParallel, JobsRunning,\n"
                "JobsQueued, JobsWaiting.\n\n"
                "Options:\n"
                "     --json[=short|pretty]   Print them as a JSON object\n",
        },
        {
                "logs", 1, 1, "job ID", OPT(OPT_FOLLOW), false, verb_logs,
                "logs [-f] ID",
                "Print a job's output",
                "Prints the job's log (its stdout and stderr) as written so far.\n\n"
                "Options:\n"
                "  -f --follow                Keep printing what the job writes until it is done\n",
        },
        {
                "wait", 0, UINT_MAX, "job ID", OPT(OPT_ALL) | OPT(OPT_JSON) | OPT(OPT_PROGRESS), false, verb_wait,
                "wait ID...|--all",
                "Wait until jobs are done",
                "Waits until all the jobs are done. Exits 0 if all of them succeeded, else 1; the\n"
                "jobs that did not succeed are named on stderr.\n\n"
                "Options:\n"
                "     --all                   Wait for every job the daemon knows now\n"
                "     --progress              Print a line for every state change (the default on a\n"
                "                             terminal)\n"
                "     --json[=short|pretty]   Print an array of {id, state, result, exit_code,\n"
                "                             exit_signal} once all are done\n",
        },
        {
                "kill", 1, UINT_MAX, "job ID", OPT(OPT_SIGNAL), false, verb_kill,
                "kill [-s SIGNAL] ID...",
                "Send a signal to every process of jobs",
                "Sends a signal to every process of each job (KILL atomically for the whole tree).\n\n"
                "Options:\n"
                "  -s --signal=SIGNAL         Signal to send: a name (TERM, SIGKILL) or number\n"
                "                             (default: TERM)\n",
        },
        {
                "cancel", 1, UINT_MAX, "job ID", 0, false, verb_cancel,
                "cancel ID...",
                "Cancel jobs",
                "Cancels jobs: one that has not started never runs; a running one gets SIGTERM,\n"
                "then SIGKILL after the daemon's grace period.\n",
        },
        {
                "pause", 1, UINT_MAX, "job ID", 0, false, verb_pause,
                "pause ID...",
                "Freeze running jobs",
                "Freezes every process of the jobs.\n",
        },
        {
                "resume", 1, UINT_MAX, "job ID", 0, false, verb_resume,
                "resume ID...",
                "Thaw paused jobs",
                "Thaws jobs frozen with pause.\n",
        },
        {
                "set-parallel", 1, 1, "number", 0, false, verb_set_parallel,
                "set-parallel N",
                "Set how many jobs may run at once",
                "Sets the daemon's global limit of jobs running at the same time.\n",
        },
        {
                "plan", 1, 1, "plan file", OPT(OPT_WAIT) | OPT(OPT_MAX_PARALLEL) | OPT(OPT_NAME) |
                OPT(OPT_NO_ENV) | OPT(OPT_SETENV) | OPT(OPT_JSON), false, verb_plan,
                "plan FILE.json [--wait] [--max-parallel=N]",
                "Submit a plan (a run of jobs that depend on each other)",
                "Submits the jobs of a plan file (JSON, see jobd.plan(5); \"-\" reads stdin) as one\n"
                "run, all or nothing: a plan with a mistake (a cycle, an unknown or duplicate name,\n"
                "a wrong type) is refused with a message that names the file, the job and the key.\n"
                "Jobs start from jobctl's environment and directory unless the plan says otherwise.\n\n"
                "Options:\n"
                "     --wait                  Wait until the run has finished; exit 0 if every job\n"
                "                             succeeded, else 1 (the jobs that did not are listed)\n"
                "     --max-parallel=N        At most N jobs of this run at once (its jobs must not\n"
                "                             have groups of their own)\n"
                "     --name=NAME             Name of the run (default: the plan's, or the file's)\n"
                "     --no-env                Do not pass jobctl's environment on to the jobs\n"
                "  -E --setenv=NAME[=VALUE]   Set a variable for every job of the plan\n"
                "     --json[=short|pretty]   Print {run, path, name, jobs}\n",
        },
        {
                "runs", 0, 0, NULL, OPT(OPT_JSON), false, verb_runs,
                "runs",
                "List runs",
                "Lists the runs (submitted plans): ID, NAME, STATE, RESULT, and how many jobs are\n"
                "done and did not succeed.\n",
        },
        {
                "run-status", 1, 1, "run ID", OPT(OPT_JSON), false, verb_run_status,
                "run-status ID",
                "Show a run's progress and the jobs that did not succeed",
                "Shows a run's state, its jobs counted per state and per result, and the jobs that\n"
                "did not succeed with the reason.\n",
        },
        {
                "run-cancel", 1, 1, "run ID", 0, false, verb_run_cancel,
                "run-cancel ID",
                "Cancel every unfinished job of a run",
                "Cancels the jobs of a run that are not done: those that have not started never\n"
                "run, running ones get SIGTERM, then SIGKILL after the daemon's grace period.\n",
        },
        {
                "run-pause", 1, 1, "run ID", 0, false, verb_run_pause,
                "run-pause ID",
                "Freeze a run's running jobs and start no more of it",
                "Freezes the running jobs of a run and starts none of its other jobs until\n"
                "run-resume.\n",
        },
        {
                "run-resume", 1, 1, "run ID", 0, false, verb_run_resume,
                "run-resume ID",
                "Thaw a paused run",
                "Thaws the jobs of a run paused with run-pause and lets its other jobs start.\n",
        },
        {
                "run-retry", 1, 2, "run ID", 0, false, verb_run_retry,
                "run-retry ID [failed|all]",
                "Run the jobs of a finished run again",
                "Queues jobs of a finished run again: \"failed\" (the default) those that did not\n"
                "succeed, and so the skipped ones; \"all\" every job.\n",
        },
        {
                "pools", 0, 0, NULL, OPT(OPT_JSON), false, verb_pools,
                "pools",
                "List resource pools, their slots and quarantined slots",
                "Lists counted pools (capacity, tokens in use) and slot pools with each slot:\n"
                "free, held by a job, or quarantined after consecutive failures.\n",
        },
        {
                "pool", 2, 2, "pool name and capacity", 0, false, verb_pool,
                "pool NAME CAPACITY",
                "Create a counted pool or change its capacity",
                "Sets the capacity of a counted pool (e.g. licences). Lowering it never stops\n"
                "running jobs; it only delays new starts.\n",
        },
        {
                "slot-pool", 2, UINT_MAX, "pool name and slots", OPT(OPT_QUARANTINE_AFTER), false,
                verb_slot_pool,
                "slot-pool NAME SLOT... [--quarantine-after=K]",
                "Create or redefine a pool of named slots",
                "Defines a pool whose slots have identities (boards, devices, GPUs); a job that\n"
                "asks for one gets it in $JOBD_SLOT_<POOL>.\n\n"
                "Options:\n"
                "     --quarantine-after=K    Quarantine a slot after K consecutive failed jobs on\n"
                "                             it (default 0: never)\n",
        },
        {
                "release-slot", 2, 2, "pool and slot", 0, false, verb_release_slot,
                "release-slot POOL SLOT",
                "Put a quarantined slot back into use",
                "Releases a slot from quarantine, so that jobs get it again.\n",
        },
        {
                "groups", 0, 0, NULL, OPT(OPT_JSON), false, verb_groups,
                "groups",
                "List groups with their limits",
                "Lists the groups jobs are in or that have a limit: LIMIT, RUNNING, QUEUED, PAUSED.\n",
        },
        {
                "group", 2, 2, "group name and limit", 0, false, verb_group,
                "group NAME LIMIT",
                "Set how many jobs of a group may run at once",
                "Sets the limit of a group (a number, or unlimited); it takes effect at once and\n"
                "never stops running jobs.\n",
        },
        {
                "pause-group", 1, 1, "group name", 0, false, verb_pause_group,
                "pause-group NAME",
                "Freeze a group's running jobs and start no more of it",
                "Freezes the running jobs of a group and starts none of its jobs until\n"
                "resume-group.\n",
        },
        {
                "resume-group", 1, 1, "group name", 0, false, verb_resume_group,
                "resume-group NAME",
                "Thaw a paused group",
                "Thaws the jobs of a group and lets its jobs start again.\n",
        },
        {
                "drain", 0, 0, NULL, 0, false, verb_drain,
                "drain",
                "Start no new jobs; running ones finish",
                "Drains the daemon: what runs finishes, nothing new starts until undrain.\n",
        },
        {
                "undrain", 0, 0, NULL, 0, false, verb_undrain,
                "undrain",
                "Start jobs again after drain",
                "Ends a drain: queued jobs start again.\n",
        },
};

static const char exit_status_help[] =
        "Exit status:\n"
        "  0    success\n"
        "  1    failure (a request refused or failed, a waited-for job did not succeed)\n"
        "  2    usage error\n"
        "  3    no such job (or run)\n"
        "  4    access denied\n"
        "  run: the job's exit status; 128+N if killed by signal N; 124 if it timed out;\n"
        "       1 for other results (skipped, cancelled before it started, lost, ...)\n";

static void help(void) {
        printf("jobctl [OPTIONS...] COMMAND ...\n\n"
               "Submit, watch and control the jobs of jobd, the job-scheduling daemon.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (strlen(verbs[i].synopsis) <= 26)
                        printf("  %-26s  %s\n", verbs[i].synopsis, verbs[i].summary);
                else
                        printf("  %s\n  %-26s  %s\n", verbs[i].synopsis, "", verbs[i].summary);
        }
        printf("\nOptions:\n"
               "  -h --help                   Show this help; \"jobctl COMMAND --help\" for a command\n"
               "     --version                Show the version\n"
               "     --user                   Talk to jobd on the session bus (default)\n"
               "     --system                 Talk to jobd on the system bus\n"
               "     --address=ADDRESS        Talk to jobd on the bus at ADDRESS\n"
               "                              (default: $JOBD_BUS_ADDRESS if set)\n"
               "     --json[=short|pretty]    Print JSON (submit, list, show, status, wait);\n"
               "                              default: pretty on a terminal, else short\n"
               "     --no-pager               Accepted for compatibility; jobctl never pages\n"
               "     --no-ask-password        Do not let polkit ask for a password (acting on other\n"
               "                              users' jobs or the daemon); asked only on a terminal\n"
               "\n%s\nSee jobctl(1) for details.\n", exit_status_help);
}

static void verb_help(const Verb *v) {
        printf("jobctl [OPTIONS...] %s\n\n%s\n"
               "Global options: --user, --system, --address=ADDRESS, --no-pager, --no-ask-password,\n"
               "-h/--help"
               "(see \"jobctl --help\").\n", v->synopsis, v->help);
}

static const Verb *verb_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

static int parse_setenv(const char *s) {
        _cleanup_free_ char *e = NULL;
        const char *eq = strchr(s, '=');

        if (eq == s || isempty(s))
                return log_usage_error("Invalid environment assignment for -E/--setenv: '%s'", s);
        if (eq)
                return strv_extend(&arg_setenv, s) < 0 ? log_oom() : 0;

        /* "-E NAME": pass on our own value, as systemd-run does. */
        const char *v = getenv(s);
        if (!v)
                return log_usage_error("-E/--setenv=%s: no such variable in jobctl's environment", s);
        if (asprintf(&e, "%s=%s", s, v) < 0)
                return log_oom();
        return strv_extend(&arg_setenv, e) < 0 ? log_oom() : 0;
}

static int parse_after(const char *s) {
        _cleanup_free_ char *copy = strdup(s);
        char *state = NULL;

        if (!copy)
                return log_oom();
        if (isempty(s))
                return log_usage_error("--after= needs at least one job ID");

        for (char *w = strtok_r(copy, ",", &state); w; w = strtok_r(NULL, ",", &state)) {
                uint64_t id, *a;
                int r;

                r = parse_job_id(w, &id);
                if (r < 0)
                        return r;
                a = reallocarray(arg_after, arg_n_after + 1, sizeof(uint64_t));
                if (!a)
                        return log_oom();
                arg_after = a;
                arg_after[arg_n_after++] = id;
        }
        return 0;
}

static int parse_resource(const char *s) {
        const char *eq = strchr(s, '=');
        ResourceArg *a;
        unsigned n;
        char *pool;

        if (!eq || eq == s)
                return log_usage_error("Invalid --resource=%s: expected POOL=N", s);
        if (safe_atou(eq + 1, &n) < 0 || n == 0)
                return log_usage_error("Invalid --resource=%s: N must be a positive number", s);

        pool = strndup(s, eq - s);
        if (!pool)
                return log_oom();
        for (size_t i = 0; i < arg_n_resources; i++)
                if (streq(arg_resources[i].pool, pool)) {
                        free(pool);
                        return log_usage_error("--resource: pool '%.*s' given twice", (int) (eq - s), s);
                }

        a = reallocarray(arg_resources, arg_n_resources + 1, sizeof(ResourceArg));
        if (!a) {
                free(pool);
                return log_oom();
        }
        arg_resources = a;
        arg_resources[arg_n_resources++] = (ResourceArg) { .pool = pool, .amount = n };
        return 0;
}

static int parse_cwd(const char *s) {
        _cleanup_free_ char *cwd = NULL;

        if (isempty(s))
                return log_usage_error("--cwd= needs a directory");
        free(arg_cwd);
        if (s[0] == '/') {
                arg_cwd = strdup(s);
                return arg_cwd ? 0 : log_oom();
        }

        /* The daemon wants an absolute path: resolve a relative one against ours, as a shell would. */
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return log_error_errno(-errno, "Failed to get the current directory: %m");
        if (asprintf(&arg_cwd, "%s/%s", streq(cwd, "/") ? "" : cwd, s) < 0) {
                arg_cwd = NULL;
                return log_oom();
        }
        return 0;
}

/* Handles one option getopt_long() returned. Returns 0 to go on, 1 after printing help/version (exit
 * 0), negative on error. */
static int parse_option(int c, const char *arg, const Verb *verb, uint64_t *seen, char *argv[]) {
        Option o;
        int r;

        switch (c) {
        case 'h':
                o = OPT_HELP;
                break;
        case 'E':
                o = OPT_SETENV;
                break;
        case 's':
                o = OPT_SIGNAL;
                break;
        case 'f':
                o = OPT_FOLLOW;
                break;
        case ':':
                return log_usage_error("Option %s needs an argument.", argv[optind - 1]);
        case '?':
                if (!strneq(argv[optind - 1], "--", 2))
                        return log_usage_error("Unknown option: -%c", optopt);
                if (optopt != 0)
                        return log_usage_error("Option %s takes no argument.", argv[optind - 1]);
                return log_usage_error("Unknown option: %s", argv[optind - 1]);
        default:
                if (c < OPT_VAL(0) || c >= OPT_VAL(_OPT_MAX))
                        return log_usage_error("Unexpected option: %s", argv[optind - 1]);
                o = (Option) (c - OPT_VAL(0));
        }
        *seen |= OPT(o);

        switch (o) {
        case OPT_HELP:
                if (verb)
                        verb_help(verb);
                else
                        help();
                return 1;
        case OPT_VERSION:
                printf("jobctl %s\n", PACKAGE_VERSION);
                return 1;
        case OPT_USER:
                arg_transport = BUS_TRANSPORT_USER;
                arg_address = NULL;
                break;
        case OPT_SYSTEM:
                arg_transport = BUS_TRANSPORT_SYSTEM;
                arg_address = NULL;
                break;
        case OPT_ADDRESS:
                if (isempty(arg))
                        return log_usage_error("--address= needs a bus address.");
                arg_transport = BUS_TRANSPORT_ADDRESS;
                arg_address = arg;
                break;
        case OPT_JSON:
                if (!arg)
                        arg_json = isatty(STDOUT_FILENO) ? JSON_PRETTY : JSON_SHORT;
                else if (streq(arg, "short"))
                        arg_json = JSON_SHORT;
                else if (streq(arg, "pretty"))
                        arg_json = JSON_PRETTY;
                else if (streq(arg, "off"))
                        arg_json = JSON_OFF;
                else
                        return log_usage_error("Invalid --json=%s: expected short, pretty or off", arg);
                break;
        case OPT_NO_PAGER:
                break;
        case OPT_NO_ASK_PASSWORD:
                arg_ask_password = false;
                break;
        case OPT_NAME:
                arg_name = arg;
                break;
        case OPT_PRIORITY:
                if (safe_atoi(arg, &arg_priority) < 0)
                        return log_usage_error("Invalid --priority=%s: expected an integer", arg);
                arg_priority_set = true;
                break;
        case OPT_TIMEOUT:
                if (parse_sec(arg, &arg_timeout) < 0 || arg_timeout == 0)
                        return log_usage_error("Invalid --timeout=%s: expected a positive time span "
                                               "such as 90, 1.5s, 10min, 2h or infinity", arg);
                arg_timeout_set = true;
                break;
        case OPT_MEMORY_MAX:
                if (parse_size(arg, &arg_memory_max) < 0 || arg_memory_max == 0)
                        return log_usage_error("Invalid --memory-max=%s: expected a positive size "
                                               "such as 512M, 2G or infinity", arg);
                arg_memory_max_set = true;
                break;
        case OPT_TASKS_MAX:
                if (streq(arg, "infinity"))
                        arg_tasks_max = UINT64_MAX;
                else if (safe_atou64(arg, &arg_tasks_max) < 0 || arg_tasks_max == 0)
                        return log_usage_error("Invalid --tasks-max=%s: expected a positive number "
                                               "or infinity", arg);
                arg_tasks_max_set = true;
                break;
        case OPT_CPU_WEIGHT:
                if (safe_atou64(arg, &arg_cpu_weight) < 0 || arg_cpu_weight < 1 || arg_cpu_weight > 10000)
                        return log_usage_error("Invalid --cpu-weight=%s: expected 1...10000", arg);
                arg_cpu_weight_set = true;
                break;
        case OPT_CWD:
                r = parse_cwd(arg);
                if (r < 0)
                        return r;
                break;
        case OPT_SETENV:
                r = parse_setenv(arg);
                if (r < 0)
                        return r;
                break;
        case OPT_NO_ENV:
                arg_no_env = true;
                break;
        case OPT_AFTER:
                r = parse_after(arg);
                if (r < 0)
                        return r;
                break;
        case OPT_AFTER_CONDITION:
                if (isempty(arg))
                        return log_usage_error("--after-condition= needs a value: success, failure or any");
                arg_after_condition = arg;
                break;
        case OPT_GROUP:
                if (isempty(arg))
                        return log_usage_error("--group= needs a group name");
                arg_group = arg;
                break;
        case OPT_RESOURCE:
                r = parse_resource(arg);
                if (r < 0)
                        return r;
                break;
        case OPT_RETRIES:
                if (safe_atou(arg, &arg_retries) < 0)
                        return log_usage_error("Invalid --retries=%s: expected a number", arg);
                arg_retries_set = true;
                break;
        case OPT_JOBSERVER:
                if (arg && !streq(arg, "pipe") && !streq(arg, "fifo"))
                        return log_usage_error("Invalid --jobserver=%s: expected pipe or fifo", arg);
                arg_jobserver = true;
                arg_jobserver_style = arg;
                break;
        case OPT_LOG_MAX_BYTES:
                if (streq(arg, "0") || streq(arg, "infinity"))
                        arg_log_max_bytes = 0;
                else if (parse_size(arg, &arg_log_max_bytes) < 0 || arg_log_max_bytes == 0)
                        return log_usage_error("Invalid --log-max-bytes=%s: expected a size such as 1M, "
                                               "0 or infinity", arg);
                arg_log_max_bytes_set = true;
                break;
        case OPT_SYSTEM_CALL_FILTER:
        case OPT_RESTRICT_ADDRESS_FAMILIES: {
                bool families = o == OPT_RESTRICT_ADDRESS_FAMILIES;
                char ***list = families ? &arg_restrict_address_families : &arg_system_call_filter;
                const char *p = arg;

                /* Words separated by spaces or commas; repeated options add to the list ("" resets). */
                *(families ? &arg_restrict_address_families_set : &arg_system_call_filter_set) = true;
                if (isempty(arg))
                        *list = strv_free(*list);
                while (*p) {
                        size_t l;

                        p += strspn(p, " ,");
                        l = strcspn(p, " ,");
                        if (l == 0)
                                break;
                        _cleanup_free_ char *w = strndup(p, l);
                        if (!w || strv_extend(list, w) < 0)
                                return log_oom();
                        p += l;
                }
                break;
        }
        case OPT_PIPE:
                arg_pipe = true;
                break;
        case OPT_SIGNAL:
                if (parse_signal(arg, &arg_signal) < 0)
                        return log_usage_error("Invalid signal: %s (expected a name such as TERM or KILL, "
                                               "or a number)", arg);
                break;
        case OPT_FOLLOW:
                arg_follow = true;
                break;
        case OPT_ALL:
                arg_all = true;
                break;
        case OPT_PROGRESS:
                arg_progress = true;
                break;
        case OPT_WAIT:
                arg_wait = true;
                break;
        case OPT_MAX_PARALLEL:
                if (safe_atou(arg, &arg_max_parallel) < 0 || arg_max_parallel == 0)
                        return log_usage_error("Invalid --max-parallel=%s: expected a positive number", arg);
                break;
        case OPT_QUARANTINE_AFTER:
                if (safe_atou(arg, &arg_quarantine_after) < 0)
                        return log_usage_error("Invalid --quarantine-after=%s: expected a number (0: never)",
                                               arg);
                break;
        case _OPT_MAX:
                break;
        }
        return 0;
}

/* Two passes: the options before the verb, then the verb's own. For submit and run the first
 * non-option after the verb starts the command line; the other verbs take options anywhere. Returns 1
 * with *ret_* set to go on, 0 if help or version was printed, negative on error. */
static int parse_argv(int argc, char *argv[], const Verb **ret_verb, int *ret_argc, char ***ret_argv) {
        const Verb *verb = NULL;
        uint64_t seen = 0;
        int c, r, vargc;
        char **vargv;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:hE:s:f", options, NULL)) >= 0) {
                r = parse_option(c, optarg, NULL, &seen, argv);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        if (optind >= argc)
                return log_usage_error("No command given (see jobctl --help).");

        verb = verb_find(argv[optind]);
        if (!verb)
                return log_usage_error("Unknown command '%s' (see jobctl --help).", argv[optind]);

        /* The verb takes getopt's argv[0] slot, so it names itself in what getopt reports. */
        vargc = argc - optind;
        vargv = argv + optind;
        optind = 0;
        while ((c = getopt_long(vargc, vargv, verb->stop_at_command ? "+:hE:s:f" : ":hE:s:f",
                                options, NULL)) >= 0) {
                r = parse_option(c, optarg, verb, &seen, vargv);
                if (r != 0)
                        return r < 0 ? r : 0;
        }

        for (Option o = 0; o < _OPT_MAX; o++)
                if ((seen & OPT(o)) && !(OPT(o) & (OPTS_GLOBAL | verb->options)))
                        return log_usage_error("Option %s does not apply to '%s' (see jobctl %s --help).",
                                               option_name(o), verb->name, verb->name);

        if ((unsigned) (vargc - optind) < verb->min_args)
                return log_usage_error("%s: missing %s (see jobctl %s --help).",
                                       verb->name, verb->args_name, verb->name);
        if ((unsigned) (vargc - optind) > verb->max_args)
                return log_usage_error("%s: too many arguments (see jobctl %s --help).",
                                       verb->name, verb->name);

        /* $JOBD_BUS_ADDRESS stands in for --address= unless a bus was chosen on the command line. */
        if (!(seen & (OPT(OPT_USER) | OPT(OPT_SYSTEM) | OPT(OPT_ADDRESS)))) {
                const char *e = getenv("JOBD_BUS_ADDRESS");

                if (!isempty(e)) {
                        arg_transport = BUS_TRANSPORT_ADDRESS;
                        arg_address = e;
                }
        }

        /* Hand the verb its positional arguments, with its own name in front. */
        vargv[optind - 1] = vargv[0];
        *ret_verb = verb;
        *ret_argc = vargc - optind + 1;
        *ret_argv = vargv + optind - 1;
        return 1;
}

static void free_args(void) {
        arg_setenv = strv_free(arg_setenv);
        arg_system_call_filter = strv_free(arg_system_call_filter);
        arg_restrict_address_families = strv_free(arg_restrict_address_families);
        arg_cwd = mfree(arg_cwd);
        arg_after = mfree(arg_after);
        for (size_t i = 0; i < arg_n_resources; i++)
                free(arg_resources[i].pool);
        arg_resources = mfree(arg_resources);
}

int main(int argc, char *argv[]) {
        const Verb *verb = NULL;
        char **vargv = NULL;
        int vargc = 0, r;

        log_setup("jobctl");

        r = sd_bus_error_add_map(jobd_bus_error_map);
        if (r < 0) {
                log_error_errno(r, "Failed to register the jobd error map: %m");
                return JOBCTL_EXIT_FAILURE;
        }

        r = parse_argv(argc, argv, &verb, &vargc, &vargv);
        if (r <= 0) {
                free_args();
                return r < 0 ? jobctl_failure_status() : EXIT_SUCCESS;
        }

        if (verb->stop_at_command)
                arg_command = vargv + 1;

        r = verb->dispatch(vargc, vargv);
        free_args();
        return r < 0 ? jobctl_failure_status() : r;
}
