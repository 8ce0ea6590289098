/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The pure part of the slurm client: what a SlurmSubmit becomes in a job_desc_msg_t (script, units,
 * the extra options). No libslurm call, only its constants; unit-tested (tests/unit/test-slurm-*.c). */

#include <stdbool.h>
#include <stdint.h>

#include "slurm-client.h"

/* "#!/bin/sh\nexec 'argv0' 'argv1' ...\n": every word single-quoted, a ' inside a word written as
 * '\'' (so newlines, $, `, \ and empty words pass unchanged). NULL on ENOMEM; argv must not be empty. */
char *slurm_batch_script(char *const *argv);
/* Appends word to *buf (of *len bytes, malloc'd) single-quoted. 0 or -ENOMEM. */
int slurm_shell_quote_append(char **buf, size_t *len, const char *word);

/* job_info_t.exit_code -> a wait(2) status. Slurm stores its pseudo-signals there too (SIG_OOM = 253
 * for a job the OOM killer ended, 991-999 for others): those become SIGKILL, what actually ended the
 * processes, so that no caller sees a signal number that does not exist. */
int slurm_exit_status_from_slurm(uint32_t exit_code);

/* Slurm's units. 0 (none) -> NO_VAL (the partition's default); else minutes rounded up, at least 1. */
uint32_t slurm_time_limit_minutes(usec_t t);
/* Bytes -> MiB rounded up, at least 1 (0 would ask Slurm for the node's whole memory); UINT64_MAX
 * (none) -> NO_VAL64. */
uint64_t slurm_memory_mib(uint64_t bytes);
/* CPUWeight 1..10000 -> job_desc.nice (NICE_OFFSET based): linear, 100 -> 0, 1 -> +99, 10000 -> -9900.
 * Only an operator may lower nice below 0, so unprivileged callers get 0 for weights above 100.
 * UINT64_MAX (none) -> NICE_OFFSET (no change). */
uint32_t slurm_nice_from_cpu_weight(uint64_t weight, bool privileged);
/* Slurm's time syntax: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S" -> minutes rounded up, as sbatch
 * --time reads it. 0 or -EINVAL. */
int slurm_parse_time_minutes(const char *s, uint32_t *ret);

/* The supported subset of sbatch options, parsed. Strings are malloc'd; NULL/0/false: not given. */
typedef struct SlurmExtra {
        char *constraint;       /* --constraint=LIST      -> features */
        char *nodelist;         /* --nodelist=NODES       -> req_nodes */
        char *exclude;          /* --exclude=NODES        -> exc_nodes */
        char *gres;             /* --gres=LIST            -> tres_per_node, each "gres:"-prefixed */
        char *reservation;      /* --reservation=NAME */
        char *comment;          /* --comment=TEXT */
        bool exclusive;         /* --exclusive            -> shared = JOB_SHARED_NONE */
        bool hold;              /* --hold                 -> priority 0 (released by scontrol) */
        uint16_t cpus_per_task; /* --cpus-per-task=N */
        uint32_t time_min;      /* --time-min=TIME (minutes), 0: not given */
} SlurmExtra;

/* Parses one option into *e (a later option overrides an earlier one). 0, -EINVAL with *ret_why saying
 * what is wrong with it, or -ENOMEM. */
int slurm_extra_parse_one(SlurmExtra *e, const char *option, const char **ret_why);
/* All of them; on -EINVAL *ret_bad is the offending option. */
int slurm_extra_parse(SlurmExtra *e, char *const *options, const char **ret_bad, const char **ret_why);
void slurm_extra_done(SlurmExtra *e);
/* "gpu:2,nic" -> "gres:gpu:2,gres:nic" (tres_per_node's syntax, as sbatch builds it). NULL on ENOMEM. */
char *slurm_gres_to_tres(const char *gres);
