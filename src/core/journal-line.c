/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "journal-line.h"
#include "macro.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);

uint64_t journal_get_u64(json_object *o, const char *key, uint64_t def) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_uint64(v);
}

int64_t journal_get_i64(json_object *o, const char *key, int64_t def) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_int64(v);
}

uint64_t journal_get_uint(json_object *o, const char *key, uint64_t def, uint64_t max) {
        json_object *v;
        uint64_t u;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
            json_object_get_int64(v) < 0)
                return def;
        u = json_object_get_uint64(v);
        return u <= max ? u : def;
}

int64_t journal_get_int(json_object *o, const char *key, int64_t def, int64_t min, int64_t max) {
        json_object *v;
        int64_t i;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        i = json_object_get_int64(v);
        return i >= min && i <= max ? i : def;
}

const char *journal_get_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int journal_get_strv(json_object *o, const char *key, char ***ret) {
        json_object *a;
        char **l = NULL;

        if (json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array))
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *e = json_object_array_get_idx(a, i);
                        if (json_object_is_type(e, json_type_string) &&
                            strv_extend(&l, json_object_get_string(e)) < 0) {
                                strv_free(l);
                                return -ENOMEM;
                        }
                }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = l;
        return 0;
}

json_object *journal_strv_to_json(char **l) {
        json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        STRV_FOREACH(s, l)
                if (json_object_array_add(a, json_object_new_string(*s)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

json_object *journal_header_new(void) {
        json_object *o = json_object_new_object();

        if (o && json_object_object_add(o, JOURNAL_HEADER_KEY, json_object_new_uint64(JOURNAL_FORMAT_VERSION)) < 0)
                return json_object_put(o), NULL;
        return o;
}

int journal_header_parse(json_object *o, unsigned *ret_version) {
        json_object *v;
        int64_t n;

        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, JOURNAL_HEADER_KEY, &v))
                return 0;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        n = json_object_get_int64(v);
        if (n <= 0 || n > INT32_MAX)
                return -EBADMSG;
        *ret_version = (unsigned) n;
        return 1;
}

int journal_line_parse(const char *line, json_object **ret, JournalLineKind *ret_kind, uint64_t *ret_id,
                       unsigned *ret_version) {
        json_object *o = json_tokener_parse(line);
        const char *e;
        uint64_t id;
        int r;

        if (!o)
                return -EBADMSG;
        r = journal_header_parse(o, ret_version);
        if (r != 0) {
                if (r < 0) {
                        json_object_put(o);
                        return r;
                }
                *ret_kind = JOURNAL_LINE_HEADER;
                *ret_id = 0;
                *ret = o;
                return 0;
        }
        e = journal_get_str(o, "e");
        id = journal_get_uint(o, "id", 0, JOURNAL_ID_MAX);
        if (!e || id == 0) {
                json_object_put(o);
                return -EBADMSG;
        }
        *ret_kind = streq(e, "run") ? JOURNAL_LINE_RUN : streq(e, "submit") ? JOURNAL_LINE_SUBMIT : JOURNAL_LINE_EVENT;
        *ret_id = id;
        *ret = o;
        return 0;
}

/* An integer read back: never negative, never beyond what its destination holds. */
static int read_u64(json_object *v, uint64_t min, uint64_t max, bool unset_ok, uint64_t *ret) {
        uint64_t u;

        if (json_object_get_int64(v) < 0)
                return -EBADMSG;
        u = json_object_get_uint64(v);
        if (!(unset_ok && u == UINT64_MAX) && (u < min || u > max))
                return -EBADMSG;
        *ret = u;
        return 0;
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static int get_env(const JournalSubmit *s, json_object **ret) {
        *ret = journal_strv_to_json(s->env ?: s->spec.environment);
        return *ret ? 0 : -ENOMEM;
}

static int set_strv(json_object *v, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = json_object_array_length(v);

        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);

                if (!json_object_is_type(e, json_type_string))
                        return -EBADMSG;
                l[i] = strdup(json_object_get_string(e));
                if (!l[i])
                        return -ENOMEM;
        }
        strv_free(*ret);
        *ret = TAKE_PTR(l);
        return 0;
}

static int set_env(JournalSubmit *s, json_object *v) {
        return set_strv(v, &s->spec.environment);
}

static int get_after(const JournalSubmit *s, json_object **ret) {
        json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < s->spec.n_after; i++)
                if (json_object_array_add(a, json_object_new_uint64(s->spec.after[i])) < 0) {
                        json_object_put(a);
                        return -ENOMEM;
                }
        *ret = a;
        return 0;
}

/* A job runs only after jobs submitted before it: a later id is damage (and could make a cycle). */
static int set_after(JournalSubmit *s, json_object *v) {
        size_t n = json_object_array_length(v);
        _cleanup_free_ uint64_t *after = NULL;

        if (n == 0)
                return 0;
        after = calloc(n, sizeof(uint64_t));
        if (!after)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);

                if (!json_object_is_type(e, json_type_int) || read_u64(e, 1, s->id - 1, false, &after[i]) < 0)
                        return -EBADMSG;
        }
        free(s->spec.after);
        s->spec.after = TAKE_PTR(after);
        s->spec.n_after = n;
        return 0;
}

static int get_cond(const JournalSubmit *s, json_object **ret) {
        const char *c = sched_condition_to_string(s->spec.after_condition);

        *ret = c ? json_object_new_string(c) : NULL;
        return c && !*ret ? -ENOMEM : 0;
}

static int set_cond(JournalSubmit *s, json_object *v) {
        SchedCondition c = sched_condition_from_string(json_object_get_string(v));

        if (c < 0)
                return -EBADMSG;
        s->spec.after_condition = c;
        return 0;
}

static int get_res(const JournalSubmit *s, json_object **ret) {
        json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < s->spec.n_resources; i++)
                if (json_object_object_add(o, s->spec.resources[i].pool,
                                           json_object_new_uint64(s->spec.resources[i].amount)) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
        *ret = o;
        return 0;
}

static int set_res(JournalSubmit *s, json_object *v) {
        size_t n = (size_t) json_object_object_length(v);
        JobResourceRequest *res;

        if (n == 0)
                return 0;
        res = calloc(n, sizeof(JobResourceRequest));
        if (!res)
                return -ENOMEM;
        /* Owned by the spec from here on: job_spec_done() frees what was read so far. */
        s->spec.resources = res;
        json_object_object_foreach(v, pool, amount) {
                uint64_t a;

                if (!json_object_is_type(amount, json_type_int) || read_u64(amount, 0, UINT32_MAX, false, &a) < 0 ||
                    *pool == 0 || strlen(pool) > JOB_POOL_NAME_MAX)
                        return -EBADMSG;
                res[s->spec.n_resources].pool = strdup(pool);
                if (!res[s->spec.n_resources].pool)
                        return -ENOMEM;
                res[s->spec.n_resources++].amount = (uint32_t) a;
        }
        return 0;
}

static int get_retry_on(const JournalSubmit *s, json_object **ret) {
        _cleanup_strv_free_ char **l = NULL;

        *ret = NULL;
        if (s->spec.retry_on == 0)
                return 0;
        l = job_spec_retry_on_strv(&s->spec);
        if (!l)
                return -ENOMEM;
        *ret = journal_strv_to_json(l);
        return *ret ? 0 : -ENOMEM;
}

static int set_retry_on(JournalSubmit *s, json_object *v) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *why = NULL;
        int r;

        r = set_strv(v, &l);
        if (r < 0)
                return r;
        r = job_spec_set_retry_on(&s->spec, l, &why);
        return r == -ENOMEM ? r : r < 0 ? -EBADMSG : 0;
}

/* 0 (no cap) is not written; nor is "jobd.conf's default", which the daemon resolved before. */
static int get_log_max(const JournalSubmit *s, json_object **ret) {
        uint64_t v = s->spec.log_max_bytes;

        *ret = NULL;
        if (v == 0 || v == JOB_LOG_MAX_BYTES_UNSET)
                return 0;
        *ret = json_object_new_uint64(v);
        return *ret ? 0 : -ENOMEM;
}

static int set_log_max(JournalSubmit *s, json_object *v) {
        return read_u64(v, JOB_LOG_MAX_BYTES_MIN, JOB_LOG_MAX_BYTES_MAX, false, &s->spec.log_max_bytes);
}

/* A filter shared by many jobs is spelled out once; the later lines name the job whose line has it. */
static int get_syscalls_of(const JournalSubmit *s, json_object **ret) {
        *ret = s->syscalls_of > 0 ? json_object_new_uint64(s->syscalls_of) : NULL;
        return s->syscalls_of > 0 && !*ret ? -ENOMEM : 0;
}

static int set_syscalls_of(JournalSubmit *s, json_object *v) {
        return read_u64(v, 1, s->id - 1, false, &s->syscalls_of);
}

static int get_syscalls(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (!s->spec.system_call_filter || s->syscalls_of > 0)
                return 0;
        *ret = journal_strv_to_json(s->spec.system_call_filter->names);
        return *ret ? 0 : -ENOMEM;
}

static int set_syscalls(JournalSubmit *s, json_object *v) {
        char **l = NULL;
        int r;

        r = set_strv(v, &l);
        if (r < 0)
                return r;
        seccomp_filter_unref(s->spec.system_call_filter);
        s->spec.system_call_filter = seccomp_filter_new(l);
        return s->spec.system_call_filter ? 0 : -ENOMEM;
}

static int get_afs(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (!s->spec.system_call_filter || !s->spec.system_call_filter->address_families || s->syscalls_of > 0)
                return 0;
        *ret = journal_strv_to_json(s->spec.system_call_filter->address_families);
        return *ret ? 0 : -ENOMEM;
}

/* RestrictAddressFamilies: a part of the filter of "syscalls" (which the table puts before it). */
static int set_afs(JournalSubmit *s, json_object *v) {
        if (!s->spec.system_call_filter)
                return -EBADMSG;
        return set_strv(v, &s->spec.system_call_filter->address_families);
}

/* Labels: written only when the job has some. */
static int get_labels(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (strv_isempty(s->spec.labels))
                return 0;
        *ret = journal_strv_to_json(s->spec.labels);
        return *ret ? 0 : -ENOMEM;
}

static int set_labels(JournalSubmit *s, json_object *v) {
        return set_strv(v, &s->spec.labels);
}

/* FailPatterns, PassPatterns: written for each job (a plan's jobs share one compilation again only while
 * the daemon runs); compiled when the job is next checked or scanned. */
static int get_patterns(char **l, json_object **ret) {
        *ret = NULL;
        if (strv_isempty(l))
                return 0;
        *ret = journal_strv_to_json(l);
        return *ret ? 0 : -ENOMEM;
}

static int get_fail_pat(const JournalSubmit *s, json_object **ret) {
        return get_patterns(s->spec.patterns ? s->spec.patterns->fail : NULL, ret);
}

static int get_pass_pat(const JournalSubmit *s, json_object **ret) {
        return get_patterns(s->spec.patterns ? s->spec.patterns->pass : NULL, ret);
}

static int set_patterns(JournalSubmit *s, json_object *v, bool fail) {
        if (json_object_array_length(v) > JOB_PATTERNS_MAX)
                return -EBADMSG;
        if (!s->spec.patterns) {
                s->spec.patterns = job_patterns_new();
                if (!s->spec.patterns)
                        return -ENOMEM;
        }
        return set_strv(v, fail ? &s->spec.patterns->fail : &s->spec.patterns->pass);
}

static int set_fail_pat(JournalSubmit *s, json_object *v) {
        return set_patterns(s, v, true);
}

static int set_pass_pat(JournalSubmit *s, json_object *v) {
        return set_patterns(s, v, false);
}

static int get_jobserver(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (!s->spec.jobserver)
                return 0;
        *ret = json_object_new_boolean(true);
        return *ret ? 0 : -ENOMEM;
}

static int set_jobserver(JournalSubmit *s, json_object *v) {
        s->spec.jobserver = json_object_get_boolean(v);
        return 0;
}

/* The Hold key as submitted; Hold()/Release() later are lines of their own (journal_hold()). */
static int get_hold(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (!s->spec.hold)
                return 0;
        *ret = json_object_new_boolean(true);
        return *ret ? 0 : -ENOMEM;
}

static int set_hold(JournalSubmit *s, json_object *v) {
        s->spec.hold = json_object_get_boolean(v);
        return 0;
}

static int get_jobserver_style(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (!s->spec.jobserver_fifo)
                return 0;
        *ret = json_object_new_string("fifo");
        return *ret ? 0 : -ENOMEM;
}

static int set_jobserver_style(JournalSubmit *s, json_object *v) {
        const char *st = json_object_get_string(v);

        if (!streq(st, "fifo") && !streq(st, "pipe"))
                return -EBADMSG;
        s->spec.jobserver_fifo = streq(st, "fifo");
        return 0;
}

/* Backend: written only for a job that is not local (a line without it is a local job's). */
static int get_backend(const JournalSubmit *s, json_object **ret) {
        *ret = NULL;
        if (s->spec.backend != JOB_BACKEND_SLURM)
                return 0;
        *ret = json_object_new_string(job_backend_kind_to_string(s->spec.backend));
        return *ret ? 0 : -ENOMEM;
}

static int set_backend(JournalSubmit *s, json_object *v) {
        JobBackendKind k = job_backend_kind_from_string(json_object_get_string(v));

        if (k < 0)
                return -EBADMSG;
        s->spec.backend = k;
        return 0;
}

#define FIELD(n, t, k, member, ...)                                                                         \
        { .name = n, .type = t, .kind = k, .offset = offsetof(JournalSubmit, member), __VA_ARGS__ }
#define CUSTOM(n, t, g, s) { .name = n, .type = t, .kind = JOURNAL_FIELD_CUSTOM, .get = g, .set = s }

/* The submit line, in the order it is written. "e" and "id" come first and are not in the table. The
 * keys "gid" and "groups" of lines from before 0.x are ignored: a job's groups are looked up when it starts,
 * never taken from the file. */
const JournalField journal_submit_fields[] = {
        FIELD("run",         json_type_int,    JOURNAL_FIELD_U64,    run, .max = UINT64_MAX / 2, .omit_zero = true),
        FIELD("submit",      json_type_int,    JOURNAL_FIELD_U64,    submit_usec, .max = UINT64_MAX - 1),
        FIELD("owner",       json_type_int,    JOURNAL_FIELD_U64,    owner, .max = UINT32_MAX - 1),
        FIELD("argv",        json_type_array,  JOURNAL_FIELD_STRV,   spec.argv),
        CUSTOM("env",        json_type_array,  get_env, set_env),
        FIELD("name",        json_type_string, JOURNAL_FIELD_STRING, spec.name),
        FIELD("cwd",         json_type_string, JOURNAL_FIELD_STRING, spec.working_directory),
        FIELD("prio",        json_type_int,    JOURNAL_FIELD_I32,    spec.priority),
        FIELD("timeout",     json_type_int,    JOURNAL_FIELD_U64,    spec.timeout_usec, .max = JOB_TIMEOUT_MAX,
              .unset_ok = true),
        FIELD("mem",         json_type_int,    JOURNAL_FIELD_U64,    spec.limits.memory_max,
              .min = JOB_MEMORY_MAX_MIN, .max = UINT64_MAX - 1, .unset_ok = true),
        FIELD("tasks",       json_type_int,    JOURNAL_FIELD_U64,    spec.limits.tasks_max, .min = 1,
              .max = JOB_TASKS_MAX_MAX, .unset_ok = true),
        FIELD("cpuw",        json_type_int,    JOURNAL_FIELD_U64,    spec.limits.cpu_weight,
              .min = JOB_CPU_WEIGHT_MIN, .max = JOB_CPU_WEIGHT_MAX, .unset_ok = true),
        CUSTOM("after",      json_type_array,  get_after, set_after),
        CUSTOM("cond",       json_type_string, get_cond, set_cond),
        FIELD("group",       json_type_string, JOURNAL_FIELD_STRING, spec.group),
        CUSTOM("res",        json_type_object, get_res, set_res),
        FIELD("retries",     json_type_int,    JOURNAL_FIELD_U32,    spec.retries, .max = JOB_RETRIES_MAX),
        CUSTOM("retry_on",   json_type_array,  get_retry_on, set_retry_on),
        FIELD("retry_delay", json_type_int,    JOURNAL_FIELD_U64,    spec.retry_delay_usec,
              .max = JOB_RETRY_DELAY_MAX),
        CUSTOM("log_max",    json_type_int,    get_log_max, set_log_max),
        CUSTOM("syscalls_of", json_type_int,   get_syscalls_of, set_syscalls_of),
        CUSTOM("syscalls",   json_type_array,  get_syscalls, set_syscalls),
        CUSTOM("afs",        json_type_array,  get_afs, set_afs),
        CUSTOM("labels",     json_type_array,  get_labels, set_labels),
        FIELD("not_before",  json_type_int,    JOURNAL_FIELD_U64,    spec.not_before_usec, .max = UINT64_MAX - 1,
              .omit_zero = true),
        FIELD("log_path",    json_type_string, JOURNAL_FIELD_STRING, spec.log_path),
        FIELD("odir",        json_type_string, JOURNAL_FIELD_STRING, spec.output_directory),
        CUSTOM("fail_pat",   json_type_array,  get_fail_pat, set_fail_pat),
        CUSTOM("pass_pat",   json_type_array,  get_pass_pat, set_pass_pat),
        CUSTOM("jobserver",  json_type_boolean, get_jobserver, set_jobserver),
        CUSTOM("jobserver_style", json_type_string, get_jobserver_style, set_jobserver_style),
        CUSTOM("hold",       json_type_boolean, get_hold, set_hold),
        CUSTOM("backend",    json_type_string, get_backend, set_backend),
};
const size_t journal_submit_n_fields = ELEMENTSOF(journal_submit_fields);

static int field_get(const JournalField *f, const JournalSubmit *s, json_object **ret) {
        const void *p = (const uint8_t *) s + f->offset;

        *ret = NULL;
        switch (f->kind) {
        case JOURNAL_FIELD_U64:
                if (f->omit_zero && *(const uint64_t *) p == 0)
                        return 0;
                *ret = json_object_new_uint64(*(const uint64_t *) p);
                break;
        case JOURNAL_FIELD_U32:
                *ret = json_object_new_uint64(*(const uint32_t *) p);
                break;
        case JOURNAL_FIELD_I32:
                *ret = json_object_new_int(*(const int32_t *) p);
                break;
        case JOURNAL_FIELD_STRING:
                if (!*(char *const *) p)
                        return 0;
                *ret = string_or_null(*(char *const *) p);
                break;
        case JOURNAL_FIELD_STRV:
                *ret = journal_strv_to_json(*(char **const *) p);
                break;
        case JOURNAL_FIELD_CUSTOM:
                return f->get(s, ret);
        }
        return *ret ? 0 : -ENOMEM;
}

static int field_set(const JournalField *f, JournalSubmit *s, json_object *v) {
        void *p = (uint8_t *) s + f->offset;
        uint64_t u;
        int64_t i;
        int r;

        switch (f->kind) {
        case JOURNAL_FIELD_U64:
        case JOURNAL_FIELD_U32:
                r = read_u64(v, f->min, f->kind == JOURNAL_FIELD_U32 ? MIN(f->max, (uint64_t) UINT32_MAX) : f->max,
                             f->unset_ok, &u);
                if (r < 0)
                        return r;
                if (f->kind == JOURNAL_FIELD_U32)
                        *(uint32_t *) p = (uint32_t) u;
                else
                        *(uint64_t *) p = u;
                return 0;
        case JOURNAL_FIELD_I32:
                i = json_object_get_int64(v);
                if (i < INT32_MIN || i > INT32_MAX)
                        return -EBADMSG;
                *(int32_t *) p = (int32_t) i;
                return 0;
        case JOURNAL_FIELD_STRING: {
                char *d = strdup(json_object_get_string(v));

                if (!d)
                        return -ENOMEM;
                free(*(char **) p);
                *(char **) p = d;
                return 0;
        }
        case JOURNAL_FIELD_STRV:
                return set_strv(v, (char ***) p);
        case JOURNAL_FIELD_CUSTOM:
                return f->set(s, v);
        }
        return -EINVAL;
}

json_object *journal_submit_to_json(const JournalSubmit *s) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        if (json_object_object_add(o, "e", json_object_new_string("submit")) < 0 ||
            json_object_object_add(o, "id", json_object_new_uint64(s->id)) < 0)
                return NULL;
        for (size_t i = 0; i < journal_submit_n_fields; i++) {
                const JournalField *f = &journal_submit_fields[i];
                json_object *v;

                if (field_get(f, s, &v) < 0)
                        return NULL;
                if (v && json_object_object_add(o, f->name, v) < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

int journal_submit_from_json(json_object *o, JournalSubmit *ret, const char **ret_field) {
        json_object *v;
        int r;

        *ret = (JournalSubmit) {};
        job_spec_init(&ret->spec);
        /* Lines without "log_max" have no cap (it was resolved when the job was submitted). */
        ret->spec.log_max_bytes = 0;
        *ret_field = "id";
        if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_int) ||
            read_u64(v, 1, JOURNAL_ID_MAX, false, &ret->id) < 0)
                return -EBADMSG;
        for (size_t i = 0; i < journal_submit_n_fields; i++) {
                const JournalField *f = &journal_submit_fields[i];

                *ret_field = f->name;
                if (!json_object_object_get_ex(o, f->name, &v))
                        continue;
                if (!json_object_is_type(v, f->type))
                        return -EBADMSG;
                r = field_set(f, ret, v);
                if (r < 0)
                        return r;
        }
        /* Nothing to run: not a job. */
        *ret_field = "argv";
        if (strv_isempty(ret->spec.argv))
                return -EBADMSG;
        *ret_field = NULL;
        return 0;
}

void journal_submit_done(JournalSubmit *s) {
        job_spec_done(&s->spec);
        s->env = NULL;
}
