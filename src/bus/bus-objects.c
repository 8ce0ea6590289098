/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-jobd.h"
#include "bus-sched.h"
#include "jobd-bus.h"
#include "log.h"
#include "run.h"
#include "strv.h"
#include "time-util.h"

/* What sd-bus would do on its own, done here instead, from a filter that sees each call first:
 *
 *  - org.freedesktop.DBus.ObjectManager.GetManagedObjects() on /org/jobd1: sd-bus builds the whole reply in
 *    one go (seconds with 100k jobs, the loop stalled) and whatever its size, and dbus-daemon drops the
 *    connection of a daemon that sends a reply larger than the bus's limit (32 MiB on the system bus).
 *    Here the reply is built in slices of at most BUILD_SLICE_USEC, one per loop iteration, and bounded:
 *    the big per-job properties (BIG_PROPERTIES) are left out of the jobs that come after the first
 *    REPLY_FULL_FROM bytes, and a reply that would pass REPLY_SIZE_MAX is refused with
 *    org.jobd1.Error.TooLarge (see org.jobd1(5)).
 *
 *  - a call on the path of a job or run that does not exist (never did, or forgotten): sd-bus says
 *    org.freedesktop.DBus.Error.UnknownObject; the contract says NoSuchJob/NoSuchRun. */

/* Left out of GetManagedObjects() beyond REPLY_FULL_FROM: what a client may make as large as it likes. */
static const char *const big_properties[] = {
        "Argv", "Environment", "SystemCallFilter", "RestrictAddressFamilies", "FailPatterns", "PassPatterns",
        NULL,
};

#define BUILD_SLICE_USEC (5 * USEC_PER_MSEC)
#define BUILDS_MAX 8U

typedef struct ObjectsBuild ObjectsBuild;
struct ObjectsBuild {
        Manager *manager;
        sd_bus *bus;
        sd_bus_message *call, *reply;
        sd_event_source *source;
        uid_t caller;
        uint64_t seq;            /* builds are numbered as they start, from 1 */
        uint64_t first_job;      /* ids: the jobs from first_job to next_job are in the reply */
        uint64_t next_job;
        size_t size;             /* estimated bytes of the reply so far */
        unsigned n_lean;         /* jobs sent without their big properties */
        ObjectsBuild *next;
};

static ObjectsBuild *builds;
static unsigned n_builds;
static uint64_t builds_started;

uint64_t bus_objects_holder(uint64_t job_id) {
        uint64_t seq = 0;

        for (ObjectsBuild *b = builds; b; b = b->next)
                if (job_id >= b->first_job && job_id < b->next_job)
                        seq = MAX(seq, b->seq);
        return seq;
}

bool bus_objects_answered(uint64_t seq) {
        for (ObjectsBuild *b = builds; b; b = b->next)
                if (b->seq <= seq)
                        return false;
        return true;
}

static ObjectsBuild *build_free(ObjectsBuild *b) {
        if (!b)
                return NULL;
        for (ObjectsBuild **p = &builds; *p; p = &(*p)->next)
                if (*p == b) {
                        *p = b->next;
                        n_builds--;
                        break;
                }
        sd_event_source_disable_unref(b->source);
        sd_bus_message_unref(b->call);
        sd_bus_message_unref(b->reply);
        sd_bus_unref(b->bus);
        free(b);
        return NULL;
}

void bus_objects_free(void) {
        while (builds)
                build_free(builds);
}

static size_t strlen_null(const char *s) {
        return s ? strlen(s) : 0;
}

static bool is_big_property(const char *name) {
        return strv_contains((char **) big_properties, name);
}

/* As sd-bus's GetAll: the getter gets userdata + offset; without a getter the value is read there. */
static int append_property(sd_bus *bus, sd_bus_message *reply, const char *path, const char *interface,
                           const sd_bus_vtable *v, void *userdata, sd_bus_error *error) {
        void *u = (uint8_t *) userdata + v->x.property.offset;
        const char *sig = v->x.property.signature;
        const void *p;
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", v->x.property.member);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', sig);
        if (r < 0)
                return r;
        if (v->x.property.get)
                r = v->x.property.get(bus, path, interface, v->x.property.member, reply, u, error);
        else if (streq(sig, "as"))
                r = sd_bus_message_append_strv(reply, *(char ***) u);
        else {
                p = sig[0] == 's' || sig[0] == 'g' ? strempty(*(char **) u) : sig[0] == 'o' ? *(char **) u : u;
                r = sd_bus_message_append_basic(reply, sig[0], p);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int append_interface(sd_bus *bus, sd_bus_message *reply, const char *path, const char *interface,
                            const sd_bus_vtable *const *vtables, void *userdata, bool big,
                            sd_bus_error *error) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", interface);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        for (; r >= 0 && *vtables; vtables++)
                for (const sd_bus_vtable *v = *vtables; r >= 0 && v->type != _SD_BUS_VTABLE_END; v++) {
                        int type = v->type;

                        if (!IN_SET(type, _SD_BUS_VTABLE_PROPERTY, _SD_BUS_VTABLE_WRITABLE_PROPERTY) ||
                            (v->flags & SD_BUS_VTABLE_HIDDEN))
                                continue;
                        if (!big && is_big_property(v->x.property.member))
                                continue;
                        r = append_property(bus, reply, path, interface, v, userdata, error);
                }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* The interfaces sd-bus lists for every object, with no properties. */
static int append_object(sd_bus *bus, sd_bus_message *reply, const char *path, const char *interface,
                         const sd_bus_vtable *const *vtables, void *userdata, bool big, sd_bus_error *error) {
        static const char *const standard[] = {
                "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable",
                "org.freedesktop.DBus.Properties",
        };
        int r;

        r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "o", path);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sa{sv}}");
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(standard); i++)
                r = sd_bus_message_append(reply, "{sa{sv}}", standard[i], 0);
        if (r >= 0)
                r = append_interface(bus, reply, path, interface, vtables, userdata, big, error);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

size_t bus_strv_wire_bytes(char **l) {
        size_t n = 0;

        STRV_FOREACH(s, l)
                n += strlen(*s) + 5;
        return n;
}

/* What a job's entry costs on the wire, at least: the entry of a job that sets nothing (1776 bytes,
 * measured: property names, framing, fixed-size values), then every string and array a property shows,
 * the big ones only where they go in. Each must be here: a client makes several of them large (patterns of
 * 64 KiB, 256 attempts), and an entry counted short lets the reply pass the bus's limit. */
#define JOB_ENTRY_FIXED 1792U
static size_t job_entry_size(Job *j, bool big) {
        size_t n = JOB_ENTRY_FIXED + strlen_null(j->spec.name) + strlen_null(j->spec.working_directory) +
                   strlen_null(j->reason) + strlen_null(j->control_group) + strlen_null(j->unit) +
                   strlen_null(j->spec.group) + strlen_null(j->spec.output_directory) +
                   (j->spec.log_path ? strlen(j->spec.log_path) : strlen_null(j->manager->state_dir) + 64) +
                   bus_strv_wire_bytes(j->spec.labels) + bus_strv_wire_bytes(j->slots) + j->spec.n_after * 8 +
                   MIN(j->n_attempts, JOB_ATTEMPTS_MAX) * 48 + j->n_log_offsets * 8 +
                   j->spec.n_retry_on_exit_codes * 16;

        for (size_t i = 0; i < j->spec.n_resources; i++)
                n += strlen_null(j->spec.resources[i].pool) + 16;
        if (big) {
                _cleanup_strv_free_ char **env = job_spec_environment(&j->spec);

                n += bus_strv_wire_bytes(j->spec.argv) + bus_strv_wire_bytes(env);
                if (j->spec.system_call_filter)
                        n += bus_strv_wire_bytes(j->spec.system_call_filter->names) +
                             bus_strv_wire_bytes(j->spec.system_call_filter->address_families);
                if (j->spec.patterns)
                        n += bus_strv_wire_bytes(j->spec.patterns->fail) +
                             bus_strv_wire_bytes(j->spec.patterns->pass);
        }
        return n;
}

/* Answered or given up: the signals held for its jobs may go. */
static void build_end(ObjectsBuild *b) {
        Manager *m = b->manager;

        build_free(b);
        bus_emit_release_held(m);
}

static int build_fail(ObjectsBuild *b, const sd_bus_error *e, int r) {
        if (e && sd_bus_error_is_set(e))
                (void) sd_bus_reply_method_error(b->call, e);
        else
                (void) sd_bus_reply_method_errno(b->call, r, NULL);
        build_end(b);
        return 0;
}

static int build_too_large(ObjectsBuild *b) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

        log_info("GetManagedObjects() from %s refused: the reply would pass %u MiB (%u jobs, %zu runs).",
                 strna(sd_bus_message_get_sender(b->call)), REPLY_SIZE_MAX >> 20, b->manager->n_jobs,
                 b->manager->n_runs);
        (void) sd_bus_error_setf(&e, JOBD_ERROR_TOO_LARGE,
                                 "GetManagedObjects() of %u jobs would pass %u MiB, more than a bus carries; "
                                 "page through them with org.jobd1.Manager.ListJobsFiltered() and read each "
                                 "job with Get()/GetAll() (see org.jobd1(5))",
                                 b->manager->n_jobs, REPLY_SIZE_MAX >> 20);
        return build_fail(b, &e, -E2BIG);
}

static const sd_bus_vtable *const job_vtables[] = { bus_job_vtable, bus_job_sched_vtable, NULL };
static const sd_bus_vtable *const run_vtables[] = { bus_run_vtable, NULL };

static int on_build_slice(sd_event_source *s, uint64_t usec, void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        ObjectsBuild *b = userdata;
        Manager *m = b->manager;
        usec_t until = now(CLOCK_MONOTONIC) + BUILD_SLICE_USEC;
        unsigned k = 0;
        int r;

        bus_job_set_reader(&b->caller);
        for (; b->next_job < m->next_id; b->next_job++) {
                Job *j = manager_get_job(m, b->next_job);
                char path[64];
                bool big;

                if (!j)
                        continue;
                if (++k % 32 == 0 && now(CLOCK_MONOTONIC) >= until)
                        goto later;
                big = b->size < REPLY_FULL_FROM;
                b->size += job_entry_size(j, big);
                if (b->size > REPLY_SIZE_MAX) {
                        bus_job_set_reader(NULL);
                        return build_too_large(b);
                }
                b->n_lean += !big;
                snprintf(path, sizeof(path), JOBD_JOB_PATH_PREFIX "/%llu", (unsigned long long) j->id);
                r = append_object(b->bus, b->reply, path, JOBD_JOB_INTERFACE, job_vtables, j, big, &e);
                if (r < 0)
                        goto fail;
        }
        /* The runs last, in the slice that sends the reply: a run changes with each of its jobs that ends,
         * and so no change of a run can come between its entry and the reply. In a slice of their own
         * where the jobs took this one's time (up to MANAGER_RUNS_MAX of them). */
        if (k >= 32 && now(CLOCK_MONOTONIC) >= until)
                goto later;
        for (size_t i = 0; i < m->n_runs; i++) {
                Run *run = m->runs[i];
                char path[64];

                b->size += 1024 + strlen_null(run->name);
                if (b->size > REPLY_SIZE_MAX) {
                        bus_job_set_reader(NULL);
                        return build_too_large(b);
                }
                snprintf(path, sizeof(path), JOBD_RUN_PATH_PREFIX "/%llu", (unsigned long long) run->id);
                r = append_object(b->bus, b->reply, path, JOBD_RUN_INTERFACE, run_vtables, run, true, &e);
                if (r < 0)
                        goto fail;
        }
        bus_job_set_reader(NULL);

        r = sd_bus_message_close_container(b->reply);
        if (r < 0)
                return build_fail(b, NULL, r);
        if (b->n_lean > 0)
                log_debug("GetManagedObjects() for %s: %u jobs without %s (reply past %u MiB).",
                          strna(sd_bus_message_get_sender(b->call)), b->n_lean, "their big properties",
                          REPLY_FULL_FROM >> 20);
        r = sd_bus_send(b->bus, b->reply, NULL);
        if (r < 0)
                log_warning_errno(r, "Cannot send the GetManagedObjects() reply to %s: %m",
                                  strna(sd_bus_message_get_sender(b->call)));
        build_end(b);
        return 0;

later:
        bus_job_set_reader(NULL);
        /* The rest on the next iteration: a timer that is due at once, not a defer source, which stays
         * pending and so would always come before the bus's messages. */
        r = sd_event_source_set_time_relative(s, 0);
        if (r >= 0)
                r = sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        if (r < 0)
                return build_fail(b, NULL, r);
        return 0;

fail:
        bus_job_set_reader(NULL);
        return build_fail(b, &e, r);
}

static int start_build(Manager *m, sd_bus *bus, sd_bus_message *call) {
        ObjectsBuild *b;
        BusCaller c;
        int r;

        if (!isempty(sd_bus_message_get_signature(call, true)))
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_INVALID_ARGS,
                                                  "GetManagedObjects() takes no arguments");
        if (n_builds >= BUILDS_MAX)
                return sd_bus_reply_method_errorf(call, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                                  "%u GetManagedObjects() calls are being answered; "
                                                  "try again later", n_builds);
        r = bus_get_caller(call, &c);
        if (r < 0)
                return sd_bus_reply_method_errno(call, r, NULL);
        /* Before the first slice: a job added from now on is announced to the caller. */
        r = bus_watch_objects(call);
        if (r < 0)
                return sd_bus_reply_method_errno(call, r, NULL);

        b = calloc(1, sizeof(ObjectsBuild));
        if (!b)
                return sd_bus_reply_method_errno(call, ENOMEM, NULL);
        *b = (ObjectsBuild) {
                .manager = m,
                .bus = sd_bus_ref(bus),
                .call = sd_bus_message_ref(call),
                .caller = c.uid,
                .seq = ++builds_started,
                .first_job = m->gc_cursor,
                .next_job = m->gc_cursor,
                .next = builds,
        };
        builds = b;
        n_builds++;

        r = sd_bus_message_new_method_return(call, &b->reply);
        if (r >= 0)
                r = sd_bus_message_open_container(b->reply, 'a', "{oa{sa{sv}}}");
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &b->source, CLOCK_MONOTONIC, 0, 1, on_build_slice, b);
        if (r >= 0)
                (void) sd_event_source_set_description(b->source, "get-managed-objects");
        if (r < 0)
                return build_fail(b, NULL, r);
        return 0;
}

static int reply_no_such(sd_bus_message *call, const char *path) {
        uint64_t id;

        if (jobd_job_path_parse(path, &id) >= 0)
                return sd_bus_reply_method_errorf(call, JOBD_ERROR_NO_SUCH_JOB,
                                                  "No job with id %llu (never submitted, or forgotten: see "
                                                  "--keep-finished in jobd(8))", (unsigned long long) id);
        if (jobd_run_path_parse(path, &id) >= 0)
                return sd_bus_reply_method_errorf(call, JOBD_ERROR_NO_SUCH_RUN,
                                                  "No run with id %llu (never submitted, or forgotten)",
                                                  (unsigned long long) id);
        return 0;
}

static int on_call(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path, *interface;
        uint64_t id;
        uint8_t type;
        int r;

        if (sd_bus_message_get_type(msg, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL)
                return 0;
        path = sd_bus_message_get_path(msg);
        interface = sd_bus_message_get_interface(msg);
        if (!path)
                return 0;

        if (streq(path, JOBD_MANAGER_PATH)) {
                if (!sd_bus_message_is_method_call(msg, "org.freedesktop.DBus.ObjectManager",
                                                   "GetManagedObjects"))
                        return 0;
                r = start_build(m, sd_bus_message_get_bus(msg), msg);
                if (r < 0)
                        log_warning_errno(r, "Cannot answer GetManagedObjects(): %m");
                return 1;
        }

        /* A stale job or run path: every call of its interface or of Properties. Peer and Introspectable
         * are left to sd-bus. */
        if (interface && !streq(interface, JOBD_JOB_INTERFACE) && !streq(interface, JOBD_RUN_INTERFACE) &&
            !streq(interface, "org.freedesktop.DBus.Properties"))
                return 0;
        if (jobd_job_path_parse(path, &id) >= 0) {
                if (manager_get_job(m, id))
                        return 0;
        } else if (jobd_run_path_parse(path, &id) >= 0) {
                if (manager_get_run(m, id))
                        return 0;
        } else
                return 0;
        r = reply_no_such(msg, path);
        if (r < 0)
                log_debug_errno(r, "Cannot reply to a call on %s: %m", path);
        return 1;
}

int bus_objects_setup(Manager *m, sd_bus *bus) {
        return sd_bus_add_filter(bus, NULL, on_call, m);
}
