/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape-util.h"
#include "fd-util.h"
#include "jobctl-util.h"
#include "jobctl-watch.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

extern char **environ;

/* Sets "NAME=VALUE" in an environment list, replacing an earlier NAME. */
static int env_set(char ***l, const char *assignment) {
        size_t k = strcspn(assignment, "=");

        for (char **e = *l; e && *e; e++)
                if (strneq(*e, assignment, k) && (*e)[k] == '=') {
                        char *c = strdup(assignment);

                        if (!c)
                                return -ENOMEM;
                        free(*e);
                        *e = c;
                        return 0;
                }
        return strv_extend(l, assignment);
}

static int build_environment(char ***ret) {
        _cleanup_strv_free_ char **env = NULL;

        env = calloc(1, sizeof(char *));
        if (!env)
                return log_oom();

        if (!arg_no_env)
                for (char **e = environ; e && *e; e++) {
                        /* Skip what the daemon would reject as not K=V. */
                        if (!strchr(*e, '=') || (*e)[0] == '=')
                                continue;
                        if (env_set(&env, *e) < 0)
                                return log_oom();
                }

        STRV_FOREACH(e, arg_setenv)
                if (env_set(&env, *e) < 0)
                        return log_oom();

        *ret = TAKE_PTR(env);
        return 0;
}

/* One "{sv}" entry of the spec: the key, then the caller appends the value of type signature. */
static int entry_open(sd_bus_message *m, const char *key, const char *signature) {
        int r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, signature);
        return r;
}

static int entry_close(sd_bus_message *m) {
        int r;

        r = sd_bus_message_close_container(m);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_strv(sd_bus_message *m, const char *key, char **l) {
        int r;

        r = entry_open(m, key, "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, l);
        return r < 0 ? r : entry_close(m);
}

static int append_resources(sd_bus_message *m) {
        int r;

        r = entry_open(m, "Resources", "a{su}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{su}");
        for (size_t i = 0; r >= 0 && i < arg_n_resources; i++)
                r = sd_bus_message_append(m, "{su}", arg_resources[i].pool, (uint32_t) arg_resources[i].amount);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r < 0 ? r : entry_close(m);
}

static int append_after(sd_bus_message *m) {
        int r;

        r = entry_open(m, "After", "at");
        if (r >= 0)
                r = sd_bus_message_append_array(m, SD_BUS_TYPE_UINT64, arg_after, arg_n_after * sizeof(uint64_t));
        return r < 0 ? r : entry_close(m);
}

static int append_spec(sd_bus_message *m, char **command, bool pipe) {
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *cwd = NULL;
        int r;

        r = build_environment(&env);
        if (r < 0)
                return r;

        if (!arg_cwd) {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return log_error_errno(-errno, "Failed to get the current directory "
                                               "(use --cwd=): %m");
        }

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                goto fail;

        r = append_strv(m, "Argv", command);
        if (r < 0)
                goto fail;
        r = sd_bus_message_append(m, "{sv}", "WorkingDirectory", "s", arg_cwd ?: cwd);
        if (r < 0)
                goto fail;
        r = append_strv(m, "Environment", env);
        if (r < 0)
                goto fail;

        if (arg_name) {
                r = sd_bus_message_append(m, "{sv}", "Name", "s", arg_name);
                if (r < 0)
                        goto fail;
        }
        if (arg_priority_set) {
                r = sd_bus_message_append(m, "{sv}", "Priority", "i", (int32_t) arg_priority);
                if (r < 0)
                        goto fail;
        }
        if (arg_timeout_set) {
                r = sd_bus_message_append(m, "{sv}", "TimeoutUSec", "t", (uint64_t) arg_timeout);
                if (r < 0)
                        goto fail;
        }
        if (arg_memory_max_set) {
                r = sd_bus_message_append(m, "{sv}", "MemoryMax", "t", arg_memory_max);
                if (r < 0)
                        goto fail;
        }
        if (arg_backend) {
                r = sd_bus_message_append(m, "{sv}", "Backend", "s", arg_backend);
                if (r < 0)
                        goto fail;
        }
        if (arg_jobserver) {
                r = sd_bus_message_append(m, "{sv}", "Jobserver", "b", 1);
                if (r >= 0 && arg_jobserver_style)
                        r = sd_bus_message_append(m, "{sv}", "JobserverStyle", "s", arg_jobserver_style);
                if (r < 0)
                        goto fail;
        }
        if (arg_log_max_bytes_set) {
                r = sd_bus_message_append(m, "{sv}", "LogMaxBytes", "t", arg_log_max_bytes);
                if (r < 0)
                        goto fail;
        }
        if (arg_tasks_max_set) {
                r = sd_bus_message_append(m, "{sv}", "TasksMax", "t", arg_tasks_max);
                if (r < 0)
                        goto fail;
        }
        if (arg_cpu_weight_set) {
                r = sd_bus_message_append(m, "{sv}", "CPUWeight", "t", arg_cpu_weight);
                if (r < 0)
                        goto fail;
        }
        if (arg_n_after > 0) {
                r = append_after(m);
                if (r < 0)
                        goto fail;
        }
        if (arg_after_condition) {
                r = sd_bus_message_append(m, "{sv}", "AfterCondition", "s", arg_after_condition);
                if (r < 0)
                        goto fail;
        }
        if (arg_group) {
                r = sd_bus_message_append(m, "{sv}", "Group", "s", arg_group);
                if (r < 0)
                        goto fail;
        }
        if (arg_n_resources > 0) {
                r = append_resources(m);
                if (r < 0)
                        goto fail;
        }
        if (arg_retries_set) {
                r = sd_bus_message_append(m, "{sv}", "Retries", "u", (uint32_t) arg_retries);
                if (r < 0)
                        goto fail;
        }
        if (arg_retry_on_set) {
                r = bus_append_strv_entry(m, "RetryOn", arg_retry_on);
                if (r < 0)
                        goto fail;
        }
        if (arg_retry_delay_set) {
                r = sd_bus_message_append(m, "{sv}", "RetryDelayUSec", "t", (uint64_t) arg_retry_delay);
                if (r < 0)
                        goto fail;
        }
        if (arg_hold) {
                r = sd_bus_message_append(m, "{sv}", "Hold", "b", 1);
                if (r < 0)
                        goto fail;
        }
        if (arg_not_before > 0) {
                r = sd_bus_message_append(m, "{sv}", "NotBeforeUSec", "t", (uint64_t) arg_not_before);
                if (r < 0)
                        goto fail;
        }
        if (arg_labels) {
                r = bus_append_strv_entry(m, "Labels", arg_labels);
                if (r < 0)
                        goto fail;
        }
        if (arg_system_call_filter_set) {
                r = bus_append_strv_entry(m, "SystemCallFilter", arg_system_call_filter);
                if (r < 0)
                        goto fail;
        }
        if (arg_fail_patterns) {
                r = bus_append_strv_entry(m, "FailPatterns", arg_fail_patterns);
                if (r < 0)
                        goto fail;
        }
        if (arg_pass_patterns) {
                r = bus_append_strv_entry(m, "PassPatterns", arg_pass_patterns);
                if (r < 0)
                        goto fail;
        }
        if (arg_log_path) {
                r = sd_bus_message_append(m, "{sv}", "LogPath", "s", arg_log_path);
                if (r < 0)
                        goto fail;
        }
        if (arg_output_directory) {
                r = sd_bus_message_append(m, "{sv}", "OutputDirectory", "s", arg_output_directory);
                if (r < 0)
                        goto fail;
        }
        if (arg_restrict_address_families_set) {
                r = bus_append_strv_entry(m, "RestrictAddressFamilies", arg_restrict_address_families);
                if (r < 0)
                        goto fail;
        }
        if (arg_stderr && !pipe) {
                _cleanup_close_ int fd = -EBADF;

                /* Opened here, with the caller's own rights: the daemon never opens a user's path for it. */
                fd = open(arg_stderr, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0666);
                if (fd < 0)
                        return log_error_errno(-errno, "Failed to open --stderr=%s: %m", arg_stderr);
                r = sd_bus_message_append(m, "{sv}", "StderrFD", "h", fd);
                if (r < 0)
                        goto fail;
        }
        if (pipe) {
                static const char *const keys[] = { "StdinFD", "StdoutFD", "StderrFD" };

                /* A closed stdio fd is left out: the daemon then picks its default for it. */
                for (int fd = 0; fd < 3; fd++) {
                        if (fcntl(fd, F_GETFD) < 0)
                                continue;
                        r = sd_bus_message_append(m, "{sv}", keys[fd], "h", fd);
                        if (r < 0)
                                goto fail;
                }
        }

        r = sd_bus_message_close_container(m);
        if (r < 0)
                goto fail;
        return 0;

fail:
        return log_error_errno(r, "Failed to build the job spec: %m");
}

/* Calls Submit(). Returns the id and object path. */
static int submit(sd_bus *bus, char **command, bool pipe, uint64_t *ret_id, char **ret_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *path;
        uint64_t id;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                           JOBD_MANAGER_INTERFACE, "Submit");
        if (r < 0)
                return log_error_errno(r, "Failed to create the Submit() call: %m");

        r = append_spec(m, command, pipe);
        if (r < 0)
                return r;

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to submit job");

        r = sd_bus_message_read(reply, "to", &id, &path);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the Submit() reply: %m");

        *ret_path = strdup(path);
        if (!*ret_path)
                return log_oom();
        *ret_id = id;
        return 0;
}

int verb_submit(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t id;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = submit(bus, argv + 1, false, &id, &path);
        if (r < 0)
                return r;

        if (arg_json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();

                if (!o ||
                    json_object_object_add(o, "id", json_object_new_uint64(id)) < 0 ||
                    json_object_object_add(o, "path", json_object_new_string(path)) < 0)
                        return log_oom();
                r = json_print(o);
                if (r < 0)
                        return r;
        } else
                printf("%" PRIu64 "\n", id);

        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write to stdout: %m");
        return 0;
}

typedef struct Run {
        sd_bus *bus;
        sd_event *event;
        uint64_t id;
        char *path;
        LogFollow *log;
        bool want_log;
        int log_error;          /* reported; do not try again */
        unsigned n_interrupts;
} Run;

static void run_try_open_log(Run *run, bool quiet) {
        int fd, r;

        if (!run->want_log || run->log || run->log_error < 0)
                return;

        r = jobctl_open_log(run->bus, run->path, run->id, quiet, &fd);
        if (r < 0) {
                if (!quiet)
                        run->log_error = r;
                return;
        }

        if (arg_lines_set)
                (void) log_seek_last_lines(fd, arg_lines);
        r = log_follow_new(run->event, fd, true, &run->log);
        if (r < 0) {
                run->log_error = r;
                (void) sd_event_exit(run->event, r);
        }
}

/* The log may only appear once the job starts: try again on each step until it is running. */
static void run_on_state(Watch *w, WatchedJob *j, void *userdata) {
        Run *run = userdata;

        if (!j->state || STR_IN_SET(j->state, "waiting", "queued"))
                return;
        if (streq(j->state, "done")) {
                /* A job that never ran has no log to show. */
                run_try_open_log(run, STR_IN_SET(strempty(j->result), "skipped", "cancelled", "lost"));
                return;
        }
        run_try_open_log(run, streq(j->state, "starting"));
}

static int on_cancel_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Run *run = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        /* A job that ended meanwhile is fine: we are waiting for exactly that. */
        if (e && !sd_bus_error_has_name(e, JOBD_ERROR_NOT_RUNNING))
                log_error("Failed to stop job %" PRIu64 ": %s", run->id, e->message ?: e->name);
        return 0;
}

static int on_interrupt(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Run *run = userdata;
        int r;

        switch (run->n_interrupts++) {
        case 0:
                log_info("Cancelling job %" PRIu64 "... (interrupt again to kill it with SIGKILL)", run->id);
                r = sd_bus_call_method_async(run->bus, NULL, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                             JOBD_MANAGER_INTERFACE, "CancelJob", on_cancel_reply, run,
                                             "t", run->id);
                break;
        case 1:
                log_info("Killing job %" PRIu64 "... (interrupt again to stop waiting)", run->id);
                r = sd_bus_call_method_async(run->bus, NULL, JOBD_BUS_NAME, JOBD_MANAGER_PATH,
                                             JOBD_MANAGER_INTERFACE, "KillJob", on_cancel_reply, run,
                                             "ti", run->id, (int32_t) SIGKILL);
                break;
        default:
                log_info("Not waiting for job %" PRIu64 " any longer.", run->id);
                (void) sd_event_exit(run->event, -ECANCELED);
                return 0;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to send the request to stop job %" PRIu64 ": %m", run->id);
                (void) sd_event_exit(run->event, r);
        }
        return 0;
}

int watched_job_exit_status(const WatchedJob *j) {
        if (streq_ptr(j->result, "success"))
                return EXIT_SUCCESS;
        if (streq_ptr(j->result, "timeout"))
                return JOBCTL_EXIT_TIMEOUT;
        if (j->exit_signal > 0)
                return 128 + j->exit_signal;
        if (j->exit_code > 0 && j->exit_code < 256)
                return j->exit_code;
        return JOBCTL_EXIT_FAILURE;
}

static void run_report(const WatchedJob *j) {
        _cleanup_free_ char *reason = NULL;
        const char *sig;

        if (streq_ptr(j->result, "success"))
                return;
        /* A plain non-zero exit speaks for itself, through the job's output and our exit status. */
        if (streq_ptr(j->result, "failed") && j->exit_code > 0 && isempty(j->reason))
                return;

        sig = j->exit_signal > 0 ? signal_to_string(j->exit_signal) : NULL;
        if (!isempty(j->reason))
                reason = escape_non_printable(j->reason);
        if (reason)
                log_error("Job %" PRIu64 " %s: %s", j->id, strna(j->result), reason);
        else if (sig)
                log_error("Job %" PRIu64 " %s: SIG%s", j->id, strna(j->result), sig);
        else
                log_error("Job %" PRIu64 " %s.", j->id, strna(j->result));
}

/* Follows the job's log (if run wants it) and its state until it is done, then prints what is left of
 * the log. -ECANCELED: interrupted. */
static int run_follow(Run *run, Watch *watch, sd_bus *bus, sd_event *event, uint64_t id, char *path) {
        _cleanup_(log_follow_freep) LogFollow *follow = NULL;
        int r;

        run->bus = bus;
        run->event = event;
        run->id = id;
        run->path = path;
        watch->on_state = run_on_state;
        watch->userdata = run;

        r = watch_add(watch, id, path, NULL, NULL);
        if (r < 0)
                return r;

        /* The daemon may already hand out the log of a job that has not started yet. */
        run_try_open_log(run, true);

        r = watch_start(watch);
        if (r >= 0)
                r = watch_run(watch);
        follow = TAKE_PTR(run->log);     /* freed on return, after the final drain */
        if (r < 0)
                return r;

        if (follow) {
                r = log_follow_drain(follow);
                if (r < 0)
                        return r;
        }
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write to stdout: %m");
        return 0;
}

int verb_run(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_event_source_unrefp) sd_event_source *sigint = NULL, *sigterm = NULL;
        _cleanup_(watch_freep) Watch *watch = NULL;
        _cleanup_free_ char *path = NULL;
        Run run = { .want_log = !arg_pipe };
        WatchedJob *j;
        sigset_t mask;
        uint64_t id;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_bus_attach_event(bus, &event);
        if (r < 0)
                return r;

        /* Block the signals before submitting: an early Ctrl-C then cancels the job once we wait. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");
        r = sd_event_add_signal(event, &sigint, SIGINT, on_interrupt, &run);
        if (r >= 0)
                r = sd_event_add_signal(event, &sigterm, SIGTERM, on_interrupt, &run);
        if (r < 0)
                return log_error_errno(r, "Failed to handle SIGINT/SIGTERM: %m");

        /* Subscribe first, then submit: no change of the job can slip by unseen. */
        r = watch_new(bus, event, true, &watch);
        if (r < 0)
                return r;

        r = submit(bus, argv + 1, arg_pipe, &id, &path);
        if (r < 0)
                return r;
        log_debug("Submitted job %" PRIu64 ".", id);

        r = run_follow(&run, watch, bus, event, id, path);
        if (r < 0)
                return r == -ECANCELED ? 128 + SIGINT : r;

        j = watch_find(watch, id);
        run_report(j);
        return watched_job_exit_status(j);
}

/* logs --attempt=K: the part of the log attempt K wrote, from AttemptLogOffsets. */
static int copy_attempt(sd_bus *bus, const char *path, uint64_t id, int fd) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const uint64_t *off;
        uint64_t start, end = UINT64_MAX;
        size_t sz, n;
        char buf[65536];
        int r;

        r = sd_bus_get_property(bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "AttemptLogOffsets", &error, &reply,
                                "at");
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read the attempts of job %" PRIu64, id);
        r = sd_bus_message_read_array(reply, 't', (const void **) &off, &sz);
        if (r < 0)
                return log_error_errno(r, "Failed to parse AttemptLogOffsets: %m");
        n = sz / sizeof(uint64_t);
        if (arg_attempt > n) {
                jobctl_note_failure(JOBCTL_EXIT_FAILURE);
                return log_error_errno(-ENOENT, "Job %" PRIu64 " has %zu attempt%s known to jobd, not %u.", id, n,
                                       n == 1 ? "" : "s", arg_attempt);
        }
        start = off[arg_attempt - 1];
        if (arg_attempt < n)
                end = off[arg_attempt];
        while (start < end) {
                ssize_t l = pread(fd, buf, (size_t) MIN((uint64_t) sizeof(buf), end - start), (off_t) start);

                if (l < 0 && errno == EINTR)
                        continue;
                if (l < 0)
                        return log_error_errno(-errno, "Failed to read the log of job %" PRIu64 ": %m", id);
                if (l == 0)
                        break;
                r = loop_write(STDOUT_FILENO, buf, (size_t) l);
                if (r < 0)
                        return log_error_errno(r, "Failed to write to stdout: %m");
                start += (uint64_t) l;
        }
        return 0;
}

int verb_logs(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(watch_freep) Watch *watch = NULL;
        _cleanup_free_ char *path = NULL;
        Run run = { .want_log = true };
        uint64_t id;
        int r;

        if (arg_attempt > 0 && (arg_follow || arg_lines_set))
                return log_usage_error("logs: --attempt= does not go with -f or -n.");
        r = parse_job_id(argv[1], &id);
        if (r < 0)
                return r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;

        if (!arg_follow) {
                _cleanup_close_ int fd = -EBADF;

                r = jobctl_get_job_path(bus, id, &path);
                if (r < 0)
                        return r;
                r = jobctl_open_log(bus, path, id, false, &fd);
                if (r < 0)
                        return r;
                if (arg_attempt > 0)
                        return copy_attempt(bus, path, id, fd);
                if (arg_lines_set) {
                        r = log_seek_last_lines(fd, arg_lines);
                        if (r < 0)
                                return log_error_errno(r, "Failed to find the last lines of the log: %m");
                }
                r = copy_to_stdout(fd);
                if (r < 0)
                        return log_error_errno(r, "Failed to copy the log of job %" PRIu64 " to stdout: %m",
                                               id);
                return 0;
        }

        r = jobctl_bus_attach_event(bus, &event);
        if (r < 0)
                return r;

        /* Subscribe before the first read of the state, as run does. */
        r = watch_new(bus, event, false, &watch);
        if (r < 0)
                return r;

        r = jobctl_get_job_path(bus, id, &path);
        if (r < 0)
                return r;

        r = run_follow(&run, watch, bus, event, id, path);
        if (r < 0)
                return r;
        return run.log_error;
}
