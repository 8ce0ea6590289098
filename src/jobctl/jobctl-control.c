/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "escape-util.h"
#include "jobctl-util.h"
#include "jobctl-watch.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
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

int verb_kill(int argc, char *argv[]) {
        return for_each_job(argv + 1, kill_one);
}

static int cancel_one(sd_bus *bus, uint64_t id) {
        char what[64];

        snprintf(what, sizeof(what), "Failed to cancel job %" PRIu64, id);
        return jobctl_call_manager(bus, "CancelJob", NULL, what, "t", id);
}

int verb_cancel(int argc, char *argv[]) {
        return for_each_job(argv + 1, cancel_one);
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

int verb_wait(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(watch_freep) Watch *watch = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        usec_t start = now(CLOCK_MONOTONIC);
        size_t n_ids, n_failed = 0;
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
        r = watch_new(bus, event, arg_json != JSON_OFF || progress, &watch);
        if (r < 0)
                return r;

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
                watch->on_state = print_progress;
                watch->userdata = &start;
                for (size_t i = 0; i < watch->n_jobs; i++)
                        print_progress(watch, &watch->jobs[i], &start);
        }
        r = watch_run(watch);
        if (r < 0)
                return r;

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

        return n_failed > 0 ? JOBCTL_EXIT_FAILURE : EXIT_SUCCESS;
}
