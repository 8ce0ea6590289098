/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>

#include "macro.h"
#include "parse-util.h"
#include "slurm-util.h"
#include "string-table.h"
#include "strv.h"

#define STRV_MAKE(...) ((char *const[]) { __VA_ARGS__, NULL })

static const char *const slurm_job_state_table[_SLURM_JOB_STATE_MAX] = {
        [SLURM_JOB_PENDING] = "pending",
        [SLURM_JOB_RUNNING] = "running",
        [SLURM_JOB_SUSPENDED] = "suspended",
        [SLURM_JOB_COMPLETED] = "completed",
        [SLURM_JOB_FAILED] = "failed",
        [SLURM_JOB_CANCELLED] = "cancelled",
        [SLURM_JOB_TIMEOUT] = "timeout",
        [SLURM_JOB_OUT_OF_MEMORY] = "out-of-memory",
        [SLURM_JOB_NODE_FAIL] = "node-fail",
        [SLURM_JOB_GONE] = "gone",
};

const char *slurm_job_state_to_string(SlurmJobState s) {
        if ((int) s < 0 || s >= _SLURM_JOB_STATE_MAX)
                return NULL;
        return slurm_job_state_table[s];
}

SlurmJobState slurm_job_state_from_slurm(uint32_t job_state) {
        uint32_t base = job_state & JOB_STATE_BASE;

        /* COMPLETING: the job has ended in slurmctld's eyes, but its processes may still be on the node
         * (slurmd is killing them, the epilog runs). jobd's "done" promises that nothing of the job runs
         * any more, so such a job stays "running" until the flag clears. A pending job that is requeued
         * (PENDING|COMPLETING) is not running yet, so the flag only matters for the final states. */
        if ((job_state & JOB_COMPLETING) && base >= JOB_COMPLETE)
                return SLURM_JOB_RUNNING;

        switch (base) {
        case JOB_PENDING:
                return SLURM_JOB_PENDING;
        case JOB_RUNNING:
                /* CONFIGURING: allocated, nodes still booting, the script has not started. */
                if (job_state & (JOB_CONFIGURING | JOB_POWER_UP_NODE))
                        return SLURM_JOB_PENDING;
                /* STOPPED: holds its resources with every task SIGSTOPped (scontrol/ssignal -s STOP). */
                if (job_state & JOB_STOPPED)
                        return SLURM_JOB_SUSPENDED;
                return SLURM_JOB_RUNNING;
        case JOB_SUSPENDED:
                return SLURM_JOB_SUSPENDED;
        case JOB_COMPLETE:
                return SLURM_JOB_COMPLETED;
        case JOB_CANCELLED:
                return SLURM_JOB_CANCELLED;
        case JOB_FAILED:
                return SLURM_JOB_FAILED;
        case JOB_TIMEOUT:
        case JOB_DEADLINE:      /* --deadline passed: ended by a time bound, as a timeout is */
                return SLURM_JOB_TIMEOUT;
        case JOB_NODE_FAIL:
        case JOB_BOOT_FAIL:     /* the node never came up: lost like a node failure, retryable */
                return SLURM_JOB_NODE_FAIL;
        case JOB_PREEMPTED:
                /* Preempted with PreemptMode=CANCEL: someone else's decision ended it, as a cancel would.
                 * (Preemption by requeue shows as PENDING, by suspension as SUSPENDED.) */
                return SLURM_JOB_CANCELLED;
        case JOB_OOM:
                return SLURM_JOB_OUT_OF_MEMORY;
        default:
                /* A state this libslurm does not know: final, and a failure rather than a success. */
                return SLURM_JOB_FAILED;
        }
}

int slurm_exit_status_from_slurm(uint32_t exit_code) {
        unsigned sig = exit_code & 0x7f;

        if (exit_code > 0xffff)
                return SIGKILL;
        if (sig == 0)
                return (int) exit_code;                 /* exited, code in bits 8-15 */
        if (sig < (unsigned) _NSIG && sig != 0x7f)
                return (int) (exit_code & 0xff);        /* a signal, with the core dump bit */
        return SIGKILL;
}

int slurm_shell_quote_append(char **buf, size_t *len, const char *word) {
        size_t n = 2, l = *len;
        char *p;

        for (const char *s = word; *s; s++)
                n += *s == '\'' ? 4 : 1;
        p = realloc(*buf, l + n + 1);
        if (!p)
                return -ENOMEM;
        *buf = p;
        p += l;
        *p++ = '\'';
        for (const char *s = word; *s; s++)
                if (*s == '\'') {
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else
                        *p++ = *s;
        *p++ = '\'';
        *p = 0;
        *len = l + n;
        return 0;
}

char *slurm_batch_script(char *const *argv) {
        /* No "--" after exec: dash's exec takes none (it would run a command named "--"). */
        static const char head[] = "#!/bin/sh\nexec";
        _cleanup_free_ char *buf = NULL;
        size_t len = sizeof(head) - 1;

        if (!argv || !argv[0])
                return NULL;
        buf = strdup(head);
        if (!buf)
                return NULL;
        for (char *const *a = argv; *a; a++) {
                char *p = realloc(buf, len + 2);
                if (!p)
                        return NULL;
                buf = p;
                buf[len++] = ' ';
                buf[len] = 0;
                if (slurm_shell_quote_append(&buf, &len, *a) < 0)
                        return NULL;
        }
        char *p = realloc(buf, len + 2);
        if (!p)
                return NULL;
        buf = p;
        buf[len++] = '\n';
        buf[len] = 0;
        return TAKE_PTR(buf);
}

uint32_t slurm_time_limit_minutes(usec_t t) {
        usec_t m;

        if (t == 0 || t == USEC_INFINITY)
                return NO_VAL;
        m = t / (60 * USEC_PER_SEC) + (t % (60 * USEC_PER_SEC) != 0);
        /* INFINITE and NO_VAL are reserved values. */
        return (uint32_t) MIN(m, (usec_t) NO_VAL - 1);
}

uint64_t slurm_memory_mib(uint64_t bytes) {
        uint64_t m;

        if (bytes == UINT64_MAX)
                return NO_VAL64;
        m = bytes / (1024 * 1024) + (bytes % (1024 * 1024) != 0);
        return MAX(m, (uint64_t) 1);
}

uint32_t slurm_nice_from_cpu_weight(uint64_t weight, bool privileged) {
        int64_t nice;

        if (weight == UINT64_MAX)
                return NICE_OFFSET;
        weight = MIN(MAX(weight, (uint64_t) 1), (uint64_t) 10000);
        nice = 100 - (int64_t) weight;
        if (nice < 0 && !privileged)
                nice = 0;
        return (uint32_t) ((int64_t) NICE_OFFSET + nice);
}

static int parse_number_part(const char *s, size_t n, unsigned *ret) {
        char buf[16];

        if (n == 0 || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = 0;
        return safe_atou(buf, ret);
}

int slurm_parse_time_minutes(const char *s, uint32_t *ret) {
        unsigned f[4] = {}, n = 0, days = 0;
        const char *dash, *p;
        uint64_t seconds;
        bool have_days;
        int r;

        if (isempty(s))
                return -EINVAL;
        dash = strchr(s, '-');
        have_days = dash;
        if (have_days) {
                r = parse_number_part(s, dash - s, &days);
                if (r < 0)
                        return -EINVAL;
                s = dash + 1;
        }
        for (p = s;;) {
                const char *c = strchr(p, ':');
                size_t l = c ? (size_t) (c - p) : strlen(p);

                if (n >= 3 || parse_number_part(p, l, &f[n]) < 0)
                        return -EINVAL;
                n++;
                if (!c)
                        break;
                p = c + 1;
        }
        if (have_days) /* D-H, D-H:M, D-H:M:S */
                seconds = (uint64_t) days * 86400 + (uint64_t) f[0] * 3600 + (uint64_t) f[1] * 60 + f[2];
        else if (n == 1) /* M */
                seconds = (uint64_t) f[0] * 60;
        else if (n == 2) /* M:S */
                seconds = (uint64_t) f[0] * 60 + f[1];
        else /* H:M:S */
                seconds = (uint64_t) f[0] * 3600 + (uint64_t) f[1] * 60 + f[2];
        seconds = (seconds + 59) / 60;
        if (seconds >= NO_VAL)
                return -EINVAL;
        *ret = (uint32_t) seconds;
        return 0;
}

char *slurm_gres_to_tres(const char *gres) {
        _cleanup_free_ char *copy = strdup(gres), *out = NULL;
        size_t len = 0;
        char *save = NULL;

        if (!copy)
                return NULL;
        out = strdup("");
        if (!out)
                return NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                bool prefixed = strneq(w, "gres:", 5) || strneq(w, "gres/", 5);
                size_t add = strlen(w) + (prefixed ? 0 : 5) + 1;
                char *p = realloc(out, len + add + 1);

                if (!p)
                        return NULL;
                out = p;
                len += sprintf(out + len, "%s%s%s", len > 0 ? "," : "", prefixed ? "" : "gres:", w);
        }
        return TAKE_PTR(out);
}

static int set_string(char **field, const char *value) {
        char *c = strdup(value);

        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

/* Node names, features, gres: no blank and no control character, which slurmctld would take apart in
 * other places than the user meant. */
static bool value_is_word(const char *v) {
        if (isempty(v))
                return false;
        for (const char *s = v; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

int slurm_extra_parse_one(SlurmExtra *e, const char *option, const char **ret_why) {
        static const char *const word_options[] = {
                "constraint", "nodelist", "exclude", "gres", "reservation",
        };
        const char *eq, *value;
        _cleanup_free_ char *name = NULL;
        unsigned u;
        int r;

        if (!option || !strneq(option, "--", 2) || !option[2]) {
                *ret_why = "not an sbatch-style long option (\"--name=value\")";
                return -EINVAL;
        }
        eq = strchr(option, '=');
        name = eq ? strndup(option + 2, eq - option - 2) : strdup(option + 2);
        if (!name)
                return -ENOMEM;
        value = eq ? eq + 1 : NULL;

        for (size_t i = 0; i < ELEMENTSOF(word_options); i++) {
                char **fields[] = { &e->constraint, &e->nodelist, &e->exclude, &e->gres, &e->reservation };

                if (!streq(name, word_options[i]))
                        continue;
                if (!value_is_word(value)) {
                        *ret_why = "needs a value without blanks (\"--name=value\")";
                        return -EINVAL;
                }
                return set_string(fields[i], value);
        }
        if (streq(name, "comment")) {
                if (isempty(value)) {
                        *ret_why = "needs a value (\"--comment=text\")";
                        return -EINVAL;
                }
                for (const char *s = value; *s; s++)
                        if ((unsigned char) *s < ' ' || *s == 0x7f) {
                                *ret_why = "contains a control character";
                                return -EINVAL;
                        }
                return set_string(&e->comment, value);
        }
        if (streq(name, "exclusive") || streq(name, "hold")) {
                if (value) {
                        *ret_why = "takes no value (only the plain form is supported)";
                        return -EINVAL;
                }
                if (streq(name, "exclusive"))
                        e->exclusive = true;
                else
                        e->hold = true;
                return 0;
        }
        if (streq(name, "cpus-per-task")) {
                r = value ? safe_atou(value, &u) : -EINVAL;
                if (r < 0 || u == 0 || u >= NO_VAL16) {
                        *ret_why = "needs a positive number of CPUs";
                        return -EINVAL;
                }
                e->cpus_per_task = (uint16_t) u;
                return 0;
        }
        if (streq(name, "time-min")) {
                r = value ? slurm_parse_time_minutes(value, &e->time_min) : -EINVAL;
                if (r < 0) {
                        *ret_why = "needs a time as sbatch takes it (minutes, M:S, H:M:S, D-H, D-H:M:S)";
                        return -EINVAL;
                }
                return 0;
        }
        if (strv_contains(STRV_MAKE("partition", "account", "qos"), name)) {
                *ret_why = "is set by Partition=, Account= or QOS= in [Slurm]";
                return -EINVAL;
        }
        if (strv_contains(STRV_MAKE("time", "mem", "nice", "licenses", "output", "error", "chdir",
                                    "job-name"), name)) {
                *ret_why = "is set from the job's own settings (TimeoutUSec, MemoryMax, CPUWeight, pools, "
                           "logs, working directory, name)";
                return -EINVAL;
        }
        *ret_why = "is not a supported option (supported: --constraint, --nodelist, --exclude, --gres, "
                   "--reservation, --comment, --exclusive, --hold, --cpus-per-task, --time-min)";
        return -EINVAL;
}

int slurm_extra_option_check(const char *option, const char **ret_why) {
        SlurmExtra e = {};
        const char *why = NULL;
        int r;

        r = slurm_extra_parse_one(&e, option, &why);
        slurm_extra_done(&e);
        if (r == -EINVAL && ret_why)
                *ret_why = why;
        return r;
}

int slurm_extra_parse(SlurmExtra *e, char *const *options, const char **ret_bad, const char **ret_why) {
        int r;

        STRV_FOREACH(o, (char **) options) {
                r = slurm_extra_parse_one(e, *o, ret_why);
                if (r < 0) {
                        if (ret_bad)
                                *ret_bad = *o;
                        return r;
                }
        }
        return 0;
}

void slurm_extra_done(SlurmExtra *e) {
        e->constraint = mfree(e->constraint);
        e->nodelist = mfree(e->nodelist);
        e->exclude = mfree(e->exclude);
        e->gres = mfree(e->gres);
        e->reservation = mfree(e->reservation);
        e->comment = mfree(e->comment);
        *e = (SlurmExtra) {};
}
