/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "escape-util.h"
#include "jobctl-daily.h"
#include "jobctl-util.h"
#include "jobctl-watch.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"
#include "time-util.h"

/* Runs f for each job ID argument: all of them are tried, the first failure is returned. */
static int for_each_job(char **args, int (*f)(sd_bus *bus, uint64_t id)) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        size_t n_ids;
        int r, ret = 0;

        r = parse_job_ids(args, &ids, &n_ids);
        if (r < 0)
                return r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_ids; i++) {
                r = f(bus, ids[i]);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

static int kill_one(sd_bus *bus, uint64_t id) {
        char what[96];

        snprintf(what, sizeof(what), "Failed to send SIG%s to job %" PRIu64,
                 signal_to_string(arg_signal) ?: "?", id);
        return jobctl_call_manager(bus, "KillJob", NULL, what, "ti", id, (int32_t) arg_signal);
}

/* kill/cancel: the IDs given, or the jobs --all, --group=, --run=, --label= pick (the caller's own, all for
 * root) that are not done (kill: that run). */
static int for_each_selected(const char *verb, char **args, bool running, int (*f)(sd_bus *bus, uint64_t id)) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        bool select = arg_all || arg_group || arg_run_set || arg_labels;
        size_t n_ids;
        int r, ret = 0;

        if (select && !strv_isempty(args))
                return log_usage_error("%s: give job IDs or --all/--group=/--run=/--label=, not both.", verb);
        if (!select)
                return strv_isempty(args) ?
                        log_usage_error("%s: missing job ID (or --all, --group=, --run=, --label=) "
                                        "(see jobctl %s --help).", verb, verb) :
                        for_each_job(args, f);

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_select_unfinished(bus, running, &ids, &n_ids);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_ids; i++) {
                r = f(bus, ids[i]);
                /* A job that ended meanwhile is no failure of "all of them". */
                if (r < 0 && ret == 0 && r != -ESRCH)
                        ret = r;
        }
        return ret;
}

int verb_kill(int argc, char *argv[]) {
        return for_each_selected("kill", argv + 1, true, kill_one);
}

static int cancel_one(sd_bus *bus, uint64_t id) {
        char what[64];

        snprintf(what, sizeof(what), "Failed to cancel job %" PRIu64, id);
        return jobctl_call_manager(bus, "CancelJob", NULL, what, "t", id);
}

int verb_cancel(int argc, char *argv[]) {
        return for_each_selected("cancel", argv + 1, false, cancel_one);
}

static int job_method(sd_bus *bus, uint64_t id, const char *method, const char *verb) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        /* GetJob first: it says NoSuchJob plainly, where a call on a missing object says UnknownObject. */
        r = jobctl_get_job_path(bus, id, &path);
        if (r < 0)
                return r;

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, method, &error, NULL, "");
        if (r < 0)
                return log_bus_error(r, &error, "Failed to %s job %" PRIu64, verb, id);
        return 0;
}

static int pause_one(sd_bus *bus, uint64_t id) {
        return job_method(bus, id, "Pause", "pause");
}

static int resume_one(sd_bus *bus, uint64_t id) {
        return job_method(bus, id, "Resume", "resume");
}

static int hold_one(sd_bus *bus, uint64_t id) {
        return job_method(bus, id, "Hold", "hold");
}

static int release_one(sd_bus *bus, uint64_t id) {
        return job_method(bus, id, "Release", "release");
}

int verb_hold(int argc, char *argv[]) {
        return for_each_job(argv + 1, hold_one);
}

int verb_release(int argc, char *argv[]) {
        return for_each_job(argv + 1, release_one);
}

int verb_set_priority(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t id;
        int prio, r;

        r = parse_job_id(argv[1], &id);
        if (r < 0)
                return r;
        if (safe_atoi(argv[2], &prio) < 0)
                return log_usage_error("Invalid priority: %s (expected an integer)", argv[2]);
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_get_job_path(bus, id, &path);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "SetPriority", &error, NULL, "i",
                               (int32_t) prio);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to set the priority of job %" PRIu64, id);
        return 0;
}

int verb_pause(int argc, char *argv[]) {
        return for_each_job(argv + 1, pause_one);
}

int verb_resume(int argc, char *argv[]) {
        return for_each_job(argv + 1, resume_one);
}

int verb_set_parallel(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        unsigned n;
        int r;

        if (safe_atou(argv[1], &n) < 0)
                return log_usage_error("Invalid number of parallel jobs: %s", argv[1]);

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;

        return jobctl_call_manager(bus, "SetMaxParallel", NULL, "Failed to set the number of parallel jobs",
                                   "u", (uint32_t) n);
}

/* Adds every job the daemon knows to the watch, with the state ListJobs() reports. */
static int watch_add_all(Watch *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = jobctl_call_manager(w->bus, "ListJobs", &reply, "Failed to list jobs", "");
        if (r < 0)
                return r;

        r = sd_bus_message_enter_container(reply, SD_BUS_TYPE_ARRAY, "(tsssuo)");
        if (r < 0)
                goto parse_fail;
        for (;;) {
                const char *name, *state, *result, *path;
                uint32_t owner;
                uint64_t id;

                r = sd_bus_message_read(reply, "(tsssuo)", &id, &name, &state, &result, &owner, &path);
                if (r < 0)
                        goto parse_fail;
                if (r == 0)
                        break;
                r = watch_add(w, id, path, state, result);
                if (r < 0)
                        return r;
        }
        return 0;

parse_fail:
        return log_error_errno(r, "Failed to parse the ListJobs() reply: %m");
}

static int print_wait_json(Watch *w) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();

        if (!a)
                return log_oom();
        for (size_t i = 0; i < w->n_jobs; i++) {
                const WatchedJob *j = &w->jobs[i];
                json_object *o = json_object_new_object();

                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return log_oom();
                }
                if (json_object_object_add(o, "id", json_object_new_uint64(j->id)) < 0 ||
                    json_object_object_add(o, "state", json_object_new_string(strempty(j->state))) < 0 ||
                    json_object_object_add(o, "result", json_object_new_string(strempty(j->result))) < 0 ||
                    json_object_object_add(o, "exit_code", json_object_new_int(j->exit_code)) < 0 ||
                    json_object_object_add(o, "exit_signal", json_object_new_int(j->exit_signal)) < 0 ||
                    json_object_object_add(o, "reason", json_object_new_string(strempty(j->reason))) < 0)
                        return log_oom();
        }
        return json_print(a);
}

/* Live status: one line per state change, with how far the whole set has come. */
static void print_progress(Watch *w, WatchedJob *j, void *userdata) {
        usec_t *start = userdata;
        char extra[128] = "", what[192];
        size_t running = 0;

        for (size_t i = 0; i < w->n_jobs; i++)
                if (!w->jobs[i].done && (streq_ptr(w->jobs[i].state, "running") ||
                                         streq_ptr(w->jobs[i].state, "paused") ||
                                         streq_ptr(w->jobs[i].state, "stopping")))
                        running++;
        if (j->done && !isempty(j->result) && !streq(j->result, "success")) {
                if (j->exit_signal > 0)
                        snprintf(extra, sizeof(extra), " (signal %s)", signal_to_string(j->exit_signal) ?: "?");
                else if (j->exit_code > 0)
                        snprintf(extra, sizeof(extra), " (exit code %i)", j->exit_code);
        }
        snprintf(what, sizeof(what), "%s%s", strempty(j->result), extra);
        printf("[%6.1fs] job %-6" PRIu64 " %-20s %-8s %-28s | %zu running, %zu/%zu done\n",
               (double) (now(CLOCK_MONOTONIC) - *start) / USEC_PER_SEC, j->id, j->name ?: "-",
               strempty(j->state), what, running, w->n_done, w->n_jobs);
        if (j->done && !isempty(j->reason)) {
                /* The reason may quote the job's owner's choices (escape-util.h). */
                _cleanup_free_ char *reason = escape_non_printable(j->reason);

                printf("%*s%s\n", 11, "", reason ?: "(out of memory)");
        }
        fflush(stdout);
}

typedef struct WaitExec {
        usec_t *start;
        bool progress;
        uint64_t *ran;          /* ids CMD ran for */
        size_t n_ran;
} WaitExec;

/* --exec=CMD for a job that ended: /bin/sh -c CMD, waited for, with the job in its environment. The
 * daemon runs nothing of the kind: this is jobctl, as the user who runs it. */
static void wait_exec(Watch *w, WatchedJob *j, WaitExec *x) {
        _cleanup_free_ char *name = NULL;
        char id[32], code[16], sig[16];
        uint64_t *t;
        pid_t pid;

        for (size_t i = 0; i < x->n_ran; i++)
                if (x->ran[i] == j->id)
                        return;
        t = reallocarray(x->ran, x->n_ran + 1, sizeof(uint64_t));
        if (!t) {
                log_oom();
                return;
        }
        x->ran = t;
        x->ran[x->n_ran++] = j->id;

        if (j->path)
                (void) sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "Name",
                                                  NULL, &name);
        snprintf(id, sizeof(id), "%" PRIu64, j->id);
        snprintf(code, sizeof(code), "%i", j->exit_code);
        snprintf(sig, sizeof(sig), "%i", j->exit_signal);
        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                log_error_errno(-errno, "Failed to run --exec= for job %" PRIu64 ": %m", j->id);
                return;
        }
        if (pid == 0) {
                if (setenv("JOBD_JOB_ID", id, 1) < 0 || setenv("JOBD_JOB_NAME", strempty(name), 1) < 0 ||
                    setenv("JOBD_JOB_RESULT", strempty(j->result), 1) < 0 ||
                    setenv("JOBD_JOB_EXIT_CODE", code, 1) < 0 || setenv("JOBD_JOB_EXIT_SIGNAL", sig, 1) < 0)
                        _exit(127);
                /* jobctl watch blocks SIGINT and SIGTERM for its event loop: CMD gets them as usual. */
                sigset_t none;

                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                execl("/bin/sh", "sh", "-c", arg_exec, (char *) NULL);
                _exit(127);
        }
        for (;;) {
                int status;

                if (waitpid(pid, &status, 0) >= 0) {
                        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                                log_warning("The command run for job %" PRIu64 " did not succeed.", j->id);
                        break;
                }
                if (errno != EINTR)
                        break;
        }
}

static void wait_exec_done(WaitExec *x) {
        free(x->ran);
}

static void wait_on_state(Watch *w, WatchedJob *j, void *userdata) {
        WaitExec *x = userdata;

        if (x->progress)
                print_progress(w, j, x->start);
        if (j->done && arg_exec)
                wait_exec(w, j, x);
}

int verb_wait(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(watch_freep) Watch *watch = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        usec_t start = now(CLOCK_MONOTONIC);
        size_t n_ids, n_failed = 0;
        _cleanup_(wait_exec_done) WaitExec exec = {};
        bool progress;
        int r;

        if (arg_all && argc > 1)
                return log_usage_error("wait: give job IDs or --all, not both.");
        if (!arg_all && argc <= 1)
                return log_usage_error("wait: missing job ID (or --all) (see jobctl wait --help).");

        r = parse_job_ids(argv + 1, &ids, &n_ids);
        if (r < 0)
                return r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_bus_attach_event(bus, &event);
        if (r < 0)
                return r;

        /* Subscribe first, then read: a job finishing in between is seen either way. */
        progress = arg_json == JSON_OFF && (arg_progress || isatty(STDOUT_FILENO));
        /* One job: its exit status is ours, so its details are needed. */
        r = watch_new(bus, event, arg_json != JSON_OFF || progress || arg_exec || (!arg_all && n_ids == 1),
                      &watch);
        if (r < 0)
                return r;
        exec.start = &start;
        exec.progress = progress;

        if (arg_all)
                r = watch_add_all(watch);
        else
                for (size_t i = 0; i < n_ids && r >= 0; i++)
                        r = watch_add(watch, ids[i], NULL, NULL, NULL);
        if (r < 0)
                return r;

        r = watch_start(watch);
        if (r < 0)
                return r;
        /* Where every job stands now, once (watch_start() read them without telling); then each change
         * as it comes. */
        if (progress) {
                for (size_t i = 0; i < watch->n_jobs; i++) {
                        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                        _cleanup_free_ char *name = NULL;
                        WatchedJob *j = &watch->jobs[i];

                        if (!j->path && jobctl_get_job_path(bus, j->id, &j->path) < 0)
                                continue;
                        /* Names are what other users chose (escape-util.h). */
                        if (sd_bus_get_property_string(bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "Name",
                                                       &error, &name) >= 0)
                                j->name = escape_non_printable(isempty(name) ? "-" : name);
                }
                for (size_t i = 0; i < watch->n_jobs; i++)
                        print_progress(watch, &watch->jobs[i], &start);
        }
        if (progress || arg_exec) {
                watch->on_state = wait_on_state;
                watch->userdata = &exec;
        }
        r = watch_run(watch);
        if (r < 0)
                return r;
        /* Jobs that were done before the wait began: CMD runs for them too, once. */
        if (arg_exec)
                for (size_t i = 0; i < watch->n_jobs; i++)
                        wait_exec(watch, &watch->jobs[i], &exec);

        for (size_t i = 0; i < watch->n_jobs; i++) {
                const WatchedJob *j = &watch->jobs[i];

                if (streq_ptr(j->result, "success"))
                        continue;
                n_failed++;
                if (arg_json == JSON_OFF)
                        log_error("Job %" PRIu64 " did not succeed: %s", j->id, strna(j->result));
        }

        if (arg_json != JSON_OFF) {
                r = print_wait_json(watch);
                if (r < 0)
                        return r;
        }

        /* As tsp -w: waiting for one job gives its exit status. */
        if (!arg_all && watch->n_jobs == 1)
                return watched_job_exit_status(&watch->jobs[0]);
        return n_failed > 0 ? JOBCTL_EXIT_FAILURE : EXIT_SUCCESS;
}

/* jobctl watch: follows jobs as they change, a line (or JSON object) per change; with --on-finish=CMD,
 * runs CMD as "wait --exec=" does for each job that ends. Without IDs it follows the caller's jobs (every
 * job for root), new ones too, picked by --group=/--run=/--label= if given, until SIGINT or SIGTERM. */
typedef struct WatchFollow {
        WaitExec exec;
        uid_t uid;
} WatchFollow;

static int job_get_name(Watch *w, WatchedJob *j) {
        _cleanup_free_ char *name = NULL;

        if (j->name)
                return 0;
        if (!j->path && jobctl_get_job_path(w->bus, j->id, &j->path) < 0)
                return -ENXIO;
        if (sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, j->path, JOBD_JOB_INTERFACE, "Name", NULL,
                                       &name) < 0)
                return -ENXIO;
        /* Names are what other users chose (escape-util.h). */
        j->name = escape_non_printable(isempty(name) ? "-" : name);
        return j->name ? 0 : log_oom();
}

static void watch_print(Watch *w, WatchedJob *j) {
        (void) job_get_name(w, j);
        if (arg_json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();

                if (!o ||
                    json_object_object_add(o, "id", json_object_new_uint64(j->id)) < 0 ||
                    json_object_object_add(o, "name", json_object_new_string(strempty(j->name))) < 0 ||
                    json_object_object_add(o, "state", json_object_new_string(strempty(j->state))) < 0 ||
                    json_object_object_add(o, "result", json_object_new_string(strempty(j->result))) < 0 ||
                    (j->done &&
                     (json_object_object_add(o, "exit_code", json_object_new_int(j->exit_code)) < 0 ||
                      json_object_object_add(o, "exit_signal", json_object_new_int(j->exit_signal)) < 0))) {
                        log_oom();
                        return;
                }
                /* One object per line, whatever --json= says: a stream for jq and friends. */
                printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        } else {
                char extra[64] = "";

                if (j->done && j->exit_signal > 0)
                        snprintf(extra, sizeof(extra), " (signal %s)", signal_to_string(j->exit_signal) ?: "?");
                else if (j->done && j->exit_code > 0)
                        snprintf(extra, sizeof(extra), " (exit code %i)", j->exit_code);
                printf("%" PRIu64 " %s %s%s%s%s\n", j->id, j->name ?: "-", strempty(j->state),
                       j->done ? " " : "", j->done ? strempty(j->result) : "", extra);
        }
        fflush(stdout);
}

static void watch_on_state(Watch *w, WatchedJob *j, void *userdata) {
        WatchFollow *f = userdata;

        watch_print(w, j);
        if (j->done && arg_exec)
                wait_exec(w, j, &f->exec);
}

/* A new job: followed if it is the caller's (any for root) and --group=/--run=/--label= pick it. */
static void watch_on_new(Watch *w, uint64_t id, const char *path, void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **labels = NULL;
        _cleanup_free_ char *group = NULL;
        WatchFollow *f = userdata;
        uint32_t owner;
        uint64_t run;

        if (sd_bus_get_property_trivial(w->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "Owner", &error, 'u',
                                        &owner) < 0)
                return;   /* gone already */
        if (f->uid != 0 && owner != f->uid)
                return;
        if (arg_group && (sd_bus_get_property_string(w->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "Group",
                                                     &error, &group) < 0 || !streq(group, arg_group)))
                return;
        if (arg_run_set && (sd_bus_get_property_trivial(w->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "Run",
                                                        &error, 't', &run) < 0 || run != arg_run))
                return;
        if (arg_labels) {
                if (sd_bus_get_property_strv(w->bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "Labels", &error,
                                             &labels) < 0)
                        return;
                for (char **l = arg_labels; *l; l++)
                        if (!strv_contains(labels, *l))
                                return;
        }
        if (watch_follow(w, id, path) < 0)
                log_warning("Cannot follow job %" PRIu64 ", ignoring it.", id);
}

static int on_watch_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        /* Ctrl-C ends following: that is how it is meant to end. */
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int verb_watch(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(watch_freep) Watch *watch = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        WatchFollow f = { .uid = getuid() };
        size_t n_ids = 0;
        sigset_t mask;
        int r;

        if (argc > 1 && (arg_group || arg_run_set || arg_labels))
                return log_usage_error("watch: give job IDs or --group=/--run=/--label=, not both.");
        if (argc > 1) {
                r = parse_job_ids(argv + 1, &ids, &n_ids);
                if (r < 0)
                        return r;
        }

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_bus_attach_event(bus, &event);
        if (r < 0)
                return r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block SIGINT: %m");
        r = sd_event_add_signal(event, NULL, SIGINT, on_watch_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_watch_signal, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for SIGINT: %m");

        /* Subscribe first (JobNew too), then read: a job that changes in between is seen either way. */
        r = watch_new(bus, event, true, &watch);
        if (r < 0)
                return r;
        watch->follow = n_ids == 0;
        if (n_ids == 0) {
                r = jobctl_select_unfinished(bus, false, &ids, &n_ids);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_ids; i++) {
                r = watch_add(watch, ids[i], NULL, NULL, NULL);
                if (r < 0)
                        return r;
        }
        r = watch_start(watch);
        if (r < 0)
                return r;
        /* Where each job stands now, once; then each change as it comes. */
        for (size_t i = 0; i < watch->n_jobs; i++)
                watch_print(watch, &watch->jobs[i]);
        watch->on_state = watch_on_state;
        watch->on_new = watch_on_new;
        watch->userdata = &f;

        r = watch_run(watch);
        /* Jobs that were done before the watch began: CMD runs for them too, once. */
        if (r >= 0 && arg_exec && !watch->follow)
                for (size_t i = 0; i < watch->n_jobs; i++)
                        if (watch->jobs[i].done)
                                wait_exec(watch, &watch->jobs[i], &f.exec);
        wait_exec_done(&f.exec);
        return r < 0 ? r : EXIT_SUCCESS;
}
