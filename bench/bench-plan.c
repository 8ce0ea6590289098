/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench-plan: a nightly regression's worth of jobs in one plan, against a running jobd. Builds a layered
 * DAG — B builds, T tests after each build, M merges per build each after T/M of its tests, one final
 * merge after all merges (B + B*T + B*M + 1 jobs; 101,101 by default) — and submits it with one
 * SubmitPlan() call. Prints, never judges:
 *
 *   - the time from sending SubmitPlan() to its reply (the daemon checks and queues the whole plan);
 *   - the daemon's RSS before and after, per job (VmRSS of /proc/PID/status);
 *   - the time of ListJobs() with all of them (median of 3);
 *   - with --run: the wall time until the run's Finished signal and the daemon's CPU time per job
 *     (utime + stime of /proc/PID/stat) while the jobs, /bin/true, ran; and ListJobs() once more while
 *     they run.
 * With --drain, the daemon drains (Drain()) while the plan is submitted and measured, so that no job runs
 * meanwhile, and resumes (Resume()) for --run.
 *
 *   bench-plan --bus-address=ADDR --daemon-pid=PID [--builds=B] [--tests=T] [--merges=M] [--drain] [--run]
 *              [--env-bytes=N] [--label=TEXT]
 *
 * Every job's spec is what jobctl plan sends for a file that names the job, its command and what it runs
 * after; the defaults carry the working directory and an environment of about --env-bytes (default: this
 * process's own environment), sent once and shared. The last line is machine-readable:
 * "RESULT label=... jobs=... submit_s=... rss_bytes_per_job=... listjobs_s=... [run_s=... cpu_us_per_job=...
 * listjobs_busy_s=...]".
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "jobd-bus.h"

/* Short names for the contract's (jobd-bus.h). */
#define BUS_NAME JOBD_BUS_NAME
#define MANAGER_PATH JOBD_MANAGER_PATH
#define MANAGER_IFACE JOBD_MANAGER_INTERFACE

#define CALL_TIMEOUT_USEC (600ULL * 1000000ULL)

extern char **environ;

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmRSS of a process in bytes, 0 if unknown. */
static uint64_t rss_bytes(long pid) {
        char path[64], line[256];
        uint64_t kb = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%ld/status", pid);
        f = fopen(path, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %" SCNu64 " kB", &kb) == 1)
                        break;
        fclose(f);
        return kb * 1024;
}

/* utime + stime of a process in seconds, < 0 if unknown. */
static double cpu_seconds(long pid) {
        char path[64], buf[4096], *p;
        unsigned long utime, stime;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        f = fopen(path, "re");
        if (!f)
                return -1;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
                return -1;
        return (double) (utime + stime) / sysconf(_SC_CLK_TCK);
}

/* One job: Name, Argv, and After (names) if it has dependencies. */
static int append_job(sd_bus_message *m, const char *name, char **argv, char **after) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "Name", "s", name);
        if (r >= 0)
                r = bus_append_strv_entry(m, "Argv", argv);
        if (r >= 0 && after)
                r = bus_append_strv_entry(m, "After", after);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

typedef struct Plan {
        unsigned builds, tests, merges;
        size_t n_jobs;
} Plan;

__attribute__((format(printf, 1, 2)))
static char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                fprintf(stderr, "bench-plan: out of memory\n");
                exit(EXIT_FAILURE);
        }
        return s;
}

static void strv_free(char **l) {
        for (char **s = l; s && *s; s++)
                free(*s);
        free(l);
}

static int build_plan(sd_bus *bus, Plan *p, char **env, sd_bus_message **ret) {
        char *argv[] = { (char *) "/bin/true", NULL };
        unsigned per_merge = p->tests / p->merges;
        sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SubmitPlan");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "a{sv}");
        p->n_jobs = 0;
        for (unsigned b = 0; r >= 0 && b < p->builds; b++) {
                char *build = xasprintf("build-%u", b);
                char *after_build[] = { build, NULL };

                r = append_job(m, build, argv, NULL);
                p->n_jobs++;
                for (unsigned t = 0; r >= 0 && t < p->tests; t++) {
                        char *name = xasprintf("test-%u-%u", b, t);
                        r = append_job(m, name, argv, after_build);
                        free(name);
                        p->n_jobs++;
                }
                for (unsigned k = 0; r >= 0 && k < p->merges; k++) {
                        char **after = calloc(per_merge + 1, sizeof(char *));
                        char *name = xasprintf("merge-%u-%u", b, k);

                        if (!after)
                                return -ENOMEM;
                        for (unsigned t = 0; t < per_merge; t++)
                                after[t] = xasprintf("test-%u-%u", b, k * per_merge + t);
                        r = append_job(m, name, argv, after);
                        strv_free(after);
                        free(name);
                        p->n_jobs++;
                }
                free(build);
        }
        if (r >= 0) {
                /* The final fan-in: after every merge of every build. */
                char **after = calloc((size_t) p->builds * p->merges + 1, sizeof(char *));
                size_t n = 0;

                if (!after)
                        return -ENOMEM;
                for (unsigned b = 0; b < p->builds; b++)
                        for (unsigned k = 0; k < p->merges; k++)
                                after[n++] = xasprintf("merge-%u-%u", b, k);
                r = append_job(m, "merge-all", argv, after);
                strv_free(after);
                p->n_jobs++;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "Name", "s", "bench-100k");
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "WorkingDirectory", "s", "/");
        if (r >= 0)
                r = bus_append_strv_entry(m, "Environment", env);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

static double list_jobs_seconds(sd_bus *bus, size_t *ret_n) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        double t0 = now_s(), t;
        size_t n = 0;
        int r;

        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "ListJobs", &error, &reply, "");
        t = now_s() - t0;
        if (r < 0) {
                fprintf(stderr, "bench-plan: ListJobs failed: %s\n", error.message ?: strerror(-r));
                sd_bus_error_free(&error);
                return -1;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(tsssuo)");
        while (r >= 0 && (r = sd_bus_message_skip(reply, "(tsssuo)")) > 0)
                n++;
        sd_bus_message_unref(reply);
        *ret_n = n;
        return t;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

typedef struct Wait {
        uint64_t run;
        bool finished;
        char result[32];
} Wait;

static int on_finished(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Wait *w = userdata;
        const char *result;
        uint64_t id;

        if (sd_bus_message_read(m, "ts", &id, &result) >= 0 && id == w->run) {
                w->finished = true;
                snprintf(w->result, sizeof(w->result), "%s", result);
        }
        return 0;
}

/* An environment of about n bytes: PATH and filler variables, like a user's. */
static char **make_env(long n) {
        size_t k = 0, bytes = 0;
        char **l = calloc(n / 64 + 3, sizeof(char *));

        if (!l)
                return NULL;
        l[k] = strdup("PATH=/usr/local/bin:/usr/bin:/bin");
        bytes += strlen(l[k++]) + 1;
        while ((long) bytes < n) {
                if (asprintf(&l[k], "BENCH_VAR_%03zu=%052zu", k, k) < 0)
                        return NULL;
                bytes += strlen(l[k++]) + 1;
        }
        return l;
}

int main(int argc, char *argv[]) {
        enum {
                ARG_BUS = 0x100,
                ARG_PID,
                ARG_BUILDS,
                ARG_TESTS,
                ARG_MERGES,
                ARG_RUN,
                ARG_ENV,
                ARG_LABEL,
                ARG_DRAIN
        };
        static const struct option options[] = {
                { "bus-address", required_argument, NULL, ARG_BUS },
                { "daemon-pid", required_argument, NULL, ARG_PID },
                { "builds", required_argument, NULL, ARG_BUILDS },
                { "tests", required_argument, NULL, ARG_TESTS },
                { "merges", required_argument, NULL, ARG_MERGES },
                { "run", no_argument, NULL, ARG_RUN },
                { "env-bytes", required_argument, NULL, ARG_ENV },
                { "label", required_argument, NULL, ARG_LABEL },
                { "drain", no_argument, NULL, ARG_DRAIN },
                {}
        };
        Plan p = { .builds = 100, .tests = 1000, .merges = 10 };
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_slot *slot = NULL;
        const char *address = NULL, *label = "plan", *run_path;
        double t0, t_build, t_submit, t_list[3], cpu0, cpu1 = 0, t_run = 0;
        char **env = environ, **own_env = NULL;
        uint64_t rss0, rss1;
        long pid = 0, env_bytes = -1;
        bool run = false, drain = false;
        double t_list_busy = 0;
        Wait w = {};
        sd_bus *bus = NULL;
        size_t n_listed = 0, env_size = 0;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (opt) {
                case ARG_BUS: address = optarg; break;
                case ARG_PID: pid = strtol(optarg, NULL, 10); break;
                case ARG_BUILDS: p.builds = (unsigned) strtoul(optarg, NULL, 10); break;
                case ARG_TESTS: p.tests = (unsigned) strtoul(optarg, NULL, 10); break;
                case ARG_MERGES: p.merges = (unsigned) strtoul(optarg, NULL, 10); break;
                case ARG_RUN: run = true; break;
                case ARG_ENV: env_bytes = strtol(optarg, NULL, 10); break;
                case ARG_LABEL: label = optarg; break;
                case ARG_DRAIN: drain = true; break;
                default: return EXIT_FAILURE;
                }
        if (!address || pid <= 0 || p.builds == 0 || p.tests == 0 || p.merges == 0 || p.merges > p.tests) {
                fprintf(stderr, "usage: bench-plan --bus-address=ADDR --daemon-pid=PID [--builds=B] "
                                "[--tests=T] "
                                "[--merges=M] [--run] [--env-bytes=N] [--label=TEXT]\n");
                return EXIT_FAILURE;
        }
        if (env_bytes >= 0) {
                own_env = make_env(env_bytes);
                if (!own_env)
                        return EXIT_FAILURE;
                env = own_env;
        }
        for (char **e = env; *e; e++)
                env_size += strlen(*e) + 1;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "bench-plan: cannot connect to %s: %s\n", address, strerror(-r));
                return EXIT_FAILURE;
        }
        if (run) {
                r = sd_bus_match_signal(bus, &slot, BUS_NAME, NULL, "org.jobd1.Run", "Finished", on_finished,
                                        &w);
                if (r < 0) {
                        fprintf(stderr, "bench-plan: cannot subscribe: %s\n", strerror(-r));
                        return EXIT_FAILURE;
                }
        }

        if (drain) {
                r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "Drain", &error, NULL,
                                       "");
                if (r < 0) {
                        fprintf(stderr, "bench-plan: Drain failed: %s\n", error.message ?: strerror(-r));
                        return EXIT_FAILURE;
                }
        }
        t0 = now_s();
        r = build_plan(bus, &p, env, &call);
        t_build = now_s() - t0;
        if (r < 0) {
                fprintf(stderr, "bench-plan: cannot build the plan: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        printf("plan: %u builds x %u tests, %u merges per build, 1 final merge: %zu jobs, environment %zu "
               "bytes "
               "(built in %.3f s)\n",
               p.builds, p.tests, p.merges, p.n_jobs, env_size, t_build);

        rss0 = rss_bytes(pid);
        cpu0 = cpu_seconds(pid);
        t0 = now_s();
        r = sd_bus_call(bus, call, CALL_TIMEOUT_USEC, &error, &reply);
        t_submit = now_s() - t0;
        if (r < 0) {
                fprintf(stderr, "bench-plan: SubmitPlan failed: %s\n", error.message ?: strerror(-r));
                return EXIT_FAILURE;
        }
        r = sd_bus_message_read(reply, "to", &w.run, &run_path);
        if (r < 0) {
                fprintf(stderr, "bench-plan: bad SubmitPlan reply\n");
                return EXIT_FAILURE;
        }
        /* Let the daemon finish the announcements of the submission before its memory is read. */
        usleep(500 * 1000);
        rss1 = rss_bytes(pid);
        printf("SubmitPlan: reply after %.3f s (run %" PRIu64 "), daemon CPU %.3f s\n", t_submit, w.run,
               cpu_seconds(pid) - cpu0);
        printf("daemon RSS: %.1f MiB before, %.1f MiB after: %.0f bytes per job\n", rss0 / 1048576.0,
               rss1 / 1048576.0, (double) (rss1 - rss0) / p.n_jobs);

        for (int i = 0; i < 3; i++) {
                t_list[i] = list_jobs_seconds(bus, &n_listed);
                if (t_list[i] < 0)
                        return EXIT_FAILURE;
        }
        qsort(t_list, 3, sizeof(double), cmp_double);
        printf("ListJobs: %zu jobs in %.3f s (median of 3; %.3f-%.3f)%s\n", n_listed, t_list[1], t_list[0],
               t_list[2], drain ? ", no job running" : "");

        if (run) {
                if (drain) {
                        r = sd_bus_call_method(bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "Resume", &error,
                                               NULL, "");
                        if (r < 0) {
                                fprintf(stderr, "bench-plan: Resume failed: %s\n",
                                        error.message ?: strerror(-r));
                                return EXIT_FAILURE;
                        }
                }
                /* From here: the run's wall time and the daemon's CPU time. */
                t0 = now_s();
                cpu0 = cpu_seconds(pid);
                usleep(2 * 1000 * 1000);
                t_list_busy = list_jobs_seconds(bus, &n_listed);
                printf("ListJobs: %zu jobs in %.3f s while the jobs run\n", n_listed, t_list_busy);
                while (!w.finished) {
                        r = sd_bus_process(bus, NULL);
                        if (r < 0) {
                                fprintf(stderr, "bench-plan: bus: %s\n", strerror(-r));
                                return EXIT_FAILURE;
                        }
                        if (r == 0)
                                (void) sd_bus_wait(bus, UINT64_MAX);
                }
                t_run = now_s() - t0;
                cpu1 = cpu_seconds(pid);
                printf("run: finished (%s) after %.1f s: %.0f jobs/s; daemon CPU %.1f s, %.1f us per job\n",
                       w.result, t_run, p.n_jobs / t_run, cpu1 - cpu0, (cpu1 - cpu0) * 1e6 / p.n_jobs);
        }

        printf("RESULT label=%s jobs=%zu submit_s=%.3f rss_bytes_per_job=%.0f listjobs_s=%.3f", label,
               p.n_jobs, t_submit, (double) (rss1 - rss0) / p.n_jobs, t_list[1]);
        if (run)
                printf(" run_s=%.1f cpu_us_per_job=%.1f listjobs_busy_s=%.3f", t_run,
                       (cpu1 - cpu0) * 1e6 / p.n_jobs, t_list_busy);
        printf("\n");

        sd_bus_slot_unref(slot);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(call);
        sd_bus_flush_close_unref(bus);
        strv_free(own_env);
        return EXIT_SUCCESS;
}
