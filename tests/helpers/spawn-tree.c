/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* spawn-tree: starts N processes shaped like the ones that leak from real jobs (setsid'd, double-forked
 * orphans that ignore SIGTERM), writes their pids to a file once every one of them is set up, then exits or
 * stays. The integration tests use it as the payload of a job: far faster and more precise than a shell
 * loop for 1000 processes, and the pid file appears only when the whole tree is in place.
 *
 * Every process reports (pid, start time) over one shared pipe after it has set up its signal
 * dispositions, so a pid in the file is a process that really ignores SIGTERM by then. The start time
 * (field 22 of /proc/PID/stat) lets the tests tell a killed process from an unrelated one that reused the
 * pid. */

#define _GNU_SOURCE 1

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct Report {
        int32_t pid;
        int32_t ok;
        uint64_t starttime;
} Report;

static unsigned arg_count = 1;
static unsigned arg_fanout = 0;         /* 0: all processes are direct children of the spawner */
static const char *arg_pid_file = NULL;
static bool arg_setsid = false;
static bool arg_double_fork = false;
static bool arg_ignore_term = false;
static bool arg_ignore_term_self = false;
static bool arg_stay = false;
static bool arg_keep_stdio = false;
static bool arg_starttime = false;
static unsigned arg_lifetime = 0;       /* seconds; 0: forever */
static int arg_exit = 0;

static int report_fd = -1;

static void help(void) {
        printf("spawn-tree [OPTIONS]\n\n"
               "Start processes and write their pids, one per line, once all of them are set up.\n\n"
               "  -n --count=N           number of processes to start (default 1)\n"
               "  -p --pid-file=FILE     write the pids to FILE (atomically, via FILE.tmp + rename)\n"
               "  -S --starttime         write \"PID STARTTIME\" per line (field 22 of /proc/PID/stat)\n"
               "  -s --setsid            each process calls setsid()\n"
               "  -d --double-fork       each process is orphaned: its parent (a short-lived\n"
               "                         intermediate child) exits at once\n"
               "  -f --fanout=K          build a tree: each process starts up to K of the rest\n"
               "                         (default: all are started by the spawner itself)\n"
               "  -i --ignore-term       the processes ignore SIGTERM, SIGINT and SIGHUP\n"
               "  -I --ignore-term-self  the spawner ignores them too\n"
               "  -t --lifetime=SEC      the processes exit 0 after SEC seconds (default: never)\n"
               "  -w --stay              the spawner stays after writing the pids (default: exits)\n"
               "  -x --exit=CODE         the spawner's exit code when it does not stay (default 0)\n"
               "  -k --keep-stdio        keep stdio (default: the processes use /dev/null)\n");
}

static int parse_uint(const char *s, unsigned max, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",             no_argument,       NULL, 'h' },
                { "count",            required_argument, NULL, 'n' },
                { "pid-file",         required_argument, NULL, 'p' },
                { "starttime",        no_argument,       NULL, 'S' },
                { "setsid",           no_argument,       NULL, 's' },
                { "double-fork",      no_argument,       NULL, 'd' },
                { "fanout",           required_argument, NULL, 'f' },
                { "ignore-term",      no_argument,       NULL, 'i' },
                { "ignore-term-self", no_argument,       NULL, 'I' },
                { "lifetime",         required_argument, NULL, 't' },
                { "stay",             no_argument,       NULL, 'w' },
                { "exit",             required_argument, NULL, 'x' },
                { "keep-stdio",       no_argument,       NULL, 'k' },
                {}
        };
        unsigned u;
        int c;

        while ((c = getopt_long(argc, argv, "hn:p:Ssdf:iIt:wx:k", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        exit(EXIT_SUCCESS);
                case 'n':
                        if (parse_uint(optarg, 100000, &arg_count) < 0 || arg_count == 0) {
                                fprintf(stderr, "spawn-tree: bad --count: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'p':
                        arg_pid_file = optarg;
                        break;
                case 'S':
                        arg_starttime = true;
                        break;
                case 's':
                        arg_setsid = true;
                        break;
                case 'd':
                        arg_double_fork = true;
                        break;
                case 'f':
                        if (parse_uint(optarg, 100000, &arg_fanout) < 0) {
                                fprintf(stderr, "spawn-tree: bad --fanout: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'i':
                        arg_ignore_term = true;
                        break;
                case 'I':
                        arg_ignore_term_self = true;
                        break;
                case 't':
                        if (parse_uint(optarg, UINT_MAX, &arg_lifetime) < 0) {
                                fprintf(stderr, "spawn-tree: bad --lifetime: %s\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        arg_stay = true;
                        break;
                case 'x':
                        if (parse_uint(optarg, 255, &u) < 0) {
                                fprintf(stderr, "spawn-tree: bad --exit: %s\n", optarg);
                                return -EINVAL;
                        }
                        arg_exit = (int) u;
                        break;
                case 'k':
                        arg_keep_stdio = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (optind < argc) {
                fprintf(stderr, "spawn-tree: unexpected argument: %s\n", argv[optind]);
                return -EINVAL;
        }
        return 0;
}

static void ignore_term(void) {
        struct sigaction sa = { .sa_handler = SIG_IGN };

        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
}

static uint64_t self_starttime(void) {
        char buf[1024], *p;
        ssize_t n;
        uint64_t v = 0;
        int fd;

        fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';

        /* The comm field may hold spaces and parentheses: count fields from the last ')'. After it come
         * field 3 (state) ... field 22 (starttime). */
        p = strrchr(buf, ')');
        if (!p)
                return 0;
        p++;
        for (int field = 3; field <= 22; field++) {
                while (*p == ' ')
                        p++;
                if (field == 22) {
                        v = strtoull(p, NULL, 10);
                        break;
                }
                while (*p && *p != ' ')
                        p++;
        }
        return v;
}

static void send_report(bool ok) {
        Report r = {
                .pid = (int32_t) getpid(),
                .ok = ok,
                .starttime = ok ? self_starttime() : 0,
        };

        /* Smaller than PIPE_BUF: atomic even with many writers. */
        (void) write(report_fd, &r, sizeof(r));
}

static void spawn(unsigned budget);

/* Body of every started process: set up, report, start its own share of the tree, then live. */
_Noreturn static void node(unsigned budget) {
        if (arg_ignore_term)
                ignore_term();
        else {
                struct sigaction sa = { .sa_handler = SIG_DFL };
                (void) sigaction(SIGTERM, &sa, NULL);
        }

        if (arg_setsid && setsid() < 0) {
                send_report(false);
                _exit(EXIT_FAILURE);
        }

        if (!arg_keep_stdio) {
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd >= 0) {
                        (void) dup2(fd, STDIN_FILENO);
                        (void) dup2(fd, STDOUT_FILENO);
                        (void) dup2(fd, STDERR_FILENO);
                        if (fd > STDERR_FILENO)
                                close(fd);
                }
        }

        send_report(true);
        spawn(budget);
        close(report_fd);

        if (arg_lifetime == 0)
                for (;;)
                        pause();

        for (unsigned left = arg_lifetime; left > 0;)
                left = sleep(left);
        _exit(EXIT_SUCCESS);
}

/* Starts one process that will itself start 'budget' descendants. Returns false if fork failed. */
static bool start_one(unsigned budget) {
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return false;
        if (pid == 0) {
                if (arg_double_fork) {
                        pid_t gc = fork();
                        if (gc < 0) {
                                send_report(false);
                                _exit(EXIT_FAILURE);
                        }
                        if (gc > 0)
                                _exit(EXIT_SUCCESS);
                }
                node(budget);
        }

        if (arg_double_fork) {
                /* Reap the intermediate child so that the grandchild is a real orphan at once. */
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        return true;
}

/* Starts 'budget' processes below the caller: either all as direct children, or a tree with arg_fanout
 * children per process, the rest split as evenly as possible among them. */
static void spawn(unsigned budget) {
        unsigned k, rest;

        if (budget == 0)
                return;

        k = arg_fanout == 0 ? budget : (budget < arg_fanout ? budget : arg_fanout);
        rest = budget - k;

        for (unsigned i = 0; i < k; i++) {
                unsigned share = rest / k + (i < rest % k ? 1 : 0);

                if (!start_one(share)) {
                        /* Account for the whole share as failed, so the spawner never waits forever. */
                        for (unsigned j = 0; j <= share; j++) {
                                Report r = { .pid = -errno, .ok = 0 };
                                (void) write(report_fd, &r, sizeof(r));
                        }
                }
        }
}

static int write_pid_file(const Report *reports, unsigned n) {
        char tmp[PATH_MAX];
        FILE *f;

        if (snprintf(tmp, sizeof(tmp), "%s.tmp", arg_pid_file) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;

        f = fopen(tmp, "we");
        if (!f)
                return -errno;
        for (unsigned i = 0; i < n; i++) {
                if (arg_starttime)
                        fprintf(f, "%" PRIi32 " %" PRIu64 "\n", reports[i].pid, reports[i].starttime);
                else
                        fprintf(f, "%" PRIi32 "\n", reports[i].pid);
        }
        if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0) {
                int r = -errno;
                fclose(f);
                unlink(tmp);
                return r ?: -EIO;
        }
        fclose(f);

        if (rename(tmp, arg_pid_file) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}

int main(int argc, char *argv[]) {
        Report *reports;
        unsigned got = 0, failed = 0;
        int pipefd[2], r;

        if (parse_argv(argc, argv) < 0) {
                help();
                return 2;
        }

        if (arg_ignore_term_self)
                ignore_term();

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                fprintf(stderr, "spawn-tree: pipe2: %s\n", strerror(errno));
                return EXIT_FAILURE;
        }
        report_fd = pipefd[1];

        /* Children must not die of SIGPIPE if the spawner is gone; they would only lose their report. */
        signal(SIGPIPE, SIG_IGN);

        spawn(arg_count);
        close(pipefd[1]);

        reports = calloc(arg_count, sizeof(Report));
        if (!reports)
                return EXIT_FAILURE;

        /* Read until every process reported, or until all writers are gone (EOF). */
        while (got + failed < arg_count) {
                Report rep;
                ssize_t n = read(pipefd[0], &rep, sizeof(rep));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (n != sizeof(rep)) {
                        fprintf(stderr, "spawn-tree: short report\n");
                        break;
                }
                if (rep.ok)
                        reports[got++] = rep;
                else
                        failed++;
        }
        close(pipefd[0]);

        if (got < arg_count) {
                fprintf(stderr, "spawn-tree: only %u of %u processes started (%u failed)\n",
                        got, arg_count, failed);
                if (arg_pid_file)
                        (void) write_pid_file(reports, got);
                return EXIT_FAILURE;
        }

        if (arg_pid_file) {
                r = write_pid_file(reports, got);
                if (r < 0) {
                        fprintf(stderr, "spawn-tree: writing %s: %s\n", arg_pid_file, strerror(-r));
                        return EXIT_FAILURE;
                }
        }
        free(reports);

        if (arg_stay) {
                /* Reap direct children that exit (with --lifetime) so no zombies pile up under us. */
                signal(SIGCHLD, SIG_IGN);
                for (;;)
                        pause();
        }

        return arg_exit;
}
