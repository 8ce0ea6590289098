/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-parse.h"
#include "job-spec.h"
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

void jobd_conf_done(JobdConf *c) {
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].name);
                strv_free(c->entries[i].slots);
        }
        free(c->entries);
        free(c->operator_group);
        *c = (JobdConf) {};
}

_printf_(4, 5)
static int fail(char **ret, const char *filename, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0 || asprintf(ret, "%s:%u: %s", filename, line, what) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
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
        bool have_value, have_slots;
        bool access;                   /* in [Access], which has no name and no entry */
} Section;

static int section_check(const Section *sec, const char *filename, char **ret) {
        const ConfEntry *e = sec->entry;

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
        for (ConfKind i = 0; i < _CONF_KIND_MAX; i++)
                if (streq(l, conf_kind_table[i]))
                        kind = i;
        if (kind == _CONF_KIND_MAX)
                return fail(ret, filename, line,
                            "unknown section [%.64s] (known: Pool, SlotPool, Group, Access)", l);
        if (!identifier_is_valid(name, kind == CONF_GROUP ? JOB_GROUP_MAX : JOB_POOL_NAME_MAX))
                return fail(ret, filename, line,
                            "[%s %.64s]: the name must be 1-%u characters of "
                            "A-Z a-z 0-9 _ . -",
                            l, name, kind == CONF_GROUP ? JOB_GROUP_MAX : JOB_POOL_NAME_MAX);
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
                return fail(ret, filename, line, "unknown key %.64s= in the [Access] section (known: "
                            "OperatorGroup)", key);
        /* Empty: none, as if unset (a later line may take back an earlier one). */
        if (isempty(value)) {
                c->operator_group = mfree(c->operator_group);
                return 0;
        }
        if (!operator_group_is_valid(value))
                return fail(ret, filename, line, "OperatorGroup=%.64s: expected a group name or a gid",
                            value);
        v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(c->operator_group);
        c->operator_group = v;
        return 0;
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
        if (sec->access)
                return parse_access(key, value, filename, line, c, ret);
        if (!e)
                return fail(ret, filename, line, "%s= outside of a section", key);

        if (e->kind != CONF_SLOT_POOL && streq(key, e->kind == CONF_POOL ? "Capacity" : "Limit")) {
                if (e->kind == CONF_GROUP && (streq(value, "infinity") || streq(value, "0")))
                        e->value = 0;
                else if (parse_u32(value, &e->value) < 0 || (e->kind == CONF_GROUP && e->value == 0))
                        return fail(ret, filename, line, "%s=%.64s: expected a number%s", key, value,
                                    e->kind == CONF_GROUP ? " or infinity" : "");
                sec->have_value = true;
                e->have_limit = true;
                return 0;
        }
        if (e->kind == CONF_GROUP && streq(key, "TimeoutSec")) {
                usec_t t;

                if (parse_sec(value, &t) < 0 || (t != USEC_INFINITY && t > JOB_TIMEOUT_MAX))
                        return fail(ret, filename, line, "TimeoutSec=%.64s: expected a time span such as "
                                    "90, 10min or 2h (at most a year), or infinity", value);
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
                                return fail(ret, filename, line, "Slots: \"%.64s\" is not a valid slot name",
                                            w);
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
                                    "QuarantineAfter=%.64s: expected a number (0: never)", value);
                return 0;
        }
        return fail(ret, filename, line, "unknown key %.64s= in a [%s] section (known: %s)", key,
                    conf_kind_to_string(e->kind),
                    e->kind == CONF_POOL  ? "Capacity" :
                    e->kind == CONF_GROUP ? "Limit, TimeoutSec" :
                                            "Slots, QuarantineAfter");
}

int jobd_conf_parse(const char *text, const char *filename, JobdConf *ret, char **ret_error) {
        _cleanup_free_ char *copy = strdup(text);
        JobdConf c = {};
        Section sec = {};
        unsigned line = 0;
        char *next;
        int r = 0;

        *ret_error = NULL;
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
                        r = section_check(&sec, filename, ret_error);
                        if (r < 0)
                                break;
                        r = parse_header(l, filename, line, &c, &sec, ret_error);
                } else
                        r = parse_assignment(l, filename, line, &c, &sec, ret_error);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = section_check(&sec, filename, ret_error);
        if (r < 0) {
                jobd_conf_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}
