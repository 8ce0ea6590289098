/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "conf-parse.h"
#include "job-spec.h"
#include "message-util.h"
#include "parse-util.h"
#include "strv.h"

static const char *const conf_kind_table[_CONF_KIND_MAX] = {
        [CONF_POOL] = "Pool",
        [CONF_SLOT_POOL] = "SlotPool",
        [CONF_GROUP] = "Group",
};

const char *conf_kind_to_string(ConfKind k) {
        return k >= 0 && k < _CONF_KIND_MAX ? conf_kind_table[k] : NULL;
}

void jobd_conf_init(JobdConf *c) {
        *c = (JobdConf) {
                .users = {
                        .max_running_jobs = CONF_UNSET,
                        .max_unfinished_jobs = CONF_UNSET,
                        .max_spec_bytes = CONF_UNSET,
                        .max_priority = CONF_PRIORITY_UNSET,
                },
                .runs = {
                        .keep_runs = CONF_UNSET,
                },
                .defaults = {
                        .timeout_usec = CONF_UNSET,
                        .max_timeout_usec = CONF_UNSET,
                        .tasks_max = CONF_UNSET,
                        .memory_max = CONF_UNSET,
                },
        };
}

void jobd_conf_done(JobdConf *c) {
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].name);
                strv_free(c->entries[i].slots);
        }
        free(c->entries);
        free(c->operator_group);
        free(c->slurm.config);
        free(c->slurm.partition);
        free(c->slurm.account);
        free(c->slurm.qos);
        strv_free(c->slurm.extra_options);
        free(c->slurm.shared_dir);
        jobd_conf_init(c);
}

/* ---- sections without a name ([Users], [Defaults]): one table line per key ---- */

static int parse_count(const char *v, void *ret) {
        uint64_t u;

        if (streq(v, "infinity")) {
                *(uint64_t *) ret = CONF_INFINITY;
                return 0;
        }
        if (safe_atou64(v, &u) < 0 || u == 0 || u >= CONF_INFINITY)
                return -EINVAL;
        *(uint64_t *) ret = u;
        return 0;
}

static int parse_bytes(const char *v, void *ret) {
        uint64_t u;

        if (parse_size(v, &u) < 0 || u == 0)
                return -EINVAL;
        *(uint64_t *) ret = u >= CONF_INFINITY ? CONF_INFINITY : u;
        return 0;
}

static int parse_priority(const char *v, void *ret) {
        int i;

        if (safe_atoi(v, &i) < 0)
                return -EINVAL;
        *(int64_t *) ret = i;
        return 0;
}

static int parse_timeout(const char *v, void *ret) {
        usec_t t;

        if (parse_sec(v, &t) < 0 || (t != USEC_INFINITY && t > JOB_TIMEOUT_MAX))
                return -EINVAL;
        /* 0 is "no timeout", as for TimeoutUSec. */
        *(uint64_t *) ret = t == USEC_INFINITY || t == 0 ? CONF_INFINITY : t;
        return 0;
}

static int parse_tasks(const char *v, void *ret) {
        int r = parse_count(v, ret);

        if (r < 0 || (*(uint64_t *) ret != CONF_INFINITY && *(uint64_t *) ret > JOB_TASKS_MAX_MAX))
                return -EINVAL;
        return 0;
}

static int parse_memory(const char *v, void *ret) {
        int r = parse_bytes(v, ret);

        if (r < 0 || *(uint64_t *) ret < JOB_MEMORY_MAX_MIN)
                return -EINVAL;
        return 0;
}

static int parse_log_max(const char *v, void *ret) {
        uint64_t u;

        if (streq(v, "infinity") || streq(v, "0")) {
                *(uint64_t *) ret = 0;
                return 0;
        }
        if (parse_size(v, &u) < 0 || u < JOB_LOG_MAX_BYTES_MIN || u > JOB_LOG_MAX_BYTES_MAX)
                return -EINVAL;
        *(uint64_t *) ret = u;
        return 0;
}

/* KeepRuns=: 0 (none) up to the runs the daemon keeps at all. */
static int parse_keep_runs(const char *v, void *ret) {
        uint64_t u;

        if (safe_atou64(v, &u) < 0 || u > 1024)
                return -EINVAL;
        *(uint64_t *) ret = u;
        return 0;
}

typedef struct ConfSetting {
        const char *section;
        const char *key;
        int (*parse)(const char *value, void *ret);
        size_t offset;                 /* in JobdConf */
        const char *expected;          /* for the message about a bad value */
} ConfSetting;

#define COUNT_EXPECTED "a number of at least 1, or infinity"
#define BYTES_EXPECTED "a size such as 512M or 4G, or infinity"

static const ConfSetting conf_settings[] = {
        { "Users", "MaxRunningJobs", parse_count, offsetof(JobdConf, users.max_running_jobs), COUNT_EXPECTED },
        { "Users", "MaxUnfinishedJobs", parse_count, offsetof(JobdConf, users.max_unfinished_jobs),
          COUNT_EXPECTED },
        { "Users", "MaxSpecBytes", parse_bytes, offsetof(JobdConf, users.max_spec_bytes), BYTES_EXPECTED },
        { "Users", "MaxPriority", parse_priority, offsetof(JobdConf, users.max_priority),
          "a number such as 0, 10 or -5" },
        { "Defaults", "TimeoutSec", parse_timeout, offsetof(JobdConf, defaults.timeout_usec),
          "a time span such as 90, 10min or 2h (at most a year), or infinity" },
        { "Defaults", "MaxTimeoutSec", parse_timeout, offsetof(JobdConf, defaults.max_timeout_usec),
          "a time span such as 90, 10min or 2h (at most a year), or infinity" },
        { "Defaults", "TasksMax", parse_tasks, offsetof(JobdConf, defaults.tasks_max),
          "a number between 1 and 4194304, or infinity" },
        { "Defaults", "MemoryMax", parse_memory, offsetof(JobdConf, defaults.memory_max),
          "a size of at least 1M such as 512M or 4G, or infinity" },
        { "Defaults", "LogMaxBytes", parse_log_max, offsetof(JobdConf, defaults.log_max_bytes),
          "a size such as 100M (at least 4096 bytes), 0 or infinity" },
        { "Runs", "KeepRuns", parse_keep_runs, offsetof(JobdConf, runs.keep_runs),
          "a number of runs from 0 to 1024" },
};


_printf_(4, 5)
static int fail(char **ret, const char *filename, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *where = NULL;
        va_list ap;
        int r;

        if (asprintf(&where, "%s:%u", filename, line) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        va_start(ap, fmt);
        r = message_setv(ret, -EINVAL, where, fmt, ap);
        va_end(ap);
        return r;
}

static char *strip(char *s) {
        char *e;

        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

/* Seen keys of the current section, to say which required one is missing. */
typedef struct Section {
        ConfEntry *entry;
        const char *unnamed;           /* [Users], [Defaults], ...: the section's kind */
        bool have_value, have_slots;
        bool access;                   /* in [Access], which has no name and no entry */
        bool slurm;                    /* in [Slurm], likewise */
} Section;

static int section_check(const Section *sec, const JobdConf *c, const char *filename, char **ret) {
        const ConfEntry *e = sec->entry;

        if (sec->slurm && !c->slurm.shared_dir)
                return fail(ret, filename, c->slurm.line, "[Slurm] needs SharedDirectory= (an absolute path "
                            "that is the same folder on every node of the cluster)");

        if (!e)
                return 0;
        if (e->kind == CONF_POOL && !sec->have_value)
                return fail(ret, filename, e->line, "[Pool %s] needs Capacity=", e->name);
        if (e->kind == CONF_GROUP && !sec->have_value)
                return fail(ret, filename, e->line, "[Group %s] needs Limit= or TimeoutSec=", e->name);
        if (e->kind == CONF_SLOT_POOL && !sec->have_slots)
                return fail(ret, filename, e->line, "[SlotPool %s] needs Slots=", e->name);
        return 0;
}

static int parse_header(char *l, const char *filename, unsigned line, JobdConf *c, Section *sec,
                        char **ret) {
        char *end = strchr(l, ']'), *name;
        ConfEntry *t;
        ConfKind kind = _CONF_KIND_MAX;
        size_t k;

        if (!end || !isempty(strip(end + 1)))
                return fail(ret, filename, line, "a section header is \"[Kind NAME]\" on a line of its own");
        *end = 0;
        l = strip(l + 1);
        k = strcspn(l, " \t");
        name = strip(l + k);
        l[k] = 0;
        if (streq(l, "Access")) {
                if (!isempty(name))
                        return fail(ret, filename, line, "[Access] takes no name");
                *sec = (Section) { .access = true };
                return 0;
        }
        if (streq(l, "Slurm")) {
                if (!isempty(name))
                        return fail(ret, filename, line, "[Slurm] takes no name");
                if (c->slurm.present)
                        return fail(ret, filename, line, "[Slurm] is defined already on line %u", c->slurm.line);
                c->slurm.present = true;
                c->slurm.line = line;
                *sec = (Section) { .slurm = true };
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(conf_settings); i++)
                if (streq(l, conf_settings[i].section)) {
                        if (!isempty(name))
                                return fail(ret, filename, line, "[%s] is a section without a name", l);
                        *sec = (Section) { .unnamed = conf_settings[i].section };
                        return 0;
                }
        for (ConfKind i = 0; i < _CONF_KIND_MAX; i++)
                if (streq(l, conf_kind_table[i]))
                        kind = i;
        if (kind == _CONF_KIND_MAX)
                return fail(ret, filename, line,
                            "unknown section [%s] (known: Pool, SlotPool, Group, Users, Defaults, Runs, "
                            "Access, Slurm)", SHORT_STRING(l));
        if (!identifier_is_valid(name, kind == CONF_GROUP ? JOB_GROUP_MAX : JOB_POOL_NAME_MAX))
                return fail(ret, filename, line,
                            "[%s %s]: the name must be 1-%u characters of "
                            "A-Z a-z 0-9 _ . -",
                            l, SHORT_STRING(name), kind == CONF_GROUP ? JOB_GROUP_MAX : JOB_POOL_NAME_MAX);
        for (size_t i = 0; i < c->n_entries; i++) {
                bool pools = kind != CONF_GROUP && c->entries[i].kind != CONF_GROUP;

                if (streq(c->entries[i].name, name) && (c->entries[i].kind == kind || pools))
                        return fail(ret, filename, line, "%s %s is defined already on line %u", l, name,
                                    c->entries[i].line);
        }

        t = reallocarray(c->entries, c->n_entries + 1, sizeof(ConfEntry));
        if (!t)
                return -ENOMEM;
        c->entries = t;
        t[c->n_entries] = (ConfEntry) { .kind = kind, .line = line, .name = strdup(name) };
        if (!t[c->n_entries].name)
                return -ENOMEM;
        *sec = (Section) { .entry = &t[c->n_entries++] };
        return 0;
}

static int parse_u32(const char *v, uint32_t *ret) {
        unsigned u;

        if (safe_atou(v, &u) < 0)
                return -EINVAL;
        *ret = u;
        return 0;
}

/* A group name as useradd(8)/groupadd(8) accept it, or a decimal gid. */
static bool operator_group_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 64 || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr("_.-$", s[i]))
                        return false;
        return true;
}

static int parse_access(const char *key, const char *value, const char *filename, unsigned line, JobdConf *c,
                        char **ret) {
        char *v;

        if (!streq(key, "OperatorGroup"))
                return fail(ret, filename, line, "unknown key %s= in the [Access] section (known: "
                            "OperatorGroup)", SHORT_STRING(key));
        /* Empty: none, as if unset (a later line may take back an earlier one). */
        if (isempty(value)) {
                c->operator_group = mfree(c->operator_group);
                return 0;
        }
        if (!operator_group_is_valid(value))
                return fail(ret, filename, line, "OperatorGroup=%s: expected a group name or a gid",
                            SHORT_STRING(value));
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(c->operator_group);
        c->operator_group = v;
        return 0;
}

/* A name Slurm takes (partition, account, QOS): printable, no blanks, no commas. */
static bool slurm_name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > 128)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f || s[i] == ',')
                        return false;
        return true;
}

static bool conf_path_is_valid(const char *s) {
        if (s[0] != '/' || strlen(s) >= PATH_MAX / 2)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        return false;
        return true;
}

static int set_string(char **field, const char *value) {
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        free(*field);
        *field = v;
        return 0;
}

static int parse_slurm(const char *key, char *value, const char *filename, unsigned line, JobdConf *c,
                       char **ret) {
        ConfSlurm *s = &c->slurm;

        if (streq(key, "Config") || streq(key, "SharedDirectory")) {
                if (!conf_path_is_valid(value))
                        return fail(ret, filename, line, "%s=%s: expected an absolute path", key,
                                    SHORT_STRING(value));
                return set_string(streq(key, "Config") ? &s->config : &s->shared_dir, value);
        }
        if (streq(key, "Partition") || streq(key, "Account") || streq(key, "QOS")) {
                char **f = streq(key, "Partition") ? &s->partition : streq(key, "Account") ? &s->account : &s->qos;

                /* Empty: the cluster's default. */
                if (isempty(value)) {
                        *f = mfree(*f);
                        return 0;
                }
                if (!slurm_name_is_valid(value))
                        return fail(ret, filename, line, "%s=%s: expected a name of the cluster's (no blanks, "
                                    "no commas)", key, SHORT_STRING(value));
                return set_string(f, value);
        }
        if (streq(key, "ExtraOptions")) {
                _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

                if (!l)
                        return -ENOMEM;
                for (char *w = strtok(value, " \t"); w; w = strtok(NULL, " \t")) {
                        if (strncmp(w, "--", 2) != 0 || strlen(w) < 3)
                                return fail(ret, filename, line, "ExtraOptions: \"%s\" is not an sbatch option "
                                            "of the form --name=value", SHORT_STRING(w));
                        if (strv_length(l) >= 64)
                                return fail(ret, filename, line, "ExtraOptions: more than 64 options");
                        if (strv_extend(&l, w) < 0)
                                return -ENOMEM;
                }
                strv_free(s->extra_options);
                s->extra_options = TAKE_PTR(l);
                s->extra_options_line = line;
                return 0;
        }
        if (streq(key, "PollIntervalSec")) {
                usec_t t;

                if (parse_sec(value, &t) < 0 || t < 10 * USEC_PER_MSEC || t > 10 * 60 * USEC_PER_SEC)
                        return fail(ret, filename, line, "PollIntervalSec=%s: expected a time span from 10ms "
                                    "to 10min, such as 1, 0.5 or 5s", SHORT_STRING(value));
                s->poll_interval_usec = t;
                return 0;
        }
        return fail(ret, filename, line, "unknown key %s= in the [Slurm] section (known: Config, Partition, "
                    "Account, QOS, ExtraOptions, SharedDirectory, PollIntervalSec)", SHORT_STRING(key));
}

static int parse_assignment(char *l, const char *filename, unsigned line, JobdConf *c, Section *sec,
                            char **ret) {
        char *eq = strchr(l, '='), *key, *value;
        ConfEntry *e = sec->entry;

        if (!eq)
                return fail(ret, filename, line, "expected KEY=VALUE or a [Kind NAME] header");
        *eq = 0;
        key = strip(l);
        value = strip(eq + 1);
        if (sec->unnamed) {
                _cleanup_free_ char *known = NULL;

                for (size_t i = 0; i < ELEMENTSOF(conf_settings); i++) {
                        const ConfSetting *t = &conf_settings[i];

                        if (!streq(t->section, sec->unnamed) || !streq(t->key, key))
                                continue;
                        if (t->parse(value, (uint8_t *) c + t->offset) < 0)
                                return fail(ret, filename, line, "%s=%s: expected %s", key,
                                            SHORT_STRING(value),
                                            t->expected);
                        return 0;
                }
                for (size_t i = 0; i < ELEMENTSOF(conf_settings); i++) {
                        char *k;

                        if (!streq(conf_settings[i].section, sec->unnamed))
                                continue;
                        if (asprintf(&k, "%s%s%s", strempty(known), known ? ", " : "", conf_settings[i].key) < 0)
                                return -ENOMEM;
                        free(known);
                        known = k;
                }
                return fail(ret, filename, line, "unknown key %s= in the [%s] section (known: %s)",
                            SHORT_STRING(key),
                            sec->unnamed, strempty(known));
        }
        if (sec->access)
                return parse_access(key, value, filename, line, c, ret);
        if (sec->slurm)
                return parse_slurm(key, value, filename, line, c, ret);
        if (!e)
                return fail(ret, filename, line, "%s= outside of a section", key);

        if (e->kind != CONF_SLOT_POOL && streq(key, e->kind == CONF_POOL ? "Capacity" : "Limit")) {
                if (e->kind == CONF_GROUP && (streq(value, "infinity") || streq(value, "0")))
                        e->value = 0;
                else if (parse_u32(value, &e->value) < 0 || (e->kind == CONF_GROUP && e->value == 0))
                        return fail(ret, filename, line, "%s=%s: expected a number%s", key,
                                    SHORT_STRING(value),
                                    e->kind == CONF_GROUP ? " or infinity" : "");
                sec->have_value = true;
                e->have_limit = true;
                return 0;
        }
        if (e->kind == CONF_GROUP && streq(key, "TimeoutSec")) {
                usec_t t;

                if (parse_sec(value, &t) < 0 || (t != USEC_INFINITY && t > JOB_TIMEOUT_MAX))
                        return fail(ret, filename, line, "TimeoutSec=%s: expected a time span such as "
                                    "90, 10min or 2h (at most a year), or infinity", SHORT_STRING(value));
                e->timeout_usec = t == USEC_INFINITY ? 0 : t;
                sec->have_value = true;
                return 0;
        }
        if (e->kind == CONF_SLOT_POOL && streq(key, "Slots")) {
                _cleanup_strv_free_ char **slots = calloc(1, sizeof(char *));

                if (!slots)
                        return -ENOMEM;
                for (char *w = strtok(value, " \t,"); w; w = strtok(NULL, " \t,")) {
                        if (!slot_name_is_valid(w))
                                return fail(ret, filename, line, "Slots: \"%s\" is not a valid slot name",
                                            SHORT_STRING(w));
                        if (strv_length(slots) >= SCHED_SLOTS_MAX)
                                return fail(ret, filename, line, "Slots: more than %u slots",
                                            SCHED_SLOTS_MAX);
                        STRV_FOREACH(s, slots)
                                if (streq(*s, w))
                                        return fail(ret, filename, line, "Slots: \"%s\" is listed twice", w);
                        if (strv_extend(&slots, w) < 0)
                                return -ENOMEM;
                }
                if (strv_length(slots) == 0)
                        return fail(ret, filename, line, "Slots= needs at least one slot");
                strv_free(e->slots);
                e->slots = TAKE_PTR(slots);
                sec->have_slots = true;
                return 0;
        }
        if (e->kind == CONF_SLOT_POOL && streq(key, "QuarantineAfter")) {
                if (parse_u32(value, &e->quarantine_after) < 0)
                        return fail(ret, filename, line,
                                    "QuarantineAfter=%s: expected a number (0: never)",
                                    SHORT_STRING(value));
                return 0;
        }
        return fail(ret, filename, line, "unknown key %s= in a [%s] section (known: %s)",
                    SHORT_STRING(key),
                    conf_kind_to_string(e->kind),
                    e->kind == CONF_POOL  ? "Capacity" :
                    e->kind == CONF_GROUP ? "Limit, TimeoutSec" :
                                            "Slots, QuarantineAfter");
}

int jobd_conf_parse(const char *text, const char *filename, JobdConf *ret, char **ret_error) {
        _cleanup_free_ char *copy = strdup(text);
        JobdConf c;
        Section sec = {};
        unsigned line = 0;
        char *next;
        int r = 0;

        *ret_error = NULL;
        jobd_conf_init(&c);
        if (!copy)
                return -ENOMEM;
        for (char *l = copy; l; l = next) {
                next = strchr(l, '\n');
                if (next)
                        *next++ = 0;
                line++;
                l = strip(l);
                if (isempty(l) || l[0] == '#' || l[0] == ';')
                        continue;
                if (l[0] == '[') {
                        r = section_check(&sec, &c, filename, ret_error);
                        if (r < 0)
                                break;
                        r = parse_header(l, filename, line, &c, &sec, ret_error);
                } else
                        r = parse_assignment(l, filename, line, &c, &sec, ret_error);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = section_check(&sec, &c, filename, ret_error);
        if (r < 0) {
                jobd_conf_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}
