/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape-util.h"
#include "fd-util.h"
#include "jobctl-daily.h"
#include "jobctl-report.h"
#include "jobctl-status.h"
#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "plan-file.h"
#include "strv.h"
#include "time-util.h"

extern char **environ;

/* Jobs that did not succeed listed by --wait and run-status; the rest are counted. */
#define SHOW_FAILED_MAX 20U

static int read_plan_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        fd = streq(path, "-") ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) :
                                open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(-errno, "Failed to open the plan %s: %m", path);
        for (;;) {
                ssize_t k;

                if (allocated - n < 65536) {
                        char *t;

                        allocated = MAX(allocated * 2, (size_t) 131072);
                        t = realloc(buf, allocated + 1);
                        if (!t)
                                return log_oom();
                        buf = t;
                }
                k = read(fd, buf + n, allocated - n);
                if (k < 0)
                        return log_error_errno(-errno, "Failed to read the plan %s: %m", path);
                if (k == 0)
                        break;
                n += k;
        }
        if (!buf && !(buf = strdup("")))
                return log_oom();
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* The spec keys of a job of the file, or of its defaults (then env is the whole default environment). */
static int append_spec_entries(sd_bus_message *m, const PlanFileSpec *s, char **env) {
        int r = 0;

        if (s->name)
                r = sd_bus_message_append(m, "{sv}", "Name", "s", s->name);
        if (r >= 0 && s->command)
                r = bus_append_strv_entry(m, "Argv", s->command);
        if (r >= 0 && s->cwd)
                r = sd_bus_message_append(m, "{sv}", "WorkingDirectory", "s", s->cwd);
        if (r >= 0 && (env ?: s->env))
                r = bus_append_strv_entry(m, "Environment", env ?: s->env);
        if (r >= 0 && s->priority_set)
                r = sd_bus_message_append(m, "{sv}", "Priority", "i", s->priority);
        if (r >= 0 && s->timeout_set)
                r = sd_bus_message_append(m, "{sv}", "TimeoutUSec", "t", (uint64_t) s->timeout);
        if (r >= 0 && s->memory_max_set)
                r = sd_bus_message_append(m, "{sv}", "MemoryMax", "t", s->memory_max);
        if (r >= 0 && s->tasks_max_set)
                r = sd_bus_message_append(m, "{sv}", "TasksMax", "t", s->tasks_max);
        if (r >= 0 && s->cpu_weight_set)
                r = sd_bus_message_append(m, "{sv}", "CPUWeight", "t", s->cpu_weight);
        if (r >= 0 && s->after)
                r = bus_append_strv_entry(m, "After", s->after);
        if (r >= 0 && s->after_condition)
                r = sd_bus_message_append(m, "{sv}", "AfterCondition", "s", s->after_condition);
        if (r >= 0 && s->group)
                r = sd_bus_message_append(m, "{sv}", "Group", "s", s->group);
        if (r >= 0 && s->resources_set) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", "Resources");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a{su}");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "{su}");
                for (size_t i = 0; r >= 0 && i < s->n_resources; i++)
                        r = sd_bus_message_append(m, "{su}", s->resources[i].pool, s->resources[i].amount);
                for (int k = 0; r >= 0 && k < 3; k++)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0 && s->retries_set)
                r = sd_bus_message_append(m, "{sv}", "Retries", "u", s->retries);
        if (r >= 0 && s->retry_on)
                r = bus_append_strv_entry(m, "RetryOn", s->retry_on);
        if (r >= 0 && s->retry_delay_set)
                r = sd_bus_message_append(m, "{sv}", "RetryDelayUSec", "t", (uint64_t) s->retry_delay);
        if (r >= 0 && s->system_call_filter)
                r = bus_append_strv_entry(m, "SystemCallFilter", s->system_call_filter);
        if (r >= 0 && s->restrict_address_families)
                r = bus_append_strv_entry(m, "RestrictAddressFamilies", s->restrict_address_families);
        if (r >= 0 && s->labels)
                r = bus_append_strv_entry(m, "Labels", s->labels);
        if (r >= 0 && s->jobserver_set)
                r = sd_bus_message_append(m, "{sv}", "Jobserver", "b", (int) s->jobserver);
        if (r >= 0 && s->jobserver_style)
                r = sd_bus_message_append(m, "{sv}", "JobserverStyle", "s", s->jobserver_style);
        if (r >= 0 && s->backend)
                r = sd_bus_message_append(m, "{sv}", "Backend", "s", s->backend);
        if (r >= 0 && s->log_max_bytes_set)
                r = sd_bus_message_append(m, "{sv}", "LogMaxBytes", "t", s->log_max_bytes);
        if (r >= 0 && s->fail_patterns)
                r = bus_append_strv_entry(m, "FailPatterns", s->fail_patterns);
        if (r >= 0 && s->pass_patterns)
                r = bus_append_strv_entry(m, "PassPatterns", s->pass_patterns);
        if (r >= 0 && s->log)
                r = sd_bus_message_append(m, "{sv}", "LogPath", "s", s->log);
        if (r >= 0 && s->odir)
                r = sd_bus_message_append(m, "{sv}", "OutputDirectory", "s", s->odir);
        return r;
}

/* Sets NAME=VALUE in l, replacing an earlier NAME. */
static int env_set(char ***l, const char *assignment) {
        size_t k = strcspn(assignment, "=");

        STRV_FOREACH(e, *l)
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

/* The default environment: ours (unless the plan or --no-env says not), then the plan's, then -E. */
static int build_default_env(const PlanFile *p, char ***ret) {
        _cleanup_strv_free_ char **env = calloc(1, sizeof(char *));

        if (!env)
                return -ENOMEM;
        if (p->inherit_environment && !arg_no_env)
                for (char **e = environ; e && *e; e++)
                        if (strchr(*e, '=') && (*e)[0] != '=' && env_set(&env, *e) < 0)
                                return -ENOMEM;
        STRV_FOREACH(e, p->defaults.env)
                if (env_set(&env, *e) < 0)
                        return -ENOMEM;
        STRV_FOREACH(e, arg_setenv)
                if (env_set(&env, *e) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(env);
        return 0;
}

static int build_submit_plan(sd_bus *bus, const PlanFile *p, const char *run_name, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *cwd = NULL;
        PlanFileSpec defaults = p->defaults;
        int r;

        r = build_default_env(p, &env);
        if (r < 0)
                return log_oom();
        if (!defaults.cwd) {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return log_error_errno(-errno, "Failed to get the current directory: %m");
                defaults.cwd = cwd;
        }

        r = sd_bus_message_new_method_call(bus, &m, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                           "SubmitPlan");
        if (r < 0)
                goto fail;
        r = sd_bus_message_open_container(m, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < p->n_jobs; i++) {
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = append_spec_entries(m, &p->jobs[i], NULL);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);

        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0 && run_name)
                r = sd_bus_message_append(m, "{sv}", "Name", "s", run_name);
        if (r >= 0 && (arg_max_parallel > 0 || p->max_parallel_set))
                r = sd_bus_message_append(m, "{sv}", "MaxParallel", "u",
                                          arg_max_parallel > 0 ? arg_max_parallel : p->max_parallel);
        if (r >= 0 && p->timeout > 0)
                r = sd_bus_message_append(m, "{sv}", "RunTimeoutUSec", "t", (uint64_t) p->timeout);
        if (r >= 0 && p->output_root)
                r = sd_bus_message_append(m, "{sv}", "OutputRoot", "s", p->output_root);
        if (r >= 0)
                r = append_spec_entries(m, &defaults, env);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                goto fail;
        *ret = TAKE_PTR(m);
        return 0;
fail:
        return log_error_errno(r, "Failed to build the SubmitPlan() call: %m");
}

/* The run's name: --name=, else the plan's "name", else the file's name without ".json". */
static char *plan_run_name(const PlanFile *p, const char *path) {
        char *s, *dot;

        if (arg_name)
                return strdup(arg_name);
        if (p->name)
                return strdup(p->name);
        if (streq(path, "-"))
                return strdup("stdin");
        s = strdup(strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
        if (s && (dot = strrchr(s, '.')) && dot != s && streq(dot, ".json"))
                *dot = 0;
        /* The daemon takes run names of A-Z a-z 0-9 _ . - only. */
        for (char *c = s; c && *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *c))
                        *c = '_';
        return s;
}

static int parse_run_id(const char *s, uint64_t *ret) {
        uint64_t id;

        if (s[0] == '/') {
                if (jobd_run_path_parse(s, &id) < 0)
                        return log_usage_error("Invalid run object path: %s", s);
        } else if (s[0] == '0' || safe_atou64(s, &id) < 0)
                return log_usage_error("Invalid run ID (expected a number from 1): %s", s);
        *ret = id;
        return 0;
}

static int get_run_path(sd_bus *bus, uint64_t id, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        char what[64];
        int r;

        snprintf(what, sizeof(what), "Failed to find run %" PRIu64, id);
        r = jobctl_call_manager(bus, "GetRun", &reply, what, "t", id);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the GetRun() reply: %m");
        *ret = strdup(path);
        return *ret ? 0 : log_oom();
}

/* Counts the run's jobs by result and prints those that did not succeed (with their Reason), at most
 * SHOW_FAILED_MAX of them. */
static int print_run_summary(sd_bus *bus, const char *run_path) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        size_t n_bad = 0, shown = 0;
        int r;

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, run_path, JOBD_RUN_INTERFACE, "ListJobs", &error, &reply,
                               "");
        if (r < 0)
                return log_bus_error(r, &error, "Failed to list the jobs of %s", run_path);
        r = sd_bus_message_enter_container(reply, 'a', "(tsssuo)");
        if (r < 0)
                return log_error_errno(r, "Failed to parse the ListJobs() reply: %m");
        for (;;) {
                const char *name, *state, *result, *path;
                _cleanup_free_ char *reason = NULL, *name_e = NULL, *reason_e = NULL;
                uint32_t owner;
                uint64_t id;

                r = sd_bus_message_read(reply, "(tsssuo)", &id, &name, &state, &result, &owner, &path);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListJobs() reply: %m");
                if (r == 0)
                        break;
                if (streq(result, "success") || !streq(state, "done"))
                        continue;
                n_bad++;
                if (shown >= SHOW_FAILED_MAX)
                        continue;
                sd_bus_error_free(&error);
                (void) sd_bus_get_property_string(bus, JOBD_BUS_NAME, path, JOBD_JOB_INTERFACE, "Reason",
                                                  &error, &reason);
                /* Names and reasons may be what other users chose (escape-util.h). */
                name_e = escape_non_printable(isempty(name) ? "-" : name);
                reason_e = escape_non_printable(strempty(reason));
                if (!name_e || !reason_e)
                        return log_oom();
                if (shown++ == 0)
                        printf("Jobs that did not succeed:\n");
                printf("  %6" PRIu64 "  %-24s %-9s %s\n", id, name_e, result, reason_e);
        }
        if (n_bad > shown)
                printf("  ... and %zu more (jobctl list)\n", n_bad - shown);
        return 0;
}

/* "3 success, 1 failed, 1 skipped" from a ResultCounts-like a{su}, zeros left out. */
static int read_counts(sd_bus *bus, const char *path, const char *property, char *buf, size_t l) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *k;
        uint32_t v;
        size_t o = 0;
        int r;

        buf[0] = 0;
        r = sd_bus_get_property(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, property, &error, &reply,
                                "a{su}");
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read %s of %s", property, path);
        r = sd_bus_message_enter_container(reply, 'a', "{su}");
        while (r >= 0 && (r = sd_bus_message_read(reply, "{su}", &k, &v)) > 0)
                if (v > 0 && o < l)
                        o += snprintf(buf + o, l - o, "%s%" PRIu32 " %s", o > 0 ? ", " : "", v, k);
        if (r < 0)
                return log_error_errno(r, "Failed to parse %s: %m", property);
        if (o == 0)
                snprintf(buf, l, "none");
        return 0;
}

static int run_get_string(sd_bus *bus, const char *path, const char *property, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_string(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, property, &error, ret);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to read %s of %s", property, path);
        return 0;
}

typedef struct RunWait {
        uint64_t id;                   /* 0 until SubmitPlan() replied */
        char *daemon;                  /* the unique name that owns org.jobd1, NULL once it left */
        bool finished;
        bool daemon_gone;
        int signal_fd;                 /* SIGINT, SIGTERM: cancel the run (-EBADF: not watched) */
        const char *run_path;
        unsigned n_interrupts;
        int interrupt_signal;          /* the last one received */
} RunWait;

static int on_run_finished(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RunWait *w = userdata;
        const char *result;
        uint64_t id;

        if (!jobctl_signal_from_daemon(m, w->daemon))
                return 0;
        if (sd_bus_message_read(m, "ts", &id, &result) >= 0 && id == w->id)
                w->finished = true;
        return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        RunWait *w = userdata;
        int r;

        r = jobctl_daemon_owner_changed(m, &w->daemon);
        if (r < 0)
                return log_oom();
        if (r > 0 && !w->daemon)
                w->daemon_gone = true;
        return 0;
}

/* Ctrl-C: the first cancels the run (unless --detach), the next stops waiting (-ECANCELED). */
static int on_interrupt(sd_bus *bus, RunWait *w) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        struct signalfd_siginfo si;
        int r;

        if (read(w->signal_fd, &si, sizeof(si)) != sizeof(si))
                return 0;
        w->interrupt_signal = (int) si.ssi_signo;
        if (arg_detach || w->n_interrupts++ > 0) {
                log_info("Not waiting for run %" PRIu64 " any longer%s.", w->id,
                         arg_detach ? "; it goes on" : "");
                return -ECANCELED;
        }
        log_info("Cancelling run %" PRIu64 "... (interrupt again to stop waiting)", w->id);
        r = sd_bus_call_method(bus, JOBD_BUS_NAME, w->run_path, JOBD_RUN_INTERFACE, "Cancel", &error, NULL, "");
        /* A run that finished meanwhile is what we wait for anyway. */
        if (r < 0 && !sd_bus_error_has_name(&error, JOBD_ERROR_NOT_RUNNING))
                log_bus_error(r, &error, "Failed to cancel run %" PRIu64, w->id);
        return 0;
}

static int on_interrupt_view(sd_bus *bus, void *userdata) {
        return on_interrupt(bus, userdata);
}

/* Waits on the bus and the interrupt signals (SIGINT, SIGTERM). */
static int wait_bus_or_signal(sd_bus *bus, RunWait *w) {
        struct pollfd p[2] = {
                { .fd = sd_bus_get_fd(bus), .events = (short) sd_bus_get_events(bus) },
                { .fd = w->signal_fd, .events = POLLIN },
        };
        uint64_t until = UINT64_MAX;
        int timeout_ms = -1;

        if (p[0].fd < 0)
                return p[0].fd;
        if (sd_bus_get_timeout(bus, &until) >= 0 && until != UINT64_MAX) {
                usec_t n = now(CLOCK_MONOTONIC);
                timeout_ms = until <= n ? 0 : (int) MIN((until - n + 999) / 1000, (uint64_t) INT32_MAX);
        }
        if (poll(p, w->signal_fd >= 0 ? 2 : 1, timeout_ms) < 0)
                return errno == EINTR ? 0 : -errno;
        if (w->signal_fd >= 0 && (p[1].revents & POLLIN))
                return on_interrupt(bus, w);
        return 0;
}

/* Waits for the signals the matches put into w: the bus is all this client waits on. */
static int wait_for_run(sd_bus *bus, RunWait *w) {
        int r;

        while (!w->finished) {
                if (w->daemon_gone)
                        return log_error_errno(-ECONNRESET,
                                               "jobd left the bus before run %" PRIu64 " finished.", w->id);
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return log_error_errno(r, "Failed to process bus messages: %m");
                if (r > 0)
                        continue;
                r = wait_bus_or_signal(bus, w);
                if (r == -ECANCELED)
                        return r;
                if (r < 0 && r != -EINTR)
                        return log_error_errno(r, "Failed to wait for the bus: %m");
        }
        return 0;
}

int verb_plan(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot_finished = NULL, *slot_owner = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *text = NULL, *error_text = NULL, *base = NULL, *run_name = NULL, *state = NULL;
        _cleanup_free_ char *run_path = NULL, *result = NULL;
        PlanFile p = {};
        RunWait w = { .signal_fd = -EBADF };
        const char *path = argv[1], *reply_path, *job_path;
        uint64_t first_job = 0;
        size_t size = 0, n_jobs = 0;
        int r;

        if (arg_detach && !arg_wait)
                return log_usage_error("--detach is for --wait: without it, jobctl plan does not wait anyway");
        r = read_plan_file(path, &text, &size);
        if (r < 0)
                return r;

        /* Relative "cwd" values are relative to the plan file's folder (ours for a pipe). */
        char real[PATH_MAX];
        if (!streq(path, "-") && realpath(path, real) && !strneq(real, "/proc/", 6) &&
            !strneq(real, "/dev/", 5))
                base = strdup(dirname(real));
        else
                base = getcwd(NULL, 0);
        if (!base)
                return log_oom();

        r = plan_file_parse(text, size, streq(path, "-") ? "stdin" : path, base, &p, &error_text);
        if (r == -EINVAL) {
                log_error("%s", strna(error_text));
                return r;
        }
        if (r < 0)
                return log_error_errno(r, "Failed to parse %s: %m", path);

        run_name = plan_run_name(&p, path);
        if (!run_name) {
                r = log_oom();
                goto finish;
        }

        r = jobctl_bus_open(&bus);
        if (r < 0)
                goto finish;

        if (arg_wait) {
                /* Subscribed before the plan goes out: a Finished cannot slip past. */
                r = sd_bus_match_signal(bus, &slot_finished, JOBD_BUS_NAME, NULL, JOBD_RUN_INTERFACE,
                                        "Finished", on_run_finished, &w);
                if (r >= 0)
                        r = sd_bus_add_match(bus, &slot_owner, JOBD_OWNER_CHANGED_MATCH, on_owner_changed, &w);
                if (r < 0) {
                        log_error_errno(r, "Failed to subscribe to the run's signals: %m");
                        goto finish;
                }
                r = jobctl_get_daemon_owner(bus, &w.daemon);
                if (r < 0)
                        goto finish;

                /* Blocked before the plan goes out: an early Ctrl-C cancels the run once we wait. */
                sigset_t mask;
                sigemptyset(&mask);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGTERM);
                if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
                    (w.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                        r = log_error_errno(-errno, "Failed to handle SIGINT/SIGTERM: %m");
                        goto finish;
                }
        }

        r = build_submit_plan(bus, &p, run_name, &call);
        if (r < 0)
                goto finish;
        r = sd_bus_call(bus, call, arg_call_timeout_set ? 0 : JOBCTL_SUBMIT_PLAN_TIMEOUT_USEC, &error, &reply);
        if (r < 0) {
                /* The daemon names the job and the key; we name the file. */
                log_bus_error(r, &error, "%s", streq(path, "-") ? "stdin" : path);
                goto finish;
        }
        r = sd_bus_message_read(reply, "to", &w.id, &reply_path);
        if (r >= 0) {
                run_path = strdup(reply_path);
                r = run_path ? sd_bus_message_enter_container(reply, 'a', "o") : -ENOMEM;
        }
        while (r >= 0 && (r = sd_bus_message_read(reply, "o", &job_path)) > 0)
                if (n_jobs++ == 0 && jobd_job_path_parse(job_path, &first_job) < 0)
                        r = -EBADMSG;
        if (r < 0) {
                log_error_errno(r, "Failed to parse the SubmitPlan() reply: %m");
                goto finish;
        }

        if (arg_json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *o = json_object_new_object();

                if (!o || json_object_object_add(o, "run", json_object_new_uint64(w.id)) < 0 ||
                    json_object_object_add(o, "path", json_object_new_string(run_path)) < 0 ||
                    json_object_object_add(o, "name", json_object_new_string(run_name)) < 0 ||
                    json_object_object_add(o, "jobs", json_object_new_uint64(n_jobs)) < 0) {
                        r = log_oom();
                        goto finish;
                }
                r = json_print(o);
        } else
                printf("Run %" PRIu64 " (%s): %zu jobs submitted.\n", w.id, run_name, n_jobs);
        fflush(stdout);
        if (!arg_wait)
                goto finish;
        w.run_path = run_path;

        /* The live view until it is done (its own event loop, its own subscriptions). */
        if (arg_json == JSON_OFF) {
                _cleanup_strv_free_ char **groups = NULL;

                for (size_t i = 0; i < p.n_jobs; i++)
                        if (strv_extend(&groups, p.jobs[i].group ?: strempty(p.defaults.group)) < 0) {
                                r = log_oom();
                                goto finish;
                        }
                /* Ctrl-C cancels the run meanwhile, as below. */
                r = run_status_follow_full(bus, w.id, run_path, first_job, groups,
                                           !arg_progress && isatty(STDOUT_FILENO), w.signal_fd,
                                           on_interrupt_view, &w);
                if (r == -ECANCELED) {
                        r = 128 + w.interrupt_signal;
                        goto finish;
                }
                if (r < 0)
                        goto finish;
        }

        /* It may have finished before we listened to it by id (a plan all of whose jobs were skipped). After
         * each Finished, the daemon is asked again: what it says ends the wait, not the signal. */
        for (;;) {
                state = mfree(state);
                r = run_get_string(bus, run_path, "State", &state);
                if (r < 0)
                        goto finish;
                if (streq(state, "done"))
                        break;
                w.finished = false;
                r = wait_for_run(bus, &w);
                if (r == -ECANCELED) {
                        r = 128 + w.interrupt_signal;
                        goto finish;
                }
                if (r < 0)
                        goto finish;
        }
        r = run_get_string(bus, run_path, "Result", &result);
        if (r < 0)
                goto finish;
        /* Into the run's output root, if it has one; a report that cannot be written is said, and the
         * exit status still tells about the run. */
        (void) jobctl_write_run_reports(bus, w.id, NULL, true);

        if (arg_json == JSON_OFF) {
                char counts[512];

                r = read_counts(bus, run_path, "ResultCounts", counts, sizeof(counts));
                if (r < 0)
                        goto finish;
                printf("Run %" PRIu64 " (%s) finished: %s (%s).\n", w.id, run_name, result, counts);
                if (!streq(result, "success"))
                        (void) print_run_summary(bus, run_path);
        }
        r = streq(result, "success") ? EXIT_SUCCESS : JOBCTL_EXIT_FAILURE;
        /* Cancelled by our Ctrl-C: the shell's convention for a command ended by a signal. */
        if (w.n_interrupts > 0 && streq(result, "cancelled"))
                r = 128 + w.interrupt_signal;

finish:
        plan_file_done(&p);
        safe_close(w.signal_fd);
        free(w.daemon);
        return r;
}

static int print_runs_json(sd_bus_message *reply) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        int r;

        if (!a)
                return log_oom();
        for (;;) {
                const char *name, *state, *result, *path;
                uint32_t n, done, failed;
                uint64_t id;
                json_object *o;

                r = sd_bus_message_read(reply, "(tsssuuuo)", &id, &name, &state, &result, &n, &done, &failed,
                                        &path);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListRuns() reply: %m");
                if (r == 0)
                        break;
                o = json_object_new_object();
                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        return log_oom();
                }
                if (json_object_object_add(o, "id", json_object_new_uint64(id)) < 0 ||
                    json_object_object_add(o, "name", json_object_new_string(name)) < 0 ||
                    json_object_object_add(o, "state", json_object_new_string(state)) < 0 ||
                    json_object_object_add(o, "result", json_object_new_string(result)) < 0 ||
                    json_object_object_add(o, "jobs", json_object_new_uint64(n)) < 0 ||
                    json_object_object_add(o, "done", json_object_new_uint64(done)) < 0 ||
                    json_object_object_add(o, "not_succeeded", json_object_new_uint64(failed)) < 0 ||
                    json_object_object_add(o, "path", json_object_new_string(path)) < 0)
                        return log_oom();
        }
        return json_print(a);
}

int verb_runs(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_call_manager(bus, "ListRuns", &reply, "Failed to list runs", "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(tsssuuuo)");
        if (r < 0)
                return log_error_errno(r, "Failed to parse the ListRuns() reply: %m");
        if (arg_json != JSON_OFF)
                return print_runs_json(reply);

        printf("%6s %-24s %-8s %-9s %8s %8s %8s\n", "ID", "NAME", "STATE", "RESULT", "JOBS", "DONE",
               "FAILED");
        for (;;) {
                const char *name, *state, *result, *path;
                _cleanup_free_ char *name_e = NULL;
                uint32_t n, done, failed;
                uint64_t id;

                r = sd_bus_message_read(reply, "(tsssuuuo)", &id, &name, &state, &result, &n, &done, &failed,
                                        &path);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListRuns() reply: %m");
                if (r == 0)
                        break;
                name_e = escape_non_printable(isempty(name) ? "-" : name);
                if (!name_e)
                        return log_oom();
                printf("%6" PRIu64 " %-24s %-8s %-9s %8" PRIu32 " %8" PRIu32 " %8" PRIu32 "\n", id,
                       name_e, state, isempty(result) ? "-" : result, n, done, failed);
        }
        return 0;
}

int verb_run_status(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL, *name = NULL, *state = NULL, *result = NULL, *name_e = NULL;
        char states[512], results[512], first[512], t1[64], t2[64];
        _cleanup_free_ char *output_root = NULL, *output_root_e = NULL;
        uint64_t id = 0, submit = 0, finish = 0, timeout = 0;
        uint32_t n = 0;
        int r;

        r = parse_run_id(argv[1], &id);
        if (r < 0)
                return r;
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = get_run_path(bus, id, &path);
        if (r < 0)
                return r;

        if (arg_jobs) {
                _cleanup_(job_rows_free) JobRows rows = {};

                /* The run's jobs, as "list --run=ID" shows them. */
                arg_run_set = true;
                arg_run = id;
                r = jobctl_list_jobs(bus, NULL, false, false, &rows);
                if (r < 0)
                        return r;
                return jobctl_print_jobs(bus, &rows);
        }
        if (arg_watch) {
                _cleanup_free_ char *result_w = NULL;

                if (arg_json != JSON_OFF)
                        return log_usage_error("run-status: --watch and --json do not go together.");
                r = run_status_follow(bus, id, path, 0, NULL, !arg_progress && isatty(STDOUT_FILENO));
                if (r < 0)
                        return r;
                r = run_get_string(bus, path, "Result", &result_w);
                if (r < 0)
                        return r;
                return streq(result_w, "success") ? EXIT_SUCCESS : JOBCTL_EXIT_FAILURE;
        }

        if (arg_json != JSON_OFF) {
                _cleanup_(json_object_putp) json_object *o = NULL;

                r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                                       &error, &reply, "s", JOBD_RUN_INTERFACE);
                if (r < 0)
                        return log_bus_error(r, &error, "Failed to read run %" PRIu64, id);
                r = bus_message_read_json(reply, &o);
                if (r <= 0)
                        return log_error_errno(r < 0 ? r : -EBADMSG, "Failed to parse the run's properties: "
                                                                     "%m");
                return json_print(o);
        }

        r = run_get_string(bus, path, "Name", &name);
        if (r >= 0)
                r = run_get_string(bus, path, "State", &state);
        if (r >= 0)
                r = run_get_string(bus, path, "Result", &result);
        if (r >= 0)
                r = read_counts(bus, path, "StateCounts", states, sizeof(states));
        if (r >= 0)
                r = read_counts(bus, path, "ResultCounts", results, sizeof(results));
        if (r < 0)
                return r;
        /* Best effort: a daemon without it has no first pass to show. */
        if (read_counts(bus, path, "FirstResultCounts", first, sizeof(first)) < 0)
                first[0] = 0;
        (void) sd_bus_get_property_trivial(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, "JobCount", &error,
                                           'u', &n);
        (void) sd_bus_get_property_trivial(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, "SubmitUSec",
                                           &error, 't', &submit);
        (void) sd_bus_get_property_trivial(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, "FinishUSec",
                                           &error, 't', &finish);
        (void) sd_bus_get_property_trivial(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, "TimeoutUSec",
                                           &error, 't', &timeout);
        /* Best effort too: empty where the run has none (or the daemon does not know it). */
        sd_bus_error_free(&error);
        if (sd_bus_get_property_string(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, "OutputRoot", &error,
                                       &output_root) < 0)
                output_root = mfree(output_root);

        name_e = escape_non_printable(isempty(name) ? "-" : name);
        if (!name_e)
                return log_oom();
        printf("Run %" PRIu64 " (%s): %s%s%s\n", id, name_e, state, isempty(result) ? "" : ", ",
               strempty(result));
        printf("  Jobs:      %" PRIu32 "\n", n);
        printf("  States:    %s\n", states);
        printf("  Results:   %s\n", results);
        if (first[0] && !streq(first, "none") && !streq(first, results))
                printf("  First pass: %s (before run-retry)\n", first);
        printf("  Submitted: %s\n", format_timestamp(t1, sizeof(t1), submit));
        if (finish > 0)
                printf("  Finished:  %s (after %s)\n", format_timestamp(t1, sizeof(t1), finish),
                       format_timespan(t2, sizeof(t2), finish > submit ? finish - submit : 0));
        if (timeout > 0)
                printf("  Timeout:   %s\n", format_timespan(t2, sizeof(t2), timeout));
        if (!isempty(output_root)) {
                output_root_e = escape_non_printable(output_root);
                if (!output_root_e)
                        return log_oom();
                printf("  Output:    %s\n", output_root_e);
        }
        return print_run_summary(bus, path);
}

static int run_method(int argc, char *argv[], const char *method, const char *verb) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *path = NULL;
        uint64_t id = 0;
        uint32_t n;
        int r;

        r = parse_run_id(argv[1], &id);
        if (r < 0)
                return r;
        if (streq(method, "Retry") && argc > 2 && !STR_IN_SET(argv[2], "failed", "all"))
                return log_usage_error("run-retry: expected failed or all, got '%s'", argv[2]);
        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = get_run_path(bus, id, &path);
        if (r < 0)
                return r;
        if (streq(method, "Retry"))
                r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, method, &error, &reply,
                                       "s", argc > 2 ? argv[2] : "failed");
        else
                r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, JOBD_RUN_INTERFACE, method, &error, NULL,
                                       "");
        if (r < 0)
                return log_bus_error(r, &error, "Failed to %s run %" PRIu64, verb, id);
        if (reply && sd_bus_message_read(reply, "u", &n) > 0)
                printf("Run %" PRIu64 ": %" PRIu32 " jobs queued again.\n", id, n);
        return 0;
}

int verb_run_cancel(int argc, char *argv[]) {
        return run_method(argc, argv, "Cancel", "cancel");
}

int verb_run_pause(int argc, char *argv[]) {
        return run_method(argc, argv, "Pause", "pause");
}

int verb_run_resume(int argc, char *argv[]) {
        return run_method(argc, argv, "Resume", "resume");
}

int verb_run_retry(int argc, char *argv[]) {
        return run_method(argc, argv, "Retry", "retry");
}
