/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-guard.h"
#include "escape-util.h"
#include "log.h"
#include "macro.h"

/* The real handler of each guarded method, by interface and member (sd-bus calls a vtable method only
 * for a message that names its interface, and a member is unique within an interface). A few dozen
 * entries, looked up once per method call: a list is enough. */
typedef struct GuardedMethod {
        const char *interface;
        const char *member;
        sd_bus_message_handler_t handler;
} GuardedMethod;

/* Reachable until exit (the copies are registered for the life of the connection). */
static GuardedMethod *guarded_methods;
static size_t n_guarded_methods;
static sd_bus_vtable **guarded_vtables;
static size_t n_guarded_vtables;

static sd_bus_message_handler_t guarded_handler(const char *interface, const char *member) {
        if (!interface || !member)
                return NULL;
        for (size_t i = 0; i < n_guarded_methods; i++)
                if (streq(guarded_methods[i].member, member) && streq(guarded_methods[i].interface, interface))
                        return guarded_methods[i].handler;
        return NULL;
}

/* Errors a caller causes with its own call: worth a debug line, not a warning. */
static bool error_is_callers(int r) {
        return IN_SET(-r, EINVAL, ENXIO, EBADMSG, EPERM, EACCES, ENOENT, EEXIST, EBUSY, ESRCH, EDQUOT,
                      ELOOP, E2BIG, EOPNOTSUPP, ENOTSUP);
}

int bus_reply_failure(sd_bus_message *msg, int r, sd_bus_error *error) {
        _cleanup_free_ char *escaped = NULL;
        const char *iface = sd_bus_message_get_interface(msg), *member = sd_bus_message_get_member(msg),
                   *sender = sd_bus_message_get_sender(msg);
        int q;

        if (!sd_bus_error_is_set(error)) {
                if (r >= 0)
                        return r;
                if (!error_is_callers(r))
                        log_warning_errno(r, "%s.%s() of %s failed: %m", strna(iface), strna(member),
                                          strna(sender));
                (void) sd_bus_error_set_errno(error, r);
        }
        if (!utf8_is_valid(error->message) || !utf8_is_valid(error->name)) {
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                escaped = escape_non_printable(error->message);
                log_warning("%s.%s() of %s: the error message was not valid UTF-8, sent escaped: %s",
                            strna(iface), strna(member), strna(sender), strna(escaped));
                q = sd_bus_error_set(&e, utf8_is_valid(error->name) ? error->name : SD_BUS_ERROR_FAILED,
                                     escaped);
                if (q < 0)
                        (void) sd_bus_error_set_errno(&e, q);
                sd_bus_error_free(error);
                sd_bus_error_move(error, &e);
        }
        if (sd_bus_message_get_expect_reply(msg)) {
                q = sd_bus_reply_method_error(msg, error);
                if (q < 0)
                        log_warning_errno(q, "Cannot send the error reply to %s.%s() of %s (%s: %s): %m",
                                          strna(iface), strna(member), strna(sender), error->name,
                                          strna(SHORT_STRING(error->message)));
        }
        return 1;
}

static int guarded_method(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        sd_bus_message_handler_t h;
        int r;

        h = guarded_handler(sd_bus_message_get_interface(msg), sd_bus_message_get_member(msg));
        if (!h)
                return -EOPNOTSUPP;
        r = h(msg, userdata, error);
        if (r >= 0 && !sd_bus_error_is_set(error))
                return r;
        return bus_reply_failure(msg, r, error);
}

static int guard_vtable(const char *interface, const sd_bus_vtable *vtable, const sd_bus_vtable **ret) {
        size_t n = 0, n_methods = 0;
        sd_bus_vtable *copy, **vs;
        GuardedMethod *ms;

        while (vtable[n].type != _SD_BUS_VTABLE_END) {
                if (vtable[n].type == _SD_BUS_VTABLE_METHOD && vtable[n].x.method.handler)
                        n_methods++;
                n++;
        }
        copy = malloc((n + 1) * sizeof(*copy));
        if (!copy)
                return -ENOMEM;
        memcpy(copy, vtable, (n + 1) * sizeof(*copy));
        vs = realloc(guarded_vtables, (n_guarded_vtables + 1) * sizeof(*vs));
        if (!vs) {
                free(copy);
                return -ENOMEM;
        }
        guarded_vtables = vs;
        guarded_vtables[n_guarded_vtables++] = copy;
        ms = realloc(guarded_methods, (n_guarded_methods + n_methods) * sizeof(*ms));
        if (!ms)
                return -ENOMEM;
        guarded_methods = ms;
        for (size_t i = 0; i < n; i++) {
                if (copy[i].type != _SD_BUS_VTABLE_METHOD || !copy[i].x.method.handler)
                        continue;
                guarded_methods[n_guarded_methods++] = (GuardedMethod) {
                        .interface = interface,
                        .member = copy[i].x.method.member,
                        .handler = copy[i].x.method.handler,
                };
                copy[i].x.method.handler = guarded_method;
        }
        *ret = copy;
        return 0;
}

int bus_add_guarded_object_vtable(sd_bus *bus, const char *path, const char *interface,
                                  const sd_bus_vtable *vtable, void *userdata) {
        const sd_bus_vtable *v;
        int r;

        r = guard_vtable(interface, vtable, &v);
        if (r < 0)
                return r;
        return sd_bus_add_object_vtable(bus, NULL, path, interface, v, userdata);
}

int bus_add_guarded_fallback_vtable(sd_bus *bus, const char *prefix, const char *interface,
                                    const sd_bus_vtable *vtable, sd_bus_object_find_t find, void *userdata) {
        const sd_bus_vtable *v;
        int r;

        r = guard_vtable(interface, vtable, &v);
        if (r < 0)
                return r;
        return sd_bus_add_fallback_vtable(bus, NULL, prefix, interface, v, find, userdata);
}
