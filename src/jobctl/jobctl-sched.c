/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "jobctl-util.h"
#include "jobctl.h"
#include "jobd-bus.h"
#include "log.h"
#include "parse-util.h"
#include "strv.h"

/* The scheduler's controls: pools, slots, groups, drain. */

static int parse_limit(const char *s, const char *what, uint32_t *ret) {
        unsigned n;

        if (STR_IN_SET(s, "unlimited", "infinity", "none")) {
                *ret = 0;
                return 0;
        }
        if (safe_atou(s, &n) < 0)
                return log_usage_error("Invalid %s: %s (expected a number, or unlimited)", what, s);
        *ret = n;
        return 0;
}

static int call_simple(const char *method, const char *what, const char *types, ...) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        va_start(ap, types);
        r = sd_bus_call_methodv(bus, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, method,
                                &error, NULL, types, ap);
        va_end(ap);
        if (r < 0)
                return log_bus_error(r, &error, "%s", what);
        return 0;
}

int verb_pool(int argc, char *argv[]) {
        char what[128];
        unsigned n;

        if (safe_atou(argv[2], &n) < 0)
                return log_usage_error("Invalid capacity of pool %s: %s (expected a number)", argv[1],
                                       argv[2]);
        snprintf(what, sizeof(what), "Failed to set the capacity of pool %s", argv[1]);
        return call_simple("SetPool", what, "su", argv[1], (uint32_t) n);
}

int verb_slot_pool(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_call(bus, &m, JOBD_BUS_NAME, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                           "SetSlotPool");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", argv[1]);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv + 2);
        if (r >= 0)
                r = sd_bus_message_append(m, "u", (uint32_t) arg_quarantine_after);
        if (r < 0)
                return log_error_errno(r, "Failed to build the SetSlotPool() call: %m");
        r = sd_bus_call(bus, m, 0, &error, NULL);
        if (r < 0)
                return log_bus_error(r, &error, "Failed to set the slots of pool %s", argv[1]);
        return 0;
}

int verb_release_slot(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        char what[128];
        int released = 0, r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "Failed to release slot %s of pool %s", argv[2], argv[1]);
        r = jobctl_call_manager(bus, "ReleaseSlot", &reply, what, "ss", argv[1], argv[2]);
        if (r < 0)
                return r;
        (void) sd_bus_message_read(reply, "b", &released);
        printf("Slot %s of pool %s %s.\n", argv[2], argv[1],
               released ? "released from quarantine" : "was not quarantined");
        return 0;
}

int verb_group(int argc, char *argv[]) {
        char what[128];
        uint32_t n = 0;
        int r;

        r = parse_limit(argv[2], "group limit", &n);
        if (r < 0)
                return r;
        snprintf(what, sizeof(what), "Failed to set the limit of group %s", argv[1]);
        return call_simple("SetGroupLimit", what, "su", argv[1], n);
}

int verb_pause_group(int argc, char *argv[]) {
        char what[128];

        snprintf(what, sizeof(what), "Failed to pause group %s", argv[1]);
        return call_simple("PauseGroup", what, "s", argv[1]);
}

int verb_resume_group(int argc, char *argv[]) {
        char what[128];

        snprintf(what, sizeof(what), "Failed to resume group %s", argv[1]);
        return call_simple("ResumeGroup", what, "s", argv[1]);
}

int verb_drain(int argc, char *argv[]) {
        return call_simple("Drain", "Failed to drain the daemon", "");
}

int verb_undrain(int argc, char *argv[]) {
        return call_simple("Resume", "Failed to end the drain", "");
}

int verb_groups(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *a = NULL;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_call_manager(bus, "ListGroups", &reply, "Failed to list groups", "");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(suuub)");
        if (r < 0)
                goto parse_fail;
        if (arg_json != JSON_OFF) {
                a = json_object_new_array();
                if (!a)
                        return log_oom();
        } else
                printf("%-24s %9s %8s %8s %s\n", "GROUP", "LIMIT", "RUNNING", "QUEUED", "PAUSED");
        for (;;) {
                _cleanup_free_ char *name_e = NULL;
                uint32_t limit, running, queued;
                const char *name;
                int held;
                char buf[16];

                r = sd_bus_message_read(reply, "(suuub)", &name, &limit, &running, &queued, &held);
                if (r < 0)
                        goto parse_fail;
                if (r == 0)
                        break;
                if (a) {
                        json_object *o = json_object_new_object();

                        if (!o || json_object_array_add(a, o) < 0) {
                                json_object_put(o);
                                return log_oom();
                        }
                        if (json_object_object_add(o, "group", json_object_new_string(name)) < 0 ||
                            json_object_object_add(o, "limit", json_object_new_uint64(limit)) < 0 ||
                            json_object_object_add(o, "running", json_object_new_uint64(running)) < 0 ||
                            json_object_object_add(o, "queued", json_object_new_uint64(queued)) < 0 ||
                            json_object_object_add(o, "paused", json_object_new_boolean(held)) < 0)
                                return log_oom();
                        continue;
                }
                snprintf(buf, sizeof(buf), "%" PRIu32, limit);
                /* The daemon takes only [A-Za-z0-9_.-] names today; escaped all the same (escape-util.h). */
                name_e = escape_non_printable(name);
                if (!name_e)
                        return log_oom();
                printf("%-24s %9s %8" PRIu32 " %8" PRIu32 " %s\n", name_e, limit == 0 ? "unlimited" : buf,
                       running, queued, held ? "yes" : "no");
        }
        return a ? json_print(a) : 0;

parse_fail:
        return log_error_errno(r, "Failed to parse the ListGroups() reply: %m");
}

static int read_slots(sd_bus_message *reply, json_object *slots_json, bool print) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(stub)");
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_free_ char *slot_e = NULL;
                const char *slot;
                uint64_t holder;
                uint32_t failures;
                int quarantined;
                char state[64];

                r = sd_bus_message_read(reply, "(stub)", &slot, &holder, &failures, &quarantined);
                if (r <= 0)
                        break;
                if (slots_json) {
                        json_object *o = json_object_new_object();

                        if (!o || json_object_array_add(slots_json, o) < 0) {
                                json_object_put(o);
                                return -ENOMEM;
                        }
                        if (json_object_object_add(o, "slot", json_object_new_string(slot)) < 0 ||
                            json_object_object_add(o, "job", json_object_new_uint64(holder)) < 0 ||
                            json_object_object_add(o, "failures", json_object_new_uint64(failures)) < 0 ||
                            json_object_object_add(o, "quarantined",
                                                   json_object_new_boolean(quarantined)) < 0)
                                return -ENOMEM;
                }
                if (!print)
                        continue;
                if (quarantined)
                        snprintf(state, sizeof(state), "QUARANTINED");
                else if (holder > 0)
                        snprintf(state, sizeof(state), "job %" PRIu64, holder);
                else
                        snprintf(state, sizeof(state), "free");
                slot_e = escape_non_printable(slot);
                if (!slot_e)
                        return -ENOMEM;
                printf("    %-28s %-14s %" PRIu32 " consecutive failure%s\n", slot_e, state, failures,
                       failures == 1 ? "" : "s");
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

int verb_pools(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(json_object_putp) json_object *a = NULL;
        size_t n = 0;
        int r;

        r = jobctl_bus_open(&bus);
        if (r < 0)
                return r;
        r = jobctl_call_manager(bus, "ListPools", &reply, "Failed to list pools", "");
        if (r < 0)
                return r;
        if (arg_json != JSON_OFF) {
                a = json_object_new_array();
                if (!a)
                        return log_oom();
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sbuua(stub))");
        if (r < 0)
                goto parse_fail;
        for (;;) {
                json_object *o = NULL, *slots = NULL;
                _cleanup_free_ char *name_e = NULL;
                uint32_t capacity, in_use;
                const char *name, *kind;
                int is_slots;

                r = sd_bus_message_enter_container(reply, 'r', "sbuua(stub)");
                if (r < 0)
                        goto parse_fail;
                if (r == 0)
                        break;
                r = sd_bus_message_read(reply, "sbuu", &name, &is_slots, &capacity, &in_use);
                if (r < 0)
                        goto parse_fail;
                kind = is_slots ? "slots" : "counted";
                if (a) {
                        o = json_object_new_object();
                        slots = json_object_new_array();
                        if (!o || !slots || json_object_array_add(a, o) < 0) {
                                json_object_put(o);
                                json_object_put(slots);
                                return log_oom();
                        }
                        if (json_object_object_add(o, "pool", json_object_new_string(name)) < 0 ||
                            json_object_object_add(o, "kind", json_object_new_string(kind)) < 0 ||
                            json_object_object_add(o, "capacity", json_object_new_uint64(capacity)) < 0 ||
                            json_object_object_add(o, "in_use", json_object_new_uint64(in_use)) < 0 ||
                            json_object_object_add(o, "slots", slots) < 0)
                                return log_oom();
                } else {
                        name_e = escape_non_printable(name);
                        if (!name_e)
                                return log_oom();
                        if (n++ == 0)
                                printf("%-24s %-8s %9s %7s\n", "POOL", "KIND", "CAPACITY", "IN-USE");
                        printf("%-24s %-8s %9" PRIu32 " %7" PRIu32 "\n", name_e, kind, capacity, in_use);
                }
                r = read_slots(reply, slots, !a);
                if (r < 0)
                        goto parse_fail;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        goto parse_fail;
        }
        if (a)
                return json_print(a);
        if (n == 0)
                printf("No pools (jobctl pool NAME CAPACITY, jobctl slot-pool NAME SLOT..., or "
                       "jobd.conf).\n");
        return 0;

parse_fail:
        return log_error_errno(r, "Failed to parse the ListPools() reply: %m");
}
