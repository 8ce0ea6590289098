/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench-submit: throughput of jobd for short jobs. Submits N jobs (default 2000 x /bin/true) to a running
 * jobd over D-Bus, all Submit calls pipelined (sd_bus_call_async for every one before any reply is read),
 * and waits until a JobChanged signal with state "done" has arrived for each of them. Prints jobs/s and a
 * few figures around it; never passes or fails on time.
 *
 *   bench-submit --bus-address=ADDR [-n N] [--plan] [--max-parallel=M] [--daemon-pid=PID] [--bus-pid=PID]
 *                [--cgroup=DIR] [--label=TEXT] [--quiet] [--] [COMMAND ARG...]
 *
 * --plan: all N jobs in one SubmitPlan() call instead (no dependencies, names j0, j1, ...), as `jobctl
 * plan` submits a regression: one call and one reply for all, the jobs' JobNew signals sent in batches
 * after it.
 *
 * --max-parallel calls SetMaxParallel(M) first. --daemon-pid adds the CPU time the daemon used during the
 * run (from /proc/PID/stat), --bus-pid the same for the dbus-daemon, --cgroup the CPU time of the jobs
 * (usage_usec of DIR/cpu.stat, DIR being the daemon's --cgroup-root). The last line is machine-readable:
 * "RESULT label=... jobs_per_s=... [cpu_us_per_job=...]". */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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

#define _cleanup_(f) __attribute__((cleanup(f)))

#define CALL_TIMEOUT_USEC (600ULL * 1000000ULL)

typedef struct Bench {
        sd_bus *bus;
        unsigned n;                     /* jobs to submit */
        unsigned n_replies;             /* Submit replies received */
        unsigned n_errors;              /* Submit calls that failed */
        unsigned n_done;                /* our jobs seen done */
        unsigned n_success;
        uint8_t *flags;                 /* per job id: FLAG_* */
        uint64_t n_flags;
        double t_start, t_replies, t_done;
        double t_first_running, t_first_done;  /* first JobChanged "running" / "done" of any job */
        uint64_t *id_of;                /* per submit index */
        const char *first_error;
} Bench;

enum {
        FLAG_OURS = 1 << 0,             /* the Submit reply named this id */
        FLAG_DONE = 1 << 1,             /* a JobChanged "done" arrived for it */
        FLAG_SUCCESS = 1 << 2,
        FLAG_COUNTED = 1 << 3,
};

static double now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int grow_flags(Bench *b, uint64_t id) {
        uint64_t n;
        uint8_t *f;

        if (id < b->n_flags)
                return 0;
        n = b->n_flags ? b->n_flags : 4096;
        while (n <= id)
                n *= 2;
        f = realloc(b->flags, n);
        if (!f)
                return -ENOMEM;
        memset(f + b->n_flags, 0, n - b->n_flags);
        b->flags = f;
        b->n_flags = n;
        return 0;
}

/* A job counts once both its Submit reply and its "done" signal are in, in whichever order they came. */
static void maybe_count(Bench *b, uint64_t id) {
        uint8_t f = b->flags[id];

        if (!(f & FLAG_OURS) || !(f & FLAG_DONE) || (f & FLAG_COUNTED))
                return;
        b->flags[id] |= FLAG_COUNTED;
        b->n_done++;
        if (f & FLAG_SUCCESS)
                b->n_success++;
        if (b->n_done == b->n - b->n_errors)
                b->t_done = now_ns();
}

static int on_job_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Bench *b = userdata;
        const char *path, *state, *result;
        uint64_t id;
        int r;

        r = sd_bus_message_read(m, "toss", &id, &path, &state, &result);
        if (r < 0)
                return 0;
        if (b->t_first_running == 0 && strcmp(state, "running") == 0)
                b->t_first_running = now_ns();
        if (strcmp(state, "done") != 0)
                return 0;
        if (b->t_first_done == 0)
                b->t_first_done = now_ns();
        if (grow_flags(b, id) < 0)
                return -ENOMEM;
        b->flags[id] |= FLAG_DONE;
        if (strcmp(result, "success") == 0)
                b->flags[id] |= FLAG_SUCCESS;
        maybe_count(b, id);
        return 0;
}

typedef struct Call {
        Bench *b;
        unsigned index;
} Call;

static int on_submit_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        Bench *b = c->b;
        const sd_bus_error *e;
        const char *path;
        uint64_t id;
        int r;

        b->n_replies++;
        if (b->n_replies == b->n)
                b->t_replies = now_ns();

        e = sd_bus_message_get_error(m);
        if (e) {
                if (!b->first_error)
                        b->first_error = strdup(e->message ?: e->name);
                b->n_errors++;
                if (b->n_done == b->n - b->n_errors)
                        b->t_done = now_ns();
                return 0;
        }
        r = sd_bus_message_read(m, "to", &id, &path);
        if (r < 0 || grow_flags(b, id) < 0) {
                b->n_errors++;
                return 0;
        }
        b->id_of[c->index] = id;
        b->flags[id] |= FLAG_OURS;
        maybe_count(b, id);
        return 0;
}

/* SubmitPlan's reply: (t run, o run_path, ao jobs), the jobs in the order given. */
static int on_plan_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        Bench *b = c->b;
        const sd_bus_error *e;
        const char *path;
        uint64_t run, id;
        unsigned i = 0;
        int r;

        b->n_replies = b->n;
        b->t_replies = now_ns();
        e = sd_bus_message_get_error(m);
        if (e) {
                b->first_error = strdup(e->message ?: e->name);
                b->n_errors = b->n;
                return 0;
        }
        r = sd_bus_message_read(m, "to", &run, &path);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "o");
        while (r >= 0 && i < b->n && (r = sd_bus_message_read(m, "o", &path)) > 0) {
                if (jobd_job_path_parse(path, &id) < 0 || grow_flags(b, id) < 0)
                        break;
                b->id_of[i++] = id;
                b->flags[id] |= FLAG_OURS;
                maybe_count(b, id);
        }
        /* What the reply did not name can never be counted done. */
        b->n_errors = b->n - i;
        if (b->n_errors > 0 && !b->first_error)
                b->first_error = strdup("SubmitPlan reply named fewer jobs than were sent");
        if (b->n_done == b->n - b->n_errors)
                b->t_done = now_ns();
        return 0;
}

static int submit_plan(Bench *b, char **argv, Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        char name[32];
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SubmitPlan");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "a{sv}");
        for (unsigned i = 0; r >= 0 && i < b->n; i++) {
                snprintf(name, sizeof(name), "j%u", i);
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r >= 0)
                        r = bus_append_strv_entry(m, "Argv", argv);
                if (r >= 0)
                        r = sd_bus_message_append(m, "{sv}", "Name", "s", name);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "Name", "s", "bench");
        if (r < 0)
                return r;
        return sd_bus_call_async(b->bus, NULL, m, on_plan_reply, c, CALL_TIMEOUT_USEC);
}

static int submit_one(Bench *b, char **argv, Call *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(b->bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "Submit");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = bus_append_strv_entry(m, "Argv", argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "Name", "s", "bench");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        /* Floating slot: owned by the bus until the reply (or timeout) arrives. */
        return sd_bus_call_async(b->bus, NULL, m, on_submit_reply, c, CALL_TIMEOUT_USEC);
}

static int proc_cpu_ticks(long pid, uint64_t *ret) {
        char path[64], buf[2048], *p;
        unsigned long long ut = 0, st = 0;
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        p = strrchr(buf, ')');
        if (!p)
                return -EINVAL;
        /* After ")": field 3 is state; utime and stime are fields 14 and 15. */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return -EINVAL;
        *ret = ut + st;
        return 0;
}

/* usage_usec of DIR/cpu.stat: CPU time of every process that ever ran in DIR or below. */
static int cgroup_usage_usec(const char *dir, uint64_t *ret) {
        char path[4096], key[64];
        unsigned long long v;
        FILE *f;

        snprintf(path, sizeof(path), "%s/cpu.stat", dir);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fscanf(f, "%63s %llu", key, &v) == 2)
                if (strcmp(key, "usage_usec") == 0) {
                        fclose(f);
                        *ret = v;
                        return 0;
                }
        fclose(f);
        return -ENOENT;
}

static void help(void) {
        printf("bench-submit --bus-address=ADDR [-n N] [--plan] [--max-parallel=M] [--daemon-pid=PID]\n"
               "             [--bus-pid=PID] [--cgroup=DIR] [--label=TEXT] [--quiet]\n"
               "             [--] [COMMAND ARG...]\n\n"
               "Submits N jobs (default 2000 x /bin/true) to jobd, all Submit calls pipelined (--plan: in\n"
               "one SubmitPlan call), and waits for the JobChanged \"done\" signal of each.\n"
               "Prints jobs/s.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h' },
                { "bus-address",  required_argument, NULL, 'a' },
                { "count",        required_argument, NULL, 'n' },
                { "max-parallel", required_argument, NULL, 'm' },
                { "daemon-pid",   required_argument, NULL, 'p' },
                { "bus-pid",      required_argument, NULL, 'b' },
                { "cgroup",       required_argument, NULL, 'c' },
                { "label",        required_argument, NULL, 'l' },
                { "quiet",        no_argument,       NULL, 'q' },
                { "plan",         no_argument,       NULL, 'P' },
                {}
        };
        static char *default_cmd[] = { (char *) "/bin/true", NULL };
        const char *address = NULL, *label = "jobd";
        long max_parallel = -1, daemon_pid = 0, bus_pid = 0;
        const char *cgroup = NULL;
        uint64_t cg0 = 0, cg1 = 0;
        bool quiet = false, plan = false;
        char **cmd = default_cmd;
        Bench b = { .n = 2000 };
        uint64_t ticks0 = 0, ticks1 = 0, bticks0 = 0, bticks1 = 0;
        double wall_s, rate;
        Call *calls;
        int c, r;

        while ((c = getopt_long(argc, argv, "ha:n:m:p:b:c:l:q", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'a':
                        address = optarg;
                        break;
                case 'n':
                        b.n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'm':
                        max_parallel = strtol(optarg, NULL, 10);
                        break;
                case 'p':
                        daemon_pid = strtol(optarg, NULL, 10);
                        break;
                case 'b':
                        bus_pid = strtol(optarg, NULL, 10);
                        break;
                case 'c':
                        cgroup = optarg;
                        break;
                case 'l':
                        label = optarg;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'P':
                        plan = true;
                        break;
                default:
                        help();
                        return 2;
                }
        if (optind < argc)
                cmd = argv + optind;
        if (!address)
                address = getenv("JOBD_BUS_ADDRESS");
        if (!address || b.n == 0) {
                help();
                return 2;
        }

        r = sd_bus_new(&b.bus);
        if (r >= 0)
                r = sd_bus_set_address(b.bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(b.bus, true);
        if (r >= 0)
                r = sd_bus_start(b.bus);
        if (r < 0) {
                fprintf(stderr, "bench-submit: cannot connect to %s: %s\n", address, strerror(-r));
                return 1;
        }

        r = sd_bus_match_signal(b.bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "JobChanged",
                                on_job_changed, &b);
        if (r < 0) {
                fprintf(stderr, "bench-submit: cannot subscribe to JobChanged: %s\n", strerror(-r));
                return 1;
        }

        if (max_parallel >= 0) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                r = sd_bus_call_method(b.bus, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "SetMaxParallel",
                                       &error, NULL, "u", (uint32_t) max_parallel);
                if (r < 0) {
                        fprintf(stderr, "bench-submit: SetMaxParallel: %s\n", error.message ?: strerror(-r));
                        return 1;
                }
                sd_bus_error_free(&error);
        }

        calls = calloc(b.n, sizeof(Call));
        b.id_of = calloc(b.n, sizeof(uint64_t));
        if (!calls || !b.id_of)
                return 1;

        if (daemon_pid > 0)
                (void) proc_cpu_ticks(daemon_pid, &ticks0);
        if (bus_pid > 0)
                (void) proc_cpu_ticks(bus_pid, &bticks0);
        if (cgroup)
                (void) cgroup_usage_usec(cgroup, &cg0);

        b.t_start = now_ns();
        if (plan) {
                calls[0] = (Call) { .b = &b };
                r = submit_plan(&b, cmd, &calls[0]);
                if (r < 0) {
                        fprintf(stderr, "bench-submit: SubmitPlan: %s\n", strerror(-r));
                        return 1;
                }
        }
        for (unsigned i = 0; !plan && i < b.n; i++) {
                calls[i] = (Call) { .b = &b, .index = i };
                r = submit_one(&b, cmd, &calls[i]);
                if (r < 0) {
                        fprintf(stderr, "bench-submit: Submit #%u: %s\n", i, strerror(-r));
                        return 1;
                }
        }

        while (b.n_replies < b.n || b.n_done < b.n - b.n_errors) {
                r = sd_bus_process(b.bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "bench-submit: bus: %s\n", strerror(-r));
                        return 1;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(b.bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "bench-submit: bus wait: %s\n", strerror(-r));
                        return 1;
                }
        }
        if (b.t_done == 0)
                b.t_done = now_ns();

        if (daemon_pid > 0)
                (void) proc_cpu_ticks(daemon_pid, &ticks1);
        if (bus_pid > 0)
                (void) proc_cpu_ticks(bus_pid, &bticks1);
        if (cgroup)
                (void) cgroup_usage_usec(cgroup, &cg1);

        wall_s = (b.t_done - b.t_start) / 1e9;
        rate = (b.n - b.n_errors) / wall_s;
        /* CPU per job of everything involved: the jobs (their cgroups), the daemon, the bus. */
        double ok = b.n - b.n_errors > 0 ? b.n - b.n_errors : 1;
        double daemon_us = 1e6 * (double) (ticks1 - ticks0) / (double) sysconf(_SC_CLK_TCK) / ok;
        double bus_us = 1e6 * (double) (bticks1 - bticks0) / (double) sysconf(_SC_CLK_TCK) / ok;
        double jobs_us = (double) (cg1 - cg0) / ok;
        if (!quiet) {
                printf("%s: %u jobs (%s), %s, wait for JobChanged done\n", label, b.n, cmd[0],
                       plan ? "one SubmitPlan" : "pipelined Submit");
                printf("  first job running after   %8.1f ms, first done after %.1f ms\n",
                       b.t_first_running > 0 ? (b.t_first_running - b.t_start) / 1e6 : -1.0,
                       b.t_first_done > 0 ? (b.t_first_done - b.t_start) / 1e6 : -1.0);
                printf("  all %s after  %8.1f ms\n", plan ? "SubmitPlan reply" : "Submit replies",
                       (b.t_replies - b.t_start) / 1e6);
                printf("  all jobs done after       %8.1f ms\n", (b.t_done - b.t_start) / 1e6);
                printf("  succeeded %u, failed %u, Submit errors %u%s%s\n", b.n_success,
                       b.n_done - b.n_success, b.n_errors, b.first_error ? ": " : "", b.first_error ?: "");
                printf("  throughput                %8.1f jobs/s\n", rate);
                if (daemon_pid > 0 && ticks1 >= ticks0) {
                        double cpu_s = (double) (ticks1 - ticks0) / (double) sysconf(_SC_CLK_TCK);
                        printf("  daemon CPU                %8.2f s (%.0f%% of one CPU, %.0f us/job)\n",
                               cpu_s, 100.0 * cpu_s / wall_s, 1e6 * cpu_s / (b.n - b.n_errors));
                }
                if (bus_pid > 0 && bticks1 >= bticks0) {
                        double cpu_s = (double) (bticks1 - bticks0) / (double) sysconf(_SC_CLK_TCK);
                        printf("  dbus-daemon CPU           %8.2f s (%.0f%% of one CPU, %.0f us/job)\n",
                               cpu_s, 100.0 * cpu_s / wall_s, 1e6 * cpu_s / (b.n - b.n_errors));
                }
                if (cgroup && cg1 >= cg0)
                        printf("  jobs' CPU (their cgroups)  %7.2f s (%.0f us/job)\n", (cg1 - cg0) / 1e6,
                               jobs_us);
                if (cgroup && daemon_pid > 0 && bus_pid > 0)
                        printf("  CPU per job, all together %8.0f us (jobs + daemon + bus)\n",
                               jobs_us + daemon_us + bus_us);
        }
        printf("RESULT label=%s jobs=%u ok=%u failed=%u errors=%u wall_ms=%.1f jobs_per_s=%.1f",
               label, b.n, b.n_success, b.n_done - b.n_success, b.n_errors, wall_s * 1e3, rate);
        if (daemon_pid > 0)
                printf(" daemon_us_per_job=%.0f", daemon_us);
        if (bus_pid > 0)
                printf(" bus_us_per_job=%.0f", bus_us);
        if (cgroup)
                printf(" jobs_us_per_job=%.0f", jobs_us);
        if (cgroup && daemon_pid > 0 && bus_pid > 0)
                printf(" cpu_us_per_job=%.0f", jobs_us + daemon_us + bus_us);
        printf("\n");

        sd_bus_flush_close_unref(b.bus);
        free(calls);
        free(b.id_of);
        free(b.flags);
        return b.n_errors > 0 || b.n_success < b.n ? 3 : 0;
}
