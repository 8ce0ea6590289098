/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every method of jobd's objects runs through one handler (bus-guard.c) which calls the method's own
 * handler and, when that fails, sends the error reply itself instead of leaving it to sd-bus:
 *  - an error message that is not valid UTF-8 (half a character of something a client sent) cannot go on
 *    the bus: sd-bus would drop the reply without a word and the caller wait for its timeout. The guard
 *    escapes the invalid bytes (and logs that a message needed it).
 *  - an error reply, or a method's own reply, that cannot be sent is logged, naming the method and the
 *    caller.
 * Register jobd's vtables with these instead of sd_bus_add_object_vtable()/sd_bus_add_fallback_vtable():
 * they register a copy of the vtable whose method handlers are the guard's. */

#include <systemd/sd-bus.h>

int bus_add_guarded_object_vtable(sd_bus *bus, const char *path, const char *interface,
                                  const sd_bus_vtable *vtable, void *userdata);
int bus_add_guarded_fallback_vtable(sd_bus *bus, const char *prefix, const char *interface,
                                    const sd_bus_vtable *vtable, sd_bus_object_find_t find, void *userdata);

/* What the guard does with a failed method call (r < 0, or error set): replies with the error (escaped
 * into valid UTF-8 if it must be) and logs if that reply cannot be sent. Returns 1 (handled). For
 * handlers that reply later, outside the guard (after a polkit check). */
int bus_reply_failure(sd_bus_message *msg, int r, sd_bus_error *error);
