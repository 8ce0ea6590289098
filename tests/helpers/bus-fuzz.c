/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A D-Bus fuzzer for jobd (tests/integration/bus-fuzz.sh): random method calls against the live daemon,
 * from a seed so that a failure can be replayed.
 *
 *   bus-fuzz ADDRESS SEED CALLS CLIENTS
 *
 * CALLS calls, each waited for (10 s), to jobd's objects and to random ones: known and random members,
 * the right signature with random values or a random signature, a{sv} with known and random keys and
 * random variant types, empty, huge (up to 2 MiB strings, 100k-element arrays) and deeply nested values,
 * random object paths. Then CLIENTS connections at once, each sending calls and closing its connection
 * before any reply (disconnecting mid-call), for several rounds. Prints what it did; exits 1 if a call
 * got no reply at all (a reply the daemon could not send) or the daemon left the bus.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

static uint64_t rng_state;
/* Elements and bytes one message may still get: a huge array inside a huge array would never end. */
static long budget;

static uint64_t rnd(void) {
        /* xorshift64*: deterministic from the seed. */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * UINT64_C(2685821657736338717);
}

static unsigned pick(unsigned n) {
        return (unsigned) (rnd() % n);
}

#define PICK(a) ((a)[pick(sizeof(a) / sizeof((a)[0]))])

static const char *const interfaces[] = {
        "org.jobd1.Manager", "org.jobd1.Job", "org.jobd1.Run", "org.freedesktop.DBus.Properties",
        "org.freedesktop.DBus.Introspectable", "org.freedesktop.DBus.ObjectManager",
        "org.freedesktop.DBus.Peer", "org.jobd1.Nope",
};

static const char *const members[] = {
        "Submit", "ListJobs", "GetJob", "KillJob", "CancelJob", "SetMaxParallel", "SubmitPlan", "ListRuns",
        "GetRun", "SetGroupLimit", "PauseGroup", "ResumeGroup", "ListGroups", "SetPool", "SetSlotPool",
        "ReleaseSlot", "ListPools", "Drain", "Resume", "Kill", "Cancel", "Pause", "OpenLog", "Retry", "Get",
        "GetAll", "Set", "Introspect", "GetManagedObjects", "Ping", "GetMachineId", "Nope",
};

static const char *const keys[] = {
        "Argv", "Name", "Priority", "Environment", "WorkingDirectory", "TimeoutUSec", "MemoryMax", "TasksMax",
        "CPUWeight", "Group", "Resources", "After", "AfterCondition", "Retries", "RetryOn", "RetryDelayUSec",
        "SystemCallFilter", "RestrictAddressFamilies", "LogMaxBytes", "StdinFD", "StdoutFD", "StderrFD",
        "Slots", "MaxParallel", "Owner", "", "argv", "Argv\xc3\xa9",
};

static const char *const properties[] = {
        "State", "Result", "Argv", "Environment", "MainPID", "Reason", "MaxParallel", "Version", "Nope",
};

/* Strings: short words jobs can run, names, empty, long, multi-byte near the 64-byte echo limit. */
static char *random_string(void) {
        static const char *const words[] = {
                "true", "false", "/bin/true", "sh", "-c", "exit 3", "build", "a=b", "success", "failed",
                "any", "timeout", "~@mount", "AF_UNIX", "lic", "board", "", "/", "/tmp", "\xc3\xa9",
        };
        unsigned k = pick(100);
        size_t n;
        char *s;

        if (k < 60 || budget < 0)
                return strdup(PICK(words));
        if (k < 97)
                n = pick(80);
        else if (k < 99)
                n = 4096 + pick(65536);
        else
                n = 1024 * 1024 + pick(1024 * 1024);
        budget -= (long) n / 8;
        s = malloc(n + 1);
        if (!s)
                abort();
        for (size_t i = 0; i < n; i++) {
                unsigned c = pick(70);
                s[i] = c < 62 ? "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[c] :
                                "=-_./ ,@"[c - 62];
        }
        /* A two-byte character across byte 64, where messages used to be cut. */
        if (n > 66 && pick(2) == 0) {
                s[63] = (char) 0xc3;
                s[64] = (char) 0xa9;
        }
        s[n] = 0;
        return s;
}

static char *random_path(void) {
        char *p = NULL;

        switch (pick(8)) {
        case 0: case 1:
                return strdup("/org/jobd1");
        case 2: case 3:
                if (asprintf(&p, "/org/jobd1/job/%u", pick(40)) < 0)
                        abort();
                return p;
        case 4:
                if (asprintf(&p, "/org/jobd1/run/%u", pick(10)) < 0)
                        abort();
                return p;
        case 5:
                if (asprintf(&p, "/org/jobd1/job/%" PRIu64, rnd()) < 0)
                        abort();
                return p;
        case 6:
                return strdup(pick(2) ? "/" : "/org/jobd1/job");
        default:
                if (asprintf(&p, "/org/jobd1/%s/x_%u", pick(2) ? "job" : "nope", pick(1000)) < 0)
                        abort();
                return p;
        }
}

static int append_value(sd_bus_message *m, int depth);

/* A random single complete type, appended with a random value. */
static int append_typed(sd_bus_message *m, const char *type, int depth);

static const char *random_basic_type(void) {
        static const char *const t[] = { "y", "b", "n", "q", "i", "u", "x", "t", "d", "s", "o", "g", "h" };
        return PICK(t);
}

static int append_basic(sd_bus_message *m, char t) {
        union { uint8_t y; int b; int16_t n; uint16_t q; int32_t i; uint32_t u; int64_t x; uint64_t t;
                double d; } v;
        char *s;
        int r, fd;

        switch (t) {
        case 's': case 'o': case 'g':
                if (t == 's')
                        s = random_string();
                else if (t == 'o')
                        s = random_path();
                else
                        s = strdup(PICK(((const char *const[]) { "s", "as", "a{sv}", "", "v", "(ii)" })));
                r = sd_bus_message_append_basic(m, t, s);
                free(s);
                return r;
        case 'h':
                fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                r = sd_bus_message_append_basic(m, 'h', &fd);
                close(fd);
                return r;
        case 'd':
                v.d = (double) (int64_t) rnd() / 7.0;
                return sd_bus_message_append_basic(m, 'd', &v.d);
        case 'b':
                v.b = (int) pick(2);
                return sd_bus_message_append_basic(m, 'b', &v.b);
        default:
                v.t = pick(4) == 0 ? rnd() : pick(4) == 0 ? UINT64_MAX : pick(100);
                return sd_bus_message_append_basic(m, t, &v);
        }
}

static int append_typed(sd_bus_message *m, const char *type, int depth) {
        int r;

        if (type[0] == 'a' && type[1] == '{') {
                /* a{sv} (or a{s<x>}): known and random keys. */
                unsigned n = pick(8);
                r = sd_bus_message_open_container(m, 'a', "{sv}");
                if (r < 0)
                        return r;
                for (unsigned i = 0; i < n; i++) {
                        char *k = pick(4) ? strdup(PICK(keys)) : random_string();

                        r = sd_bus_message_open_container(m, 'e', "sv");
                        if (r >= 0)
                                r = sd_bus_message_append_basic(m, 's', k);
                        free(k);
                        if (r >= 0)
                                r = append_value(m, depth + 1);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        if (r < 0)
                                return r;
                }
                return sd_bus_message_close_container(m);
        }
        if (type[0] == 'a') {
                unsigned n = pick(20) == 0 && budget > 100000 ? 100000 : pick(6);
                r = sd_bus_message_open_container(m, 'a', type + 1);
                for (unsigned i = 0; r >= 0 && i < n && budget-- > 0; i++)
                        r = append_typed(m, type + 1, depth + 1);
                return r < 0 ? r : sd_bus_message_close_container(m);
        }
        if (type[0] == 'v')
                return append_value(m, depth + 1);
        return append_basic(m, type[0]);
}

/* A variant of a random type: basic, as, at, a{su}, a{sv}, nested variants. */
static int append_value(sd_bus_message *m, int depth) {
        static const char *const types[] = { "as", "at", "a{su}", "a{sv}", "v", "ai", "aas" };
        const char *t;
        int r;

        if (depth > 40)
                return -E2BIG;
        t = pick(2) ? random_basic_type() : PICK(types);
        if (pick(30) == 0)
                t = "v";        /* deep nesting */
        r = sd_bus_message_open_container(m, 'v', t);
        if (r < 0)
                return r;
        r = strcmp(t, "a{su}") == 0 ? 0 : append_typed(m, t, depth);
        if (r >= 0 && strcmp(t, "a{su}") == 0) {
                unsigned n = pick(4);
                r = sd_bus_message_open_container(m, 'a', "{su}");
                for (unsigned i = 0; r >= 0 && i < n; i++) {
                        char *k = random_string();
                        uint32_t v = (uint32_t) rnd();
                        r = sd_bus_message_append(m, "{su}", k, v);
                        free(k);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static const char *signature_of(const char *member) {
        static const struct { const char *member, *sig; } table[] = {
                { "Submit", "a{sv}" }, { "SubmitPlan", "aa{sv}a{sv}" }, { "GetJob", "t" },
                { "CancelJob", "t" },
                { "GetRun", "t" }, { "KillJob", "ti" }, { "SetMaxParallel", "u" }, { "SetGroupLimit", "su" },
                { "PauseGroup", "s" }, { "ResumeGroup", "s" }, { "SetPool", "su" }, { "SetSlotPool", "sasu" },
                { "ReleaseSlot", "ss" }, { "Kill", "i" }, { "Retry", "s" }, { "Get", "ss" }, { "GetAll", "s" },
                { "Set", "ssv" },
        };
        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                if (strcmp(table[i].member, member) == 0)
                        return table[i].sig;
        return "";
}

/* Splits a signature into single complete types (enough for the ones above and the random ones). */
static const char *next_type(const char *sig, char *buf, size_t l) {
        size_t n = 0;
        int depth = 0;

        do {
                if (sig[n] == '{' || sig[n] == '(')
                        depth++;
                else if (sig[n] == '}' || sig[n] == ')')
                        depth--;
                n++;
        } while (sig[n - 1] == 'a' || depth > 0);
        if (n >= l)
                abort();
        memcpy(buf, sig, n);
        buf[n] = 0;
        return sig + n;
}

static int build_call(sd_bus *bus, sd_bus_message **ret) {
        sd_bus_message *m = NULL;
        const char *member = PICK(members), *iface = PICK(interfaces), *sig;
        char *path = random_path(), rsig[64], t[64];
        int r;

        /* Mostly the interface that has the member, so that the call reaches a handler. */
        if (pick(4) != 0) {
                if (strcmp(member, "Get") == 0 || strcmp(member, "GetAll") == 0 || strcmp(member, "Set") == 0)
                        iface = "org.freedesktop.DBus.Properties";
                else if (strcmp(member, "Kill") == 0 || strcmp(member, "Pause") == 0 ||
                         strcmp(member, "OpenLog") == 0)
                        iface = "org.jobd1.Job";
                else if (strcmp(member, "Retry") == 0)
                        iface = "org.jobd1.Run";
                else if (strcmp(member, "Introspect") == 0)
                        iface = "org.freedesktop.DBus.Introspectable";
                else if (strcmp(member, "GetManagedObjects") == 0)
                        iface = "org.freedesktop.DBus.ObjectManager";
                else if (strcmp(member, "Ping") == 0 || strcmp(member, "GetMachineId") == 0)
                        iface = "org.freedesktop.DBus.Peer";
                else
                        iface = "org.jobd1.Manager";
        }
        budget = 300000;
        r = sd_bus_message_new_method_call(bus, &m, "org.jobd1", path, pick(10) == 0 ? NULL : iface, member);
        free(path);
        if (r < 0)
                return r;

        sig = signature_of(member);
        if (pick(10) < 3) {
                static const char *const parts[] = {
                        "s", "u", "t", "i", "as", "a{sv}", "v", "b", "ay", "h", "at",
                };
                unsigned n = pick(4);

                rsig[0] = 0;
                for (unsigned i = 0; i < n; i++)
                        strcat(rsig, PICK(parts));
                sig = rsig;
        }
        for (const char *p = sig; r >= 0 && *p;) {
                p = next_type(p, t, sizeof(t));
                if (strcmp(member, "Get") == 0 || strcmp(member, "GetAll") == 0 ||
                    strcmp(member, "Set") == 0) {
                        if (t[0] == 's' && p == sig + 1) {
                                r = sd_bus_message_append_basic(m, 's', PICK(interfaces));
                                continue;
                        }
                        if (t[0] == 's' && p == sig + 2) {
                                r = sd_bus_message_append_basic(m, 's', PICK(properties));
                                continue;
                        }
                }
                r = append_typed(m, t, 0);
        }
        if (r < 0) {
                sd_bus_message_unref(m);
                return r;
        }
        *ret = m;
        return 0;
}

static int connect_bus(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int main(int argc, char *argv[]) {
        unsigned long calls, clients, n_ok = 0, n_error = 0, n_skipped = 0, n_no_reply = 0, n_reconnect = 0;
        unsigned long n_storm = 0;
        sd_bus *bus = NULL;
        int r;

        if (argc != 5) {
                fprintf(stderr, "usage: bus-fuzz ADDRESS SEED CALLS CLIENTS\n");
                return 2;
        }
        rng_state = strtoull(argv[2], NULL, 10) * 2 + 1;
        calls = strtoul(argv[3], NULL, 10);
        clients = strtoul(argv[4], NULL, 10);
        r = connect_bus(argv[1], &bus);
        if (r < 0) {
                fprintf(stderr, "Cannot connect to %s: %s\n", argv[1], strerror(-r));
                return 1;
        }

        for (unsigned long i = 0; i < calls; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *m = NULL, *reply = NULL;

                r = build_call(bus, &m);
                if (r < 0) {
                        n_skipped++;    /* sd-bus refused to build it (too deep, too big) */
                        continue;
                }
                r = sd_bus_call(bus, m, 10 * 1000 * 1000, &error, &reply);
                if (r >= 0)
                        n_ok++;
                else if (r == -ETIMEDOUT) {
                        n_no_reply++;
                        fprintf(stderr, "call %lu: no reply within 10 s: %s %s.%s\n", i,
                                sd_bus_message_get_path(m), sd_bus_message_get_interface(m) ?: "-",
                                sd_bus_message_get_member(m));
                } else if (r == -ECONNRESET || r == -ENOTCONN || r == -ENOBUFS) {
                        /* Our own connection (a message the bus would not take): start a new one. */
                        n_reconnect++;
                        sd_bus_flush_close_unref(bus);
                        bus = NULL;
                        if (connect_bus(argv[1], &bus) < 0) {
                                fprintf(stderr, "Cannot reconnect to the bus\n");
                                return 1;
                        }
                } else
                        n_error++;
                sd_bus_error_free(&error);
                sd_bus_message_unref(reply);
                sd_bus_message_unref(m);
        }

        /* Clients that go away mid-call: each sends calls and closes its connection without waiting. */
        for (unsigned round = 0; round < 10; round++) {
                sd_bus **c = calloc(clients, sizeof(sd_bus *));

                if (!c)
                        abort();
                for (unsigned long k = 0; k < clients; k++) {
                        if (connect_bus(argv[1], &c[k]) < 0)
                                continue;
                        for (unsigned j = 0, n = 1 + pick(3); j < n; j++) {
                                sd_bus_message *m = NULL;

                                if (build_call(c[k], &m) >= 0 && sd_bus_send(c[k], m, NULL) >= 0)
                                        n_storm++;
                                sd_bus_message_unref(m);
                        }
                        (void) sd_bus_flush(c[k]);
                }
                for (unsigned long k = 0; k < clients; k++)
                        sd_bus_close_unref(c[k]);
                free(c);
        }

        printf("bus-fuzz: %lu calls: %lu replies, %lu errors, %lu not built, %lu without a reply, "
               "%lu reconnects; %lu calls from %lu clients x 10 rounds that disconnected mid-call\n",
               calls, n_ok, n_error, n_skipped, n_no_reply, n_reconnect, n_storm, clients);
        sd_bus_flush_close_unref(bus);
        return n_no_reply > 0 ? 1 : 0;
}
