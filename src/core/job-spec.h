/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a client asks for when it submits a job, and the rules it must obey. Pure: no bus, no I/O. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "log-scan.h"
#include "sched.h"
#include "seccomp-filter.h"
#include "time-util.h"

/* Bounds on what one client request may make the daemon hold. */
#define JOB_ARGV_MAX            16384U
#define JOB_ARGV_BYTES_MAX      (256U * 1024U)
#define JOB_ENV_MAX             4096U
#define JOB_ENV_BYTES_MAX       (256U * 1024U)
#define JOB_NAME_MAX            255U
#define JOB_GROUP_MAX           64U
#define JOB_RETRIES_MAX         100U
#define JOB_TIMEOUT_MAX         (366ULL * 24 * 3600 * USEC_PER_SEC)
#define JOB_TASKS_MAX_MAX       4194304ULL
#define JOB_MEMORY_MAX_MIN      (1024ULL * 1024ULL)
#define JOB_CPU_WEIGHT_MIN      1ULL
#define JOB_CPU_WEIGHT_MAX      10000ULL
#define JOB_POOL_NAME_MAX       64U
#define JOB_RETRY_DELAY_MAX     (24ULL * 3600 * USEC_PER_SEC)
/* LogMaxBytes: at least a page, so that the note is not most of the log. */
#define JOB_LOG_MAX_BYTES_MIN   4096ULL
#define JOB_LOG_MAX_BYTES_MAX   (1ULL << 50)   /* 1 PiB: far above any disk, far below off_t's end */
#define JOB_LOG_MAX_BYTES_UNSET UINT64_MAX
/* Labels: free-form tags for listing and filtering (ListJobsFiltered's Label). */
#define JOB_LABELS_MAX          32U
#define JOB_LABEL_MAX           64U

/* An environment shared by many jobs (the defaults of a plan): refcounted, never changed once shared. */
typedef struct JobSharedEnv {
        unsigned n_ref;
        char **env;
} JobSharedEnv;

/* Takes env (NULL: empty). NULL on OOM (env is then freed). */
JobSharedEnv *job_shared_env_new(char **env);
JobSharedEnv *job_shared_env_ref(JobSharedEnv *e);
JobSharedEnv *job_shared_env_unref(JobSharedEnv *e);

/* Backend: which backend runs the job (src/core/job-slurm.c for the cluster). */
typedef enum JobBackendKind {
        JOB_BACKEND_DEFAULT,                 /* "": the daemon's default (--backend=) */
        JOB_BACKEND_LOCAL,                   /* "local": the cgroup backend of this machine */
        JOB_BACKEND_SLURM,                   /* "slurm": submitted to a Slurm cluster (jobd.conf [Slurm]) */
        _JOB_BACKEND_KIND_MAX,
        _JOB_BACKEND_KIND_INVALID = -EINVAL,
} JobBackendKind;

/* "", "local", "slurm" (and back: DEFAULT as ""). */
const char *job_backend_kind_to_string(JobBackendKind k);
JobBackendKind job_backend_kind_from_string(const char *s);

typedef struct JobResourceRequest {
        char *pool;
        uint32_t amount;
} JobResourceRequest;

typedef struct JobSpec {
        char **argv;
        char *name;
        char *working_directory;
        char **environment;
        int32_t priority;
        usec_t timeout_usec;                 /* 0: none */
        JobLimits limits;
        int stdio_fds[3];                    /* owned; -EBADF: default (stdin /dev/null, output: log) */
        uint64_t *after;
        size_t n_after;
        SchedCondition after_condition;
        char *group;
        JobResourceRequest *resources;
        size_t n_resources;
        uint32_t retries;
        uint32_t retry_on;                   /* 1U << SchedResult; 0: SCHED_RETRY_DEFAULT_RESULTS */
        int *retry_on_exit_codes;            /* a failed attempt is retried only for these exit codes */
        size_t n_retry_on_exit_codes;
        usec_t retry_delay_usec;
        JobSharedEnv *base_environment;      /* shared defaults (a plan's) that environment overrides */
        SeccompFilter *system_call_filter;   /* NULL: none; shared by a plan's jobs; SystemCallFilter and
                                              * RestrictAddressFamilies */
        uint64_t log_max_bytes;              /* 0: no cap; JOB_LOG_MAX_BYTES_UNSET: jobd.conf's default */
        char **labels;                       /* NULL or distinct labels (JOB_LABELS_MAX, identifiers) */
        bool hold;                           /* Hold: submitted held, until Job.Release() */
        usec_t not_before_usec;              /* NotBeforeUSec: CLOCK_REALTIME; 0: none */
        JobPatterns *patterns;               /* FailPatterns, PassPatterns; NULL: none; shared by a plan's
                                              * jobs that take them from its defaults */
        char *log_path;                      /* LogPath: absolute; NULL: DIR/logs/<uid>/<id>.log */
        char *output_directory;              /* OutputDirectory: absolute; the log defaults to its
                                              * JOB_OUTPUT_LOG_NAME */
        bool jobserver;                      /* a GNU make jobserver in MAKEFLAGS (core/jobserver.h) */
        bool jobserver_fifo;                 /* named as fifo:PATH (make >= 4.4), not as fds 3,4 */
        JobBackendKind backend;              /* Backend: where it runs; DEFAULT until the manager resolves it
                                              * at submission (the daemon's --backend=) */
} JobSpec;

/* The log of a job with an OutputDirectory and no LogPath, in that folder. */
#define JOB_OUTPUT_LOG_NAME "job.log"

void job_spec_init(JobSpec *s);

/* AfterCondition= spelled as the spec, the bus and the state log have it (the scheduler's names). */
const char *job_after_condition_to_string(SchedCondition c);
SchedCondition job_after_condition_from_string(const char *s);
/* Frees everything the spec owns and closes its fds; leaves an initialised spec. */
void job_spec_done(JobSpec *s);

/* Checks every rule. 0 if valid; otherwise -EINVAL and *ret_message (malloc'ed) says which key and why,
 * e.g. "WorkingDirectory: must be an absolute path". */
int job_spec_validate(const JobSpec *s, char **ret_message);

/* What the spec makes the daemon hold, as jobd.conf's MaxSpecBytes= counts it: the bytes of Argv,
 * Environment (its own; a plan's shared defaults are held once per plan), Name, WorkingDirectory, Group,
 * After (8 each), Resources (the pool names, plus 4 each) and Labels. */
uint64_t job_spec_bytes(const JobSpec *s);

/* What a done job keeps of its Argv: its first arguments, up to this many bytes. */
#define JOB_DONE_ARGV_BYTES_MAX 4096U
/* A job that is done and will not run again gives back what its properties need not keep: its own
 * Environment (the property is then empty: org.jobd1(5)) and its Argv beyond JOB_DONE_ARGV_BYTES_MAX,
 * which ends with "…" then. A plan's shared environment is the run's and stays. */
void job_spec_trim_done(JobSpec *s);

/* The environment the job gets: base_environment overlaid by environment (same NAME: environment wins).
 * A new strv, NULL on OOM. */
char **job_spec_environment(const JobSpec *s);

/* The scheduler's view of RetryOn; the exit code array is borrowed from the spec. */
SchedRetryPolicy job_spec_retry_policy(const JobSpec *s);

/* Parses RetryOn words ("failed", "timeout", "killed", "oom", "lost", or an exit code 1-255) into the
 * spec. -EINVAL with *ret_message ("RetryOn: ...") for a bad word. */
int job_spec_set_retry_on(JobSpec *s, char *const *words, char **ret_message);
/* The RetryOn words back, for the Job property (empty: the default). NULL on OOM. */
char **job_spec_retry_on_strv(const JobSpec *s);

/* Key names a client may send in the a{sv} spec, with their D-Bus types; job_spec_keys[] is indexed by
 * JobSpecKeyId (and ends with an empty entry). */
typedef enum JobSpecKeyId {
        JOB_KEY_ARGV,
        JOB_KEY_NAME,
        JOB_KEY_WORKING_DIRECTORY,
        JOB_KEY_ENVIRONMENT,
        JOB_KEY_PRIORITY,
        JOB_KEY_TIMEOUT_USEC,
        JOB_KEY_MEMORY_MAX,
        JOB_KEY_TASKS_MAX,
        JOB_KEY_CPU_WEIGHT,
        JOB_KEY_STDIN_FD,
        JOB_KEY_STDOUT_FD,
        JOB_KEY_STDERR_FD,
        JOB_KEY_AFTER,
        JOB_KEY_AFTER_CONDITION,
        JOB_KEY_GROUP,
        JOB_KEY_RESOURCES,
        JOB_KEY_RETRIES,
        JOB_KEY_RETRY_ON,
        JOB_KEY_RETRY_DELAY_USEC,
        JOB_KEY_SYSTEM_CALL_FILTER,
        JOB_KEY_RESTRICT_ADDRESS_FAMILIES,
        JOB_KEY_LOG_MAX_BYTES,
        JOB_KEY_LABELS,
        JOB_KEY_HOLD,
        JOB_KEY_NOT_BEFORE_USEC,
        JOB_KEY_FAIL_PATTERNS,
        JOB_KEY_PASS_PATTERNS,
        JOB_KEY_LOG_PATH,
        JOB_KEY_OUTPUT_DIRECTORY,
        JOB_KEY_JOBSERVER,
        JOB_KEY_JOBSERVER_STYLE,
        JOB_KEY_BACKEND,
        _JOB_KEY_MAX,
} JobSpecKeyId;

/* A set of keys (e.g. the keys a plan's job gave itself). */
#define JOB_SPEC_KEY_BIT(id) (UINT64_C(1) << (id))

typedef struct JobSpecKey {
        const char *name;
        const char *signature;
} JobSpecKey;
extern const JobSpecKey job_spec_keys[_JOB_KEY_MAX + 1];
/* Looks up a key; NULL if unknown. */
const JobSpecKey *job_spec_key_find(const char *name);

/* True for a valid environment variable assignment "NAME=value" (NAME: no '=', not empty). */
bool env_assignment_is_valid(const char *e);
/* True for names of groups and pools: 1..max chars of [A-Za-z0-9_.-]. */
bool identifier_is_valid(const char *s, size_t max);
/* True for names of slots of a slot pool: 1..JOB_SLOT_NAME_MAX visible ASCII characters but '=' and ','
 * (device paths, board names, GPU indexes). */
#define JOB_SLOT_NAME_MAX 255U
bool slot_name_is_valid(const char *s);
