/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs of daily use that pick jobs by filter: list, kill/cancel --all|--group|--run, clean, remove,
 * restart, run-status --jobs. The daemon filters and pages (Manager.ListJobsFiltered()); the columns
 * beyond its entries come from Manager.ListJobDetails(), a batch of jobs a call. */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "escape-util.h"
#include "format-util.h"
#include "jobctl-daily.h"
#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "time-util.h"

#define COMMAND_COLUMN_MAX 40

void job_rows_free(JobRows *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->rows[i].name);
                free(l->rows[i].state);
                free(l->rows[i].result);
                free(l->rows[i].path);
                json_object_put(l->rows[i].props);
        }
        free(l->rows);
        *l = (JobRows) {};
}

/* The filter of ListJobsFiltered() from the command line. states: instead of --state= (NULL: that).
 * own: only the caller's jobs unless --owner= says whose, or the caller is root. */
static int append_filter(sd_bus_message *m, char **states, bool own, bool no_run) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        if (arg_owner_set || (own && getuid() != 0)) {
                r = sd_bus_message_append(m, "{sv}", "Owner", "u", arg_owner_set ? arg_owner : (uint32_t) getuid());
                if (r < 0)
                        return r;
        }
        if (arg_run_set || no_run) {
                r = sd_bus_message_append(m, "{sv}", "Run", "t", arg_run_set ? arg_run : UINT64_C(0));
                if (r < 0)
                        return r;
        }
        if (states ?: arg_states) {
                r = bus_append_strv_entry(m, "States", states ?: arg_states);
                if (r < 0)
                        return r;
        }
        if (arg_results) {
                r = bus_append_strv_entry(m, "Results", arg_results);
                if (r < 0)
                        return r;
        }
        if (arg_group) {
                r = sd_bus_message_append(m, "{sv}", "Group", "s", arg_group);
                if (r < 0)
                        return r;
        }
        if (arg_labels) {
                r = sd_bus_message_append(m, "{sv}", "Label", "s", arg_labels[0]);
                if (r < 0)
                        return r;
        }
        if (arg_since > 0) {
                r = sd_bus_message_append(m, "{sv}", "SubmittedAfterUSec", "t", (uint64_t) arg_since);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

int jobctl_list_jobs(sd_bus *bus, char **states, bool own, bool no_run, JobRows *ret) {
        _cleanup_(job_rows_free) JobRows l = {};
        uint64_t after = 0;
        int r;

        if (strv_length(arg_labels) > 1)
                return log_usage_error("--label= can be given once here (the daemon filters on one label).");

        do {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;

                r = sd_bus_message_new_method_call(bus, &m, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                                   JOBD_MANAGER_INTERFACE, "ListJobsFiltered");
                if (r >= 0)
                        r = append_filter(m, states, own, no_run);
                if (r >= 0)
                        r = sd_bus_message_append(m, "tu", after, (uint32_t) 10000);
                if (r < 0)
                        return log_error_errno(r, "Failed to build the ListJobsFiltered() call: %m");
                r = sd_bus_call(bus, m, 0, &error, &reply);
                if (r < 0)
                        return log_bus_error(r, &error, "Failed to list jobs");

                r = sd_bus_message_enter_container(reply, 'a', "(tsssuo)");
                if (r < 0)
                        goto parse_fail;
                for (;;) {
                        const char *name, *state, *result, *path;
                        JobRow *row;
                        uint32_t owner;
                        uint64_t id;

                        r = sd_bus_message_read(reply, "(tsssuo)", &id, &name, &state, &result, &owner, &path);
                        if (r < 0)
                                goto parse_fail;
                        if (r == 0)
                                break;
                        if (l.n >= l.allocated) {
                                size_t a = MAX(l.allocated * 2, (size_t) 64);

                                row = reallocarray(l.rows, a, sizeof(JobRow));
                                if (!row)
                                        return log_oom();
                                l.rows = row;
                                l.allocated = a;
                        }
                        row = &l.rows[l.n];
                        *row = (JobRow) { .id = id, .owner = owner };
                        l.n++;
                        row->name = strdup(name);
                        row->state = strdup(state);
                        row->result = strdup(result);
                        row->path = strdup(path);
                        if (!row->name || !row->state || !row->result || !row->path)
                                return log_oom();
                }
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "t", &after);
                if (r < 0)
                        goto parse_fail;
        } while (after != 0);

        *ret = l;
        l = (JobRows) {};
        return 0;

parse_fail:
        return log_error_errno(r, "Failed to parse the ListJobsFiltered() reply: %m");
}

#define DETAILS_BATCH 1000U

static json_object *strv_to_json_array(char **l) {
        json_object *a = json_object_new_array();

        STRV_FOREACH(s, l)
                if (!a || json_object_array_add(a, json_object_new_string(*s)) < 0) {
                        json_object_put(a);
                        return NULL;
                }
        return a;
}

/* ListJobDetails() for the rows, DETAILS_BATCH at a time: the list's columns in one call per batch, as a
 * JSON object of property names for each row (a job gone meanwhile keeps the list's columns only). */
int jobctl_fetch_details(sd_bus *bus, JobRows *rows) {
        size_t k = 0;
        int r;

        for (size_t first = 0; first < rows->n; first += DETAILS_BATCH) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
                size_t n = MIN((size_t) DETAILS_BATCH, rows->n - first);
                _cleanup_free_ uint64_t *ids = calloc(n, sizeof(uint64_t));

                if (!ids)
                        return log_oom();
                for (size_t i = 0; i < n; i++)
                        ids[i] = rows->rows[first + i].id;
                r = sd_bus_message_new_method_call(bus, &m, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                                   "ListJobDetails");
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 't', ids, n * sizeof(uint64_t));
                if (r < 0)
                        return log_error_errno(r, "Failed to build the ListJobDetails() call: %m");
                r = sd_bus_call(bus, m, 0, &error, &reply);
                if (r < 0)
                        return log_bus_error(r, &error, "Failed to read the jobs' details");

                r = sd_bus_message_enter_container(reply, 'a', "(tiittasas)");
                for (k = first; r >= 0;) {
                        _cleanup_strv_free_ char **argv = NULL, **labels = NULL;
                        uint64_t id, start, finish;
                        int32_t code, sig;
                        json_object *o;

                        r = sd_bus_message_enter_container(reply, 'r', "tiittasas");
                        if (r <= 0)
                                break;
                        r = sd_bus_message_read(reply, "tiitt", &id, &code, &sig, &start, &finish);
                        if (r >= 0)
                                r = sd_bus_message_read_strv(reply, &argv);
                        if (r >= 0)
                                r = sd_bus_message_read_strv(reply, &labels);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                        if (r < 0)
                                break;
                        /* In the order asked, without the jobs that are gone. */
                        while (k < first + n && rows->rows[k].id != id)
                                k++;
                        if (k >= first + n)
                                continue;
                        o = json_object_new_object();
                        if (!o ||
                            json_object_object_add(o, "ExitCode", json_object_new_int(code)) < 0 ||
                            json_object_object_add(o, "ExitSignal", json_object_new_int(sig)) < 0 ||
                            json_object_object_add(o, "StartUSec", json_object_new_uint64(start)) < 0 ||
                            json_object_object_add(o, "FinishUSec", json_object_new_uint64(finish)) < 0 ||
                            json_object_object_add(o, "Argv", strv_to_json_array(argv)) < 0 ||
                            json_object_object_add(o, "Labels", strv_to_json_array(labels)) < 0) {
                                json_object_put(o);
                                return log_oom();
                        }
                        json_object_put(rows->rows[k].props);
                        rows->rows[k].props = o;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListJobDetails() reply: %m");
        }
        return 0;
}

static json_object *prop(const JobRow *row, const char *name) {
        json_object *v;

        if (!row->props || !json_object_object_get_ex(row->props, name, &v))
                return NULL;
        return v;
}

static uint64_t prop_u64(const JobRow *row, const char *name) {
        json_object *v = prop(row, name);

        return v ? json_object_get_uint64(v) : 0;
}

static int64_t prop_i64(const JobRow *row, const char *name, int64_t def) {
        json_object *v = prop(row, name);

        return v ? json_object_get_int64(v) : def;
}

static char **prop_strv(const JobRow *row, const char *name) {
        json_object *v = prop(row, name);
        size_t n;
        char **l;

        if (!v || !json_object_is_type(v, json_type_array))
                return calloc(1, sizeof(char *));
        n = json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                l[i] = strdup(strempty(json_object_get_string(json_object_array_get_idx(v, i))));
                if (!l[i])
                        return strv_free(l);
        }
        return l;
}

static const char *uid_name(uint32_t uid, char *buf, size_t l) {
        struct passwd *pw = getpwuid(uid);

        if (pw && strlen(pw->pw_name) < l)
                snprintf(buf, l, "%s", pw->pw_name);
        else
                snprintf(buf, l, "%" PRIu32, uid);
        return buf;
}

/* "14:03:07" today, "2026-12-01 14:03" before. */
static const char *short_time(usec_t t, char *buf, size_t l) {
        time_t s = (time_t) (t / USEC_PER_SEC), n = time(NULL);
        struct tm tm, today;

        if (t == 0)
                return "-";
        localtime_r(&s, &tm);
        localtime_r(&n, &today);
        if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
                strftime(buf, l, "%H:%M:%S", &tm);
        else
                strftime(buf, l, "%Y-%m-%d %H:%M", &tm);
        return buf;
}

/* What a row shows: each column as text, escaped (names and commands are their owners' to choose). */
typedef struct Cells {
        char *c[10];
} Cells;

enum { C_ID, C_NAME, C_STATE, C_RESULT, C_EXIT, C_OWNER, C_START, C_TIME, C_LABELS, C_COMMAND, _C_MAX };

static const char *const headers[_C_MAX] = {
        "ID", "NAME", "STATE", "RESULT", "EXIT", "OWNER", "START", "TIME", "LABELS", "COMMAND",
};

static void cells_done(Cells *c) {
        for (size_t i = 0; i < _C_MAX; i++)
                free(c->c[i]);
}

static int row_cells(const JobRow *row, Cells *ret) {
        _cleanup_strv_free_ char **argv = NULL, **labels = NULL;
        _cleanup_free_ char *cmd = NULL, *lab = NULL;
        char buf[128], owner[64];
        usec_t start = prop_u64(row, "StartUSec"), finish = prop_u64(row, "FinishUSec");
        int64_t code = prop_i64(row, "ExitCode", -1), sig = prop_i64(row, "ExitSignal", 0);

        *ret = (Cells) {};
        argv = prop_strv(row, "Argv");
        labels = prop_strv(row, "Labels");
        if (!argv || !labels)
                return -ENOMEM;

        if (asprintf(&ret->c[C_ID], "%" PRIu64, row->id) < 0)
                ret->c[C_ID] = NULL;
        ret->c[C_NAME] = escape_non_printable(isempty(row->name) ? "-" : row->name);
        ret->c[C_STATE] = strdup(row->state);
        ret->c[C_RESULT] = strdup(isempty(row->result) ? "-" : row->result);
        if (sig > 0)
                snprintf(buf, sizeof(buf), "SIG%s", signal_to_string((int) sig) ?: "?");
        else if (code >= 0)
                snprintf(buf, sizeof(buf), "%" PRIi64, code);
        else
                snprintf(buf, sizeof(buf), "-");
        ret->c[C_EXIT] = strdup(buf);
        ret->c[C_OWNER] = strdup(uid_name(row->owner, owner, sizeof(owner)));
        ret->c[C_START] = strdup(short_time(start, buf, sizeof(buf)));
        if (start > 0 && finish >= start)
                format_timespan(buf, sizeof(buf), finish - start);
        else if (start > 0 && finish == 0 && now(CLOCK_REALTIME) >= start)
                format_timespan(buf, sizeof(buf), now(CLOCK_REALTIME) - start);
        else
                snprintf(buf, sizeof(buf), "-");
        ret->c[C_TIME] = strdup(buf);
        lab = strv_isempty(labels) ? strdup("-") : NULL;
        if (!lab) {
                size_t n = 0;

                STRV_FOREACH(s, labels)
                        n += strlen(*s) + 1;
                lab = calloc(1, n + 1);
                if (lab)
                        STRV_FOREACH(s, labels) {
                                if (*lab)
                                        strcat(lab, ",");
                                strcat(lab, *s);
                        }
        }
        ret->c[C_LABELS] = lab ? escape_non_printable(lab) : NULL;
        cmd = strv_isempty(argv) ? strdup("-") : quote_command_line(argv);
        if (cmd && strlen(cmd) > COMMAND_COLUMN_MAX) {
                /* Shortened on a character boundary: no UTF-8 sequence cut in two. */
                size_t k = COMMAND_COLUMN_MAX - 1;

                while (k > 0 && ((unsigned char) cmd[k] & 0xC0) == 0x80)
                        k--;
                strcpy(cmd + k, "…");
        }
        ret->c[C_COMMAND] = cmd ? escape_non_printable(cmd) : NULL;
        for (size_t i = 0; i < _C_MAX; i++)
                if (!ret->c[i]) {
                        cells_done(ret);
                        return -ENOMEM;
                }
        return 0;
}

/* Display width of UTF-8 text: code points (the escaped text has no controls). */
static size_t text_width(const char *s) {
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        n++;
        return n;
}

static int print_table(const JobRows *rows) {
        _cleanup_free_ Cells *cells = NULL;
        size_t w[_C_MAX];
        int r = 0;

        cells = calloc(MAX(rows->n, (size_t) 1), sizeof(Cells));
        if (!cells)
                return log_oom();
        for (size_t i = 0; i < _C_MAX; i++)
                w[i] = arg_no_legend ? 0 : strlen(headers[i]);
        for (size_t i = 0; i < rows->n; i++) {
                r = row_cells(&rows->rows[i], &cells[i]);
                if (r < 0) {
                        for (size_t k = 0; k < i; k++)
                                cells_done(&cells[k]);
                        return log_oom();
                }
                for (size_t k = 0; k < _C_MAX; k++)
                        w[k] = MAX(w[k], text_width(cells[i].c[k]));
        }
        if (!arg_no_legend) {
                for (size_t k = 0; k < _C_MAX; k++)
                        printf(k == 0 ? "%*s" : k + 1 < _C_MAX ? " %-*s" : " %.*s", (int) w[k], headers[k]);
                putchar('\n');
        }
        for (size_t i = 0; i < rows->n; i++) {
                for (size_t k = 0; k < _C_MAX; k++) {
                        const char *t = cells[i].c[k];
                        size_t pad = w[k] - text_width(t);

                        if (k == 0)
                                printf("%*s%s", (int) pad, "", t);
                        else if (k + 1 < _C_MAX)
                                printf(" %s%*s", t, (int) pad, "");
                        else
                                printf(" %s", t);
                }
                putchar('\n');
                cells_done(&cells[i]);
        }
        return 0;
}

static int print_json(const JobRows *rows) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return log_oom();
        for (size_t i = 0; i < rows->n; i++) {
                const JobRow *row = &rows->rows[i];
                json_object *o = json_object_new_object(), *v;

                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return log_oom();
                }
                if (json_object_object_add(o, "id", json_object_new_uint64(row->id)) < 0 ||
                    json_object_object_add(o, "name", json_object_new_string(row->name)) < 0 ||
                    json_object_object_add(o, "state", json_object_new_string(row->state)) < 0 ||
                    json_object_object_add(o, "result", json_object_new_string(row->result)) < 0 ||
                    json_object_object_add(o, "owner", json_object_new_int64(row->owner)) < 0 ||
                    json_object_object_add(o, "path", json_object_new_string(row->path)) < 0 ||
                    json_object_object_add(o, "exit_code",
                                           json_object_new_int64(prop_i64(row, "ExitCode", -1))) < 0 ||
                    json_object_object_add(o, "exit_signal",
                                           json_object_new_int64(prop_i64(row, "ExitSignal", 0))) < 0 ||
                    json_object_object_add(o, "start_usec",
                                           json_object_new_uint64(prop_u64(row, "StartUSec"))) < 0 ||
                    json_object_object_add(o, "finish_usec",
                                           json_object_new_uint64(prop_u64(row, "FinishUSec"))) < 0)
                        return log_oom();
                v = prop(row, "Labels");
                if (json_object_object_add(o, "labels", v ? json_object_get(v) : json_object_new_array()) < 0)
                        return log_oom();
                v = prop(row, "Argv");
                if (json_object_object_add(o, "argv", v ? json_object_get(v) : json_object_new_array()) < 0)
                        return log_oom();
        }
        return json_print(a);
}

int jobctl_print_jobs(sd_bus *bus, JobRows *rows) {
        int r;

        r = jobctl_fetch_details(bus, rows);
        if (r < 0)
                return r;
        r = arg_json != JSON_OFF ? print_json(rows) : print_table(rows);
        if (r < 0)
                return r;
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write to stdout: %m");
        return 0;
}

int verb_list(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(job_rows_free) JobRows rows = {};
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_list_jobs(bus, NULL, false, false, &rows);
        if (r < 0)
                return r;
        return jobctl_print_jobs(bus, &rows);
}

/* The jobs kill/cancel --all|--group=|--run=|--label= mean: the caller's own (root: everyone's) that
 * are not done, or (running) only those that run. */
int jobctl_select_unfinished(sd_bus *bus, bool running, uint64_t **ret, size_t *ret_n) {
        static char *const active[] = { (char *) "starting", (char *) "running", (char *) "paused",
                                         (char *) "stopping", NULL };
        static char *const unfinished[] = { (char *) "waiting", (char *) "queued", (char *) "starting",
                                            (char *) "running", (char *) "paused", (char *) "stopping", NULL };
        _cleanup_(job_rows_free) JobRows rows = {};
        uint64_t *ids;
        int r;

        r = jobctl_list_jobs(bus, (char **) (running ? active : unfinished), true, false, &rows);
        if (r < 0)
                return r;
        ids = calloc(MAX(rows.n, (size_t) 1), sizeof(uint64_t));
        if (!ids)
                return log_oom();
        for (size_t i = 0; i < rows.n; i++)
                ids[i] = rows.rows[i].id;
        *ret = ids;
        *ret_n = rows.n;
        return 0;
}

static int remove_one(sd_bus *bus, uint64_t id, bool quiet_busy) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "RemoveJob",
                               &error, NULL, "t", id);
        if (r >= 0)
                return 0;
        if (quiet_busy && sd_bus_error_has_name(&error, JOBD_ERROR_BUSY))
                return 0;
        return log_bus_error(r, &error, "Failed to remove job %" PRIu64, id);
}

int verb_remove(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        size_t n_ids;
        int r, ret = 0;

        r = parse_job_ids(argv + 1, &ids, &n_ids);
        if (r < 0)
                return r;
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_ids; i++) {
                r = remove_one(bus, ids[i], false);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int verb_clean(int argc, char *argv[]) {
        static char *const done[] = { (char *) "done", NULL };
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(job_rows_free) JobRows rows = {};
        size_t removed = 0;
        int r, ret = 0;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        /* Jobs of runs go with their runs: Run 0 asks for the others only. */
        r = jobctl_list_jobs(bus, (char **) done, true, true, &rows);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rows.n; i++) {
                /* Busy: a job not done depends on it; it stays, and that is not a failure of clean. */
                r = remove_one(bus, rows.rows[i].id, true);
                if (r < 0 && ret == 0)
                        ret = r;
                if (r >= 0)
                        removed++;
        }
        if (arg_json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();

                if (!o || json_object_object_add(o, "removed", json_object_new_uint64(removed)) < 0)
                        return log_oom();
                r = json_print(o);
                if (r < 0)
                        return r;
        } else
                printf("Removed %zu job%s.\n", removed, removed == 1 ? "" : "s");
        return ret;
}

/* {sv} entries copied from the old job's properties, when they differ from what the daemon assumes. */
static int append_from(sd_bus_message *m, json_object *props, const char *prop, const char *key, char type) {
        json_object *v;

        if (!json_object_object_get_ex(props, prop, &v))
                return 0;
        switch (type) {
        case 's':
                if (isempty(json_object_get_string(v)))
                        return 0;
                return sd_bus_message_append(m, "{sv}", key, "s", json_object_get_string(v));
        case 'i':
                return sd_bus_message_append(m, "{sv}", key, "i", (int32_t) json_object_get_int(v));
        case 'u':
                return sd_bus_message_append(m, "{sv}", key, "u", (uint32_t) json_object_get_int64(v));
        case 't':
                return sd_bus_message_append(m, "{sv}", key, "t", json_object_get_uint64(v));
        case 'a': {
                _cleanup_strv_free_ char **l = NULL;
                size_t n = json_object_array_length(v);

                if (n == 0)
                        return 0;
                l = calloc(n + 1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        l[i] = strdup(strempty(json_object_get_string(json_object_array_get_idx(v, i))));
                        if (!l[i])
                                return -ENOMEM;
                }
                return bus_append_strv_entry(m, key, l);
        }
        }
        return -EINVAL;
}

extern char **environ;

static int restart_one(sd_bus *bus, uint64_t id, uint64_t *ret_new) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *m = NULL;
        _cleanup_(json_object_putp) json_object *props = NULL;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *path = NULL;
        json_object *v, *argv;
        const char *state;
        int r;

        r = jobctl_get_job_path(bus, id, &path);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll", &error,
                               &reply, "s", JOBD_JOB_INTERFACE);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read job %" PRIu64, id);
        r = bus_message_read_json(reply, &props);
        if (r <= 0)
                return log_error_errno(r < 0 ? r : -EBADMSG, "Failed to parse the properties of job %" PRIu64 ": %m",
                                       id);
        state = json_object_object_get_ex(props, "State", &v) ? json_object_get_string(v) : "";
        if (!streq_ptr(state, "done")) {
                jobctl_note_failure(JOBCTL_EXIT_FAILURE);
                return log_error_errno(-EBUSY, "Job %" PRIu64 " is %s, not done: only done jobs are restarted.",
                                       id, strna(state));
        }
        if (!json_object_object_get_ex(props, "Argv", &argv) || json_object_array_length(argv) == 0) {
                jobctl_note_failure(JOBCTL_EXIT_FAILURE);
                return log_error_errno(-EPERM, "Job %" PRIu64 ": its command line is not readable here.", id);
        }
        v = json_object_array_get_idx(argv, json_object_array_length(argv) - 1);
        {
                const char *last = json_object_get_string(v);
                size_t l = strlen(strempty(last));

                if (l >= strlen("…") && streq(last + l - strlen("…"), "…")) {
                        jobctl_note_failure(JOBCTL_EXIT_FAILURE);
                        return log_error_errno(-E2BIG, "Job %" PRIu64 ": the daemon kept only the start of its "
                                               "long command line; submit it again yourself.", id);
                }
        }

        r = sd_bus_message_new_method_call(bus, &m, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                           "Submit");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = append_from(m, props, "Argv", "Argv", 'a');
        if (r >= 0)
                r = append_from(m, props, "WorkingDirectory", "WorkingDirectory", 's');
        if (r >= 0) {
                /* A done job's Environment is not kept by the daemon: jobctl's own, as for submit. */
                for (char **e = environ; e && *e; e++)
                        if (strchr(*e, '=') && (*e)[0] != '=' && strv_extend(&env, *e) < 0)
                                return log_oom();
                r = bus_append_strv_entry(m, "Environment", env ?: (char *[]) { NULL });
        }
        if (r >= 0)
                r = append_from(m, props, "Name", "Name", 's');
        if (r >= 0)
                r = append_from(m, props, "Priority", "Priority", 'i');
        if (r >= 0 && json_object_object_get_ex(props, "TimeoutUSec", &v) && json_object_get_uint64(v) > 0)
                r = append_from(m, props, "TimeoutUSec", "TimeoutUSec", 't');
        if (r >= 0 && json_object_object_get_ex(props, "MemoryMax", &v) && json_object_get_uint64(v) != UINT64_MAX)
                r = append_from(m, props, "MemoryMax", "MemoryMax", 't');
        if (r >= 0 && json_object_object_get_ex(props, "TasksMax", &v) && json_object_get_uint64(v) != UINT64_MAX)
                r = append_from(m, props, "TasksMax", "TasksMax", 't');
        if (r >= 0)
                r = append_from(m, props, "Group", "Group", 's');
        if (r >= 0 && json_object_object_get_ex(props, "Resources", &v) && json_object_object_length(v) > 0) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "Resources");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a{su}");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "{su}");
                json_object_object_foreach(v, pool, amount)
                        if (r >= 0)
                                r = sd_bus_message_append(m, "{su}", pool, (uint32_t) json_object_get_int64(amount));
                for (int k = 0; k < 3 && r >= 0; k++)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = append_from(m, props, "Retries", "Retries", 'u');
        if (r >= 0)
                r = append_from(m, props, "RetryOn", "RetryOn", 'a');
        if (r >= 0)
                r = append_from(m, props, "RetryDelayUSec", "RetryDelayUSec", 't');
        if (r >= 0)
                r = append_from(m, props, "LogMaxBytes", "LogMaxBytes", 't');
        if (r >= 0)
                r = append_from(m, props, "SystemCallFilter", "SystemCallFilter", 'a');
        if (r >= 0)
                r = append_from(m, props, "RestrictAddressFamilies", "RestrictAddressFamilies", 'a');
        if (r >= 0)
                r = append_from(m, props, "Labels", "Labels", 'a');
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_error_errno(r, "Failed to build the spec of job %" PRIu64 " again: %m", id);

        sd_bus_error_free(&error);
        reply = sd_bus_message_unref(reply);
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to submit job %" PRIu64 " again", id);
        r = sd_bus_message_read(reply, "t", ret_new);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the Submit() reply: %m");
        return 0;
}

int verb_restart(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(json_object_putp) json_object *a = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        size_t n_ids;
        int r, ret = 0;

        r = parse_job_ids(argv + 1, &ids, &n_ids);
        if (r < 0)
                return r;
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        a = json_object_new_array();
        if (!a)
                return log_oom();
        for (size_t i = 0; i < n_ids; i++) {
                uint64_t new_id;
                json_object *o;

                r = restart_one(bus, ids[i], &new_id);
                if (r < 0) {
                        if (ret == 0)
                                ret = r;
                        continue;
                }
                if (arg_json == JSON_OFF) {
                        printf("%" PRIu64 "\n", new_id);
                        continue;
                }
                o = json_object_new_object();
                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return log_oom();
                }
                if (json_object_object_add(o, "id", json_object_new_uint64(ids[i])) < 0 ||
                    json_object_object_add(o, "new_id", json_object_new_uint64(new_id)) < 0)
                        return log_oom();
        }
        if (arg_json != JSON_OFF) {
                r = json_print(a);
                if (r < 0)
                        return r;
        }
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write to stdout: %m");
        return ret;
}
