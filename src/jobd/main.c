/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "bus-jobd.h"
#include "bus-polkit.h"
#include "fd-util.h"
#include "log.h"
#include "manager.h"
#include "parse-util.h"

static void help(void) {
        printf("%s [OPTIONS...]\n\n"
               "Job-scheduling daemon: runs every job in a cgroup of its own and offers scheduling,\n"
               "status and kill over D-Bus (org.jobd1). See jobd(8).\n\n"
               "  -h --help                Show this help\n"
               "     --version             Show the version\n"
               "     --user                Serve the session bus (default)\n"
               "     --system              Serve the system bus; jobs run as their submitter\n"
               "     --bus-address=ADDR    Connect to this bus instead (a private instance)\n"
               "     --backend=NAME        auto, systemd or cgroupfs (default: auto: systemd if a\n"
               "                           manager answers, else cgroupfs); slurm: jobs go to the\n"
               "                           cluster of jobd.conf's [Slurm] unless Backend is local\n"
               "     --cgroup-root=PATH    Delegated cgroup v2 directory for the job cgroups\n"
               "                           (default: the daemon's own cgroup)\n"
               "     --state-dir=DIR       Logs and exit status of jobs (default: $XDG_STATE_HOME/jobd,\n"
               "                           /var/lib/jobd with --system)\n"
               "     --max-parallel=N      Jobs running at once, 0 for no limit (default: CPUs)\n"
               "     --kill-grace=TIME     From SIGTERM to SIGKILL on cancel (default: 5s)\n"
               "     --keep-finished=N     Finished jobs kept for inspection (default: %u)\n"
               "     --config=FILE         Pools and group limits, see jobd.conf(5) (default:\n"
               "                           " SYSCONFDIR "/jobd/jobd.conf with --system, else\n"
               "                           $XDG_CONFIG_HOME/jobd/jobd.conf, if it exists)\n"
               "     --log-level=LEVEL     err, warning, notice, info or debug\n",
               program_invocation_short_name, MANAGER_KEEP_FINISHED_DEFAULT);
}

static int parse_log_level(const char *s) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        return -EINVAL;
}

static char *default_exec_path(void) {
        char self[PATH_MAX], *slash, *p = NULL;
        ssize_t n;

        if (getenv("JOBD_EXEC_PATH"))
                return strdup(getenv("JOBD_EXEC_PATH"));
        /* Run from a build tree: the helper is built beside jobd. */
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = 0;
                slash = strrchr(self, '/');
                if (slash && asprintf(&p, "%.*s/jobd-exec", (int) (slash - self), self) >= 0) {
                        if (access(p, X_OK) >= 0)
                                return p;
                        free(p);
                }
        }
        return strdup(JOBD_EXEC_PATH);
}

static char *default_state_dir(bool system_mode) {
        const char *e;
        char *p = NULL;

        e = getenv("STATE_DIRECTORY");
        if (e && !strchr(e, ':'))
                return strdup(e);
        if (system_mode)
                return strdup("/var/lib/jobd");
        e = getenv("XDG_STATE_HOME");
        if (e && e[0] == '/') {
                if (asprintf(&p, "%s/jobd", e) < 0)
                        return NULL;
                return p;
        }
        e = getenv("HOME");
        if (asprintf(&p, "%s/.local/state/jobd", e ?: "/") < 0)
                return NULL;
        return p;
}

/* A disposition we inherited as ignored (a non-interactive shell's background job ignores SIGINT and
 * SIGQUIT, nohup SIGHUP) goes back to the default, so that every exec helper we start inherits no ignored
 * signal but SIGPIPE's, set below: jobd-exec resets only that one (and 32 and 33, which the C library
 * keeps sigaction() from touching here) before the command runs, not all 64 on every job
 * (src/exec/jobd-exec.c). Handlers are left alone (exec resets them; the sanitizers install some). */
static void reset_ignored_signals(void) {
        for (int sig = 1; sig < _NSIG; sig++) {
                struct sigaction sa;

                if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0 ||
                    sa.sa_handler != SIG_IGN)
                        continue;
                sa = (struct sigaction) { .sa_handler = SIG_DFL };
                (void) sigaction(sig, &sa, NULL);
        }
}

int main(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100, ARG_USER, ARG_SYSTEM, ARG_BUS_ADDRESS, ARG_BACKEND, ARG_CGROUP_ROOT,
                ARG_STATE_DIR, ARG_MAX_PARALLEL, ARG_KILL_GRACE, ARG_KEEP_FINISHED, ARG_LOG_LEVEL,
                ARG_CONFIG,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "user", no_argument, NULL, ARG_USER },
                { "system", no_argument, NULL, ARG_SYSTEM },
                { "bus-address", required_argument, NULL, ARG_BUS_ADDRESS },
                { "backend", required_argument, NULL, ARG_BACKEND },
                { "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "max-parallel", required_argument, NULL, ARG_MAX_PARALLEL },
                { "kill-grace", required_argument, NULL, ARG_KILL_GRACE },
                { "keep-finished", required_argument, NULL, ARG_KEEP_FINISHED },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "config", required_argument, NULL, ARG_CONFIG },
                {}
        };
        ManagerConfig c = {
                .backend = "auto",
                .kill_grace = 5 * USEC_PER_SEC,
                .keep_finished = MANAGER_KEEP_FINISHED_DEFAULT,
        };
        _cleanup_free_ char *state_dir = NULL, *exec_path = NULL, *config_path = NULL;
        Manager *m = NULL;
        struct rlimit rl;
        sigset_t mask;
        long ncpu;
        int opt, r;

        /* Whatever we inherited beyond stdio (an fd of the shell or service manager that started us, say an
         * open /etc/shadow) would reach every job: nothing of ours is open yet, so close it all. */
        r = close_all_fds(3);
        log_setup("jobd");
        if (r < 0)
                log_warning_errno(r, "Cannot close inherited file descriptors, ignoring: %m");
        ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        c.max_parallel = ncpu > 0 ? (unsigned) ncpu : 1;

        while ((opt = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                case ARG_VERSION:
                        printf("jobd %s\n", PACKAGE_VERSION);
                        return EXIT_SUCCESS;
                case ARG_USER:
                        c.system_mode = false;
                        break;
                case ARG_SYSTEM:
                        c.system_mode = true;
                        break;
                case ARG_BUS_ADDRESS:
                        c.bus_address = optarg;
                        break;
                case ARG_BACKEND:
                        if (!streq(optarg, "auto") && !streq(optarg, "systemd") && !streq(optarg, "cgroupfs") &&
                            !streq(optarg, "slurm")) {
                                log_error("--backend=%s: unknown backend (known: auto, systemd, cgroupfs, slurm).",
                                          optarg);
                                return EXIT_FAILURE;
                        }
                        c.backend = optarg;
                        break;
                case ARG_CGROUP_ROOT:
                        if (optarg[0] != '/') {
                                log_error("--cgroup-root=%s: must be an absolute path.", optarg);
                                return EXIT_FAILURE;
                        }
                        c.cgroup_root = optarg;
                        break;
                case ARG_STATE_DIR:
                        if (optarg[0] != '/') {
                                log_error("--state-dir=%s: must be an absolute path.", optarg);
                                return EXIT_FAILURE;
                        }
                        c.state_dir = optarg;
                        break;
                case ARG_MAX_PARALLEL:
                        if (safe_atou(optarg, &c.max_parallel) < 0) {
                                log_error("--max-parallel=%s: not a number.", optarg);
                                return EXIT_FAILURE;
                        }
                        c.max_parallel_set = true;
                        break;
                case ARG_KILL_GRACE:
                        if (parse_sec(optarg, &c.kill_grace) < 0) {
                                log_error("--kill-grace=%s: not a time span (e.g. 500ms, 5s, 1min).", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case ARG_KEEP_FINISHED:
                        if (safe_atou(optarg, &c.keep_finished) < 0) {
                                log_error("--keep-finished=%s: not a number.", optarg);
                                return EXIT_FAILURE;
                        }
                        break;
                case ARG_CONFIG:
                        c.config_path = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        r = parse_log_level(optarg);
                        if (r < 0) {
                                log_error("--log-level=%s: unknown level.", optarg);
                                return EXIT_FAILURE;
                        }
                        log_set_max_level(r);
                        break;
                default:
                        return EXIT_FAILURE;
                }
        if (optind < argc) {
                log_error("Unexpected argument: %s", argv[optind]);
                return EXIT_FAILURE;
        }

        if (!c.state_dir) {
                state_dir = default_state_dir(c.system_mode);
                if (!state_dir)
                        return log_oom(), EXIT_FAILURE;
                c.state_dir = state_dir;
        }
        /* A job without a WorkingDirectory starts in the daemon's folder: in system mode that must not be
         * wherever root started jobd from (a user's job could read below root's 0700 home). Work from "/"
         * as systemd's services do; a relative --config= is resolved first. */
        if (c.system_mode) {
                if (c.config_path && c.config_path[0] != '/') {
                        config_path = realpath(c.config_path, NULL);
                        if (!config_path)
                                return log_error_errno(-errno, "--config=%s: %m", c.config_path), EXIT_FAILURE;
                        c.config_path = config_path;
                }
                if (chdir("/") < 0)
                        return log_error_errno(-errno, "Cannot change to /: %m"), EXIT_FAILURE;
        }
        exec_path = default_exec_path();
        if (!exec_path)
                return log_oom(), EXIT_FAILURE;
        c.exec_path = exec_path;

        /* Every queued job may hold client fds and every running one a few: take all we may. */
        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }

        /* Signals arrive through sd-event; children get an empty mask from spawn(). */
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        reset_ignored_signals();
        signal(SIGPIPE, SIG_IGN);

        r = manager_new(&c, &m);
        if (r < 0)
                return EXIT_FAILURE;
        r = bus_setup(m, c.bus_address);
        if (r >= 0) {
                r = manager_run(m);
                if (r < 0)
                        log_error_errno(r, "Event loop failed: %m");
        }
        (void) sd_notify(false, "STOPPING=1");
        bus_polkit_free(m);   /* the questions still out hold the bus */
        manager_free(m);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
