/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live status of a run (plan --wait, run-status --watch): on a terminal a table per group redrawn in
 * place, with the jobs that newly failed printed above it; elsewhere a line per job event, with the job's
 * name, and a summary line now and then. The jobs' states come from JobChanged signals (believed only from
 * the daemon's unique name), after one ListJobs() for where they stand: a state is printed when it differs
 * from the last one known, so none is printed twice. The end of the run is what the daemon says when asked
 * after a Finished signal. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "escape-util.h"
#include "jobctl-status.h"
#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

#define REDRAW_USEC (500 * USEC_PER_MSEC)
#define SUMMARY_USEC_DEFAULT (30 * USEC_PER_SEC)

typedef enum Column {
        COL_QUEUED,
        COL_RUNNING,
        COL_PASSED,
        COL_FAILED,
        COL_KILLED,
        COL_SKIPPED,
        _COL_MAX,
} Column;

static const char *const column_names[_COL_MAX] = {
        "queued", "running", "passed", "failed", "killed", "skipped",
};

typedef struct StatusJob {
        uint64_t id;
        char *name;                /* escaped for the terminal */
        size_t group;              /* index in RunStatus.groups */
        char *state, *result;
        Column column;
        usec_t running_since;      /* CLOCK_MONOTONIC, 0: not seen running */
} StatusJob;

typedef struct RunStatus {
        sd_bus *bus;
        sd_event *event;
        uint64_t id;
        const char *path;
        char *daemon;
        StatusJob *jobs;           /* by id, ascending (a run's jobs the GC forgot are not there) */
        size_t n_jobs;
        char **groups;             /* escaped; "" for none */
        unsigned (*counts)[_COL_MAX];   /* per group, kept up to date; [n_groups]: all */
        size_t n_groups;
        usec_t submit_usec;        /* CLOCK_REALTIME */
        usec_t summary_usec;       /* lines: a summary line this often */
        usec_t last_summary;
        usec_t sum_durations;
        unsigned n_durations;
        bool table;
        unsigned drawn_lines;      /* table lines on the terminal now, to move up over */
        char **failed_lines;       /* to print above the table at the next redraw */
        bool finished;
        int error;                 /* ends the wait */
        int (*on_signal)(sd_bus *bus, void *userdata);
        void *signal_userdata;
} RunStatus;

static Column column_of(const char *state, const char *result) {
        if (!streq_ptr(state, "done"))
                return STR_IN_SET(strempty(state), "waiting", "queued") ? COL_QUEUED : COL_RUNNING;
        if (streq_ptr(result, "success"))
                return COL_PASSED;
        if (STR_IN_SET(strempty(result), "killed", "lost"))
                return COL_KILLED;
        if (STR_IN_SET(strempty(result), "skipped", "cancelled"))
                return COL_SKIPPED;
        return COL_FAILED;
}

static void status_free(RunStatus *s) {
        for (size_t i = 0; i < s->n_jobs; i++) {
                free(s->jobs[i].name);
                free(s->jobs[i].state);
                free(s->jobs[i].result);
        }
        free(s->jobs);
        strv_free(s->groups);
        free(s->counts);
        strv_free(s->failed_lines);
        free(s->daemon);
}

static void counts_of(RunStatus *s, size_t group, unsigned c[_COL_MAX]) {
        memcpy(c, s->counts[group == SIZE_MAX ? s->n_groups : group], sizeof(unsigned) * _COL_MAX);
}

static void count_move(RunStatus *s, const StatusJob *j, Column from, Column to) {
        s->counts[j->group][from]--;
        s->counts[s->n_groups][from]--;
        s->counts[j->group][to]++;
        s->counts[s->n_groups][to]++;
}

/* "~1m 20s" from the durations of the jobs that finished while we watched, "?" before any did. */
static void format_eta(RunStatus *s, const unsigned c[_COL_MAX], char *buf, size_t l) {
        char t[64];
        unsigned left = c[COL_QUEUED] + c[COL_RUNNING];
        usec_t mean;

        if (left == 0) {
                snprintf(buf, l, "-");
                return;
        }
        if (s->n_durations == 0) {
                snprintf(buf, l, "?");
                return;
        }
        mean = s->sum_durations / s->n_durations;
        snprintf(buf, l, "~%s", format_timespan(t, sizeof(t), mean * left / MAX(c[COL_RUNNING], 1U)));
}

static usec_t elapsed(RunStatus *s) {
        usec_t n = now(CLOCK_REALTIME);

        return n > s->submit_usec ? n - s->submit_usec : 0;
}

static void print_summary_line(RunStatus *s) {
        unsigned c[_COL_MAX];
        char t[64], eta[64];

        counts_of(s, SIZE_MAX, c);
        format_eta(s, c, eta, sizeof(eta));
        printf("Run %" PRIu64 ": %u queued, %u running, %u passed, %u failed, %u killed, %u skipped of %zu; "
               "elapsed %s, ETA %s\n", s->id, c[COL_QUEUED], c[COL_RUNNING], c[COL_PASSED], c[COL_FAILED],
               c[COL_KILLED], c[COL_SKIPPED], s->n_jobs, format_timespan(t, sizeof(t), elapsed(s)), eta);
        fflush(stdout);
        s->last_summary = now(CLOCK_MONOTONIC);
}

/* Table rows of groups at most: more would scroll the top of the table away, and it could not be
 * redrawn in place. The others are summed up in one row. */
#define TABLE_GROUPS_MAX 20U

/* One row, cut to the terminal's width: a wrapped line would break the count of lines to go up. */
static void table_row(RunStatus *s, unsigned cols, size_t width, const char *label, const unsigned c[_COL_MAX],
                      const char *elapsed_s, const char *eta) {
        char buf[512];
        int n;

        n = snprintf(buf, sizeof(buf), "%-*.*s", (int) width, (int) width, label);
        for (Column k = 0; k < _COL_MAX && n >= 0 && (size_t) n < sizeof(buf); k++)
                n += snprintf(buf + n, sizeof(buf) - n, " %7u", c[k]);
        if (n >= 0 && (size_t) n < sizeof(buf))
                (void) snprintf(buf + n, sizeof(buf) - n, " %9s %9s", elapsed_s, eta);
        printf("%.*s\n", (int) MIN(cols - 1, (unsigned) sizeof(buf)), buf);
        s->drawn_lines++;
}

static void draw_table(RunStatus *s) {
        unsigned c[_COL_MAX], rest[_COL_MAX] = {}, cols = 80;
        char t[64], eta[64], label[64];
        size_t width = 7, n_groups = strv_length(s->groups), shown;
        struct winsize ws;

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_col >= 20)
                cols = ws.ws_col;

        /* Up over the old table, and clear from there: the newly failed go above the new one. */
        if (s->drawn_lines > 0)
                printf("\r\033[%uA\033[J", s->drawn_lines);
        STRV_FOREACH(l, s->failed_lines)
                printf("%s\n", *l);
        s->failed_lines = strv_free(s->failed_lines);
        s->drawn_lines = 0;

        STRV_FOREACH(g, s->groups)
                width = MAX(width, MIN(strlen(*g), (size_t) 32));
        /* The counts and times take 68 columns: the group names get what is left, 7 at least. */
        width = MAX(MIN(width, cols > 76 ? (size_t) cols - 69 : 7), (size_t) 7);
        shown = n_groups > TABLE_GROUPS_MAX ? TABLE_GROUPS_MAX - 1 : n_groups;

        {
                char head[512];
                int n = snprintf(head, sizeof(head), "%-*s", (int) width, "GROUP");

                for (Column k = 0; k < _COL_MAX && n >= 0 && (size_t) n < sizeof(head); k++)
                        n += snprintf(head + n, sizeof(head) - n, " %7s", column_names[k]);
                if (n >= 0 && (size_t) n < sizeof(head))
                        (void) snprintf(head + n, sizeof(head) - n, " %9s %9s", "elapsed", "ETA");
                printf("%.*s\n", (int) MIN(cols - 1, (unsigned) sizeof(head)), head);
                s->drawn_lines++;
        }
        for (size_t g = 0; g < n_groups; g++) {
                counts_of(s, g, c);
                if (g >= shown) {
                        for (Column k = 0; k < _COL_MAX; k++)
                                rest[k] += c[k];
                        continue;
                }
                format_eta(s, c, eta, sizeof(eta));
                table_row(s, cols, width, isempty(s->groups[g]) ? "-" : s->groups[g], c, "", eta);
        }
        if (shown < n_groups) {
                snprintf(label, sizeof(label), "+%zu more", n_groups - shown);
                format_eta(s, rest, eta, sizeof(eta));
                table_row(s, cols, width, label, rest, "", eta);
        }
        counts_of(s, SIZE_MAX, c);
        format_eta(s, c, eta, sizeof(eta));
        table_row(s, cols, width, "all", c, format_timespan(t, sizeof(t), elapsed(s)), eta);
        fflush(stdout);
}

/* A job changed: count it where it is now, and say so (a line, or a failure above the table). */
static void job_update(RunStatus *s, StatusJob *j, uint64_t id, const char *state, const char *result) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *reason = NULL, *reason_e = NULL, *line = NULL, *path = NULL;
        bool done = streq(state, "done");
        Column col;

        if (streq_ptr(j->state, state) && streq_ptr(j->result, result))
                return;   /* known already: not twice */
        free(j->state);
        free(j->result);
        j->state = strdup(state);
        j->result = strdup(result);
        col = column_of(state, result);
        count_move(s, j, j->column, col);
        j->column = col;
        if (col == COL_RUNNING && j->running_since == 0)
                j->running_since = now(CLOCK_MONOTONIC);
        if (done && j->running_since > 0) {
                s->sum_durations += now(CLOCK_MONOTONIC) - j->running_since;
                s->n_durations++;
                j->running_since = 0;
        } else if (col == COL_QUEUED)
                j->running_since = 0;   /* waiting for a retry */

        /* Why: the Reason, else how the process ended. */
        if (done && (col == COL_FAILED || col == COL_KILLED) && jobd_job_path(id, &path) >= 0) {
                int code = -1, sig = 0;

                if (sd_bus_get_property_string(s->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "Reason",
                                               &error, &reason) >= 0 && !isempty(reason))
                        reason_e = escape_non_printable(reason);
                else if (sd_bus_get_property_trivial(s->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE,
                                                     "ExitSignal", &error, 'i', &sig) >= 0 && sig > 0)
                        (void) asprintf(&reason_e, "signal %d", sig);
                else if (sd_bus_get_property_trivial(s->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE,
                                                     "ExitCode", &error, 'i', &code) >= 0 && code >= 0)
                        (void) asprintf(&reason_e, "exit code %d", code);
        }

        if (s->table) {
                if (col != COL_FAILED && col != COL_KILLED)
                        return;
                if (asprintf(&line, "%s job %" PRIu64 " %s%s%s", col == COL_FAILED ? "FAILED" : "KILLED", id,
                             j->name, isempty(reason_e) ? "" : ": ", strempty(reason_e)) >= 0)
                        (void) strv_extend(&s->failed_lines, line);
                return;
        }
        /* "starting" is followed by "running" at once: one line is enough. */
        if (streq(state, "starting"))
                return;
        printf("[%8.1fs] job %-6" PRIu64 " %-28s %s%s%s%s%s\n", (double) elapsed(s) / USEC_PER_SEC, id, j->name,
               state, done ? " " : "", done ? result : "", isempty(reason_e) ? "" : ": ", strempty(reason_e));
        fflush(stdout);
}

static int cmp_status_job(const void *a, const void *b) {
        const StatusJob *x = a, *y = b;

        return (x->id > y->id) - (x->id < y->id);
}

static int on_job_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RunStatus *s = userdata;
        const char *path, *state, *result;
        StatusJob key = {}, *j;
        uint64_t id;

        if (!jobctl_signal_from_daemon(m, s->daemon))
                return 0;
        /* The contract says "toss"; take the path as a string too. */
        if (sd_bus_message_read(m, "t", &id) < 0 ||
            sd_bus_message_read_basic(m, sd_bus_message_has_signature(m, "tsss") ? 's' : 'o', &path) < 0 ||
            sd_bus_message_read(m, "ss", &state, &result) < 0)
                return 0;
        key.id = id;
        j = bsearch(&key, s->jobs, s->n_jobs, sizeof(StatusJob), cmp_status_job);
        if (j)
                job_update(s, j, id, state, result);
        return 0;
}

static int check_finished(RunStatus *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *state = NULL;
        int r;

        r = sd_bus_get_property_string(s->bus, JOBD_BUS_NAME, s->path, JOBD_RUN_INTERFACE, "State", &error,
                                       &state);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read the state of run %" PRIu64, s->id);
        if (streq(state, "done"))
                s->finished = true;
        return 0;
}

static int on_run_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RunStatus *s = userdata;
        const char *result;
        uint64_t id;
        int r;

        if (!jobctl_signal_from_daemon(m, s->daemon))
                return 0;
        if (sd_bus_message_read(m, "ts", &id, &result) < 0 || id != s->id)
                return 0;
        r = check_finished(s);
        if (r < 0)
                s->error = r;
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RunStatus *s = userdata;
        int r;

        r = jobctl_daemon_owner_changed(m, &s->daemon);
        if (r < 0)
                return log_oom();
        if (r > 0 && !s->daemon) {
                log_error("jobd left the bus before run %" PRIu64 " finished.", s->id);
                s->error = -ECONNRESET;
        }
        return 0;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        RunStatus *s = userdata;

        if (s->table)
                draw_table(s);
        else if (now(CLOCK_MONOTONIC) >= s->last_summary + s->summary_usec)
                print_summary_line(s);
        (void) sd_event_source_set_time(es, usec + REDRAW_USEC);
        (void) sd_event_source_set_enabled(es, SD_EVENT_ON);
        return 0;
}

static int group_index(RunStatus *s, const char *group) {
        _cleanup_free_ char *e = escape_non_printable(strempty(group));
        size_t k = 0;

        if (!e)
                return -ENOMEM;
        STRV_FOREACH(g, s->groups) {
                if (streq(*g, e))
                        return (int) k;
                k++;
        }
        if (strv_extend(&s->groups, e) < 0)
                return -ENOMEM;
        return (int) k;
}

static int load_jobs(RunStatus *s, uint64_t groups_first, char **groups) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(s->bus, JOBD_BUS_NAME, s->path, JOBD_RUN_INTERFACE, "ListJobs", &error, &reply,
                               "");
        if (r < 0)
                return log_bus_error(r, &error, "Failed to list the jobs of run %" PRIu64, s->id);
        r = sd_bus_message_enter_container(reply, 'a', "(tsssuo)");
        for (;;) {
                _cleanup_free_ char *group = NULL;
                const char *name, *state, *result, *path;
                uint32_t owner;
                uint64_t id;
                StatusJob *t, *j;
                int g;

                if (r >= 0)
                        r = sd_bus_message_read(reply, "(tsssuo)", &id, &name, &state, &result, &owner, &path);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListJobs() reply: %m");
                if (r == 0)
                        break;
                if (s->n_jobs > 0 && id <= s->jobs[s->n_jobs - 1].id)
                        return log_error_errno(-EBADMSG, "Run %" PRIu64 ": ListJobs() is not in id order.",
                                               s->id);
                if (groups && id >= groups_first && id - groups_first < strv_length(groups))
                        group = strdup(groups[id - groups_first]);
                else {
                        sd_bus_error_free(&error);
                        r = sd_bus_get_property_string(s->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE,
                                                       "Group", &error, &group);
                        if (r < 0)
                                return log_bus_error(r, &error, "Failed to read the group of job %" PRIu64, id);
                }
                if (!group)
                        return log_oom();
                g = group_index(s, group);
                t = reallocarray(s->jobs, s->n_jobs + 1, sizeof(StatusJob));
                if (g < 0 || !t)
                        return log_oom();
                s->jobs = t;
                j = &s->jobs[s->n_jobs++];
                *j = (StatusJob) {
                        .id = id,
                        .group = (size_t) g,
                        .name = escape_non_printable(isempty(name) ? "-" : name),
                        .state = strdup(state),
                        .result = strdup(result),
                        .column = column_of(state, result),
                };
                if (!j->name || !j->state || !j->result)
                        return log_oom();
                if (j->column == COL_RUNNING)
                        j->running_since = now(CLOCK_MONOTONIC);
        }
        s->n_groups = strv_length(s->groups);
        s->counts = calloc(s->n_groups + 1, sizeof(*s->counts));
        if (!s->counts)
                return log_oom();
        for (size_t i = 0; i < s->n_jobs; i++) {
                s->counts[s->jobs[i].group][s->jobs[i].column]++;
                s->counts[s->n_groups][s->jobs[i].column]++;
        }
        return 0;
}

static int on_signal_fd(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        RunStatus *s = userdata;
        int r;

        r = s->on_signal(s->bus, s->signal_userdata);
        if (r < 0)
                s->error = r;
        return 0;
}

int run_status_follow(sd_bus *bus, uint64_t id, const char *path, uint64_t groups_first, char **groups,
                      bool table) {
        return run_status_follow_full(bus, id, path, groups_first, groups, table, -EBADF, NULL, NULL);
}

int run_status_follow_full(sd_bus *bus, uint64_t id, const char *path, uint64_t groups_first, char **groups,
                           bool table, int signal_fd, int (*on_signal)(sd_bus *bus, void *userdata),
                           void *userdata) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot_changed = NULL, *slot_finished = NULL, *slot_owner = NULL;
        _cleanup_(sd_event_source_unrefp) sd_event_source *timer = NULL, *signal_source = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        RunStatus s = {
                .bus = bus,
                .id = id,
                .path = path,
                .table = table,
                .summary_usec = SUMMARY_USEC_DEFAULT,
                .on_signal = on_signal,
                .signal_userdata = userdata,
        };
        const char *e;
        int r;

        e = getenv("JOBCTL_STATUS_INTERVAL_SEC");
        if (e) {
                unsigned sec;

                if (safe_atou(e, &sec) < 0 || sec == 0)
                        log_warning("$JOBCTL_STATUS_INTERVAL_SEC=%s is not a number of seconds, ignoring.", e);
                else
                        s.summary_usec = sec * USEC_PER_SEC;
        }

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to get an event loop: %m");
        s.event = event;
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* Subscribed before anything is read: nothing slips past. */
        r = sd_bus_match_signal(bus, &slot_changed, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                "JobChanged", on_job_changed, &s);
        if (r >= 0)
                r = sd_bus_match_signal(bus, &slot_finished, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE,
                                        "Finished", on_run_finished, &s);
        if (r >= 0)
                r = sd_bus_add_match(bus, &slot_owner, JOBD_OWNER_CHANGED_MATCH, on_owner_changed, &s);
        if (r < 0) {
                log_error_errno(r, "Failed to subscribe to the run's signals: %m");
                goto finish;
        }
        r = jobctl_get_daemon_owner(bus, &s.daemon);
        if (r < 0)
                goto finish;
        {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                (void) sd_bus_get_property_trivial(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, "SubmitUSec",
                                                   &error, 't', &s.submit_usec);
        }
        r = load_jobs(&s, groups_first, groups);
        if (r < 0)
                goto finish;

        if (table)
                draw_table(&s);
        else
                print_summary_line(&s);
        r = check_finished(&s);
        if (r < 0 || s.finished)
                goto finish;

        if (signal_fd >= 0 && on_signal) {
                r = sd_event_add_io(event, &signal_source, signal_fd, EPOLLIN, on_signal_fd, &s);
                if (r < 0) {
                        log_error_errno(r, "Failed to watch for SIGINT/SIGTERM: %m");
                        goto finish;
                }
        }
        r = sd_event_add_time_relative(event, &timer, CLOCK_MONOTONIC, REDRAW_USEC, 0, on_timer, &s);
        if (r < 0) {
                log_error_errno(r, "Failed to set up a timer: %m");
                goto finish;
        }
        /* Not sd_event_loop(): sd_event_exit() would close the bus, which the caller goes on using. */
        while (!s.finished && s.error == 0) {
                r = sd_event_run(event, UINT64_MAX);
                if (r < 0) {
                        log_error_errno(r, "Failed to run the event loop: %m");
                        break;
                }
        }
        if (r >= 0 && s.error < 0)
                r = s.error;
        if (r >= 0) {
                /* The last word: where every job ended. */
                if (table)
                        draw_table(&s);
                else
                        print_summary_line(&s);
        }
finish:
        timer = sd_event_source_disable_unref(timer);
        signal_source = sd_event_source_disable_unref(signal_source);
        (void) sd_bus_detach_event(bus);
        status_free(&s);
        return r;
}
