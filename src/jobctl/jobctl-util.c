/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape-util.h"
#include "fd-util.h"
#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

static int failure_status = 0;

void jobctl_note_failure(int status) {
        if (failure_status == 0)
                failure_status = status;
}

int jobctl_failure_status(void) {
        return failure_status ?: JOBCTL_EXIT_FAILURE;
}

int log_bus_error(int r, const sd_bus_error *error, const char *fmt, ...) {
        char what[1024];
        va_list ap;

        if (r >= 0)
                r = -EIO;

        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);

        if (sd_bus_error_has_names(error, JOBD_ERROR_NO_SUCH_JOB, JOBD_ERROR_NO_SUCH_RUN))
                jobctl_note_failure(JOBCTL_EXIT_NO_SUCH_JOB);
        else if (sd_bus_error_has_names(error, JOBD_ERROR_ACCESS_DENIED,
                                        SD_BUS_ERROR_ACCESS_DENIED,
                                        SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED))
                jobctl_note_failure(JOBCTL_EXIT_ACCESS_DENIED);
        else
                jobctl_note_failure(JOBCTL_EXIT_FAILURE);

        if (r == -ETIMEDOUT || sd_bus_error_has_names(error, SD_BUS_ERROR_TIMEOUT, SD_BUS_ERROR_NO_REPLY)) {
                char t[64];

                log_error("%s: the daemon did not answer within %s (--timeout= to wait longer)", what,
                          format_timespan(t, sizeof(t), arg_call_timeout));
                return -ETIMEDOUT;
        }
        if (sd_bus_error_is_set(error)) {
                /* The daemon's messages may quote what another user chose. */
                _cleanup_free_ char *msg = escape_non_printable(error->message ?: error->name);

                log_error("%s: %s", what, msg ?: error->name);
        } else
                log_error_errno(r, "%s: %m", what);
        return r;
}

int log_usage_error(const char *fmt, ...) {
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        jobctl_note_failure(JOBCTL_EXIT_USAGE);
        log_error("%s", msg);
        return -EINVAL;
}

int jobctl_bus_attach_event(sd_bus *bus, sd_event **ret) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        int r;

        r = sd_event_default(&event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");
        *ret = TAKE_PTR(event);
        return 0;
}

int jobctl_bus_open(sd_bus **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        switch (arg_transport) {

        case BUS_TRANSPORT_ADDRESS:
                r = sd_bus_new(&bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to allocate bus: %m");
                r = sd_bus_set_address(bus, arg_address);
                if (r < 0)
                        return log_error_errno(r, "Failed to set bus address '%s': %m", arg_address);
                r = sd_bus_set_bus_client(bus, true);
                if (r < 0)
                        return log_error_errno(r, "Failed to set bus client: %m");
                r = sd_bus_start(bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to bus at %s: %m", arg_address);
                break;

        case BUS_TRANSPORT_SYSTEM:
                r = sd_bus_open_system(&bus);
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the system bus: %m");
                break;

        case BUS_TRANSPORT_USER:
                r = sd_bus_open_user(&bus);
                if (r == -ENOMEDIUM)
                        return log_error_errno(r, "Failed to connect to the user bus: neither "
                                               "$DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR is set "
                                               "(use --system, --address= or $JOBD_BUS_ADDRESS).");
                if (r < 0)
                        return log_error_errno(r, "Failed to connect to the user bus "
                                               "(use --system, --address= or $JOBD_BUS_ADDRESS): %m");
                break;
        }

        /* Every call waits at most this long for its reply (0 would be sd-bus's default). */
        r = sd_bus_set_method_call_timeout(bus, arg_call_timeout == USEC_INFINITY ? UINT64_MAX - 1 :
                                                arg_call_timeout);
        if (r < 0)
                return log_error_errno(r, "Failed to set the call timeout: %m");

        /* As systemctl: polkit may ask for a password (through the session's agent) when jobd asks it
         * whether we may act on another user's job or the daemon, only where a person can answer. */
        r = sd_bus_set_allow_interactive_authorization(bus, arg_ask_password && isatty(STDIN_FILENO));
        if (r < 0)
                return log_error_errno(r, "Failed to allow interactive authorization: %m");

        *ret = TAKE_PTR(bus);
        return 0;
}

int jobctl_get_daemon_owner(sd_bus *bus, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *owner;
        char *c;
        int r;

        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &error, &reply, "s", JOBD_BUS_NAME);
        if (sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return log_bus_error(r, &error, "Failed to look up the owner of %s", JOBD_BUS_NAME);
        r = sd_bus_message_read(reply, "s", &owner);
        if (r < 0)
                return log_error_errno(r, "Failed to parse the GetNameOwner() reply: %m");
        c = strdup(owner);
        if (!c)
                return log_oom();
        *ret = c;
        return 0;
}

int jobctl_daemon_owner_changed(sd_bus_message *m, char **owner) {
        const char *name, *old_owner, *new_owner;
        char *c = NULL;

        /* The bus driver is the only sender that dbus-daemon labels with its well-known name: every client's
         * messages carry the client's unique name, whatever the match said. */
        if (!streq_ptr(sd_bus_message_get_sender(m), "org.freedesktop.DBus")) {
                log_debug("Ignoring NameOwnerChanged from %s: not from the bus driver.",
                          strna(sd_bus_message_get_sender(m)));
                return 0;
        }
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || !streq(name, JOBD_BUS_NAME))
                return 0;

        if (!isempty(new_owner)) {
                c = strdup(new_owner);
                if (!c)
                        return -ENOMEM;
        }
        free(*owner);
        *owner = c;
        return 1;
}

bool jobctl_signal_from_daemon(sd_bus_message *m, const char *owner) {
        const char *sender = sd_bus_message_get_sender(m);

        if (owner && streq_ptr(sender, owner))
                return true;
        log_debug("Ignoring %s.%s signal from %s: not from the owner of %s (%s).",
                  strna(sd_bus_message_get_interface(m)), strna(sd_bus_message_get_member(m)), strna(sender),
                  JOBD_BUS_NAME, owner ?: "none now");
        return false;
}

int jobctl_call_manager(sd_bus *bus, const char *method, sd_bus_message **ret_reply, const char *what,
                        const char *types, ...) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, method,
                                &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0)
                return log_bus_error(r, &error, "%s", what);
        return 0;
}

bool jobctl_names_allowed = false;

/* A job's name: the newest job of that name (its highest ID), read page by page. */
static int resolve_job_name(const char *name, uint64_t *ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        uint64_t after = 0, found = 0;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        do {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *n, *st, *res, *path;
                uint64_t id;
                uint32_t owner;

                r = jobctl_call_manager(bus, "ListJobsFiltered", &reply, "Failed to look up jobs by name",
                                        "a{sv}tu", 0, after, (uint32_t) 10000);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(reply, 'a', "(tsssuo)");
                while (r >= 0 && (r = sd_bus_message_read(reply, "(tsssuo)", &id, &n, &st, &res, &owner,
                                                           &path)) > 0)
                        if (streq(n, name))
                                found = id;
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "t", &after);
                if (r < 0)
                        return log_error_errno(r, "Failed to parse the ListJobsFiltered() reply: %m");
        } while (after != 0);

        if (found == 0) {
                _cleanup_free_ char *e = escape_non_printable(name);

                jobctl_note_failure(JOBCTL_EXIT_NO_SUCH_JOB);
                return log_error_errno(-ENOENT, "No job with ID or name '%s'.", strna(e));
        }
        *ret = found;
        return 0;
}

int parse_job_id(const char *s, uint64_t *ret) {
        uint64_t id;

        if (s[0] == '/') {
                if (jobd_job_path_parse(s, &id) < 0)
                        return log_usage_error("Invalid job object path: %s", s);
        } else if (s[0] == '0' || safe_atou64(s, &id) < 0) {
                /* Not a number: a job's name, where a verb names jobs (not in options). */
                if (jobctl_names_allowed && !isempty(s) && !(s[0] >= '0' && s[0] <= '9') && s[0] != '-')
                        return resolve_job_name(s, ret);
                return log_usage_error("Invalid job ID (expected a number from 1%s): %s",
                                       jobctl_names_allowed ? ", or a name" : "", s);
        }

        *ret = id;
        return 0;
}

int parse_job_ids(char **args, uint64_t **ret, size_t *ret_n) {
        _cleanup_free_ uint64_t *ids = NULL;
        size_t n = strv_length(args);
        int r;

        ids = calloc(MAX(n, 1u), sizeof(uint64_t));
        if (!ids)
                return log_oom();
        for (size_t i = 0; i < n; i++) {
                r = parse_job_id(args[i], &ids[i]);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(ids);
        *ret_n = n;
        return 0;
}

int jobctl_get_job_path(sd_bus *bus, uint64_t id, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char what[64], *p;
        const char *path;
        int r;

        snprintf(what, sizeof(what), "Failed to look up job %" PRIu64, id);
        r = jobctl_call_manager(bus, "GetJob", &reply, what, "t", id);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_error_errno(r, "Failed to parse GetJob() reply: %m");

        p = strdup(path);
        if (!p)
                return log_oom();
        *ret = p;
        return 0;
}

static json_object *json_from_basic(char type, const void *v) {
        switch (type) {
        case SD_BUS_TYPE_BYTE:
                return json_object_new_int(*(const uint8_t *) v);
        case SD_BUS_TYPE_BOOLEAN:
                return json_object_new_boolean(*(const int *) v);
        case SD_BUS_TYPE_INT16:
                return json_object_new_int(*(const int16_t *) v);
        case SD_BUS_TYPE_UINT16:
                return json_object_new_int(*(const uint16_t *) v);
        case SD_BUS_TYPE_INT32:
        case SD_BUS_TYPE_UNIX_FD:
                return json_object_new_int(*(const int32_t *) v);
        case SD_BUS_TYPE_UINT32:
                return json_object_new_int64(*(const uint32_t *) v);
        case SD_BUS_TYPE_INT64:
                return json_object_new_int64(*(const int64_t *) v);
        case SD_BUS_TYPE_UINT64:
                return json_object_new_uint64(*(const uint64_t *) v);
        case SD_BUS_TYPE_DOUBLE:
                return json_object_new_double(*(const double *) v);
        case SD_BUS_TYPE_STRING:
        case SD_BUS_TYPE_OBJECT_PATH:
        case SD_BUS_TYPE_SIGNATURE:
                return json_object_new_string(*(const char *const *) v);
        default:
                return NULL;
        }
}

/* Enough room for any basic type read by sd_bus_message_read_basic(). */
typedef union BusBasic {
        uint8_t y;
        int b;
        int16_t n;
        uint16_t q;
        int32_t i;
        uint32_t u;
        int64_t x;
        uint64_t t;
        double d;
        const char *s;
} BusBasic;

static int bus_read_dict_json(sd_bus_message *m, const char *contents, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        _cleanup_free_ char *entry = NULL;
        int r;

        /* "{sv}" → "sv": entering a dict entry needs its contents spelled out, or the end of the array
         * reads as a type mismatch rather than as the end. */
        entry = strndup(contents + 1, strlen(contents) - 2);
        if (!entry)
                return -ENOMEM;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, contents);
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_(json_object_putp) json_object *k = NULL, *v = NULL;
                BusBasic key;

                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, entry);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read_basic(m, entry[0], &key);
                if (r < 0)
                        return r;
                k = json_from_basic(entry[0], &key);
                if (!k)
                        return -ENOMEM;
                r = bus_message_read_json(m, &v);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -EBADMSG;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                if (json_object_object_add(o, json_object_get_string(k), TAKE_PTR(v)) < 0)
                        return -ENOMEM;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(o);
        return 1;
}

int bus_message_read_json(sd_bus_message *m, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r <= 0)
                return r;

        if (type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN)
                return bus_read_dict_json(m, contents, ret);

        switch (type) {

        case SD_BUS_TYPE_ARRAY:
        case SD_BUS_TYPE_STRUCT:
        case SD_BUS_TYPE_VARIANT:
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                if (type == SD_BUS_TYPE_VARIANT) {
                        r = bus_message_read_json(m, &o);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                return -EBADMSG;
                } else {
                        o = json_object_new_array();
                        if (!o)
                                return -ENOMEM;
                        for (;;) {
                                json_object *e = NULL;

                                r = bus_message_read_json(m, &e);
                                if (r < 0)
                                        return r;
                                if (r == 0)
                                        break;
                                if (json_object_array_add(o, e) < 0) {
                                        json_object_put(e);
                                        return -ENOMEM;
                                }
                        }
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                break;

        default: {
                BusBasic v;

                r = sd_bus_message_read_basic(m, type, &v);
                if (r < 0)
                        return r;
                o = json_from_basic(type, &v);
                if (!o)
                        return -ENOMEM;
        }}

        *ret = TAKE_PTR(o);
        return 1;
}

int json_print(json_object *o) {
        _cleanup_free_ char *text = NULL;
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        flags |= arg_json == JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                         : JSON_C_TO_STRING_PLAIN;
        /* json-c escapes C0 controls in strings but leaves DEL and C1 raw: escape those too, so that the
         * JSON is as safe on a terminal as the other output and still decodes to the exact strings. */
        text = json_escape_c1(json_object_to_json_string_ext(o, flags));
        if (!text)
                return log_oom();
        if (puts(text) < 0 || fflush(stdout) != 0)
                return log_error_errno(errno > 0 ? -errno : -EIO, "Failed to write to stdout: %m");
        return 0;
}

static bool word_is_safe(const char *s) {
        if (isempty(s))
                return false;
        for (; *s; s++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:=@%+,-", *s))
                        return false;
        return true;
}

/* $'...' (bash, zsh, ksh, POSIX.1-2024 sh): the only quoting in which a control character can be written
 * as an escape, and pasted back as itself. */
static char *quote_word_escaped(char *q, const char *s) {
        size_t n;

        q = stpcpy(q, "$'");
        for (; *s; s += n) {
                n = utf8_printable_char_len(s);
                if (n == 0) {
                        q = escape_byte(q, (unsigned char) *s);
                        n = 1;
                } else if (IN_SET(*s, '\\', '\'')) {
                        *q++ = '\\';
                        *q++ = *s;
                } else {
                        memcpy(q, s, n);
                        q += n;
                }
        }
        *q++ = '\'';
        return q;
}

char *quote_command_line(char **argv) {
        size_t n = 1;
        char *buf, *q;

        STRV_FOREACH(a, argv)
                n += strlen(*a) * ESCAPE_BYTE_MAX + 4;
        buf = q = malloc(n);
        if (!buf)
                return NULL;

        STRV_FOREACH(a, argv) {
                if (q != buf)
                        *q++ = ' ';
                if (word_is_safe(*a)) {
                        q = stpcpy(q, *a);
                        continue;
                }
                if (!string_is_printable(*a)) {
                        q = quote_word_escaped(q, *a);
                        continue;
                }
                *q++ = '\'';
                for (const char *p = *a; *p; p++)
                        if (*p == '\'')
                                q = stpcpy(q, "'\\''");
                        else
                                *q++ = *p;
                *q++ = '\'';
        }
        *q = 0;
        return buf;
}

int loop_write(int fd, const void *buf, size_t n) {
        const char *p = buf;

        while (n > 0) {
                ssize_t k;

                k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int copy_to_stdout(int fd) {
        struct stat st;
        uint64_t left;
        char buf[65536];
        int r;

        /* Copy no more than the file holds now, so that a job writing faster than we can print does not
         * keep us here forever: what it writes later triggers another IN_MODIFY. */
        if (fstat(fd, &st) < 0)
                return -errno;
        left = UINT64_MAX;      /* a pipe or socket: until EOF or EAGAIN */
        if (S_ISREG(st.st_mode)) {
                off_t off = lseek(fd, 0, SEEK_CUR);

                if (off < 0)
                        return -errno;
                left = st.st_size > off ? (uint64_t) (st.st_size - off) : 0;
        }

        while (left > 0) {
                ssize_t k;

                k = read(fd, buf, MIN(sizeof(buf), left));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                if (k == 0)
                        break;
                r = loop_write(STDOUT_FILENO, buf, (size_t) k);
                if (r < 0)
                        return r;
                if (left != UINT64_MAX)
                        left -= (uint64_t) k;
        }
        return 0;
}
