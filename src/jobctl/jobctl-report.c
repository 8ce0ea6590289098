/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reports of a run (JUnit XML, JSON, Markdown) and the comparison of two runs. Made here, by the user's
 * own jobctl, not by the daemon: in system mode the run's output root belongs to the user, and a client
 * writing there as that user cannot be led to write where the user may not. Everything comes from the bus:
 * Run and Job properties, and the logs through OpenLog(). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape-util.h"
#include "fd-util.h"
#include "jobctl-report.h"
#include "jobctl-util.h"
#include "jobctl-watch.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

/* The end of a failed job's log that goes into the reports. */
#define LOG_TAIL_BYTES 4096
#define LOG_TAIL_LINES 20U
/* Failures listed one by one in summary.md; the others are counted. */
#define FAILURES_MAX 200U
/* Jobs listed as the slowest in summary.md. */
#define SLOWEST_MAX 10U
/* Below this, a job's duration is noise: not reported as grown. */
#define GROWN_MIN_USEC (500 * USEC_PER_MSEC)

typedef enum Outcome {
        OUTCOME_PENDING,   /* not done */
        OUTCOME_PASSED,    /* success */
        OUTCOME_FAILED,    /* failed, timeout, oom */
        OUTCOME_KILLED,    /* killed, lost */
        OUTCOME_SKIPPED,   /* skipped, cancelled */
} Outcome;

static Outcome outcome_of(const char *result) {
        if (isempty(result))
                return OUTCOME_PENDING;
        if (streq(result, "success"))
                return OUTCOME_PASSED;
        if (STR_IN_SET(result, "killed", "lost"))
                return OUTCOME_KILLED;
        if (STR_IN_SET(result, "skipped", "cancelled"))
                return OUTCOME_SKIPPED;
        return OUTCOME_FAILED;
}

static bool outcome_bad(Outcome o) {
        return o == OUTCOME_FAILED || o == OUTCOME_KILLED;
}

typedef struct ReportJob {
        uint64_t id;
        json_object *props;        /* Job.GetAll(), owned */
        const char *name, *group, *result, *first_result, *reason;
        int exit_code, exit_signal;
        uint64_t start_usec, finish_usec;
        char *key;                 /* GROUP/NAME (NAME without a group; "#K" for a job without a name) */
        char *log_tail;            /* failures only, when asked */
        bool flaky;                /* failed first (first pass or an attempt), then passed */
} ReportJob;

typedef struct RunReport {
        uint64_t id;
        char *path;
        json_object *props;        /* Run.GetAll(), owned */
        const char *name, *state, *result, *output_root;
        ReportJob *jobs;
        size_t n_jobs;
} RunReport;

static const char *prop_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return "";
        return json_object_get_string(v);
}

static uint64_t prop_u64(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return 0;
        return json_object_get_uint64(v);
}

static int prop_int(json_object *o, const char *key, int def) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v))
                return def;
        return json_object_get_int(v);
}

static void run_report_done(RunReport *r) {
        for (size_t i = 0; i < r->n_jobs; i++) {
                json_object_put(r->jobs[i].props);
                free(r->jobs[i].key);
                free(r->jobs[i].log_tail);
        }
        free(r->jobs);
        free(r->path);
        json_object_put(r->props);
        *r = (RunReport) {};
}

static int get_all(sd_bus *bus, const char *path, const char *interface, json_object **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &error,
                               &reply, "s", interface);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read the properties of %s", path);
        r = bus_message_read_json(reply, ret);
        if (r == 0 || (r > 0 && !json_object_is_type(*ret, json_type_object)))
                r = -EBADMSG;
        if (r < 0)
                return log_error_errno(r, "Failed to parse the properties of %s: %m", path);
        return 0;
}

/* The last lines of a job's log, NULL if it has none or it cannot be read (best effort). */
static char *log_tail(sd_bus *bus, const char *path, uint64_t id) {
        _cleanup_close_ int fd = -EBADF;
        char buf[LOG_TAIL_BYTES + 1];
        struct stat st;
        ssize_t n;
        char *p;
        unsigned lines = 0;

        if (jobctl_open_log(bus, path, id, true, &fd) < 0)
                return NULL;
        if (fstat(fd, &st) < 0)
                return NULL;
        n = pread(fd, buf, LOG_TAIL_BYTES, st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0);
        if (n <= 0)
                return NULL;
        buf[n] = 0;
        while (n > 0 && buf[n - 1] == '\n')
                buf[--n] = 0;
        for (p = buf + n; p > buf; p--)
                if (p[-1] == '\n' && ++lines >= LOG_TAIL_LINES)
                        break;
        /* A cut at the start: from the first whole line. */
        if (p == buf && st.st_size > LOG_TAIL_BYTES && strchr(buf, '\n'))
                p = strchr(buf, '\n') + 1;
        return strdup(p);
}

static int job_key(ReportJob *j, size_t k) {
        int r;

        if (isempty(j->name))
                r = asprintf(&j->key, "#%zu", k);
        else if (isempty(j->group))
                r = asprintf(&j->key, "%s", j->name);
        else
                r = asprintf(&j->key, "%s/%s", j->group, j->name);
        return r < 0 ? -ENOMEM : 0;
}

static bool job_is_flaky(const ReportJob *j) {
        json_object *a;

        if (outcome_of(j->result) != OUTCOME_PASSED)
                return false;
        if (outcome_bad(outcome_of(j->first_result)))
                return true;
        if (!json_object_object_get_ex(j->props, "Attempts", &a) || !json_object_is_type(a, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i), *res;

                if (json_object_is_type(e, json_type_array) && json_object_array_length(e) >= 3 &&
                    (res = json_object_array_get_idx(e, 2)) &&
                    outcome_bad(outcome_of(json_object_get_string(res))))
                        return true;
        }
        return false;
}

/* Job.GetAll() of many jobs, GETALL_IN_FLIGHT calls at a time: the round trips overlap. */
#define GETALL_IN_FLIGHT 128U

typedef struct GetAllCall {
        ReportJob *job;
        size_t *pending;
        int *error;
} GetAllCall;

static int on_get_all(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        GetAllCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        int r;

        (*c->pending)--;
        if (e) {
                r = log_error_errno(sd_bus_message_get_errno(m), "Failed to read the properties of job %" PRIu64
                                    ": %s", c->job->id, e->message ?: e->name);
                if (*c->error >= 0)
                        *c->error = r;
                return 0;
        }
        r = bus_message_read_json(m, &c->job->props);
        if (r == 0 || (r > 0 && !json_object_is_type(c->job->props, json_type_object)))
                r = -EBADMSG;
        if (r < 0 && *c->error >= 0)
                *c->error = log_error_errno(r, "Failed to parse the properties of job %" PRIu64 ": %m",
                                            c->job->id);
        return 0;
}

static int get_all_jobs(sd_bus *bus, RunReport *rr, char **paths) {
        _cleanup_free_ GetAllCall *calls = NULL;
        _cleanup_free_ sd_bus_slot **slots = NULL;
        size_t next = 0, pending = 0;
        int error = 0, r = 0;

        calls = calloc(rr->n_jobs + 1, sizeof(GetAllCall));
        slots = calloc(rr->n_jobs + 1, sizeof(sd_bus_slot *));
        if (!calls || !slots)
                return log_oom();
        while ((next < rr->n_jobs || pending > 0) && error >= 0) {
                while (next < rr->n_jobs && pending < GETALL_IN_FLIGHT) {
                        calls[next] = (GetAllCall) { &rr->jobs[next], &pending, &error };
                        r = sd_bus_call_method_async(bus, &slots[next], JOBD_BUS_NAME, paths[next],
                                                     "org.freedesktop.DBus.Properties", "GetAll", on_get_all,
                                                     &calls[next], "s", JOBD_JOB_INTERFACE);
                        if (r < 0) {
                                error = log_error_errno(r, "Failed to ask for the properties of job %" PRIu64
                                                        ": %m", rr->jobs[next].id);
                                break;
                        }
                        next++;
                        pending++;
                }
                if (error < 0)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        error = log_error_errno(r, "Failed to process bus messages: %m");
                        break;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        error = log_error_errno(r, "Failed to wait for the bus: %m");
                        break;
                }
        }
        /* Calls still out are dropped with their slots: their callbacks never run. */
        for (size_t i = 0; i < next; i++)
                sd_bus_slot_unref(slots[i]);
        return error;
}

/* Reads the run and each of its jobs; with tails, the end of the log of each job that failed. */
static int run_report_load(sd_bus *bus, uint64_t id, bool tails, RunReport *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *list = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        const char *path;
        RunReport rr = { .id = id };
        char what[64];
        int r;

        snprintf(what, sizeof(what), "Failed to find run %" PRIu64, id);
        r = jobctl_call_manager(bus, "GetRun", &reply, what, "t", id);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the GetRun() reply: %m");
        rr.path = strdup(path);
        if (!rr.path)
                return log_oom();
        r = get_all(bus, rr.path, JOBD_RUN_INTERFACE, &rr.props);
        if (r < 0)
                goto fail;
        rr.name = prop_str(rr.props, "Name");
        rr.state = prop_str(rr.props, "State");
        rr.result = prop_str(rr.props, "Result");
        rr.output_root = prop_str(rr.props, "OutputRoot");   /* empty where the daemon has none */

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, rr.path, JOBD_RUN_INTERFACE, "ListJobs", &error, &list, "");
        if (r < 0) {
                log_bus_error(r, &error, "Failed to list the jobs of run %" PRIu64, id);
                goto fail;
        }
        r = sd_bus_message_enter_container(list, 'a', "(tsssuo)");
        for (;;) {
                const char *name, *state, *result, *jpath;
                uint32_t owner;
                uint64_t jid;
                ReportJob *t;

                if (r >= 0)
                        r = sd_bus_message_read(list, "(tsssuo)", &jid, &name, &state, &result, &owner, &jpath);
                if (r < 0) {
                        log_error_errno(r, "Failed to parse the ListJobs() reply: %m");
                        goto fail;
                }
                if (r == 0)
                        break;
                t = reallocarray(rr.jobs, rr.n_jobs + 1, sizeof(ReportJob));
                if (!t) {
                        r = log_oom();
                        goto fail;
                }
                rr.jobs = t;
                if (strv_extend(&paths, jpath) < 0) {
                        r = log_oom();
                        goto fail;
                }
                rr.jobs[rr.n_jobs++] = (ReportJob) { .id = jid };
        }
        r = get_all_jobs(bus, &rr, paths);
        if (r < 0)
                goto fail;
        for (size_t k = 0; k < rr.n_jobs; k++) {
                ReportJob *j = &rr.jobs[k];

                j->name = prop_str(j->props, "Name");
                j->group = prop_str(j->props, "Group");
                j->result = prop_str(j->props, "Result");
                j->first_result = prop_str(j->props, "FirstResult");
                j->reason = prop_str(j->props, "Reason");
                j->exit_code = prop_int(j->props, "ExitCode", -1);
                j->exit_signal = prop_int(j->props, "ExitSignal", 0);
                j->start_usec = prop_u64(j->props, "StartUSec");
                j->finish_usec = prop_u64(j->props, "FinishUSec");
                j->flaky = job_is_flaky(j);
                r = job_key(j, k);
                if (r < 0) {
                        log_oom();
                        goto fail;
                }
                if (tails && outcome_bad(outcome_of(j->result)))
                        j->log_tail = log_tail(bus, paths[k], j->id);
        }
        *ret = rr;
        return 0;
fail:
        run_report_done(&rr);
        return r;
}

static usec_t job_duration(const ReportJob *j) {
        return j->start_usec > 0 && j->finish_usec > j->start_usec ? j->finish_usec - j->start_usec : 0;
}

/* ---- the previous run of a name, and the comparison ---- */

/* The newest run of the same name before run id: 1 and *ret, 0 if there is none. */
static int find_previous_run(sd_bus *bus, uint64_t id, const char *name, uint64_t *ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint64_t best = 0;
        int r;

        if (isempty(name))
                return 0;
        r = jobctl_call_manager(bus, "ListRuns", &reply, "Failed to list the runs", NULL);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(tsssuuuo)");
        for (;;) {
                const char *n, *state, *result, *path;
                uint32_t jobs, done, bad;
                uint64_t rid;

                if (r >= 0)
                        r = sd_bus_message_read(reply, "(tsssuuuo)", &rid, &n, &state, &result, &jobs, &done,
                                                &bad, &path);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListRuns() reply: %m");
                if (r == 0)
                        break;
                if (rid < id && rid > best && streq(n, name))
                        best = rid;
        }
        if (best == 0)
                return 0;
        *ret = best;
        return 1;
}

static int cmp_job_key(const void *a, const void *b) {
        return strcmp((*(const ReportJob *const *) a)->key, (*(const ReportJob *const *) b)->key);
}

/* The run's jobs sorted by key, for find_job(): a comparison of two large runs stays O(n log n). */
static const ReportJob **index_jobs(const RunReport *r) {
        const ReportJob **x = calloc(r->n_jobs + 1, sizeof(ReportJob *));

        if (!x)
                return NULL;
        for (size_t i = 0; i < r->n_jobs; i++)
                x[i] = &r->jobs[i];
        qsort(x, r->n_jobs, sizeof(ReportJob *), cmp_job_key);
        return x;
}

static const ReportJob *find_job(const ReportJob **index, size_t n, const char *key) {
        ReportJob k = { .key = (char *) key };
        const ReportJob *kp = &k, **f;

        f = bsearch(&kp, index, n, sizeof(ReportJob *), cmp_job_key);
        return f ? *f : NULL;
}

static int add_entry(json_object *list, const ReportJob *j, const ReportJob *before, double factor) {
        json_object *e = json_object_new_object();

        if (!e || json_object_array_add(list, e) < 0) {
                json_object_put(e);
                return -ENOMEM;
        }
        json_object_object_add(e, "name", json_object_new_string(j->key));
        json_object_object_add(e, "id", json_object_new_uint64(j->id));
        json_object_object_add(e, "result", json_object_new_string(j->result));
        if (!isempty(j->first_result))
                json_object_object_add(e, "first_result", json_object_new_string(j->first_result));
        if (!isempty(j->reason))
                json_object_object_add(e, "reason", json_object_new_string(j->reason));
        if (before) {
                json_object_object_add(e, "before_id", json_object_new_uint64(before->id));
                json_object_object_add(e, "before_result", json_object_new_string(before->result));
        }
        if (factor > 0) {
                json_object_object_add(e, "before_sec",
                                       json_object_new_double((double) job_duration(before) / USEC_PER_SEC));
                json_object_object_add(e, "after_sec",
                                       json_object_new_double((double) job_duration(j) / USEC_PER_SEC));
                json_object_object_add(e, "factor", json_object_new_double(factor));
        }
        return 0;
}

static const char *const compare_lists[] = {
        "new_failures", "fixed", "still_failing", "flaky", "new", "removed", "slower", NULL,
};

/* {"run", "other", "new_failures": [...], "fixed", "still_failing", "flaky", "new", "removed", "slower"}:
 * jobs matched by group and name. */
static int compare_runs(const RunReport *cur, const RunReport *prev, double factor, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        _cleanup_free_ const ReportJob **cur_index = index_jobs(cur), **prev_index = index_jobs(prev);
        json_object *l[ELEMENTSOF(compare_lists)] = {};
        int r = 0;

        if (!o || !cur_index || !prev_index)
                return -ENOMEM;
        json_object_object_add(o, "run", json_object_new_uint64(cur->id));
        json_object_object_add(o, "other", json_object_new_uint64(prev->id));
        json_object_object_add(o, "other_finish_usec", json_object_new_uint64(prop_u64(prev->props,
                                                                                       "FinishUSec")));
        for (size_t i = 0; compare_lists[i]; i++) {
                l[i] = json_object_new_array();
                if (!l[i] || json_object_object_add(o, compare_lists[i], l[i]) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < cur->n_jobs && r >= 0; i++) {
                const ReportJob *j = &cur->jobs[i], *b = find_job(prev_index, prev->n_jobs, j->key);
                Outcome now = outcome_of(j->result), then;
                usec_t d, bd;

                if (j->flaky)
                        r = add_entry(l[3], j, b, 0);
                if (r < 0)
                        break;
                if (!b) {
                        r = add_entry(l[4], j, NULL, 0);
                        continue;
                }
                then = outcome_of(b->result);
                if (outcome_bad(now) && then == OUTCOME_PASSED)
                        r = add_entry(l[0], j, b, 0);
                else if (now == OUTCOME_PASSED && outcome_bad(then))
                        r = add_entry(l[1], j, b, 0);
                else if (outcome_bad(now) && outcome_bad(then))
                        r = add_entry(l[2], j, b, 0);
                if (r < 0)
                        break;
                d = job_duration(j);
                bd = job_duration(b);
                if (now == OUTCOME_PASSED && then == OUTCOME_PASSED && bd > 0 && d >= GROWN_MIN_USEC &&
                    (double) d > factor * (double) bd)
                        r = add_entry(l[6], j, b, (double) d / (double) bd);
        }
        for (size_t i = 0; i < prev->n_jobs && r >= 0; i++)
                if (!find_job(cur_index, cur->n_jobs, prev->jobs[i].key))
                        r = add_entry(l[5], &prev->jobs[i], NULL, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static size_t list_len(json_object *o, const char *key) {
        json_object *l;

        return json_object_object_get_ex(o, key, &l) ? json_object_array_length(l) : 0;
}

/* ---- output helpers ---- */

/* Valid UTF-8 and no C0 control but tab and newline (XML 1.0 allows nothing else), others as '?'. */
static void put_xml_text(FILE *f, const char *s, bool attribute) {
        const unsigned char *p = (const unsigned char *) strempty(s);

        while (*p) {
                unsigned c = *p;
                size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 :
                             (c & 0xF8) == 0xF0 ? 4 : 0;
                bool ok = len > 0 && !(len == 2 && c < 0xC2) && !(len == 4 && c > 0xF4);

                for (size_t k = 1; ok && k < len; k++)
                        ok = (p[k] & 0xC0) == 0x80;
                if (ok && len == 3) {
                        unsigned cp = ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
                        ok = cp >= 0x800 && !(cp >= 0xD800 && cp <= 0xDFFF) && cp != 0xFFFE && cp != 0xFFFF;
                }
                if (ok && len == 4) {
                        unsigned cp = ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12);
                        ok = cp >= 0x10000 && cp <= 0x10FFFF;
                }
                if (!ok) {
                        fputc('?', f);
                        p++;
                        continue;
                }
                if (len > 1) {
                        fwrite(p, 1, len, f);
                        p += len;
                        continue;
                }
                switch (c) {
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '&': fputs("&amp;", f); break;
                case '"': fputs(attribute ? "&quot;" : "\"", f); break;
                case '\n': fputs(attribute ? "&#10;" : "\n", f); break;
                case '\t': fputs(attribute ? "&#9;" : "\t", f); break;
                default: fputc(c < 0x20 || c == 0x7F ? '?' : (int) c, f);
                }
                p++;
        }
}

/* A name or reason in Markdown: printable, on one line, no table pipes. */
static void put_md(FILE *f, const char *s) {
        _cleanup_free_ char *e = escape_non_printable(strempty(s));

        for (const char *p = e ?: "?"; *p; p++) {
                if (strchr("|*_`[]<>\\", *p))
                        fputc('\\', f);
                fputc(*p, f);
        }
}

static void put_duration(FILE *f, usec_t t) {
        char buf[64];

        fputs(t == 0 ? "-" : format_timespan(buf, sizeof(buf), t), f);
}

static void put_iso8601(FILE *f, usec_t t) {
        time_t s = (time_t) (t / USEC_PER_SEC);
        struct tm tm;
        char buf[64];

        if (t == 0 || !gmtime_r(&s, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                return;
        fputs(buf, f);
}

/* ---- JUnit XML ---- */

typedef struct GroupCount {
        const char *group;
        unsigned jobs, passed, failed, killed, skipped, pending;
        usec_t time;
} GroupCount;

static GroupCount *group_counts(const RunReport *rr, size_t *ret_n) {
        GroupCount *g = calloc(rr->n_jobs + 1, sizeof(GroupCount));
        size_t n = 0;

        if (!g)
                return NULL;
        for (size_t i = 0; i < rr->n_jobs; i++) {
                const ReportJob *j = &rr->jobs[i];
                size_t k;

                for (k = 0; k < n; k++)
                        if (streq(g[k].group, j->group))
                                break;
                if (k == n)
                        g[n++].group = j->group;
                g[k].jobs++;
                g[k].time += job_duration(j);
                switch (outcome_of(j->result)) {
                case OUTCOME_PASSED: g[k].passed++; break;
                case OUTCOME_FAILED: g[k].failed++; break;
                case OUTCOME_KILLED: g[k].killed++; break;
                case OUTCOME_SKIPPED: g[k].skipped++; break;
                default: g[k].pending++;
                }
        }
        *ret_n = n;
        return g;
}

static void junit_attempts(FILE *f, const ReportJob *j) {
        json_object *a;
        size_t n;

        if (!json_object_object_get_ex(j->props, "Attempts", &a) || !json_object_is_type(a, json_type_array))
                return;
        n = json_object_array_length(a);
        fprintf(f, "      <properties>\n        <property name=\"attempts\" value=\"%zu\"/>\n", n);
        if (!isempty(j->first_result)) {
                fputs("        <property name=\"first_result\" value=\"", f);
                put_xml_text(f, j->first_result, true);
                fputs("\"/>\n", f);
        }
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(a, i);
                uint64_t s, t;

                if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) < 5)
                        continue;
                s = json_object_get_uint64(json_object_array_get_idx(e, 0));
                t = json_object_get_uint64(json_object_array_get_idx(e, 1));
                fprintf(f, "        <property name=\"attempt.%zu\" value=\"", i + 1);
                put_xml_text(f, json_object_get_string(json_object_array_get_idx(e, 2)), true);
                fprintf(f, ", exit code %d, signal %d, %.3fs\"/>\n",
                        json_object_get_int(json_object_array_get_idx(e, 3)),
                        json_object_get_int(json_object_array_get_idx(e, 4)),
                        s > 0 && t > s ? (double) (t - s) / USEC_PER_SEC : 0.0);
        }
        fputs("      </properties>\n", f);
}

/* The Reason, else the result and how the process ended. */
static void junit_message(FILE *f, const ReportJob *j) {
        fputs(" message=\"", f);
        if (!isempty(j->reason))
                put_xml_text(f, j->reason, true);
        else {
                put_xml_text(f, j->result, true);
                if (j->exit_signal > 0)
                        fprintf(f, " (signal %d)", j->exit_signal);
                else if (j->exit_code >= 0)
                        fprintf(f, " (exit code %d)", j->exit_code);
        }
        fputs("\" type=\"", f);
        put_xml_text(f, j->result, true);
        fputs("\"", f);
}

static int report_junit(const RunReport *rr, FILE *f) {
        _cleanup_free_ GroupCount *g = NULL;
        unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
        const char *run_name = isempty(rr->name) ? "run" : rr->name;
        usec_t total = 0;
        size_t n;

        g = group_counts(rr, &n);
        if (!g)
                return log_oom();
        for (size_t k = 0; k < n; k++) {
                tests += g[k].jobs;
                failures += g[k].failed;
                errors += g[k].killed;
                skipped += g[k].skipped + g[k].pending;
        }
        if (prop_u64(rr->props, "FinishUSec") > prop_u64(rr->props, "SubmitUSec"))
                total = prop_u64(rr->props, "FinishUSec") - prop_u64(rr->props, "SubmitUSec");

        fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", f);
        put_xml_text(f, run_name, true);
        fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\">\n", tests,
                failures, errors, skipped, (double) total / USEC_PER_SEC);
        /* One testsuite per group; the jobs of no group in one named after the run. */
        for (size_t k = 0; k < n; k++) {
                fputs("  <testsuite name=\"", f);
                put_xml_text(f, isempty(g[k].group) ? run_name : g[k].group, true);
                fprintf(f, "\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"%u\" time=\"%.3f\" "
                        "timestamp=\"", g[k].jobs, g[k].failed, g[k].killed, g[k].skipped + g[k].pending,
                        (double) g[k].time / USEC_PER_SEC);
                put_iso8601(f, prop_u64(rr->props, "SubmitUSec"));
                fprintf(f, "\" id=\"%zu\">\n", k);
                for (size_t i = 0; i < rr->n_jobs; i++) {
                        const ReportJob *j = &rr->jobs[i];
                        Outcome o = outcome_of(j->result);

                        if (!streq(j->group, g[k].group))
                                continue;
                        fputs("    <testcase classname=\"", f);
                        put_xml_text(f, run_name, true);
                        if (!isempty(j->group)) {
                                fputc('.', f);
                                put_xml_text(f, j->group, true);
                        }
                        fputs("\" name=\"", f);
                        if (isempty(j->name))
                                fprintf(f, "job-%" PRIu64, j->id);
                        else
                                put_xml_text(f, j->name, true);
                        fprintf(f, "\" time=\"%.3f\">\n", (double) job_duration(j) / USEC_PER_SEC);
                        junit_attempts(f, j);
                        if (o == OUTCOME_FAILED || o == OUTCOME_KILLED) {
                                fputs(o == OUTCOME_FAILED ? "      <failure" : "      <error", f);
                                junit_message(f, j);
                                fputs(">", f);
                                if (j->exit_signal > 0)
                                        fprintf(f, "Result %s, signal %d\n", j->result, j->exit_signal);
                                else if (j->exit_code >= 0)
                                        fprintf(f, "Result %s, exit code %d\n", j->result, j->exit_code);
                                if (!isempty(j->reason)) {
                                        put_xml_text(f, j->reason, false);
                                        fputc('\n', f);
                                }
                                if (j->log_tail) {
                                        fputs("Last lines of the log:\n", f);
                                        put_xml_text(f, j->log_tail, false);
                                        fputc('\n', f);
                                }
                                fputs(o == OUTCOME_FAILED ? "</failure>\n" : "</error>\n", f);
                        } else if (o == OUTCOME_SKIPPED || o == OUTCOME_PENDING) {
                                fputs("      <skipped message=\"", f);
                                put_xml_text(f, !isempty(j->reason) ? j->reason :
                                                o == OUTCOME_PENDING ? "not done" : j->result, true);
                                fputs("\"/>\n", f);
                        }
                        fputs("    </testcase>\n", f);
                }
                fputs("  </testsuite>\n", f);
        }
        fputs("</testsuites>\n", f);
        return 0;
}

/* ---- JSON ---- */

static json_object *counts_json(json_object *props, const char *key) {
        json_object *v;

        return json_object_object_get_ex(props, key, &v) ? json_object_get(v) : json_object_new_object();
}

static json_object *job_json(const ReportJob *j) {
        json_object *o = json_object_new_object(), *a, *v, *attempts = json_object_new_array();

        if (!o || !attempts) {
                json_object_put(o);
                json_object_put(attempts);
                return NULL;
        }
        json_object_object_add(o, "id", json_object_new_uint64(j->id));
        json_object_object_add(o, "name", json_object_new_string(j->name));
        json_object_object_add(o, "group", json_object_new_string(j->group));
        json_object_object_add(o, "result", json_object_new_string(j->result));
        json_object_object_add(o, "first_result", json_object_new_string(j->first_result));
        json_object_object_add(o, "flaky", json_object_new_boolean(j->flaky));
        json_object_object_add(o, "exit_code", json_object_new_int(j->exit_code));
        json_object_object_add(o, "exit_signal", json_object_new_int(j->exit_signal));
        json_object_object_add(o, "reason", json_object_new_string(j->reason));
        json_object_object_add(o, "submit_usec", json_object_new_uint64(prop_u64(j->props, "SubmitUSec")));
        json_object_object_add(o, "start_usec", json_object_new_uint64(j->start_usec));
        json_object_object_add(o, "finish_usec", json_object_new_uint64(j->finish_usec));
        json_object_object_add(o, "duration_sec", json_object_new_double((double) job_duration(j) / USEC_PER_SEC));
        if (json_object_object_get_ex(j->props, "Attempts", &a) && json_object_is_type(a, json_type_array))
                for (size_t i = 0; i < json_object_array_length(a); i++) {
                        json_object *e = json_object_array_get_idx(a, i), *x = json_object_new_object();

                        if (!x || json_object_array_add(attempts, x) < 0) {
                                json_object_put(x);
                                break;
                        }
                        if (!json_object_is_type(e, json_type_array) || json_object_array_length(e) < 5)
                                continue;
                        json_object_object_add(x, "start_usec", json_object_get(json_object_array_get_idx(e, 0)));
                        json_object_object_add(x, "finish_usec", json_object_get(json_object_array_get_idx(e, 1)));
                        json_object_object_add(x, "result", json_object_get(json_object_array_get_idx(e, 2)));
                        json_object_object_add(x, "exit_code", json_object_get(json_object_array_get_idx(e, 3)));
                        json_object_object_add(x, "exit_signal", json_object_get(json_object_array_get_idx(e, 4)));
                }
        json_object_object_add(o, "attempts", attempts);
        /* What it held: the pools it asked for and, where the daemon says, the slots it got. */
        json_object_object_add(o, "resources", counts_json(j->props, "Resources"));
        json_object_object_add(o, "slots", counts_json(j->props, "Slots"));
        json_object_object_add(o, "log_path", json_object_new_string(prop_str(j->props, "LogPath")));
        if (json_object_object_get_ex(j->props, "OutputDirectory", &v))
                json_object_object_add(o, "output_directory", json_object_get(v));
        json_object_object_add(o, "cpu_usage_nsec", json_object_new_uint64(prop_u64(j->props, "CPUUsageNSec")));
        json_object_object_add(o, "memory_peak_bytes",
                               json_object_new_uint64(prop_u64(j->props, "MemoryPeakBytes")));
        return o;
}

static int report_json(const RunReport *rr, json_object *comparison, FILE *f) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *run = json_object_new_object(), *jobs = json_object_new_array();
        _cleanup_free_ char *text = NULL;

        if (!o || !run || !jobs || json_object_object_add(o, "run", run) < 0 ||
            json_object_object_add(o, "jobs", jobs) < 0) {
                json_object_put(run);
                json_object_put(jobs);
                return log_oom();
        }
        json_object_object_add(run, "id", json_object_new_uint64(rr->id));
        json_object_object_add(run, "name", json_object_new_string(rr->name));
        json_object_object_add(run, "state", json_object_new_string(rr->state));
        json_object_object_add(run, "result", json_object_new_string(rr->result));
        json_object_object_add(run, "submit_usec", json_object_new_uint64(prop_u64(rr->props, "SubmitUSec")));
        json_object_object_add(run, "finish_usec", json_object_new_uint64(prop_u64(rr->props, "FinishUSec")));
        json_object_object_add(run, "output_root", json_object_new_string(rr->output_root));
        json_object_object_add(run, "result_counts", counts_json(rr->props, "ResultCounts"));
        json_object_object_add(run, "first_result_counts", counts_json(rr->props, "FirstResultCounts"));
        for (size_t i = 0; i < rr->n_jobs; i++) {
                json_object *j = job_json(&rr->jobs[i]);

                if (!j || json_object_array_add(jobs, j) < 0) {
                        json_object_put(j);
                        return log_oom();
                }
        }
        json_object_object_add(o, "comparison", comparison ? json_object_get(comparison) : NULL);
        text = json_escape_c1(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_SPACED |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        if (!text)
                return log_oom();
        fputs(text, f);
        fputc('\n', f);
        return 0;
}

/* ---- Markdown ---- */

static void md_list(FILE *f, json_object *c, const char *key, const char *title) {
        json_object *l;
        size_t n;

        if (!json_object_object_get_ex(c, key, &l) || (n = json_object_array_length(l)) == 0)
                return;
        fprintf(f, "\n**%s** (%zu):\n\n", title, n);
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(l, i), *v;

                fputs("- ", f);
                put_md(f, prop_str(e, "name"));
                fprintf(f, " (job %" PRIu64 "): %s", prop_u64(e, "id"), prop_str(e, "result"));
                if (json_object_object_get_ex(e, "before_result", &v))
                        fprintf(f, ", was %s in job %" PRIu64, json_object_get_string(v), prop_u64(e, "before_id"));
                if (json_object_object_get_ex(e, "factor", &v))
                        fprintf(f, ", %.1fs instead of %.1fs (%.1f times)",
                                json_object_get_double(json_object_object_get(e, "after_sec")),
                                json_object_get_double(json_object_object_get(e, "before_sec")),
                                json_object_get_double(v));
                fputc('\n', f);
        }
}

static void md_comparison(FILE *f, json_object *c) {
        size_t n_new = list_len(c, "new_failures");

        fprintf(f, "\n## Compared with run %" PRIu64 "\n\n", prop_u64(c, "other"));
        fprintf(f, "%zu new failure%s, %zu fixed, %zu still failing, %zu flaky, %zu new and %zu removed jobs, "
                "%zu slower since run %" PRIu64 ".\n", n_new, n_new == 1 ? "" : "s", list_len(c, "fixed"),
                list_len(c, "still_failing"), list_len(c, "flaky"), list_len(c, "new"),
                list_len(c, "removed"), list_len(c, "slower"), prop_u64(c, "other"));
        md_list(f, c, "new_failures", "New failures");
        md_list(f, c, "fixed", "Fixed");
        md_list(f, c, "still_failing", "Still failing");
        md_list(f, c, "flaky", "Flaky");
        md_list(f, c, "new", "New jobs");
        md_list(f, c, "removed", "Removed jobs");
        md_list(f, c, "slower", "Slower");
}

static int cmp_duration_desc(const void *a, const void *b) {
        usec_t x = job_duration(*(const ReportJob *const *) a), y = job_duration(*(const ReportJob *const *) b);

        return (x < y) - (x > y);
}

static int report_markdown(const RunReport *rr, json_object *comparison, FILE *f) {
        _cleanup_free_ GroupCount *g = NULL;
        _cleanup_free_ const ReportJob **sorted = NULL;
        GroupCount all = {};
        size_t n, shown = 0;

        g = group_counts(rr, &n);
        sorted = calloc(rr->n_jobs + 1, sizeof(ReportJob *));
        if (!g || !sorted)
                return log_oom();

        fprintf(f, "# Run %" PRIu64 " (", rr->id);
        put_md(f, isempty(rr->name) ? "-" : rr->name);
        fprintf(f, "): %s\n\n", isempty(rr->result) ? rr->state : rr->result);
        fputs("Submitted ", f);
        put_iso8601(f, prop_u64(rr->props, "SubmitUSec"));
        if (prop_u64(rr->props, "FinishUSec") > prop_u64(rr->props, "SubmitUSec")) {
                fputs(" UTC, finished after ", f);
                put_duration(f, prop_u64(rr->props, "FinishUSec") - prop_u64(rr->props, "SubmitUSec"));
        } else
                fputs(" UTC", f);
        fputs(".\n\n| Group | Jobs | Passed | Failed | Killed | Skipped | Time |\n"
              "|---|---:|---:|---:|---:|---:|---:|\n", f);
        for (size_t k = 0; k < n; k++) {
                fputs("| ", f);
                put_md(f, isempty(g[k].group) ? "(none)" : g[k].group);
                fprintf(f, " | %u | %u | %u | %u | %u | ", g[k].jobs, g[k].passed, g[k].failed, g[k].killed,
                        g[k].skipped + g[k].pending);
                put_duration(f, g[k].time);
                fputs(" |\n", f);
                all.jobs += g[k].jobs;
                all.passed += g[k].passed;
                all.failed += g[k].failed;
                all.killed += g[k].killed;
                all.skipped += g[k].skipped + g[k].pending;
                all.time += g[k].time;
        }
        fprintf(f, "| **all** | %u | %u | %u | %u | %u | ", all.jobs, all.passed, all.failed, all.killed,
                all.skipped);
        put_duration(f, all.time);
        fputs(" |\n", f);

        /* The first pass, where retries changed it. */
        {
                unsigned first_bad = 0, flaky = 0;

                for (size_t i = 0; i < rr->n_jobs; i++) {
                        first_bad += outcome_bad(outcome_of(rr->jobs[i].first_result));
                        flaky += rr->jobs[i].flaky;
                }
                if (flaky > 0 || first_bad != all.failed + all.killed)
                        fprintf(f, "\nFirst pass (before retries): %u did not succeed; %u passed on a retry "
                                "(flaky).\n", first_bad, flaky);
        }

        for (size_t i = 0; i < rr->n_jobs; i++) {
                const ReportJob *j = &rr->jobs[i];

                if (!outcome_bad(outcome_of(j->result)))
                        continue;
                if (shown++ == 0)
                        fputs("\n## Failures\n\n", f);
                if (shown > FAILURES_MAX)
                        continue;
                fputs("- **", f);
                put_md(f, j->key);
                fprintf(f, "** (job %" PRIu64 "): %s", j->id, j->result);
                if (j->exit_signal > 0)
                        fprintf(f, ", signal %d", j->exit_signal);
                else if (j->exit_code > 0)
                        fprintf(f, ", exit code %d", j->exit_code);
                if (!isempty(j->reason)) {
                        fputs(": ", f);
                        put_md(f, j->reason);
                }
                fputc('\n', f);
                if (j->log_tail) {
                        const char *last = strrchr(j->log_tail, '\n');

                        fputs("  > ", f);
                        put_md(f, last ? last + 1 : j->log_tail);
                        fputc('\n', f);
                }
        }

        if (shown > FAILURES_MAX)
                fprintf(f, "- and %zu more (report.json has them all)\n", shown - FAILURES_MAX);

        for (size_t i = 0; i < rr->n_jobs; i++)
                sorted[i] = &rr->jobs[i];
        qsort(sorted, rr->n_jobs, sizeof(ReportJob *), cmp_duration_desc);
        if (rr->n_jobs > 0 && job_duration(sorted[0]) > 0) {
                fputs("\n## Slowest jobs\n\n| Job | Id | Result | Time |\n|---|---:|---|---:|\n", f);
                for (size_t i = 0; i < MIN(rr->n_jobs, (size_t) SLOWEST_MAX) && job_duration(sorted[i]) > 0;
                     i++) {
                        fputs("| ", f);
                        put_md(f, sorted[i]->key);
                        fprintf(f, " | %" PRIu64 " | %s | ", sorted[i]->id, sorted[i]->result);
                        put_duration(f, job_duration(sorted[i]));
                        fputs(" |\n", f);
                }
        }

        if (comparison)
                md_comparison(f, comparison);
        else
                fputs("\nNo earlier run of this name to compare with.\n", f);
        return 0;
}

/* ---- writing ---- */

static int report_print(const RunReport *rr, json_object *comparison, ReportFormat format, FILE *f) {
        switch (format) {
        case REPORT_FORMAT_JUNIT:
                return report_junit(rr, f);
        case REPORT_FORMAT_JSON:
                return report_json(rr, comparison, f);
        default:
                return report_markdown(rr, comparison, f);
        }
}

/* Writes one file into dir_fd atomically: a temporary file of ours, then renamed over the name. */
static int write_one(int dir_fd, const char *dir, const char *name, const RunReport *rr, json_object *comparison,
                     ReportFormat format) {
        _cleanup_free_ char *tmp = NULL;
        FILE *f;
        int fd, r;

        if (asprintf(&tmp, ".%s.%u.tmp", name, (unsigned) getpid()) < 0)
                return log_oom();
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to create %s/%s: %m", dir, tmp);
        f = fdopen(fd, "w");
        if (!f) {
                r = -errno;
                safe_close(fd);
                (void) unlinkat(dir_fd, tmp, 0);
                return log_error_errno(r, "Failed to write %s/%s: %m", dir, name);
        }
        r = report_print(rr, comparison, format, f);
        if (r >= 0 && (fflush(f) != 0 || ferror(f)))
                r = log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write %s/%s: %m", dir, name);
        if (fclose(f) != 0 && r >= 0)
                r = log_error_errno(-errno, "Failed to write %s/%s: %m", dir, name);
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = log_error_errno(-errno, "Failed to rename %s/%s to %s: %m", dir, tmp, name);
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/* The comparison with the previous run of the same name, NULL if there is none (or it is gone). */
static int comparison_with_previous(sd_bus *bus, const RunReport *rr, json_object **ret) {
        _cleanup_(run_report_done) RunReport prev = {};
        uint64_t prev_id;
        int r;

        *ret = NULL;
        r = find_previous_run(bus, rr->id, rr->name, &prev_id);
        if (r <= 0)
                return r;
        r = run_report_load(bus, prev_id, false, &prev);
        if (r < 0)
                return r;
        r = compare_runs(rr, &prev, arg_factor, ret);
        return r < 0 ? log_oom() : 0;
}

int jobctl_write_run_reports(sd_bus *bus, uint64_t run_id, const char *dir, bool quiet_if_no_root) {
        _cleanup_(run_report_done) RunReport rr = {};
        _cleanup_(json_object_putp) json_object *comparison = NULL;
        _cleanup_close_ int dir_fd = -EBADF;
        int r;

        r = run_report_load(bus, run_id, true, &rr);
        if (r < 0)
                return r;
        if (!dir) {
                /* The output root is its owner's choice: as somebody else (root above all) we would write
                 * where that user points us. Only into a folder named on the command line, then. */
                if (!isempty(rr.output_root) && prop_u64(rr.props, "Owner") != (uint64_t) getuid())
                        return log_usage_error("Run %" PRIu64 " belongs to uid %" PRIu64 ", whose output root "
                                               "this is: write its reports as that user, or name a folder "
                                               "with --write=DIR.", run_id, prop_u64(rr.props, "Owner"));
                dir = rr.output_root;
        }
        if (isempty(dir)) {
                if (quiet_if_no_root)
                        return 0;
                return log_usage_error("Run %" PRIu64 " has no output root: say where, with --write=DIR.",
                                       run_id);
        }
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return log_error_errno(-errno, "Failed to open the folder %s: %m", dir);
        r = comparison_with_previous(bus, &rr, &comparison);
        if (r < 0)
                return r;
        r = write_one(dir_fd, dir, "report.xml", &rr, comparison, REPORT_FORMAT_JUNIT);
        if (r >= 0)
                r = write_one(dir_fd, dir, "report.json", &rr, comparison, REPORT_FORMAT_JSON);
        if (r >= 0)
                r = write_one(dir_fd, dir, "summary.md", &rr, comparison, REPORT_FORMAT_MARKDOWN);
        if (r < 0)
                return r;
        log_info("Reports of run %" PRIu64 " written to %s (report.xml, report.json, summary.md).", run_id, dir);
        return 1;
}

static int parse_run_arg(const char *s, uint64_t *ret) {
        if (s[0] == '/') {
                if (jobd_run_path_parse(s, ret) < 0)
                        return log_usage_error("Invalid run object path: %s", s);
        } else if (s[0] == '0' || safe_atou64(s, ret) < 0)
                return log_usage_error("Invalid run ID (expected a number from 1): %s", s);
        return 0;
}

int verb_report(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(run_report_done) RunReport rr = {};
        _cleanup_(json_object_putp) json_object *comparison = NULL;
        uint64_t id;
        int r;

        r = parse_run_arg(argv[1], &id);
        if (r < 0)
                return r;
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        if (arg_write) {
                r = jobctl_write_run_reports(bus, id, arg_write_dir, false);
                return r < 0 ? r : EXIT_SUCCESS;
        }
        r = run_report_load(bus, id, arg_format != REPORT_FORMAT_JSON, &rr);
        if (r < 0)
                return r;
        if (arg_format != REPORT_FORMAT_JUNIT) {
                r = comparison_with_previous(bus, &rr, &comparison);
                if (r < 0)
                        return r;
        }
        r = report_print(&rr, comparison, arg_format, stdout);
        if (r < 0)
                return r;
        if (fflush(stdout) != 0)
                return log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write to stdout: %m");
        return EXIT_SUCCESS;
}

int verb_compare(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(run_report_done) RunReport cur = {}, prev = {};
        _cleanup_(json_object_putp) json_object *c = NULL;
        uint64_t id, other;
        int r;

        r = parse_run_arg(argv[1], &id);
        if (r < 0)
                return r;
        if (argc > 2) {
                r = parse_run_arg(argv[2], &other);
                if (r < 0)
                        return r;
        }
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = run_report_load(bus, id, false, &cur);
        if (r < 0)
                return r;
        if (argc <= 2) {
                r = find_previous_run(bus, id, cur.name, &other);
                if (r < 0)
                        return r;
                if (r == 0) {
                        log_error("Run %" PRIu64 " (%s): no earlier run of the same name is kept; name one.", id,
                                  isempty(cur.name) ? "no name" : cur.name);
                        return -ENOENT;
                }
        }
        r = run_report_load(bus, other, false, &prev);
        if (r < 0)
                return r;
        r = compare_runs(&cur, &prev, arg_factor, &c);
        if (r < 0)
                return log_oom();
        if (arg_json != JSON_OFF)
                return json_print(c);
        md_comparison(stdout, c);
        if (fflush(stdout) != 0)
                return log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write to stdout: %m");
        return EXIT_SUCCESS;
}
