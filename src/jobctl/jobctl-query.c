/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "format-util.h"
#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "time-util.h"

/* "alice", or the number if the uid has no name. */
static const char *uid_to_name(uint32_t uid, char *buf, size_t l) {
        static uint32_t cached_uid = UINT32_MAX;
        static char cached[64];
        struct passwd *pw;

        if (uid != cached_uid) {
                pw = getpwuid(uid);
                if (pw && strlen(pw->pw_name) < sizeof(cached))
                        strcpy(cached, pw->pw_name);
                else
                        snprintf(cached, sizeof(cached), "%" PRIu32, uid);
                cached_uid = uid;
        }
        snprintf(buf, l, "%s", cached);
        return buf;
}

/* Properties.GetAll() of one interface as a JSON object, property names as keys. */
static int get_all_properties(sd_bus *bus, const char *path, const char *interface, const char *what,
                              json_object **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(bus, JOBD_BUS_NAME, path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", interface);
        if (r < 0)
                return log_bus_error(r, &error, "%s", what);

        r = bus_message_read_json(reply, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the properties of %s: %m", path);
        if (r == 0 || !json_object_is_type(*ret, json_type_object))
                return log_error_errno(-EBADMSG, "Failed to parse the properties of %s: %m", path);
        return 0;
}

static bool name_endswith(const char *name, const char *suffix) {
        size_t n = strlen(name), s = strlen(suffix);

        return n >= s && streq(name + n - s, suffix);
}

/* One number, made readable. Knows the jobd properties by name; anything else is shown as it is. */
static void format_property(const char *name, json_object *v, char *buf, size_t l) {
        char tmp[64];
        int64_t i = json_object_get_int64(v);
        uint64_t u = json_object_get_uint64(v);

        if (streq(name, "ExitCode")) {
                if (i < 0)
                        snprintf(buf, l, "-");
                else
                        snprintf(buf, l, "%" PRIi64, i);
        } else if (streq(name, "ExitSignal")) {
                if (i <= 0)
                        snprintf(buf, l, "-");
                else if (signal_to_string((int) i))
                        snprintf(buf, l, "%" PRIi64 " (SIG%s)", i, signal_to_string((int) i));
                else
                        snprintf(buf, l, "%" PRIi64, i);
        } else if (streq(name, "Owner"))
                snprintf(buf, l, "%" PRIu64 " (%s)", u, uid_to_name((uint32_t) u, tmp, sizeof(tmp)));
        else if (streq(name, "MainPID")) {
                if (u == 0)
                        snprintf(buf, l, "-");
                else
                        snprintf(buf, l, "%" PRIu64, u);
        } else if (name_endswith(name, "TimeoutUSec") || name_endswith(name, "DelayUSec")) {
                if (u == 0)
                        snprintf(buf, l, "-");
                else
                        format_timespan(buf, l, u);
        } else if (name_endswith(name, "USec")) {
                /* Points in time (CLOCK_REALTIME), 0: not yet. */
                if (u == 0)
                        snprintf(buf, l, "-");
                else
                        format_timestamp(buf, l, u);
        } else if (name_endswith(name, "NSec"))
                format_timespan(buf, l, u / NSEC_PER_USEC);
        else if (name_endswith(name, "Bytes") || streq(name, "MemoryMax")) {
                if (u == 0)
                        snprintf(buf, l, "-");
                else
                        format_bytes(buf, l, u);
        } else if (json_object_get_int64(v) < 0)
                snprintf(buf, l, "%" PRIi64, i);
        else
                snprintf(buf, l, "%" PRIu64, u);
}

/* An entry of Attempts: [start, finish, result, exit code, signal]. */
static void print_attempt(int indent, size_t number, json_object *a) {
        _cleanup_free_ char *result = NULL;
        char start[64], took[64];
        uint64_t t0, t1;
        int code, sig;

        if (!json_object_is_type(a, json_type_array) || json_object_array_length(a) != 5)
                return;
        t0 = json_object_get_uint64(json_object_array_get_idx(a, 0));
        t1 = json_object_get_uint64(json_object_array_get_idx(a, 1));
        code = json_object_get_int(json_object_array_get_idx(a, 3));
        sig = json_object_get_int(json_object_array_get_idx(a, 4));
        result = escape_non_printable(json_object_get_string(json_object_array_get_idx(a, 2)));
        printf("%*s#%zu %s, %s, %s", indent, "", number, format_timestamp(start, sizeof(start), t0),
               t0 > 0 && t1 >= t0 ? format_timespan(took, sizeof(took), t1 - t0) : "-", strna(result));
        if (sig > 0)
                printf(" (signal %s)\n", signal_to_string(sig) ?: "?");
        else if (code >= 0)
                printf(" (exit code %i)\n", code);
        else
                putchar('\n');
}

static int print_properties(json_object *props) {
        int width = 0;

        json_object_object_foreach(props, key, val)
                width = MAX(width, (int) strlen(key) + 1);

        json_object_object_foreach(props, name, v) {
                char buf[256];

                if (json_object_is_type(v, json_type_array)) {
                        size_t n = json_object_array_length(v);
                        _cleanup_free_ char **l = calloc(n + 1, sizeof(char *));

                        if (!l)
                                return log_oom();
                        for (size_t i = 0; i < n; i++)
                                l[i] = (char *) json_object_get_string(json_object_array_get_idx(v, i));

                        if (streq(name, "Attempts")) {
                                /* One attempt a line: when, how long, how it ended. */
                                printf("%s:%*s%s\n", name, width - (int) strlen(name), "", n > 0 ? "" : "-");
                                for (size_t i = 0; i < n; i++)
                                        print_attempt(width + 1, i + 1, json_object_array_get_idx(v, i));
                        } else if (streq(name, "Environment")) {
                                /* One variable a line: the whole of a user's environment is long. */
                                printf("%s:%*s%s", name, width - (int) strlen(name), "", n > 0 ? "" : "-\n");
                                for (size_t i = 0; i < n; i++) {
                                        _cleanup_free_ char *e = escape_non_printable(strempty(l[i]));

                                        if (!e)
                                                return log_oom();
                                        printf("%*s%s\n", i > 0 ? width + 1 : 0, "", e);
                                }
                        } else {
                                _cleanup_free_ char *q = quote_command_line(l);

                                if (!q)
                                        return log_oom();
                                printf("%s:%*s%s\n", name, width - (int) strlen(name), "", n > 0 ? q : "-");
                        }
                        continue;
                }

                if (!json_object_is_type(v, json_type_int)) {
                        /* Strings (and the odd dict) as they are, but escaped: many are other users'. */
                        _cleanup_free_ char *e = NULL;
                        const char *t;

                        t = json_object_is_type(v, json_type_string) ?
                                json_object_get_string(v) :
                                json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);
                        e = escape_non_printable(isempty(t) ? "-" : t);
                        if (!e)
                                return log_oom();
                        printf("%s:%*s%s\n", name, width - (int) strlen(name), "", e);
                        continue;
                }

                format_property(name, v, buf, sizeof(buf));
                printf("%s:%*s%s\n", name, width - (int) strlen(name), "", buf);
        }
        return 0;
}

int verb_show(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_free_ uint64_t *ids = NULL;
        size_t n_ids;
        int r, ret = 0;

        r = parse_job_ids(argv + 1, &ids, &n_ids);
        if (r < 0)
                return r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_ids; i++) {
                _cleanup_(json_object_putp) json_object *props = NULL;
                _cleanup_free_ char *path = NULL;
                char what[64];

                r = jobctl_get_job_path(bus, ids[i], &path);
                if (r >= 0) {
                        snprintf(what, sizeof(what), "Failed to read the properties of job %" PRIu64,
                                 ids[i]);
                        r = get_all_properties(bus, path, JOBD_JOB_INTERFACE, what, &props);
                }
                if (r < 0) {
                        if (ret == 0)
                                ret = r;
                        continue;
                }

                /* --json: one object per job, so that "jobctl show ID --json | jq .State" works. */
                if (arg_json != JSON_OFF)
                        r = json_print(props);
                else {
                        if (i > 0)
                                putchar('\n');
                        r = print_properties(props);
                }
                if (r < 0)
                        return r;
        }

        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write to stdout: %m");
        return ret;
}

int verb_status(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(json_object_putp) json_object *props = NULL;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;

        r = get_all_properties(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                               "Failed to read the daemon's properties", &props);
        if (r < 0)
                return r;

        r = arg_json != JSON_OFF ? json_print(props) : print_properties(props);
        if (r < 0)
                return r;
        if (fflush(stdout) != 0)
                return log_error_errno(-EIO, "Failed to write to stdout: %m");
        return 0;
}
