/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* scope-ceiling: what a systemd manager allows at most for jobd's systemd backend. A bare sd-bus client on
 * the manager's private socket does per job exactly the systemd part of what jobd does, and nothing else
 * (no daemon, no exec helper, no state, no D-Bus service of its own): fork a child held on a pipe,
 * StartTransientUnit of a scope with that PID (the same properties as jobd: Description, Slice,
 * CollectMode=inactive-or-failed, no pids accounting, no memory accounting on hybrid hosts), wait for the
 * JobRemoved of the start job, release the child, which execs the command, and wait for its end. P jobs in
 * flight. Prints jobs/s and the client's own CPU per job; never passes or fails on time.
 *
 *   scope-ceiling [--address=ADDR] [-n N] [--parallel=P] [--slice=SLICE] [--accounting] [--] COMMAND...
 *
 * ADDR defaults to unix:path=$XDG_RUNTIME_DIR/systemd/private (the user manager); --accounting leaves
 * the manager's default accounting on. The last line is machine-readable: "RESULT jobs_per_s=...". */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

#define SD_DESTINATION "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

typedef struct Ceiling Ceiling;

typedef struct Slot {
        Ceiling *c;
        unsigned index;
        pid_t pid;
        int release_fd;               /* write end of the child's hold pipe */
        char unit[64];
        char *start_job;
        char *removed_result;         /* a JobRemoved that came before the reply */
        bool place_failed;
        sd_event_source *child;
} Slot;

struct Ceiling {
        sd_event *event;
        sd_bus *bus;
        char **argv;
        const char *slice;
        bool accounting, memory_v2;
        unsigned n, parallel, started, done, failed;
        Slot *slots;
        char *first_error;
};

static void fail(Ceiling *c, const char *why) {
        c->failed++;
        if (!c->first_error)
                c->first_error = strdup(why);
}

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int start_next(Ceiling *c, Slot *s);

/* A slot ends when its child has ended: released, it ran the command; not, it exited at EOF of the pipe. */
static int on_child(sd_event_source *src, const siginfo_t *si, void *userdata) {
        Slot *s = userdata;
        Ceiling *c = s->c;

        s->child = sd_event_source_disable_unref(s->child);
        if (!s->place_failed && !(si->si_code == CLD_EXITED && si->si_status == 0))
                fail(c, "the command did not succeed");
        if (s->release_fd >= 0)
                close(s->release_fd);
        s->release_fd = -1;
        free(s->start_job);
        s->start_job = NULL;
        if (++c->done == c->n)
                return sd_event_exit(c->event, 0);
        if (c->started < c->n && start_next(c, s) < 0)
                return sd_event_exit(c->event, 1);
        return 0;
}

static void place_failed(Slot *s, const char *why) {
        fail(s->c, why);
        s->place_failed = true;
        close(s->release_fd);   /* the held child exits at EOF */
        s->release_fd = -1;
}

static void release(Slot *s) {
        if (write(s->release_fd, "1", 1) != 1)
                place_failed(s, "cannot release the child");
        close(s->release_fd);
        s->release_fd = -1;
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Ceiling *c = userdata;
        const char *path, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        for (unsigned i = 0; i < c->parallel; i++) {
                Slot *s = &c->slots[i];

                if (s->release_fd < 0 || strcmp(s->unit, unit) != 0)
                        continue;
                if (!s->start_job) {
                        /* Before the reply: kept. */
                        free(s->removed_result);
                        s->removed_result = strdup(result);
                } else if (strcmp(s->start_job, path) == 0) {
                        if (strcmp(result, "done") == 0)
                                release(s);
                        else
                                place_failed(s, result);
                }
                return 0;
        }
        return 0;
}

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Slot *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *path;

        if (e || sd_bus_message_read(m, "o", &path) < 0) {
                place_failed(s, e ? e->message ?: e->name : "bad reply to StartTransientUnit");
                return 0;
        }
        s->start_job = strdup(path);
        if (s->removed_result) {
                if (strcmp(s->removed_result, "done") == 0)
                        release(s);
                else
                        place_failed(s, s->removed_result);
        }
        return 0;
}

static int start_next(Ceiling *c, Slot *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int p[2], r;
        pid_t pid;

        s->index = c->started++;
        s->place_failed = false;
        free(s->removed_result);
        s->removed_result = NULL;
        snprintf(s->unit, sizeof(s->unit), "ceiling-%d-%u.scope", (int) getpid(), s->index);
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char b;

                close(p[1]);
                if (read(p[0], &b, 1) != 1)
                        _exit(1);
                execvp(c->argv[0], c->argv);
                _exit(127);
        }
        close(p[0]);
        s->pid = pid;
        s->release_fd = p[1];
        r = sd_event_add_child(c->event, &s->child, pid, WEXITED, on_child, s);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(c->bus, &m, SD_DESTINATION, SD_PATH, SD_MANAGER, "StartTransientUnit");
        if (r >= 0)
                r = sd_bus_message_append(m, "ss", s->unit, "fail");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)", "Description", "s", "scope-ceiling", "Slice", "s",
                                          c->slice, "CollectMode", "s", "inactive-or-failed", "PIDs", "au", 1,
                                          (uint32_t) pid);
        if (r >= 0 && !c->accounting)
                r = sd_bus_message_append(m, "(sv)(sv)", "TasksAccounting", "b", 0, "TasksMax", "t", UINT64_MAX);
        if (r >= 0 && !c->accounting && !c->memory_v2)
                r = sd_bus_message_append(m, "(sv)", "MemoryAccounting", "b", 0);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r >= 0)
                r = sd_bus_call_async(c->bus, NULL, m, on_start_reply, s, 0);
        return r;
}

/* Is memory a controller of the cgroup v2 root (pure v2), where accounting stays on as in jobd? */
static bool memory_in_v2(void) {
        char line[4096], mnt[4096], path[4200], buf[512];
        bool found = false;
        FILE *f;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f)) {
                const char *sep = strstr(line, " - cgroup2 ");
                if (sep && sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1)
                        found = true;
        }
        fclose(f);
        if (!found)
                return false;
        snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
        f = fopen(path, "re");
        if (!f)
                return false;
        found = fgets(buf, sizeof(buf), f) && strstr(buf, "memory");
        fclose(f);
        return found;
}

static double cpu_s(void) {
        struct rusage ru;

        getrusage(RUSAGE_SELF, &ru);
        return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "address",    required_argument, NULL, 'a' },
                { "parallel",   required_argument, NULL, 'p' },
                { "slice",      required_argument, NULL, 's' },
                { "accounting", no_argument,       NULL, 'A' },
                {}
        };
        Ceiling c = { .n = 2000, .parallel = 16, .slice = "app-ceiling.slice" };
        char *address = NULL, *own_address = NULL;
        double t0, t1, c0, c1;
        sigset_t ss;
        int opt, r;

        while ((opt = getopt_long(argc, argv, "+n:", options, NULL)) >= 0)
                switch (opt) {
                case 'a': address = optarg; break;
                case 'n': c.n = strtoul(optarg, NULL, 10); break;
                case 'p': c.parallel = strtoul(optarg, NULL, 10); break;
                case 's': c.slice = optarg; break;
                case 'A': c.accounting = true; break;
                default: return 2;
                }
        if (optind >= argc || c.n == 0 || c.parallel == 0) {
                fprintf(stderr, "usage: scope-ceiling [--address=ADDR] [-n N] [--parallel=P] [--slice=SLICE] "
                                "[--accounting] [--] COMMAND...\n");
                return 2;
        }
        c.argv = argv + optind;
        c.memory_v2 = memory_in_v2();
        if (c.parallel > c.n)
                c.parallel = c.n;
        if (!address) {
                const char *rt = getenv("XDG_RUNTIME_DIR");
                if (!rt || asprintf(&own_address, "unix:path=%s/systemd/private", rt) < 0) {
                        fprintf(stderr, "scope-ceiling: no --address and no $XDG_RUNTIME_DIR\n");
                        return 1;
                }
                address = own_address;
        }

        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        r = sd_event_default(&c.event);
        if (r >= 0)
                r = sd_bus_new(&c.bus);
        if (r >= 0)
                r = sd_bus_set_address(c.bus, address);
        if (r >= 0)
                r = sd_bus_start(c.bus);
        /* A private socket sends every signal; no Subscribe() there, as in jobd. */
        if (r >= 0)
                r = sd_bus_match_signal(c.bus, NULL, NULL, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &c);
        if (r >= 0)
                r = sd_bus_attach_event(c.bus, c.event, 0);
        if (r < 0) {
                fprintf(stderr, "scope-ceiling: cannot connect to %s: %s\n", address, strerror(-r));
                return 1;
        }
        c.slots = calloc(c.parallel, sizeof(Slot));
        if (!c.slots)
                return 1;

        t0 = now_s();
        c0 = cpu_s();
        for (unsigned i = 0; i < c.parallel; i++) {
                c.slots[i] = (Slot) { .c = &c, .release_fd = -1 };
                r = start_next(&c, &c.slots[i]);
                if (r < 0) {
                        fprintf(stderr, "scope-ceiling: cannot start: %s\n", strerror(-r));
                        return 1;
                }
        }
        r = sd_event_loop(c.event);
        t1 = now_s();
        c1 = cpu_s();

        printf("scope-ceiling: %u scopes (%s), %u in flight, over %s\n", c.n, c.argv[0], c.parallel, address);
        printf("  all done after           %8.1f ms\n", (t1 - t0) * 1e3);
        printf("  failed                   %8u%s%s\n", c.failed, c.first_error ? "  first: " : "",
               c.first_error ?: "");
        printf("  throughput               %8.1f jobs/s\n", c.n / (t1 - t0));
        printf("  client CPU               %8.0f us/job\n", (c1 - c0) * 1e6 / c.n);
        printf("RESULT label=scope-ceiling jobs=%u failed=%u jobs_per_s=%.1f\n", c.n, c.failed, c.n / (t1 - t0));
        sd_bus_flush_close_unref(c.bus);
        sd_event_unref(c.event);
        for (unsigned i = 0; i < c.parallel; i++) {
                free(c.slots[i].start_job);
                free(c.slots[i].removed_result);
        }
        free(c.slots);
        free(c.first_error);
        if (address != own_address)
                address = NULL;
        free(own_address);
        return r == 0 && c.failed == 0 ? 0 : 1;
}
