/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* forkexec-loop: the floor any job runner is measured against. Runs N commands (default 2000 x /bin/true)
 * as a plain fork + exec + waitpid loop, one at a time (or J at once with -j). With --cgroup=DIR each
 * child is started directly in a fresh cgroup DIR/fe-<pid>-<i> with clone3(CLONE_INTO_CGROUP), and the
 * cgroup is removed right after waitpid: the cost of per-job cgroups without any daemon around it.
 * Prints jobs/s; never passes or fails on time. The last line is "RESULT ...".
 *
 *   forkexec-loop [-n N] [-j J] [--cgroup=DIR] [--label=TEXT] [--] [COMMAND ARG...] */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

typedef struct Slot {
        pid_t pid;
        int cgfd;
        char name[64];
} Slot;

static const char *arg_cgroup = NULL;
static int cgroot_fd = -1;
static unsigned n_failed = 0, n_busy = 0;

static double now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double tv_us(const struct timeval *tv) {
        return tv->tv_sec * 1e6 + tv->tv_usec;
}

static pid_t start(char **cmd, unsigned i, Slot *s) {
        pid_t pid;

        s->cgfd = -1;
        if (cgroot_fd >= 0) {
                struct clone_args args = {
                        .flags = CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                };

                snprintf(s->name, sizeof(s->name), "fe-%d-%u", (int) getpid(), i);
                if (mkdirat(cgroot_fd, s->name, 0755) < 0) {
                        fprintf(stderr, "forkexec-loop: mkdir %s/%s: %m\n", arg_cgroup, s->name);
                        exit(1);
                }
                s->cgfd = openat(cgroot_fd, s->name, O_DIRECTORY | O_CLOEXEC);
                if (s->cgfd < 0) {
                        fprintf(stderr, "forkexec-loop: open %s/%s: %m\n", arg_cgroup, s->name);
                        exit(1);
                }
                args.cgroup = (uint64_t) s->cgfd;
                /* No CLONE_VM: behaves like fork(), so the child may run ordinary code until exec. */
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
        } else
                pid = fork();

        if (pid < 0) {
                fprintf(stderr, "forkexec-loop: fork: %m\n");
                exit(1);
        }
        if (pid == 0) {
                execv(cmd[0], cmd);
                _exit(127);
        }
        s->pid = pid;
        return pid;
}

static void finish(Slot *s, int status) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                n_failed++;
        if (s->cgfd >= 0) {
                close(s->cgfd);
                /* Right after waitpid: the kernel has already taken the child out of the cgroup. */
                if (unlinkat(cgroot_fd, s->name, AT_REMOVEDIR) < 0) {
                        if (errno == EBUSY) {
                                n_busy++;
                                while (unlinkat(cgroot_fd, s->name, AT_REMOVEDIR) < 0 && errno == EBUSY)
                                        usleep(100);
                        } else
                                fprintf(stderr, "forkexec-loop: rmdir %s/%s: %m\n", arg_cgroup, s->name);
                }
        }
        s->pid = 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",   no_argument,       NULL, 'h' },
                { "count",  required_argument, NULL, 'n' },
                { "jobs",   required_argument, NULL, 'j' },
                { "cgroup", required_argument, NULL, 'c' },
                { "label",  required_argument, NULL, 'l' },
                {}
        };
        static char *default_cmd[] = { (char *) "/bin/true", NULL };
        char **cmd = default_cmd;
        const char *label = NULL;
        unsigned n = 2000, jobs = 1, started = 0, done = 0;
        struct rusage self, kids;
        double t0, t1, rate, cpu_us, self_us;
        Slot *slots;
        int c;

        while ((c = getopt_long(argc, argv, "hn:j:c:l:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("forkexec-loop [-n N] [-j J] [--cgroup=DIR] [--label=TEXT] "
                               "[--] [COMMAND ARG...]\n");
                        return 0;
                case 'n':
                        n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'j':
                        jobs = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'c':
                        arg_cgroup = optarg;
                        break;
                case 'l':
                        label = optarg;
                        break;
                default:
                        return 2;
                }
        if (optind < argc)
                cmd = argv + optind;
        if (n == 0 || jobs == 0)
                return 2;
        if (!label)
                label = arg_cgroup ? "clone3-cgroup-loop" : "fork-exec-loop";

        if (arg_cgroup) {
                cgroot_fd = open(arg_cgroup, O_DIRECTORY | O_CLOEXEC);
                if (cgroot_fd < 0) {
                        fprintf(stderr, "forkexec-loop: open %s: %m\n", arg_cgroup);
                        return 1;
                }
        }
        slots = calloc(jobs, sizeof(Slot));
        if (!slots)
                return 1;

        t0 = now_ns();
        while (done < n) {
                int status;
                pid_t pid;

                for (unsigned k = 0; k < jobs && started < n; k++)
                        if (slots[k].pid == 0)
                                start(cmd, started++, &slots[k]);

                pid = waitpid(-1, &status, 0);
                if (pid < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "forkexec-loop: waitpid: %m\n");
                        return 1;
                }
                for (unsigned k = 0; k < jobs; k++)
                        if (slots[k].pid == pid) {
                                finish(&slots[k], status);
                                done++;
                                break;
                        }
        }
        t1 = now_ns();

        /* CPU of the loop itself and of every child it waited for. */
        (void) getrusage(RUSAGE_SELF, &self);
        (void) getrusage(RUSAGE_CHILDREN, &kids);
        self_us = tv_us(&self.ru_utime) + tv_us(&self.ru_stime);
        cpu_us = self_us + tv_us(&kids.ru_utime) + tv_us(&kids.ru_stime);

        rate = n / ((t1 - t0) / 1e9);
        /* The loop's own CPU (fork/clone3, mkdir, rmdir, waitpid: what a daemon would do) beside the
         * children's: the floor of a runner's cost per job. */
        printf("%s: %u x %s, %u at a time%s: %.1f ms, %.1f jobs/s, CPU %.0f us/job, the loop itself %.0f "
               "(failed %u, rmdir busy %u)\n",
               label, n, cmd[0], jobs, arg_cgroup ? ", each in a fresh cgroup" : "", (t1 - t0) / 1e6, rate,
               cpu_us / n, self_us / n, n_failed, n_busy);
        printf("RESULT label=%s jobs=%u failed=%u wall_ms=%.1f jobs_per_s=%.1f cpu_us_per_job=%.0f "
               "self_us_per_job=%.0f\n", label, n, n_failed, (t1 - t0) / 1e6, rate, cpu_us / n, self_us / n);
        free(slots);
        return n_failed > 0 ? 3 : 0;
}
