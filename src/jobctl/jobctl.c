/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <time.h>
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
bool arg_call_timeout_set = false;
usec_t arg_call_timeout = JOBCTL_CALL_TIMEOUT_USEC;
/* A --timeout= before the verb: the job's (submit, run) or the calls' (every other verb). */
static const char *arg_timeout_before_verb = NULL;

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
const char *arg_backend = NULL;
bool arg_log_max_bytes_set = false;
char **arg_fail_patterns = NULL;
char *arg_log_path = NULL;
char *arg_output_directory = NULL;
char **arg_pass_patterns = NULL;
uint64_t arg_log_max_bytes = 0;
bool arg_pipe = false;
char **arg_labels = NULL;
char **arg_retry_on = NULL;
bool arg_retry_on_set = false;
bool arg_retry_delay_set = false;
usec_t arg_retry_delay = 0;

char **arg_states = NULL;
char **arg_results = NULL;
bool arg_run_set = false;
uint64_t arg_run = 0;
bool arg_owner_set = false;
uint32_t arg_owner = 0;
usec_t arg_since = 0;
bool arg_no_legend = false;
bool arg_jobs = false;
const char *arg_exec = NULL;
bool arg_hold = false;
const char *arg_stderr = NULL;
usec_t arg_not_before = 0;
unsigned arg_attempt = 0;
bool arg_lines_set = false;
unsigned arg_lines = 0;

int arg_signal = SIGTERM;
bool arg_follow = false;
bool arg_all = false;
bool arg_progress = false;

bool arg_wait = false;
bool arg_detach = false;
unsigned arg_max_parallel = 0;
unsigned arg_quarantine_after = 0;
ReportFormat arg_format = REPORT_FORMAT_MARKDOWN;
bool arg_write = false;
const char *arg_write_dir = NULL;
double arg_factor = 2.0;
bool arg_watch = false;

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
        OPT_FAIL_PATTERN,
        OPT_PASS_PATTERN,
        OPT_LOG_PATH,
        OPT_OUTPUT_DIRECTORY,
        OPT_JOBSERVER,
        OPT_PIPE,
        OPT_SIGNAL,
        OPT_FOLLOW,
        OPT_ALL,
        OPT_PROGRESS,
        OPT_WAIT,
        OPT_MAX_PARALLEL,
        OPT_QUARANTINE_AFTER,
        OPT_CALL_TIMEOUT,
        OPT_LABEL,
        OPT_RETRY_ON,
        OPT_RETRY_DELAY,
        OPT_STATE,
        OPT_RESULT,
        OPT_RUN,
        OPT_OWNER,
        OPT_SINCE,
        OPT_NO_LEGEND,
        OPT_JOBS,
        OPT_EXEC,
        OPT_LINES,
        OPT_HOLD,
        OPT_DELAY,
        OPT_AT,
        OPT_STDERR,
        OPT_ATTEMPT,
        OPT_DETACH,
        OPT_FORMAT,
        OPT_WRITE,
        OPT_FACTOR,
        OPT_WATCH,
        OPT_ON_FINISH,
        OPT_BACKEND,
        _OPT_MAX,
} Option;

#define OPT(o) (UINT64_C(1) << (o))
#define OPTS_GLOBAL (OPT(OPT_HELP) | OPT(OPT_VERSION) | OPT(OPT_USER) | OPT(OPT_SYSTEM) | \
                     OPT(OPT_ADDRESS) | OPT(OPT_NO_PAGER) | OPT(OPT_NO_ASK_PASSWORD) | \
                     OPT(OPT_TIMEOUT) | OPT(OPT_CALL_TIMEOUT))
#define OPTS_SUBMIT (OPT(OPT_NAME) | OPT(OPT_PRIORITY) | OPT(OPT_TIMEOUT) | OPT(OPT_MEMORY_MAX) |  \
                     OPT(OPT_TASKS_MAX) | OPT(OPT_CPU_WEIGHT) | OPT(OPT_CWD) | OPT(OPT_SETENV) |     \
                     OPT(OPT_NO_ENV) | OPT(OPT_AFTER) | OPT(OPT_AFTER_CONDITION) | OPT(OPT_GROUP) | \
                     OPT(OPT_RESOURCE) | OPT(OPT_RETRIES) | OPT(OPT_SYSTEM_CALL_FILTER) |   \
                     OPT(OPT_RESTRICT_ADDRESS_FAMILIES) | OPT(OPT_LOG_MAX_BYTES) | OPT(OPT_LABEL) |      \
                     OPT(OPT_RETRY_ON) | OPT(OPT_RETRY_DELAY) | OPT(OPT_HOLD) | OPT(OPT_DELAY) |          \
                     OPT(OPT_AT) | OPT(OPT_STDERR) | OPT(OPT_FAIL_PATTERN) | OPT(OPT_PASS_PATTERN) | \
                     OPT(OPT_JOBSERVER) | OPT(OPT_LOG_PATH) | OPT(OPT_OUTPUT_DIRECTORY) | OPT(OPT_BACKEND))
/* Which jobs: list, clean */
#define OPTS_FILTER (OPT(OPT_STATE) | OPT(OPT_RESULT) | OPT(OPT_GROUP) | OPT(OPT_RUN) | OPT(OPT_OWNER) |   \
                     OPT(OPT_LABEL) | OPT(OPT_SINCE))

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
        { "fail-pattern",    required_argument, NULL, OPT_VAL(OPT_FAIL_PATTERN)    },
        { "pass-pattern",    required_argument, NULL, OPT_VAL(OPT_PASS_PATTERN)    },
        { "log-path",        required_argument, NULL, OPT_VAL(OPT_LOG_PATH)        },
        { "output-directory", required_argument, NULL, OPT_VAL(OPT_OUTPUT_DIRECTORY) },
        { "jobserver",       optional_argument, NULL, OPT_VAL(OPT_JOBSERVER)       },
        { "pipe",            no_argument,       NULL, OPT_VAL(OPT_PIPE)            },
        { "signal",          required_argument, NULL, 's'                          },
        { "follow",          no_argument,       NULL, 'f'                          },
        { "all",             no_argument,       NULL, OPT_VAL(OPT_ALL)             },
        { "progress",        no_argument,       NULL, OPT_VAL(OPT_PROGRESS)        },
        { "wait",            no_argument,       NULL, OPT_VAL(OPT_WAIT)            },
        { "max-parallel",    required_argument, NULL, OPT_VAL(OPT_MAX_PARALLEL)    },
        { "quarantine-after", required_argument, NULL, OPT_VAL(OPT_QUARANTINE_AFTER) },
        { "call-timeout",    required_argument, NULL, OPT_VAL(OPT_CALL_TIMEOUT)    },
        { "label",           required_argument, NULL, OPT_VAL(OPT_LABEL)           },
        { "retry-on",        required_argument, NULL, OPT_VAL(OPT_RETRY_ON)        },
        { "retry-delay",     required_argument, NULL, OPT_VAL(OPT_RETRY_DELAY)     },
        { "state",           required_argument, NULL, OPT_VAL(OPT_STATE)           },
        { "result",          required_argument, NULL, OPT_VAL(OPT_RESULT)          },
        { "run",             required_argument, NULL, OPT_VAL(OPT_RUN)             },
        { "owner",           required_argument, NULL, OPT_VAL(OPT_OWNER)           },
        { "since",           required_argument, NULL, OPT_VAL(OPT_SINCE)           },
        { "no-legend",       no_argument,       NULL, OPT_VAL(OPT_NO_LEGEND)       },
        { "jobs",            no_argument,       NULL, OPT_VAL(OPT_JOBS)            },
        { "exec",            required_argument, NULL, OPT_VAL(OPT_EXEC)            },
        { "on-finish",       required_argument, NULL, OPT_VAL(OPT_ON_FINISH)       },
        { "lines",           required_argument, NULL, 'n'                          },
        { "hold",            no_argument,       NULL, OPT_VAL(OPT_HOLD)            },
        { "delay",           required_argument, NULL, OPT_VAL(OPT_DELAY)           },
        { "at",              required_argument, NULL, OPT_VAL(OPT_AT)              },
        { "stderr",          required_argument, NULL, OPT_VAL(OPT_STDERR)          },
        { "attempt",         required_argument, NULL, OPT_VAL(OPT_ATTEMPT)         },
        { "detach",          no_argument,       NULL, OPT_VAL(OPT_DETACH)          },
        { "format",          required_argument, NULL, OPT_VAL(OPT_FORMAT)          },
        { "write",           optional_argument, NULL, OPT_VAL(OPT_WRITE)           },
        { "factor",          required_argument, NULL, OPT_VAL(OPT_FACTOR)          },
        { "watch",           no_argument,       NULL, OPT_VAL(OPT_WATCH)           },
        { "backend",         required_argument, NULL, OPT_VAL(OPT_BACKEND)         },
        {}
};

/* The option as the user would write it, for messages. */
static const char *option_name(Option o) {
        static const char *const short_names[_OPT_MAX] = {
                [OPT_HELP] = "-h/--help", [OPT_SETENV] = "-E/--setenv",
                [OPT_SIGNAL] = "-s/--signal", [OPT_FOLLOW] = "-f/--follow",
                [OPT_LINES] = "-n/--lines",
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

#define LIST_FILTER_HELP                                                                                \
        "     --state=LIST            Only jobs in these states (waiting, queued, starting,\n"          \
        "                             running, paused, stopping, done; comma-separated)\n"            \
        "     --result=LIST           Only done jobs with these results (success, failed, killed,\n"  \
        "                             timeout, oom, skipped, cancelled, lost)\n"                      \
        "     --group=GROUP           Only jobs of this group\n"                                       \
        "     --run=ID                Only jobs of this run\n"                                         \
        "     --owner=USER            Only jobs of this user (a name or uid)\n"                        \
        "     --label=LABEL           Only jobs with this label\n"                                     \
        "     --since=TIME            Only jobs submitted after TIME: \"2h\" (ago), \"HH:MM\",\n"     \
        "                             \"YYYY-MM-DD [HH:MM[:SS]]\" or \"@SECONDS\"\n"

#define OPTS_SELECT (OPT(OPT_ALL) | OPT(OPT_GROUP) | OPT(OPT_RUN) | OPT(OPT_LABEL))
#define SELECT_HELP                                                                                     \
        "     --all                   Every unfinished job of yours (of everyone's for root)\n"        \
        "     --group=GROUP           Every unfinished job of yours in this group\n"                   \
        "     --run=ID                Every unfinished job of yours in this run\n"                     \
        "     --label=LABEL           Every unfinished job of yours with this label\n"

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
        "     --retry-on=LIST         Which endings are retried: failed, timeout, killed, oom,\n"     \
        "                             lost or exit codes 1-255 (comma-separated)\n"                  \
        "     --retry-delay=TIME      Wait this long before each retry (\"30s\", \"5min\")\n"          \
        "     --label=LABEL           Give the job a label (repeatable; shown and filtered by list)\n" \
        "     --stderr=FILE           Write the job's stderr to FILE (appended to; opened by\n"      \
        "                             jobctl as you), not into its log\n"                            \
        "     --hold                  Submit it held: it starts only after \"jobctl release ID\"\n"   \
        "     --delay=TIME            Let it start only TIME from now (\"90s\", \"2h\")\n"            \
        "     --at=TIME               Let it start only at TIME (\"HH:MM\", \"YYYY-MM-DD HH:MM\",\n"    \
        "                             \"@SECONDS\")\n"                                                \
        "     --system-call-filter=LIST\n"                                                             \
        "                             Only these system calls (names, separated by spaces or\n"        \
        "                             commas); with a leading ~, all but these. Refused: EPERM\n"      \
        "     --restrict-address-families=LIST\n"                                                      \
        "                             Only these socket families (AF_UNIX AF_INET ...); with a\n"      \
        "                             leading ~, all but these. Refused: EAFNOSUPPORT\n" \
        "     --log-max-bytes=BYTES   Cut the log at BYTES (\"1M\"; 0 or \"infinity\": no cap)\n"    \
        "     --fail-pattern=REGEX    The job fails if a line of its log matches (PCRE2; repeatable)\n" \
        "     --pass-pattern=REGEX    The job fails unless a line of its log matches (repeatable)\n" \
        "     --log-path=PATH         Write the job's log to PATH (folders created; not a symlink)\n" \
        "                             instead of into jobd's state folder\n"                         \
        "     --output-directory=DIR  The job's output folder: its log is DIR/job.log unless\n"     \
        "                             --log-path= says otherwise\n"                                  \
        "     --jobserver[=STYLE]     Share the job's slots with make inside it (GNU make\n"          \
        "                             jobserver in MAKEFLAGS; run make without -jN); STYLE:\n"       \
        "                             pipe (fds 3,4, make 4.3; default) or fifo (make >= 4.4)\n"      \
        "     --backend=NAME          Where it runs: local, or slurm (the cluster of the daemon's\n"  \
        "                             jobd.conf [Slurm]); default: the daemon's --backend=\n"

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
                "list", 0, 0, NULL, OPT(OPT_JSON) | OPTS_FILTER | OPT(OPT_NO_LEGEND), false, verb_list,
                "list [--state=...] [--result=...] [--group=G] [--run=R] [--label=L] ...",
                "List jobs",
                "Lists the jobs the daemon knows, oldest first: ID, NAME, STATE, RESULT, EXIT (exit\n"
                "code, or the signal that killed it), OWNER, START, TIME (how long it ran or has\n"
                "been running), LABELS and COMMAND (shortened). The daemon filters and pages, so\n"
                "only the jobs shown are fetched.\n\n"
                "Options:\n"
                LIST_FILTER_HELP
                "     --no-legend             Print no header line\n"
                "     --json[=short|pretty]   Print an array of objects with the keys id, name,\n"
                "                             state, result, owner, path, exit_code, exit_signal,\n"
                "                             start_usec, finish_usec, labels, argv\n",
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
                "logs", 1, 1, "job ID", OPT(OPT_FOLLOW) | OPT(OPT_LINES) | OPT(OPT_ATTEMPT), false, verb_logs,
                "logs [-f] [-n N] [--attempt=K] ID",
                "Print a job's output",
                "Prints the job's log (its stdout and stderr) as written so far.\n\n"
                "Options:\n"
                "  -f --follow                Keep printing what the job writes until it is done\n"
                "  -n --lines=N               Start with the last N lines only\n"
                "     --attempt=K             Only what attempt K wrote (1: the first; a restart of\n"
                "                             jobd forgets where earlier attempts began)\n",
        },
        {
                "wait", 0, UINT_MAX, "job ID", OPT(OPT_ALL) | OPT(OPT_JSON) | OPT(OPT_PROGRESS) | OPT(OPT_EXEC),
                false, verb_wait,
                "wait ID...|--all [--exec=CMD]",
                "Wait until jobs are done",
                "Waits until all the jobs are done. For one job, exits with that job's status as\n"
                "\"run\" does (0 on success, its exit code, 128+N if killed by signal N, 124 if it\n"
                "timed out, 1 otherwise). For several (or --all), exits 0 if all of them\n"
                "succeeded, else 1; the jobs that did not succeed are named on stderr.\n\n"
                "Options:\n"
                "     --all                   Wait for every job the daemon knows now\n"
                "     --exec=CMD              Run CMD (with /bin/sh -c) for each job as it ends, with\n"
                "                             JOBD_JOB_ID, JOBD_JOB_NAME, JOBD_JOB_RESULT,\n"
                "                             JOBD_JOB_EXIT_CODE, JOBD_JOB_EXIT_SIGNAL set; jobctl\n"
                "                             runs it, never the daemon\n"
                "     --progress              Print a line for every state change (the default on a\n"
                "                             terminal)\n"
                "     --json[=short|pretty]   Print an array of {id, state, result, exit_code,\n"
                "                             exit_signal} once all are done\n",
        },
        {
                "watch", 0, UINT_MAX, "job ID",
                OPT(OPT_GROUP) | OPT(OPT_RUN) | OPT(OPT_LABEL) | OPT(OPT_JSON) | OPT(OPT_ON_FINISH), false,
                verb_watch,
                "watch [ID...|--group=G|--run=R|--label=L] [--on-finish=CMD]",
                "Follow jobs as they change",
                "Prints a line (ID NAME STATE, and the result once done) for each job as it is now,\n"
                "then for each change of state. Without IDs it follows your unfinished jobs (every\n"
                "job for root), new ones too, until interrupted (Ctrl-C: exit 0); with IDs, until\n"
                "they are all done (exit 0).\n\n"
                "Options:\n"
                "     --group=GROUP           Only jobs of yours in this group\n"
                "     --run=ID                Only jobs of yours in this run\n"
                "     --label=LABEL           Only jobs of yours with this label\n"
                "     --on-finish=CMD         Run CMD (with /bin/sh -c) for each job that ends, with\n"
                "                             JOBD_JOB_ID, JOBD_JOB_NAME, JOBD_JOB_RESULT,\n"
                "                             JOBD_JOB_EXIT_CODE, JOBD_JOB_EXIT_SIGNAL set; jobctl\n"
                "                             runs it, never the daemon\n"
                "     --json                  One JSON object per line and change: {id, name,\n"
                "                             state, result, and exit_code, exit_signal once done}\n",
        },
        {
                "kill", 0, UINT_MAX, "job ID", OPT(OPT_SIGNAL) | OPTS_SELECT, false, verb_kill,
                "kill [-s SIGNAL] ID...|--all|--group=G|--run=R",
                "Send a signal to every process of jobs",
                "Sends a signal to every process of each job (KILL atomically for the whole tree).\n\n"
                "Options:\n"
                "  -s --signal=SIGNAL         Signal to send: a name (TERM, SIGKILL) or number\n"
                "                             (default: TERM)\n"
                SELECT_HELP,
        },
        {
                "cancel", 0, UINT_MAX, "job ID", OPTS_SELECT, false, verb_cancel,
                "cancel ID...|--all|--group=G|--run=R",
                "Cancel jobs",
                "Cancels jobs: one that has not started never runs; a running one gets SIGTERM,\n"
                "then SIGKILL after the daemon's grace period.\n\n"
                "Options:\n"
                SELECT_HELP,
        },
        {
                "restart", 1, UINT_MAX, "job ID", OPT(OPT_JSON), false, verb_restart,
                "restart ID...",
                "Submit done jobs again, as new jobs",
                "Submits each done job again as a new job with the same spec (command, directory,\n"
                "name, priority, limits, group, resources, retries, labels), and prints the new\n"
                "IDs. The environment is jobctl's own: the daemon does not keep a done job's.\n"
                "A command the daemon shortened (\"...\", over 4 KiB) is refused.\n\n"
                "Options:\n"
                "     --json[=short|pretty]   Print [{\"id\": OLD, \"new_id\": NEW}, ...]\n",
        },
        {
                "remove", 1, UINT_MAX, "job ID", 0, false, verb_remove,
                "remove ID...",
                "Forget done jobs and their logs",
                "Makes the daemon forget done jobs: they are no longer listed and their logs are\n"
                "deleted. Jobs of a run go with the run.\n",
        },
        {
                "clean", 0, 0, NULL, (OPTS_FILTER & ~OPT(OPT_STATE) & ~OPT(OPT_RUN)) | OPT(OPT_JSON), false,
                verb_clean,
                "clean [--result=...] [--group=G] [--label=L] ...",
                "Forget all done jobs (or those that match)",
                "Removes every done job of yours (everyone's for root) that matches the options,\n"
                "except jobs of runs, and prints how many were removed.\n\n"
                "Options:\n"
                "     --result=LIST           Only jobs with these results (success, failed, killed,\n"
                "                             timeout, oom, skipped, cancelled, lost)\n"
                "     --group=GROUP           Only jobs of this group\n"
                "     --owner=USER            Only jobs of this user (root: anyone's)\n"
                "     --label=LABEL           Only jobs with this label\n"
                "     --since=TIME            Only jobs submitted after TIME\n"
                "     --json[=short|pretty]   Print {\"removed\": N}\n",
        },
        {
                "hold", 1, UINT_MAX, "job ID", 0, false, verb_hold,
                "hold ID...",
                "Keep jobs that have not started from starting",
                "Holds jobs that have not started (pueue's stash): they stay waiting, whatever\n"
                "their dependencies, until release. A hold does not survive a restart of jobd.\n",
        },
        {
                "release", 1, UINT_MAX, "job ID", 0, false, verb_release,
                "release ID...",
                "Let held jobs start",
                "Releases jobs held with hold or submitted with --hold (pueue's enqueue).\n",
        },
        {
                "set-priority", 2, 2, "job ID and priority", 0, false, verb_set_priority,
                "set-priority ID PRIORITY",
                "Change the priority of a job that has not started",
                "Gives a waiting or queued job another priority (higher starts first). Users may\n"
                "not go above jobd.conf's [Users] MaxPriority=; root may.\n",
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
                "plan", 1, 1, "plan file", OPT(OPT_WAIT) | OPT(OPT_DETACH) | OPT(OPT_MAX_PARALLEL) | OPT(OPT_NAME) |
                OPT(OPT_NO_ENV) | OPT(OPT_SETENV) | OPT(OPT_JSON) | OPT(OPT_PROGRESS), false, verb_plan,
                "plan FILE.json [--wait [--detach] [--progress]] [--max-parallel=N]",
                "Submit a plan (a run of jobs that depend on each other)",
                "Submits the jobs of a plan file (JSON, see jobd.plan(5); \"-\" reads stdin) as one\n"
                "run, all or nothing: a plan with a mistake (a cycle, an unknown or duplicate name,\n"
                "a wrong type) is refused with a message that names the file, the job and the key.\n"
                "Jobs start from jobctl's environment and directory unless the plan says otherwise.\n\n"
                "Options:\n"
                "     --wait                  Wait until the run has finished; exit 0 if every job\n"
                "                             succeeded, else 1 (the jobs that did not are listed).\n"
                "                             Shows the run's status meanwhile (a table redrawn in\n"
                "                             place on a terminal, else a line per job event), and\n"
                "                             at the end writes report.xml, report.json, summary.md\n"
                "                             into the run's output root, if it has one.\n"
                "                             Ctrl-C (SIGINT, SIGTERM) cancels the run, a second one\n"
                "                             stops waiting (exit 128+signal)\n"
                "     --detach                With --wait: Ctrl-C only stops waiting, the run goes on\n"
                "     --progress              With --wait: lines, not a table, even on a terminal\n"
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
                "run-status", 1, 1, "run ID", OPT(OPT_JSON) | OPT(OPT_JOBS) | OPT(OPT_NO_LEGEND) | OPT(OPT_WATCH) |
                OPT(OPT_PROGRESS), false, verb_run_status,
                "run-status ID [--jobs | --watch]",
                "Show a run's progress and the jobs that did not succeed",
                "Shows a run's state, its jobs counted per state and per result, its timeout and\n"
                "output root, and the jobs that did not succeed with the reason.\n\n"
                "Options:\n"
                "     --jobs                  List the run's jobs instead, as \"list --run=ID\" does\n"
                "     --no-legend             With --jobs: print no header line\n"
                "     --watch                 Follow the run until it finishes: on a terminal a table\n"
                "                             per group redrawn in place, else a line per job event\n"
                "                             and a summary line now and then; exit as plan --wait\n"
                "     --progress              With --watch: lines, not a table, even on a terminal\n"
                "     --json[=short|pretty]   Print the run's properties (with --jobs: the jobs) as JSON\n",
        },
        {
                "report", 1, 1, "run ID", OPT(OPT_FORMAT) | OPT(OPT_WRITE), false, verb_report,
                "report ID [--format=FORMAT] [--write[=DIR]]",
                "Print or write a run's report (JUnit XML, JSON, Markdown)",
                "Prints a report of a run: --format=junit (JUnit XML, one testsuite per group, one\n"
                "testcase per job), json (every job with its result, attempts, times, resources,\n"
                "log path, CPU and memory peak) or markdown (the default: counts per group, the\n"
                "failures, the slowest jobs, and what changed since the previous run of the same\n"
                "name). With --write, writes all three (report.xml, report.json, summary.md) into\n"
                "DIR, or into the run's output root.\n\n"
                "Options:\n"
                "     --format=FORMAT         junit, json or markdown\n"
                "     --write[=DIR]           Write the three files instead of printing one\n",
        },
        {
                "compare", 1, 2, "run ID", OPT(OPT_JSON) | OPT(OPT_FACTOR), false, verb_compare,
                "compare ID [OTHER]",
                "Compare a run with another (by default the previous one of its name)",
                "Compares the jobs of run ID with those of run OTHER (by default the previous run of\n"
                "the same name), matched by group and name: new failures, fixed, still failing,\n"
                "flaky (failed first and passed on a retry), new and removed jobs, and jobs that\n"
                "took more than --factor times as long. Exit status 0 whatever changed.\n\n"
                "Options:\n"
                "     --factor=F              Report jobs whose duration grew more than F times\n"
                "                             (default 2)\n"
                "     --json[=short|pretty]   Print the comparison as JSON\n",
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
                "asks for one gets it in $JOBD_SLOT_<POOL>, POOL being NAME in upper case with\n"
                "'.' and '-' as '_' (pool gpu-a: $JOBD_SLOT_GPU_A).\n\n"
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
               "     --json[=short|pretty]    Print JSON (every command that prints: submit, list,\n"
               "                              show, status, wait, restart, clean, plan, runs,\n"
               "                              run-status, pools, groups);\n"
               "                              default: pretty on a terminal, else short\n"
               "     --no-pager               Accepted for compatibility; jobctl never pages\n"
               "     --no-ask-password        Do not let polkit ask for a password (acting on other\n"
               "                              users' jobs or the daemon); asked only on a terminal\n"
               "     --timeout=TIME           Wait at most TIME for each reply of the daemon (default\n"
               "                              25s, plan 5min; \"infinity\"); for submit and run\n"
               "                              --timeout= is the job's, use --call-timeout= there\n"
               "     --call-timeout=TIME      The same, for every command\n"
               "\nWhere a command takes job IDs, a job's name stands for the newest job of that name.\n"
               "\n%s\nSee jobctl(1) for details.\n", exit_status_help);
}

static void verb_help(const Verb *v) {
        printf("jobctl [OPTIONS...] %s\n\n%s\n"
               "Global options: --user, --system, --address=ADDRESS, --no-pager, --no-ask-password,\n"
               "--timeout=TIME (submit, run: --call-timeout=TIME), -h/--help "
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

/* Words separated by commas or spaces, added to *l. */
static int parse_word_list(const char *arg, char ***l) {
        const char *p = arg;

        while (*p) {
                size_t k;

                p += strspn(p, " ,");
                k = strcspn(p, " ,");
                if (k == 0)
                        break;
                _cleanup_free_ char *w = strndup(p, k);
                if (!w || strv_extend(l, w) < 0)
                        return log_oom();
                p += k;
        }
        return 0;
}

/* --since=: "2h" (that long ago), "@SECONDS", "YYYY-MM-DD[ HH:MM[:SS]]", "HH:MM[:SS]" (today). */
static int parse_since(const char *s, usec_t *ret) {
        static const char *const formats[] = { "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", NULL };
        struct tm tm;
        usec_t span;
        uint64_t secs;
        time_t t;

        if (isempty(s))
                return -EINVAL;
        if (s[0] == '@') {
                if (safe_atou64(s + 1, &secs) < 0 || secs == 0 || secs > UINT64_MAX / USEC_PER_SEC)
                        return -EINVAL;
                *ret = secs * USEC_PER_SEC;
                return 0;
        }
        if (!strchr(s, ':') && !strchr(s, '-') && parse_sec(s, &span) >= 0) {
                usec_t n = now(CLOCK_REALTIME);

                *ret = span < n ? n - span : 1;
                return 0;
        }
        for (size_t i = 0; formats[i]; i++) {
                const char *end;

                memset(&tm, 0, sizeof(tm));
                end = strptime(s, formats[i], &tm);
                if (!end || *end)
                        continue;
                tm.tm_isdst = -1;
                t = mktime(&tm);
                if (t <= 0)
                        return -EINVAL;
                *ret = (usec_t) t * USEC_PER_SEC;
                return 0;
        }
        /* A time of day: today. */
        t = time(NULL);
        localtime_r(&t, &tm);
        {
                const char *end = strptime(s, "%H:%M:%S", &tm);

                if (!end || *end) {
                        localtime_r(&t, &tm);
                        tm.tm_sec = 0;
                        end = strptime(s, "%H:%M", &tm);
                }
                if (!end || *end)
                        return -EINVAL;
        }
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t <= 0)
                return -EINVAL;
        *ret = (usec_t) t * USEC_PER_SEC;
        return 0;
}

/* --at=: a point in time; a time of day that has passed today is tomorrow's. */
static int parse_at(const char *s, usec_t *ret) {
        usec_t t;
        int r;

        if (isempty(s) || (!strchr(s, ':') && s[0] != '@' && !strchr(s, '-')))
                return -EINVAL;
        r = parse_since(s, &t);
        if (r < 0)
                return r;
        if (!strchr(s, '-') && s[0] != '@' && t <= now(CLOCK_REALTIME))
                t += 24 * 3600 * USEC_PER_SEC;
        *ret = t;
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

/* --cwd=, --log-path=, --output-directory=: the daemon wants an absolute path, so a relative one is
 * resolved against ours, as a shell would. */
static int parse_path_arg(const char *s, const char *what, char **ret) {
        _cleanup_free_ char *cwd = NULL;

        if (isempty(s))
                return log_usage_error("%s", what);
        *ret = mfree(*ret);
        if (s[0] == '/') {
                *ret = strdup(s);
                return *ret ? 0 : log_oom();
        }

        cwd = getcwd(NULL, 0);
        if (!cwd)
                return log_error_errno(-errno, "Failed to get the current directory: %m");
        if (asprintf(ret, "%s/%s", streq(cwd, "/") ? "" : cwd, s) < 0) {
                *ret = NULL;
                return log_oom();
        }
        return 0;
}

static int parse_cwd(const char *s) {
        return parse_path_arg(s, "--cwd= needs a directory", &arg_cwd);
}

/* submit and run: --timeout= is the job's TimeoutUSec there, the calls' timeout elsewhere. */
static bool verb_submits(const Verb *verb) {
        return verb->options & OPT(OPT_MEMORY_MAX);
}

static int parse_call_timeout(const char *name, const char *arg) {
        if (parse_sec(arg, &arg_call_timeout) < 0 || arg_call_timeout == 0)
                return log_usage_error("Invalid %s=%s: expected how long to wait for each reply of the "
                                       "daemon, such as 90, 1.5s, 10min or infinity", name, arg);
        arg_call_timeout_set = true;
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
        case 'n':
                o = OPT_LINES;
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
                if (!verb) {
                        /* Whose timeout it is depends on the verb, which comes later. */
                        arg_timeout_before_verb = arg;
                        break;
                }
                if (!verb_submits(verb))
                        return parse_call_timeout("--timeout", arg);
                if (parse_sec(arg, &arg_timeout) < 0 || arg_timeout == 0)
                        return log_usage_error("Invalid --timeout=%s: expected a positive time span "
                                               "such as 90, 1.5s, 10min, 2h or infinity", arg);
                arg_timeout_set = true;
                break;
        case OPT_CALL_TIMEOUT:
                return parse_call_timeout("--call-timeout", arg);
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
        case OPT_FAIL_PATTERN:
        case OPT_PASS_PATTERN:
                if (isempty(arg))
                        return log_usage_error("%s needs a regular expression", option_name(o));
                if (strv_extend(o == OPT_FAIL_PATTERN ? &arg_fail_patterns : &arg_pass_patterns, arg) < 0)
                        return log_oom();
                break;
        case OPT_LOG_PATH:
                r = parse_path_arg(arg, "--log-path= needs a file name", &arg_log_path);
                if (r < 0)
                        return r;
                if (arg[strlen(arg) - 1] == '/')
                        return log_usage_error("--log-path=%s names a folder: give the file's name", arg);
                break;
        case OPT_OUTPUT_DIRECTORY:
                r = parse_path_arg(arg, "--output-directory= needs a folder", &arg_output_directory);
                if (r < 0)
                        return r;
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
        case OPT_DETACH:
                arg_detach = true;
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
        case OPT_LABEL:
                if (isempty(arg))
                        return log_usage_error("--label= needs a label");
                if (strv_extend(&arg_labels, arg) < 0)
                        return log_oom();
                break;
        case OPT_RETRY_ON:
                r = parse_word_list(arg, &arg_retry_on);
                if (r < 0)
                        return r;
                arg_retry_on_set = true;
                break;
        case OPT_RETRY_DELAY:
                if (parse_sec(arg, &arg_retry_delay) < 0)
                        return log_usage_error("Invalid --retry-delay=%s: expected a time span such as 30s or "
                                               "5min", arg);
                arg_retry_delay_set = true;
                break;
        case OPT_STATE:
        case OPT_RESULT: {
                static const char *const states[] = { "waiting", "queued", "starting", "running", "paused",
                                                      "stopping", "done", NULL };
                static const char *const results[] = { "success", "failed", "killed", "timeout", "oom",
                                                       "skipped", "cancelled", "lost", NULL };
                bool st = o == OPT_STATE;
                char ***l = st ? &arg_states : &arg_results;

                r = parse_word_list(arg, l);
                if (r < 0)
                        return r;
                STRV_FOREACH(w, *l)
                        if (!strv_contains_list(*w, st ? states : results))
                                return log_usage_error("Invalid --%s=%s: '%s' is not a job %s (%s)",
                                                       st ? "state" : "result", arg, *w,
                                                       st ? "state" : "result",
                                                       st ? "waiting, queued, starting, running, paused, "
                                                            "stopping, done" :
                                                            "success, failed, killed, timeout, oom, skipped, "
                                                            "cancelled, lost");
                break;
        }
        case OPT_RUN:
                if (safe_atou64(arg, &arg_run) < 0 || arg_run == 0)
                        return log_usage_error("Invalid --run=%s: expected a run ID", arg);
                arg_run_set = true;
                break;
        case OPT_OWNER: {
                struct passwd *pw;

                unsigned u;

                if (safe_atou(arg, &u) >= 0) {
                        arg_owner = u;
                        arg_owner_set = true;
                        break;
                }
                pw = isempty(arg) ? NULL : getpwnam(arg);
                if (!pw)
                        return log_usage_error("Invalid --owner=%s: not a user name or uid", arg);
                arg_owner = pw->pw_uid;
                arg_owner_set = true;
                break;
        }
        case OPT_SINCE:
                r = parse_since(arg, &arg_since);
                if (r < 0)
                        return log_usage_error("Invalid --since=%s: expected a time such as \"2h\" (ago), "
                                               "\"YYYY-MM-DD [HH:MM[:SS]]\", \"HH:MM\" (today) or "
                                               "\"@SECONDS\"", arg);
                break;
        case OPT_NO_LEGEND:
                arg_no_legend = true;
                break;
        case OPT_JOBS:
                arg_jobs = true;
                break;
        case OPT_EXEC:
                if (isempty(arg))
                        return log_usage_error("--exec= needs a command");
                arg_exec = arg;
                break;
        case OPT_ON_FINISH:
                if (isempty(arg))
                        return log_usage_error("--on-finish= needs a command");
                arg_exec = arg;
                break;
        case OPT_ATTEMPT:
                if (safe_atou(arg, &arg_attempt) < 0 || arg_attempt == 0)
                        return log_usage_error("Invalid --attempt=%s: expected an attempt number from 1", arg);
                break;
        case OPT_STDERR:
                if (isempty(arg))
                        return log_usage_error("--stderr= needs a file");
                arg_stderr = arg;
                break;
        case OPT_HOLD:
                arg_hold = true;
                break;
        case OPT_DELAY: {
                usec_t d;

                if (parse_sec(arg, &d) < 0 || d == USEC_INFINITY)
                        return log_usage_error("Invalid --delay=%s: expected a time span such as 90s or 2h", arg);
                arg_not_before = now(CLOCK_REALTIME) + d;
                break;
        }
        case OPT_AT:
                if (parse_at(arg, &arg_not_before) < 0)
                        return log_usage_error("Invalid --at=%s: expected \"HH:MM[:SS]\" (the next such time), "
                                               "\"YYYY-MM-DD HH:MM[:SS]\" or \"@SECONDS\"", arg);
                break;
        case OPT_LINES:
                if (safe_atou(arg, &arg_lines) < 0)
                        return log_usage_error("Invalid -n/--lines=%s: expected a number of lines", arg);
                arg_lines_set = true;
                break;
        case OPT_FORMAT:
                if (streq(arg, "junit"))
                        arg_format = REPORT_FORMAT_JUNIT;
                else if (streq(arg, "json"))
                        arg_format = REPORT_FORMAT_JSON;
                else if (streq(arg, "markdown"))
                        arg_format = REPORT_FORMAT_MARKDOWN;
                else
                        return log_usage_error("Invalid --format=%s: expected junit, json or markdown", arg);
                break;
        case OPT_WRITE:
                arg_write = true;
                arg_write_dir = arg;
                if (arg && isempty(arg))
                        return log_usage_error("Invalid --write=: expected a folder");
                break;
        case OPT_FACTOR: {
                char *end = NULL;

                errno = 0;
                arg_factor = strtod(arg, &end);
                if (errno != 0 || !end || *end || !(arg_factor > 1.0) || arg_factor > 1e6)
                        return log_usage_error("Invalid --factor=%s: expected a number greater than 1, such "
                                               "as 1.5 or 3", arg);
                break;
        }
        case OPT_WATCH:
                arg_watch = true;
                break;
        case OPT_BACKEND:
                if (!streq(arg, "local") && !streq(arg, "slurm"))
                        return log_usage_error("Invalid --backend=%s: expected local or slurm", arg);
                arg_backend = arg;
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
        while ((c = getopt_long(argc, argv, "+:hE:s:fn:", options, NULL)) >= 0) {
                r = parse_option(c, optarg, NULL, &seen, argv);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        if (optind >= argc)
                return log_usage_error("No command given (see jobctl --help).");

        verb = verb_find(argv[optind]);
        if (!verb)
                return log_usage_error("Unknown command '%s' (see jobctl --help).", argv[optind]);

        if (arg_timeout_before_verb) {
                r = parse_option(OPT_VAL(OPT_TIMEOUT), arg_timeout_before_verb, verb, &seen, argv);
                if (r != 0)
                        return r < 0 ? r : 0;
        }

        /* The verb takes getopt's argv[0] slot, so it names itself in what getopt reports. */
        vargc = argc - optind;
        vargv = argv + optind;
        optind = 0;
        while ((c = getopt_long(vargc, vargv, verb->stop_at_command ? "+:hE:s:fn:" : ":hE:s:fn:",
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

        /* "jobctl group add foo" is not a group named "add": verbs that take a name first refuse the words
         * other tools use as sub-verbs, with the synopsis. */
        if (vargc > optind &&
            STR_IN_SET(verb->name, "group", "pool", "slot-pool", "pause-group", "resume-group", "release-slot") &&
            STR_IN_SET(vargv[optind], "add", "create", "new", "set", "remove", "rm", "del", "delete", "list",
                       "ls", "show", "help"))
                return log_usage_error("%s: '%s' is not taken as a name here; usage: jobctl %s (see jobctl %s "
                                       "--help).", verb->name, vargv[optind], verb->synopsis, verb->name);

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
        arg_labels = strv_free(arg_labels);
        arg_retry_on = strv_free(arg_retry_on);
        arg_states = strv_free(arg_states);
        arg_results = strv_free(arg_results);
        arg_system_call_filter = strv_free(arg_system_call_filter);
        arg_fail_patterns = strv_free(arg_fail_patterns);
        arg_pass_patterns = strv_free(arg_pass_patterns);
        arg_log_path = mfree(arg_log_path);
        arg_output_directory = mfree(arg_output_directory);
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

        jobctl_names_allowed = true;
        r = verb->dispatch(vargc, vargv);
        free_args();
        return r < 0 ? jobctl_failure_status() : r;
}
