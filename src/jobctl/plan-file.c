/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "message-util.h"
#include "parse-util.h"
#include "plan-file.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);

/* Where a mistake is: the file, then the job (or "defaults"), then the key. */
typedef struct Where {
        const char *file;
        const char *part;              /* "defaults", "jobs[3] (build)", or NULL for the top level */
        char **error;
} Where;

_printf_(3, 4)
static int fail(const Where *w, const char *key, const char *fmt, ...) {
        _cleanup_free_ char *where = NULL;
        va_list ap;
        int r;

        if (asprintf(&where, "%s%s%s%s%s", w->file, w->part ? ": " : "", strempty(w->part), key ? ": " : "",
                     strempty(key)) < 0) {
                *w->error = NULL;
                return -ENOMEM;
        }
        va_start(ap, fmt);
        r = message_setv(w->error, -EINVAL, where, fmt, ap);
        va_end(ap);
        return r;
}

/* The value as the file had it, shortened, for "got ...". */
static const char *shown(json_object *v, char *buf, size_t l) {
        const char *s =
                json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        if (strlen(s) < l)
                snprintf(buf, l, "%s", s);
        else
                snprintf(buf, l, "%.*s...", (int) l - 4, s);
        return buf;
}

#define GOT(v) shown((v), (char[48]) {}, 48)

static int get_string(const Where *w, const char *key, json_object *v, char **ret) {
        const char *s;

        if (!json_object_is_type(v, json_type_string))
                return fail(w, key, "expected a string, got %s", GOT(v));
        s = json_object_get_string(v);
        if ((size_t) json_object_get_string_len(v) != strlen(s))
                return fail(w, key, "must not contain NUL characters");
        free(*ret);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int get_string_list(const Where *w, const char *key, json_object *v, bool single_ok, bool numbers_ok,
                           char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        size_t n;

        if (!l)
                return -ENOMEM;
        if (single_ok && json_object_is_type(v, json_type_string)) {
                if (strv_extend(&l, json_object_get_string(v)) < 0)
                        return -ENOMEM;
                goto done;
        }
        if (!json_object_is_type(v, json_type_array))
                return fail(w, key, "expected an array of strings%s, got %s",
                            single_ok ? " (or one string)" : "", GOT(v));
        n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                char buf[32];

                if (numbers_ok && json_object_is_type(e, json_type_int)) {
                        snprintf(buf, sizeof(buf), "%" PRId64, json_object_get_int64(e));
                        if (strv_extend(&l, buf) < 0)
                                return -ENOMEM;
                        continue;
                }
                if (!json_object_is_type(e, json_type_string))
                        return fail(w, key, "element %zu: expected a string%s, got %s", i,
                                    numbers_ok ? " or a number" : "", GOT(e));
                if (strv_extend(&l, json_object_get_string(e)) < 0)
                        return -ENOMEM;
        }
done:
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static int get_int64(const Where *w, const char *key, json_object *v, int64_t min, int64_t max,
                     int64_t *ret) {
        int64_t i;

        if (!json_object_is_type(v, json_type_int))
                return fail(w, key, "expected an integer, got %s", GOT(v));
        errno = 0;
        i = json_object_get_int64(v);
        if (errno != 0 || i < min || i > max)
                return fail(w, key, "%s is out of range (%" PRId64 "...%" PRId64 ")", GOT(v), min, max);
        *ret = i;
        return 0;
}

/* A number of seconds (fractions allowed) or a time span string: "90", "1.5s", "10min", "2h", "infinity". */
static int get_time(const Where *w, const char *key, json_object *v, usec_t *ret) {
        if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
                double d = json_object_get_double(v);

                if (!isfinite(d) || d < 0 || d > 366.0 * 24 * 3600)
                        return fail(w, key, "%s seconds is out of range (0...a year)", GOT(v));
                *ret = (usec_t) llround(d * USEC_PER_SEC);
                return 0;
        }
        if (json_object_is_type(v, json_type_string) && parse_sec(json_object_get_string(v), ret) >= 0) {
                if (*ret == USEC_INFINITY)
                        *ret = 0;
                return 0;
        }
        return fail(w, key, "expected a number of seconds or a time span such as \"90s\", \"10min\" or "
                    "\"2h\", got %s", GOT(v));
}

static int get_size(const Where *w, const char *key, json_object *v, uint64_t *ret) {
        int64_t i;

        if (json_object_is_type(v, json_type_int)) {
                int r = get_int64(w, key, v, 1, INT64_MAX, &i);
                if (r < 0)
                        return r;
                *ret = (uint64_t) i;
                return 0;
        }
        if (json_object_is_type(v, json_type_string) && parse_size(json_object_get_string(v), ret) >= 0)
                return 0;
        return fail(w, key, "expected a number of bytes or a size such as \"512M\" or \"2G\", got %s",
                    GOT(v));
}

static int get_env(const Where *w, const char *key, json_object *v, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        if (json_object_is_type(v, json_type_array)) {
                r = get_string_list(w, key, v, false, false, &l);
                if (r < 0)
                        return r;
                STRV_FOREACH(e, l)
                        if (!strchr(*e, '=') || (*e)[0] == '=')
                                return fail(w, key, "\"%s\" is not of the form NAME=VALUE",
                                            SHORT_STRING(*e));
        } else if (json_object_is_type(v, json_type_object)) {
                json_object_object_foreach(v, name, val) {
                        _cleanup_free_ char *a = NULL;
                        const char *s;

                        if (isempty(name) || strchr(name, '='))
                                return fail(w, key, "\"%s\" is not a valid variable name",
                                            SHORT_STRING(name));
                        if (json_object_is_type(val, json_type_string) ||
                            json_object_is_type(val, json_type_int) ||
                            json_object_is_type(val, json_type_double) ||
                            json_object_is_type(val, json_type_boolean))
                                s = json_object_is_type(val, json_type_string) ?
                                            json_object_get_string(val) :
                                            json_object_to_json_string(val);
                        else
                                return fail(w, key, "%s: expected a string, got %s", name, GOT(val));
                        if (asprintf(&a, "%s=%s", name, s) < 0 || strv_extend(&l, a) < 0)
                                return -ENOMEM;
                }
        } else
                return fail(w, key,
                            "expected an object {\"NAME\": \"VALUE\"} or an array of \"NAME=VALUE\", "
                            "got %s",
                            GOT(v));
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static int get_resources(const Where *w, const char *key, json_object *v, PlanFileSpec *s) {
        if (!json_object_is_type(v, json_type_object))
                return fail(w, key, "expected an object {\"POOL\": AMOUNT}, got %s", GOT(v));
        json_object_object_foreach(v, pool, amount) {
                PlanFileResource *t;
                int64_t a = json_object_is_type(amount, json_type_int) ? json_object_get_int64(amount) : 0;

                if (a < 1 || a > UINT32_MAX)
                        return fail(w, key, "%s: expected a positive integer, got %s", pool, GOT(amount));
                t = reallocarray(s->resources, s->n_resources + 1, sizeof(PlanFileResource));
                if (!t)
                        return -ENOMEM;
                s->resources = t;
                t[s->n_resources] = (PlanFileResource) { .pool = strdup(pool), .amount = (uint32_t) a };
                if (!t[s->n_resources].pool)
                        return -ENOMEM;
                s->n_resources++;
        }
        s->resources_set = true;
        return 0;
}

static int get_cwd(const Where *w, const char *key, json_object *v, const char *base_dir, char **ret) {
        _cleanup_free_ char *s = NULL;
        int r;

        r = get_string(w, key, v, &s);
        if (r < 0)
                return r;
        if (isempty(s))
                return fail(w, key, "must not be empty");
        if (s[0] != '/') {
                char *a;
                if (asprintf(&a, "%s/%s", streq(base_dir, "/") ? "" : base_dir, s) < 0)
                        return -ENOMEM;
                free(s);
                s = a;
        }
        free(*ret);
        *ret = TAKE_PTR(s);
        return 0;
}

static const char *const job_keys[] = {
        "name", "command", "cwd", "env", "priority", "timeout", "memory_max", "tasks_max", "cpu_weight",
        "after", "after_condition", "group", "resources", "retries", "retry_on", "retry_delay",
        "system_call_filter", "restrict_address_families", "log_max_bytes", "labels",
        "fail_patterns", "pass_patterns", "log", "odir", "jobserver", "backend",
};

static int parse_spec(const Where *w, json_object *o, bool defaults, const char *base_dir, PlanFileSpec *s) {
        int64_t i;
        int r = 0;

        if (!json_object_is_type(o, json_type_object))
                return fail(w, NULL, "expected an object, got %s", GOT(o));

        json_object_object_foreach(o, key, v) {
                bool known = false;

                for (size_t k = 0; k < ELEMENTSOF(job_keys); k++)
                        known = known || streq(key, job_keys[k]);
                if (!known)
                        return fail(w, key,
                                    "unknown key (known: name, command, cwd, env, priority, timeout, "
                                    "memory_max, tasks_max, cpu_weight, after, after_condition, group, "
                                    "resources, retries, retry_on, retry_delay, system_call_filter, "
                                    "restrict_address_families, log_max_bytes, labels, fail_patterns, "
                                    "pass_patterns, log, odir, jobserver, backend)");
                if (defaults && (streq(key, "name") || streq(key, "command") || streq(key, "after") ||
                                 streq(key, "log") || streq(key, "odir")))
                        return fail(w, key, "is for each job, not for the defaults");

                if (streq(key, "name")) {
                        r = get_string(w, key, v, &s->name);
                        if (r >= 0 && isempty(s->name))
                                r = fail(w, key, "must not be empty");
                } else if (streq(key, "command")) {
                        if (json_object_is_type(v, json_type_string)) {
                                char **l = NULL;

                                if (strv_extend(&l, "/bin/sh") < 0 || strv_extend(&l, "-c") < 0 ||
                                    strv_extend(&l, json_object_get_string(v)) < 0) {
                                        strv_free(l);
                                        return -ENOMEM;
                                }
                                strv_free(s->command);
                                s->command = l;
                        } else
                                r = get_string_list(w, key, v, false, false, &s->command);
                        if (r >= 0 && (strv_length(s->command) == 0 || isempty(s->command[0])))
                                r = fail(w, key, "must not be empty");
                } else if (streq(key, "cwd"))
                        r = get_cwd(w, key, v, base_dir, &s->cwd);
                else if (streq(key, "env"))
                        r = get_env(w, key, v, &s->env);
                else if (streq(key, "priority")) {
                        r = get_int64(w, key, v, INT32_MIN, INT32_MAX, &i);
                        s->priority = (int32_t) i;
                        s->priority_set = true;
                } else if (streq(key, "timeout")) {
                        r = get_time(w, key, v, &s->timeout);
                        s->timeout_set = true;
                } else if (streq(key, "jobserver")) {
                        const char *st = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                                                   : NULL;

                        if (st && (streq(st, "pipe") || streq(st, "fifo"))) {
                                free(s->jobserver_style);
                                s->jobserver_style = strdup(st);
                                if (!s->jobserver_style)
                                        return -ENOMEM;
                                s->jobserver = true;
                        } else if (!json_object_is_type(v, json_type_boolean))
                                r = fail(w, key, "expected true, false, \"pipe\" or \"fifo\", got %s", GOT(v));
                        else
                                s->jobserver = json_object_get_boolean(v);
                        s->jobserver_set = true;
                } else if (streq(key, "log_max_bytes")) {
                        /* 0 or "infinity": no cap (not even jobd.conf's default). */
                        if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0)
                                s->log_max_bytes = 0;
                        else
                                r = get_size(w, key, v, &s->log_max_bytes);
                        if (s->log_max_bytes == UINT64_MAX)
                                s->log_max_bytes = 0;
                        s->log_max_bytes_set = true;
                } else if (streq(key, "memory_max")) {
                        r = get_size(w, key, v, &s->memory_max);
                        s->memory_max_set = true;
                } else if (streq(key, "tasks_max")) {
                        if (json_object_is_type(v, json_type_string) &&
                            streq(json_object_get_string(v), "infinity"))
                                s->tasks_max = UINT64_MAX;
                        else {
                                r = get_int64(w, key, v, 1, INT64_MAX, &i);
                                s->tasks_max = (uint64_t) i;
                        }
                        s->tasks_max_set = true;
                } else if (streq(key, "cpu_weight")) {
                        r = get_int64(w, key, v, 1, 10000, &i);
                        s->cpu_weight = (uint64_t) i;
                        s->cpu_weight_set = true;
                } else if (streq(key, "after"))
                        r = get_string_list(w, key, v, true, false, &s->after);
                else if (streq(key, "after_condition")) {
                        r = get_string(w, key, v, &s->after_condition);
                        if (r >= 0 && !streq(s->after_condition, "success") &&
                            !streq(s->after_condition, "failure") && !streq(s->after_condition, "any"))
                                r = fail(w, key, "\"%s\" is not one of success, failure, any",
                                         SHORT_STRING(s->after_condition));
                } else if (streq(key, "group"))
                        r = get_string(w, key, v, &s->group);
                else if (streq(key, "resources"))
                        r = get_resources(w, key, v, s);
                else if (streq(key, "retries")) {
                        r = get_int64(w, key, v, 0, UINT32_MAX, &i);
                        s->retries = (uint32_t) i;
                        s->retries_set = true;
                } else if (streq(key, "retry_on"))
                        r = get_string_list(w, key, v, true, true, &s->retry_on);
                else if (streq(key, "retry_delay")) {
                        r = get_time(w, key, v, &s->retry_delay);
                        s->retry_delay_set = true;
                } else if (streq(key, "system_call_filter"))
                        /* The names are checked by jobd, which knows the system calls of its host. */
                        r = get_string_list(w, key, v, true, false, &s->system_call_filter);
                else if (streq(key, "restrict_address_families"))
                        r = get_string_list(w, key, v, true, false, &s->restrict_address_families);
                else if (streq(key, "labels"))
                        /* Checked by jobd (Labels). */
                        r = get_string_list(w, key, v, true, false, &s->labels);
                else if (streq(key, "fail_patterns"))
                        /* The regexes are compiled by jobd, which says what is wrong with one. */
                        r = get_string_list(w, key, v, true, false, &s->fail_patterns);
                else if (streq(key, "pass_patterns"))
                        r = get_string_list(w, key, v, true, false, &s->pass_patterns);
                else if (streq(key, "log"))
                        r = get_cwd(w, key, v, base_dir, &s->log);
                else if (streq(key, "odir"))
                        r = get_cwd(w, key, v, base_dir, &s->odir);
                else if (streq(key, "backend")) {
                        r = get_string(w, key, v, &s->backend);
                        if (r >= 0 && !streq(s->backend, "local") && !streq(s->backend, "slurm"))
                                r = fail(w, key, "expected \"local\" or \"slurm\", got \"%s\"", s->backend);
                }
                if (r < 0)
                        return r;
        }
        if (!defaults && !s->command)
                return fail(w, "command", "is required");
        return 0;
}

static void spec_done(PlanFileSpec *s) {
        free(s->name);
        strv_free(s->command);
        free(s->cwd);
        strv_free(s->env);
        strv_free(s->after);
        free(s->after_condition);
        free(s->group);
        for (size_t i = 0; i < s->n_resources; i++)
                free(s->resources[i].pool);
        free(s->resources);
        strv_free(s->retry_on);
        strv_free(s->system_call_filter);
        strv_free(s->restrict_address_families);
        strv_free(s->labels);
        strv_free(s->fail_patterns);
        strv_free(s->pass_patterns);
        free(s->log);
        free(s->odir);
        free(s->jobserver_style);
        free(s->backend);
        *s = (PlanFileSpec) {};
}

void plan_file_done(PlanFile *p) {
        free(p->name);
        free(p->output_root);
        spec_done(&p->defaults);
        for (size_t i = 0; i < p->n_jobs; i++)
                spec_done(&p->jobs[i]);
        free(p->jobs);
        *p = (PlanFile) {};
}

/* "FILE:LINE:COLUMN" of a byte offset. */
static void offset_to_position(const char *text, size_t offset, unsigned *ret_line, unsigned *ret_col) {
        unsigned line = 1, col = 1;

        for (size_t i = 0; i < offset && text[i]; i++)
                if (text[i] == '\n') {
                        line++;
                        col = 1;
                } else
                        col++;
        *ret_line = line;
        *ret_col = col;
}

static int parse_json(const char *text, size_t size, const char *filename, json_object **ret,
                      char **ret_error) {
        json_tokener *tok;
        enum json_tokener_error e;
        json_object *o;
        size_t end;
        unsigned line, col;

        if (size > INT_MAX || strlen(text) != size) {
                if (asprintf(ret_error,
                             "%s: not a text file (it contains NUL bytes, or is larger than 2 GiB)",
                             filename) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        /* Every string of the plan goes on the bus, where strings must be UTF-8: say where one is not,
         * rather than fail to build the call. */
        end = utf8_first_invalid(text);
        if (end < size) {
                offset_to_position(text, end, &line, &col);
                if (asprintf(ret_error, "%s:%u:%u: not valid UTF-8 (byte 0x%02x); plan files are UTF-8 text",
                             filename, line, col, (unsigned char) text[end]) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, text, (int) size);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        if (e == json_tokener_success) {
                /* Only white space may follow the value. */
                while (end < size && strchr(" \t\r\n", text[end]))
                        end++;
                if (end >= size) {
                        *ret = o;
                        return 0;
                }
                json_object_put(o);
                offset_to_position(text, end, &line, &col);
                if (asprintf(ret_error, "%s:%u:%u: JSON syntax error: text after the plan's object",
                             filename, line, col) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        json_object_put(o);
        offset_to_position(text, MIN(end, size), &line, &col);
        if (asprintf(ret_error, "%s:%u:%u: JSON syntax error: %s", filename, line, col,
                     e == json_tokener_continue ? "unexpected end of file" : json_tokener_error_desc(e)) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

int plan_file_parse(const char *text, size_t size, const char *filename, const char *base_dir, PlanFile *ret,
                    char **ret_error) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        PlanFile p = { .inherit_environment = true };
        json_object *jobs = NULL;
        Where w = { .file = filename, .error = ret_error };
        int64_t i;
        int r = 0;

        *ret_error = NULL;
        r = parse_json(text, size, filename, &root, ret_error);
        if (r < 0)
                return r;
        if (!json_object_is_type(root, json_type_object))
                return fail(&w, NULL, "a plan is a JSON object with \"jobs\" (and \"name\", \"defaults\", "
                            "\"max_parallel\", \"inherit_environment\"), got %s", GOT(root));

        json_object_object_foreach(root, key, v) {
                if (streq(key, "name")) {
                        r = get_string(&w, key, v, &p.name);
                } else if (streq(key, "max_parallel")) {
                        r = get_int64(&w, key, v, 1, UINT32_MAX, &i);
                        p.max_parallel = (uint32_t) i;
                        p.max_parallel_set = true;
                } else if (streq(key, "inherit_environment")) {
                        if (!json_object_is_type(v, json_type_boolean))
                                r = fail(&w, key, "expected true or false, got %s", GOT(v));
                        else
                                p.inherit_environment = json_object_get_boolean(v);
                } else if (streq(key, "timeout")) {
                        r = get_time(&w, key, v, &p.timeout);
                } else if (streq(key, "output_root")) {
                        r = get_cwd(&w, key, v, base_dir, &p.output_root);
                } else if (streq(key, "defaults")) {
                        w.part = "defaults";
                        r = parse_spec(&w, v, true, base_dir, &p.defaults);
                        w.part = NULL;
                } else if (streq(key, "jobs")) {
                        if (!json_object_is_type(v, json_type_array))
                                r = fail(&w, key, "expected an array of jobs, got %s", GOT(v));
                        else if (json_object_array_length(v) == 0)
                                r = fail(&w, key, "a plan needs at least one job");
                        jobs = v;
                } else
                        r = fail(&w, key, "unknown key (known: name, max_parallel, inherit_environment, "
                                 "timeout, output_root, defaults, jobs)");
                if (r < 0)
                        goto fail;
        }
        if (!jobs) {
                r = fail(&w, "jobs", "is required: the array of jobs");
                goto fail;
        }

        p.n_jobs = json_object_array_length(jobs);
        p.jobs = calloc(p.n_jobs, sizeof(PlanFileSpec));
        if (!p.jobs) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t k = 0; k < p.n_jobs; k++) {
                json_object *o = json_object_array_get_idx(jobs, k), *n;
                char part[32 + SHORT_STRING_BUF];

                /* Name the job in messages by its name, whichever key comes first. */
                if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "name", &n) &&
                    json_object_is_type(n, json_type_string))
                        snprintf(part, sizeof(part), "jobs[%zu] (%s)", k,
                                 SHORT_STRING(json_object_get_string(n)));
                else
                        snprintf(part, sizeof(part), "jobs[%zu]", k);
                w.part = part;
                r = parse_spec(&w, o, false, base_dir, &p.jobs[k]);
                w.part = NULL;
                if (r < 0)
                        goto fail;
        }
        *ret = p;
        return 0;

fail:
        plan_file_done(&p);
        return r;
}
