/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench-kill: how long killing a 1000-process job takes, against what the kernel itself needs.
 *
 * jobd:  a job runs spawn-tree (N setsid'd, double-forked, SIGTERM-ignoring orphans; the spawner stays).
 *        Once the whole tree is in place (its pid file is written and the job's cgroup.procs lists N+1 or
 *        more pids), KillJob(id, SIGKILL) is called and the clock runs until the JobChanged signal with
 *        state "done" for that job arrives.
 * bare:  the same tree in a bare cgroup of our own; "1" is written to cgroup.kill and the clock runs until
 *        cgroup.events says "populated 0" (woken by inotify on cgroup.events, like the daemon).
 *
 * The two alternate, R rounds each; prints every sample, min and median, and the ratio. Never passes or
 * fails on time. The last lines are "RESULT ...".
 *
 *   bench-kill --bus-address=ADDR --cgroup-root=DIR --spawn-tree=PATH [-n N] [-r R] [--fanout=K]
 *
 * DIR is the cgroup the daemon was given as --cgroup-root (job cgroups are DIR/jobd-<id>); the bare
 * cgroups are created beside them as DIR/bench-kill-<pid>-<round> and removed again. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "jobd-bus.h"

/* Short names for the contract's (jobd-bus.h). */
#define BUS_NAME JOBD_BUS_NAME
#define MANAGER_PATH JOBD_MANAGER_PATH
#define MANAGER_IFACE JOBD_MANAGER_INTERFACE

#define _cleanup_(f) __attribute__((cleanup(f)))

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#define ROUNDS_MAX 100
#define TREE_TIMEOUT_NS (120 * 1e9)

static const char *arg_address = NULL;
static const char *arg_cgroup_root = NULL;
static const char *arg_spawn_tree = NULL;
static unsigned arg_count = 1000;
static unsigned arg_rounds = 5;
static unsigned arg_fanout = 0;
static char tmpdir[] = "/tmp/bench-kill-XXXXXX";

static sd_bus *bus = NULL;
static uint64_t watched_id = 0;
static bool watched_done = false;
static double watched_done_at = 0;
static char watched_result[32];

static double now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what, int r) {
        fprintf(stderr, "bench-kill: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(1);
}

/* Lines in DIR/cgroup.procs, -errno if it cannot be read. */
static int count_procs(const char *dir) {
        char path[4096], buf[65536];
        ssize_t k;
        int fd, n = 0;

        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        while ((k = read(fd, buf, sizeof(buf))) > 0)
                for (ssize_t i = 0; i < k; i++)
                        n += buf[i] == '\n';
        close(fd);
        return n;
}

/* Waits (polling, this is the benchmark client, not the daemon) until the pid file exists and the
 * cgroup holds at least min processes. */
static void wait_tree(const char *cgdir, const char *pidfile, int min) {
        double deadline = now_ns() + TREE_TIMEOUT_NS;
        int n = 0;

        for (;;) {
                if (access(pidfile, F_OK) == 0) {
                        n = count_procs(cgdir);
                        if (n >= min)
                                return;
                }
                if (now_ns() > deadline) {
                        fprintf(stderr, "bench-kill: tree in %s not complete after 120 s (%d processes)\n",
                                cgdir, n);
                        exit(1);
                }
                usleep(2000);
        }
}

static void tree_argv(const char *pidfile, char **argv) {
        static char n_buf[16], f_buf[16];
        int i = 0;

        snprintf(n_buf, sizeof(n_buf), "%u", arg_count);
        snprintf(f_buf, sizeof(f_buf), "%u", arg_fanout);
        argv[i++] = (char *) arg_spawn_tree;
        argv[i++] = (char *) "-n";
        argv[i++] = n_buf;
        if (arg_fanout > 0) {
                argv[i++] = (char *) "-f";
                argv[i++] = f_buf;
        }
        argv[i++] = (char *) "-s";      /* setsid */
        argv[i++] = (char *) "-d";      /* double fork: orphans */
        argv[i++] = (char *) "-i";      /* ignore SIGTERM */
        argv[i++] = (char *) "-w";      /* the spawner stays: the job runs until killed */
        argv[i++] = (char *) "-p";
        argv[i++] = (char *) pidfile;
        argv[i] = NULL;
}

static int on_job_changed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *path, *state, *result;
        uint64_t id;

        if (sd_bus_message_read(m, "toss", &id, &path, &state, &result) < 0)
                return 0;
        if (id == watched_id && strcmp(state, "done") == 0 && !watched_done) {
                watched_done_at = now_ns();
                watched_done = true;
                snprintf(watched_result, sizeof(watched_result), "%s", result);
        }
        return 0;
}

static void bus_run_until(bool *flag, double timeout_ns) {
        double deadline = now_ns() + timeout_ns;
        int r;

        while (!*flag) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("bus", r);
                if (r > 0)
                        continue;
                if (now_ns() > deadline) {
                        fprintf(stderr, "bench-kill: timed out waiting for the job to be done\n");
                        exit(1);
                }
                r = sd_bus_wait(bus, 100000);
                if (r < 0 && r != -EINTR)
                        die("bus wait", r);
        }
}

static bool kill_replied = false;
static double kill_reply_at = 0;

static int on_kill_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (e)
                fprintf(stderr, "bench-kill: KillJob failed: %s\n", e->message ?: e->name);
        kill_reply_at = now_ns();
        kill_replied = true;
        return 0;
}

/* One jobd round: returns the kill latency in ns; *ret_reply gets when KillJob's reply came. */
static double round_jobd(unsigned round, double *ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char pidfile[256], cgdir[4096], *argv[16];
        const char *path;
        double t0;
        int r;

        snprintf(pidfile, sizeof(pidfile), "%s/jobd-%u.pids", tmpdir, round);
        tree_argv(pidfile, argv);

        r = sd_bus_message_new_method_call(bus, &m, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "Submit");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = bus_append_strv_entry(m, "Argv", argv);
        if (r >= 0)
                r = sd_bus_message_append(m, "{sv}", "Name", "s", "bench-kill");
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                die("building Submit", r);
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                fprintf(stderr, "bench-kill: Submit: %s\n", error.message ?: strerror(-r));
                exit(1);
        }
        r = sd_bus_message_read(reply, "to", &watched_id, &path);
        if (r < 0)
                die("Submit reply", r);
        watched_done = false;

        snprintf(cgdir, sizeof(cgdir), "%s/jobd-%llu", arg_cgroup_root, (unsigned long long) watched_id);
        wait_tree(cgdir, pidfile, (int) arg_count + 1);

        /* Let the signals of the start (JobChanged running etc.) be read first. */
        while (sd_bus_process(bus, NULL) > 0)
                ;
        if (watched_done) {
                fprintf(stderr, "bench-kill: job %llu ended before the kill (result %s)\n",
                        (unsigned long long) watched_id, watched_result);
                exit(1);
        }

        kill_replied = false;
        t0 = now_ns();
        r = sd_bus_call_method_async(bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "KillJob",
                                     on_kill_reply, NULL, "ti", watched_id, (int32_t) SIGKILL);
        if (r < 0)
                die("KillJob", r);
        bus_run_until(&watched_done, 60e9);
        bus_run_until(&kill_replied, 10e9);
        if (strcmp(watched_result, "killed") != 0)
                fprintf(stderr, "bench-kill: job %llu ended with result %s, expected killed\n",
                        (unsigned long long) watched_id, watched_result);
        if (access(cgdir, F_OK) == 0)
                fprintf(stderr, "bench-kill: job cgroup %s still exists after done\n", cgdir);
        (void) unlink(pidfile);
        *ret_reply = kill_reply_at - t0;
        return watched_done_at - t0;
}

static bool events_populated(int cgfd) {
        char buf[256];
        ssize_t k;
        int fd;

        fd = openat(cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                die("open cgroup.events", -errno);
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k < 0)
                die("read cgroup.events", -errno);
        buf[k] = 0;
        return !strstr(buf, "populated 0");
}

/* One bare round: the same tree in a cgroup of our own, cgroup.kill, inotify until "populated 0". */
static double round_bare(unsigned round, double *ret_write) {
        char pidfile[256], name[128], cgdir[4096], events[4200], *argv[16], ibuf[4096];
        struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
        int cgfd, ifd, kfd, status;
        double t0, t1;
        pid_t pid;

        snprintf(pidfile, sizeof(pidfile), "%s/bare-%u.pids", tmpdir, round);
        tree_argv(pidfile, argv);
        snprintf(name, sizeof(name), "bench-kill-%d-%u", (int) getpid(), round);
        snprintf(cgdir, sizeof(cgdir), "%s/%s", arg_cgroup_root, name);
        snprintf(events, sizeof(events), "%s/cgroup.events", cgdir);

        if (mkdir(cgdir, 0755) < 0)
                die(cgdir, -errno);
        cgfd = open(cgdir, O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                die(cgdir, -errno);
        args.cgroup = (uint64_t) cgfd;
        pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                die("clone3", -errno);
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(127);
        }
        wait_tree(cgdir, pidfile, (int) arg_count + 1);

        ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ifd < 0 || inotify_add_watch(ifd, events, IN_MODIFY) < 0)
                die("inotify", -errno);
        kfd = openat(cgfd, "cgroup.kill", O_WRONLY | O_CLOEXEC);
        if (kfd < 0)
                die("open cgroup.kill", -errno);

        t0 = now_ns();
        if (write(kfd, "1", 1) != 1)
                die("write cgroup.kill", -errno);
        *ret_write = now_ns() - t0;
        while (events_populated(cgfd)) {
                struct pollfd p = { .fd = ifd, .events = POLLIN };
                if (poll(&p, 1, 60000) <= 0)
                        die("poll cgroup.events", -ETIMEDOUT);
                while (read(ifd, ibuf, sizeof(ibuf)) > 0)
                        ;
        }
        t1 = now_ns();

        close(kfd);
        close(ifd);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        close(cgfd);
        if (rmdir(cgdir) < 0)
                fprintf(stderr, "bench-kill: rmdir %s: %m\n", cgdir);
        (void) unlink(pidfile);
        return t1 - t0;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n) {
        double s[ROUNDS_MAX];

        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), cmp_double);
        return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double minimum(const double *v, unsigned n) {
        double m = v[0];

        for (unsigned i = 1; i < n; i++)
                if (v[i] < m)
                        m = v[i];
        return m;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "bus-address", required_argument, NULL, 'a' },
                { "cgroup-root", required_argument, NULL, 'c' },
                { "spawn-tree",  required_argument, NULL, 's' },
                { "count",       required_argument, NULL, 'n' },
                { "rounds",      required_argument, NULL, 'r' },
                { "fanout",      required_argument, NULL, 'f' },
                {}
        };
        double jobd[ROUNDS_MAX], reply[ROUNDS_MAX], bare[ROUNDS_MAX], bare_write[ROUNDS_MAX];
        double jmin, jmed, bmin, bmed;
        int c, r;

        while ((c = getopt_long(argc, argv, "ha:c:s:n:r:f:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("bench-kill --bus-address=ADDR --cgroup-root=DIR --spawn-tree=PATH "
                               "[-n N] [-r R] [--fanout=K]\n");
                        return 0;
                case 'a':
                        arg_address = optarg;
                        break;
                case 'c':
                        arg_cgroup_root = optarg;
                        break;
                case 's':
                        arg_spawn_tree = optarg;
                        break;
                case 'n':
                        arg_count = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        arg_rounds = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'f':
                        arg_fanout = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return 2;
                }
        if (!arg_address || !arg_cgroup_root || !arg_spawn_tree || arg_rounds == 0 ||
            arg_rounds > ROUNDS_MAX || arg_count == 0) {
                fprintf(stderr, "bench-kill: --bus-address, --cgroup-root and --spawn-tree are needed\n");
                return 2;
        }
        if (!mkdtemp(tmpdir))
                die("mkdtemp", -errno);

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, arg_address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                die("connecting to the bus", r);
        r = sd_bus_match_signal(bus, NULL, BUS_NAME, MANAGER_PATH, MANAGER_IFACE, "JobChanged",
                                on_job_changed, NULL);
        if (r < 0)
                die("subscribing to JobChanged", r);

        printf("kill latency, %u-process tree (setsid'd, double-forked orphans%s), %u rounds\n", arg_count,
               arg_fanout ? ", fan-out tree" : "", arg_rounds);
        for (unsigned i = 0; i < arg_rounds; i++) {
                jobd[i] = round_jobd(i, &reply[i]);
                bare[i] = round_bare(i, &bare_write[i]);
                printf("  round %u: jobd KillJob -> JobChanged done %7.2f ms (KillJob reply %6.2f ms) | "
                       "bare cgroup.kill -> populated 0 %7.2f ms (write returned %6.2f ms)\n",
                       i + 1, jobd[i] / 1e6, reply[i] / 1e6, bare[i] / 1e6, bare_write[i] / 1e6);
                fflush(stdout);
        }
        jmin = minimum(jobd, arg_rounds);
        jmed = median(jobd, arg_rounds);
        bmin = minimum(bare, arg_rounds);
        bmed = median(bare, arg_rounds);
        printf("  jobd:  min %7.2f ms  median %7.2f ms\n", jmin / 1e6, jmed / 1e6);
        printf("  bare:  min %7.2f ms  median %7.2f ms\n", bmin / 1e6, bmed / 1e6);
        printf("  ratio jobd/bare: min %.2fx  median %.2fx\n", jmin / bmin, jmed / bmed);
        printf("RESULT label=kill-jobd n=%u min_ms=%.2f median_ms=%.2f\n", arg_count, jmin / 1e6,
               jmed / 1e6);
        printf("RESULT label=kill-bare n=%u min_ms=%.2f median_ms=%.2f\n", arg_count, bmin / 1e6,
               bmed / 1e6);

        sd_bus_flush_close_unref(bus);
        (void) rmdir(tmpdir);
        return 0;
}
