/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);


/* Whether s equals one of the strings listed. */
#define STR_IN_SET(s, ...) strv_contains_list((s), (const char *const[]) { __VA_ARGS__, NULL })

static inline bool strv_contains_list(const char *s, const char *const *l) {
        for (; s && *l; l++)
                if (streq(s, *l))
                        return true;
        return false;
}

/* The exit status main() returns after a verb failed: the first one noted wins, EXIT_FAILURE if none. */
void jobctl_note_failure(int status);
int jobctl_failure_status(void);

/* Logs "jobctl: <what>: <error message>" (the daemon's message if set, else strerror(r)) and notes the
 * exit status the error stands for (no such job, access denied, or failure). Returns r, negative. */
int log_bus_error(int r, const sd_bus_error *error, const char *fmt, ...) _printf_(3, 4);

/* Logs a usage error, notes JOBCTL_EXIT_USAGE, returns -EINVAL. */
int log_usage_error(const char *fmt, ...) _printf_(1, 2);

/* Connects as --user/--system/--address (or $JOBD_BUS_ADDRESS) say. Logs on failure. */
int jobctl_bus_open(sd_bus **ret);
/* The default event loop with bus attached to it, for verbs that wait for signals. */
int jobctl_bus_attach_event(sd_bus *bus, sd_event **ret);

/* jobd's signals are matched with sender='org.jobd1', which the bus enforces for broadcasts only: any
 * peer may send us a unicast signal with jobd's path, interface and member, or the bus driver's. So a
 * handler believes a signal only if it comes from the unique name that owns org.jobd1 now, learnt with
 * GetNameOwner() after subscribing to NameOwnerChanged and kept up to date from the NameOwnerChanged
 * signals that the bus driver itself sent. */

/* The match for the bus driver's NameOwnerChanged about org.jobd1 (jobctl_daemon_owner_changed() checks
 * the sender again: a match rule does not stop a forged unicast signal). */
#define JOBD_OWNER_CHANGED_MATCH                                                                          \
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"                     \
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" JOBD_BUS_NAME "'"

/* The unique name that owns org.jobd1 now, in *ret (NULL if nobody does). Logs on failure. */
int jobctl_get_daemon_owner(sd_bus *bus, char **ret);
/* For a NameOwnerChanged handler: if m is the bus driver's own NameOwnerChanged about org.jobd1, stores its
 * new owner in *owner (NULL: jobd left the bus) and returns 1; if m is forged or about another name,
 * changes nothing and returns 0. -ENOMEM. */
int jobctl_daemon_owner_changed(sd_bus_message *m, char **owner);
/* Whether the signal m comes from owner, the unique name that owns org.jobd1 now. Logs at debug level
 * that m is ignored if not. */
bool jobctl_signal_from_daemon(sd_bus_message *m, const char *owner);

/* Calls a method of org.jobd1.Manager; on failure logs "<what>: <error>" and returns it. */
int jobctl_call_manager(sd_bus *bus, const char *method, sd_bus_message **ret_reply, const char *what,
                        const char *types, ...);

/* Where a verb names jobs, also a job's name: the newest job of that name (set by main() before a verb
 * runs; not in options such as --after=). */
extern bool jobctl_names_allowed;
int parse_job_id(const char *s, uint64_t *ret);
/* Parses every argument as above into a new array of *ret_n ids. */
int parse_job_ids(char **args, uint64_t **ret, size_t *ret_n);

/* Manager.GetJob(): the job's object path, newly allocated. Logs on failure. */
int jobctl_get_job_path(sd_bus *bus, uint64_t id, char **ret);

/* Reads the next complete value of m (any type) as JSON: 1 and *ret set, 0 at the end of the
 * current container, or negative errno. Dicts with basic keys become objects, arrays and structs
 * arrays. */
int bus_message_read_json(sd_bus_message *m, json_object **ret);

/* Prints o and a newline on stdout, as --json=short or --json=pretty ask; DEL and C1 controls in strings
 * as \u escapes (json_escape_c1()). */
int json_print(json_object *o);

/* argv joined by spaces, each word quoted for a POSIX shell where needed; a word with a control character
 * or invalid UTF-8 in it as $'...' with those bytes escaped (see escape-util.h). NULL on OOM. */
char *quote_command_line(char **argv);

/* Writes all of buf to fd, retrying on EINTR and partial writes. */
int loop_write(int fd, const void *buf, size_t n);

/* Copies what fd holds from its current offset up to EOF to stdout. Returns 0 or negative errno. */
int copy_to_stdout(int fd);
