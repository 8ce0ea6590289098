/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-jobd.h"
#include "job-enums.h"
#include "jobd-bus.h"
#include "log.h"
#include "macro.h"
#include "run.h"
#include "time-util.h"

/* The manager's observers (ManagerObservers): what core tells, as signals and PropertiesChanged. The
 * userdata is the connection, which bus_setup() hands over to the manager with them. */

/* In the order of the JobChange bits. */
static const char *const job_change_property[] = {
        "State", "Result", "ExitCode", "ExitSignal", "Reason", "StartUSec", "FinishUSec", "ControlGroup",
        "Unit", "StrayProcessesKilled", "Attempts", "Priority", "Held", "SlurmJobId",
};

static void job_path(uint64_t id, char *buf, size_t l) {
        snprintf(buf, l, JOBD_JOB_PATH_PREFIX "/%llu", (unsigned long long) id);
}

static void run_path(uint64_t id, char *buf, size_t l) {
        snprintf(buf, l, JOBD_RUN_PATH_PREFIX "/%llu", (unsigned long long) id);
}

/* Manager.Subscribe(): who listens to per-job PropertiesChanged. sd_bus_track drops a client that leaves
 * the bus. Without a subscriber a job's changes are told by JobChanged (state and result) only. */
static sd_bus_track *subscribers;

/* ObjectManager clients: connections that called GetManagedObjects() (as GDBusObjectManagerClient and
 * QtDBus do before they follow InterfacesAdded/InterfacesRemoved). A job's InterfacesAdded and
 * InterfacesRemoved go out only while one of them or a subscriber is on the bus: for a short job they are
 * the largest messages it costs, and without such a client nobody could use them (a client that never
 * read the objects cannot tell an added job from one it missed). */
static sd_bus_track *object_watchers;

static bool objects_watched(void) {
        return (subscribers && sd_bus_track_count(subscribers) > 0) ||
               (object_watchers && sd_bus_track_count(object_watchers) > 0);
}

/* The jobs with changes not told yet (Job.observer_changes), told once per loop iteration: one
 * PropertiesChanged per job with all its changed properties. */
static uint64_t *pending;
static size_t n_pending, n_pending_alloc;
static sd_event_source *flush_source;

/* A plan's jobs whose InterfacesAdded has not gone out yet: ranges [first, end) of ids, oldest first. They
 * go out in slices of at most ANNOUNCE_SLICE_USEC per loop iteration, each with the job's properties when
 * it is sent. A GetManagedObjects() reply has these jobs too: so their PropertiesChanged and their
 * InterfacesRemoved (a job forgotten before its turn) go out all the same. */
typedef struct IdRange {
        uint64_t first, end;
} IdRange;
static IdRange *unannounced;
static size_t n_unannounced, n_unannounced_alloc;
static sd_event_source *announce_source;
#define ANNOUNCE_SLICE_USEC (5 * USEC_PER_MSEC)

static bool bus_backlogged(Manager *m, void *userdata);

/* For the sliced senders (on_announce(), on_release()), every 16 messages: true once the slice's time is up
 * or the bus has enough to write, after arming s for the rest: at once, or in 1 ms if the bus is
 * backlogged. */
static bool slice_over(sd_event_source *s, Manager *m, usec_t until) {
        sd_bus *bus = m->observers_userdata;
        bool backlogged = bus_backlogged(m, bus);

        if (!backlogged && now(CLOCK_MONOTONIC) < until)
                return false;
        (void) sd_event_source_set_time_relative(s, backlogged ? USEC_PER_MSEC : 0);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return true;
}

/* A GetManagedObjects() reply is built over several loop iterations (bus-objects.c) and has each job as it
 * was when its entry went in. A signal about such a job sent before the reply reaches the caller first and
 * is undone by it: a job removed stays in the caller's view, a change is reverted. So such a signal waits
 * until the builds that have the job are answered; then it goes out with the job's values of that time
 * (a change held is sent as the names of the properties that changed). */
typedef enum HeldKind {
        HELD_ADDED,
        HELD_CHANGED,
        HELD_REMOVED,
} HeldKind;

typedef struct Held {
        uint64_t id;
        uint64_t until;         /* goes out once the builds numbered up to this are answered */
        unsigned changes;       /* HELD_CHANGED: the JobChange bits */
        HeldKind kind;
} Held;

static Held *held;
static size_t n_held, n_held_alloc;
static sd_event_source *release_source;

/* True if the signal waits (and is queued); false if it goes out now. */
static bool hold(HeldKind kind, uint64_t id, unsigned changes) {
        uint64_t until = bus_objects_holder(id);
        Held *last = n_held > 0 ? &held[n_held - 1] : NULL;

        if (until == 0)
                return false;
        if (kind == HELD_CHANGED && last && last->kind == HELD_CHANGED && last->id == id &&
            last->until == until) {
                last->changes |= changes;       /* one job changed again and again: one entry */
                return true;
        }
        if (n_held >= n_held_alloc) {
                size_t n = MAX(n_held_alloc * 2, (size_t) 64);
                Held *a = reallocarray(held, n, sizeof(Held));

                if (!a) {
                        log_oom();
                        return false;   /* out at once rather than lost */
                }
                held = a;
                n_held_alloc = n;
        }
        held[n_held++] = (Held) { .id = id, .until = until, .changes = changes, .kind = kind };
        return true;
}

static void emit_job_properties(sd_bus *bus, uint64_t id, unsigned changes) {
        const char *props[ELEMENTSOF(job_change_property) + 1];
        char path[64];
        size_t n = 0;

        for (size_t b = 0; b < ELEMENTSOF(job_change_property); b++)
                if (changes & (1U << b))
                        props[n++] = job_change_property[b];
        props[n] = NULL;
        job_path(id, path, sizeof(path));
        (void) sd_bus_emit_properties_changed_strv(bus, path, JOBD_JOB_INTERFACE, (char **) props);
}

/* As when it was held, but for the job as it is now: gone, it is neither added nor changed. */
static void send_held(Manager *m, sd_bus *bus, const Held *h) {
        char path[64];

        job_path(h->id, path, sizeof(path));
        switch (h->kind) {
        case HELD_ADDED:
                if (objects_watched() && manager_get_job(m, h->id))
                        (void) sd_bus_emit_object_added(bus, path);
                break;
        case HELD_CHANGED:
                if (subscribers && sd_bus_track_count(subscribers) > 0 && manager_get_job(m, h->id))
                        emit_job_properties(bus, h->id, h->changes);
                break;
        case HELD_REMOVED:
                if (objects_watched())
                        (void) sd_bus_emit_object_removed(bus, path);
                break;
        }
}

/* Sends the held signals whose builds are answered, oldest first, for at most ANNOUNCE_SLICE_USEC (all, if
 * there is no source s to go on with the rest); the others stay in order. One may go out while a build that
 * started after it was held has the job: that reply then has the job as it was after the change, or the
 * change is held again until it is answered. Not waiting for such builds as well keeps a client that
 * calls GetManagedObjects() again and again from holding a signal for good. */
static int on_release(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        sd_bus *bus = m->observers_userdata;
        usec_t until = now(CLOCK_MONOTONIC) + ANNOUNCE_SLICE_USEC;
        size_t i, w = 0;
        unsigned k = 0;

        for (i = 0; i < n_held; i++) {
                /* Each entry looked at counts, sent or not. */
                if (s && ++k % 16 == 0 && slice_over(s, m, until))
                        break;
                if (!bus_objects_answered(held[i].until)) {
                        held[w++] = held[i];
                        continue;
                }
                send_held(m, bus, &held[i]);
        }
        memmove(held + w, held + i, (n_held - i) * sizeof(Held));
        n_held = w + (n_held - i);
        if (n_held == 0 && n_held_alloc > 4096) {
                held = mfree(held);
                n_held_alloc = 0;
        }
        return 0;
}

void bus_emit_release_held(Manager *m) {
        if (n_held == 0)
                return;
        if (!release_source) {
                if (sd_event_add_time_relative(m->event, &release_source, CLOCK_MONOTONIC, 0, 1, on_release,
                                               m) < 0) {
                        (void) on_release(NULL, 0, m);  /* no slices: at once */
                        return;
                }
                (void) sd_event_source_set_description(release_source, "bus-release-held");
        }
        (void) sd_event_source_set_time_relative(release_source, 0);
        (void) sd_event_source_set_enabled(release_source, SD_EVENT_ONESHOT);
}

static int on_announce(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        sd_bus *bus = m->observers_userdata;
        usec_t until = now(CLOCK_MONOTONIC) + ANNOUNCE_SLICE_USEC;
        unsigned k = 0;

        if (!objects_watched())
                n_unannounced = 0;      /* nobody to tell; a client that comes reads them all */
        while (n_unannounced > 0) {
                IdRange *r = &unannounced[0];

                for (; r->first < r->end; r->first++) {
                        char path[64];

                        if (++k % 16 == 0 && slice_over(s, m, until))
                                return 0;
                        if (!manager_get_job(m, r->first) || hold(HELD_ADDED, r->first, 0))
                                continue;
                        job_path(r->first, path, sizeof(path));
                        (void) sd_bus_emit_object_added(bus, path);
                }
                memmove(unannounced, unannounced + 1, --n_unannounced * sizeof(IdRange));
        }
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

/* Adds id to one of the newest ranges it borders, if any: a plan's batches go up from its first job while a
 * Cancel() announces its jobs one by one down from the last, so two ranges grow at once. */
static bool extend_range(uint64_t id) {
        for (size_t i = n_unannounced; i > 0 && n_unannounced - i < 4; i--) {
                IdRange *r = &unannounced[i - 1];

                if (r->end == id) {
                        r->end++;
                        return true;
                }
                if (r->first == id + 1) {
                        r->first--;
                        return true;
                }
        }
        return false;
}

static void announce_later(Manager *m, uint64_t id) {
        if (!extend_range(id)) {
                if (n_unannounced >= n_unannounced_alloc) {
                        size_t n = MAX(n_unannounced_alloc * 2, (size_t) 8);
                        IdRange *a = reallocarray(unannounced, n, sizeof(IdRange));

                        if (!a) {
                                log_oom();
                                return;
                        }
                        unannounced = a;
                        n_unannounced_alloc = n;
                }
                unannounced[n_unannounced++] = (IdRange) { id, id + 1 };
        }
        if (!announce_source &&
            sd_event_add_time_relative(m->event, &announce_source, CLOCK_MONOTONIC, 0, 1, on_announce, m) >= 0)
                (void) sd_event_source_set_description(announce_source, "bus-announce-jobs");
        if (announce_source && n_unannounced == 1 && unannounced[0].end == id + 1 &&
            unannounced[0].first == id) {
                /* Newly started: next iteration. */
                (void) sd_event_source_set_time_relative(announce_source, 0);
                (void) sd_event_source_set_enabled(announce_source, SD_EVENT_ONESHOT);
        }
}

static void emit_job_new(Manager *m, uint64_t id, bool in_run, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        job_path(id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "JobNew", "to", id, path);
        if (!objects_watched())
                return;
        if (in_run)
                announce_later(m, id);
        else
                (void) sd_bus_emit_object_added(bus, path);
}

static int on_flush(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        sd_bus *bus = m->observers_userdata;

        for (size_t i = 0; i < n_pending; i++) {
                Job *j = manager_get_job(m, pending[i]);
                unsigned changes;

                if (!j || j->observer_changes == 0)
                        continue;
                changes = j->observer_changes;
                j->observer_changes = 0;
                if (!hold(HELD_CHANGED, j->id, changes))
                        emit_job_properties(bus, j->id, changes);
        }
        n_pending = 0;
        if (n_pending_alloc > 4096) {
                pending = mfree(pending);
                n_pending_alloc = 0;
        }
        return 0;
}

static void queue_properties_changed(Manager *m, Job *j, JobChange changed) {
        if (j->observer_changes == 0) {
                if (n_pending >= n_pending_alloc) {
                        size_t n = MAX(n_pending_alloc * 2, (size_t) 64);
                        uint64_t *a = reallocarray(pending, n, sizeof(uint64_t));

                        if (!a) {
                                log_oom();
                                return;
                        }
                        pending = a;
                        n_pending_alloc = n;
                }
                pending[n_pending++] = j->id;
        }
        j->observer_changes |= changed & _JOB_CHANGE_ALL;
        if (!flush_source && sd_event_add_defer(m->event, &flush_source, on_flush, m) >= 0)
                (void) sd_event_source_set_description(flush_source, "bus-properties-changed");
        if (flush_source)
                (void) sd_event_source_set_enabled(flush_source, SD_EVENT_ONESHOT);
}

static void emit_job_changed(Manager *m, Job *j, JobChange changed, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        _Static_assert(_JOB_CHANGE_ALL == (1U << ELEMENTSOF(job_change_property)) - 1, "one name a bit");

        if (subscribers && sd_bus_track_count(subscribers) > 0)
                queue_properties_changed(m, j, changed);
        if (changed & (JOB_CHANGE_STATE | JOB_CHANGE_RESULT)) {
                job_path(j->id, path, sizeof(path));
                (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "JobChanged",
                                          "toss", j->id, path, job_state_to_string(j->state),
                                          job_result_to_string(j->result));
        }
}

static void emit_job_removed(Manager *m, uint64_t id, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        job_path(id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "JobRemoved", "to", id,
                                  path);
        /* Also where its InterfacesAdded has not gone out yet: a GetManagedObjects() reply may have had
         * it. */
        if (objects_watched() && !hold(HELD_REMOVED, id, 0))
                (void) sd_bus_emit_object_removed(bus, path);
}

int bus_subscribe(sd_bus_message *msg, bool subscribe, sd_bus_error *error) {
        int r;

        if (!subscribers) {
                r = sd_bus_track_new(sd_bus_message_get_bus(msg), &subscribers, NULL, NULL);
                if (r < 0)
                        return r;
        }
        if (subscribe)
                r = sd_bus_track_add_sender(subscribers, msg);
        else
                r = sd_bus_track_remove_sender(subscribers, msg);
        if (r < 0)
                return r;
        log_debug("%s %s (%u subscribers).", strna(sd_bus_message_get_sender(msg)),
                  subscribe ? (r > 0 ? "subscribed" : "was subscribed already") :
                              (r > 0 ? "unsubscribed" : "was not subscribed"),
                  sd_bus_track_count(subscribers));
        return sd_bus_reply_method_return(msg, NULL);
}

int bus_watch_objects(sd_bus_message *msg) {
        int r;

        if (!object_watchers) {
                r = sd_bus_track_new(sd_bus_message_get_bus(msg), &object_watchers, NULL, NULL);
                if (r < 0)
                        return r;
        }
        r = sd_bus_track_add_sender(object_watchers, msg);
        if (r > 0)
                log_debug("%s reads the objects: jobs' InterfacesAdded/InterfacesRemoved go out (%u such "
                          "clients).", strna(sd_bus_message_get_sender(msg)),
                          sd_bus_track_count(object_watchers));
        return r;
}

static void emit_run_new(Manager *m, Run *r, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(r->id, path, sizeof(path));
        (void) sd_bus_emit_object_added(bus, path);
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "RunNew", "to", r->id,
                                  path);
}

static void emit_run_changed(Manager *m, Run *r, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(r->id, path, sizeof(path));
        (void) sd_bus_emit_properties_changed(bus, path, JOBD_RUN_INTERFACE, "State", "Result",
                                              "StateCounts", "ResultCounts", "FirstResultCounts",
                                              "FinishUSec", NULL);
}

static void emit_run_finished(Manager *m, Run *r, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(r->id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, path, JOBD_RUN_INTERFACE, "Finished", "ts", r->id, run_result(r));
}

static void emit_run_removed(Manager *m, uint64_t id, void *userdata) {
        sd_bus *bus = userdata;
        char path[64];

        run_path(id, path, sizeof(path));
        (void) sd_bus_emit_signal(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "RunRemoved", "to", id,
                                  path);
        (void) sd_bus_emit_object_removed(bus, path);
}

static void send_manager_changed(sd_bus *bus, ManagerChange changed) {
        static const struct {
                ManagerChange bit;
                const char *name;
        } table[] = {
                { MANAGER_CHANGE_JOBS_RUNNING, "JobsRunning" },
                { MANAGER_CHANGE_JOBS_QUEUED,  "JobsQueued"  },
                { MANAGER_CHANGE_JOBS_WAITING, "JobsWaiting" },
                { MANAGER_CHANGE_MAX_PARALLEL, "MaxParallel" },
                { MANAGER_CHANGE_DRAINING,     "Draining"    },
        };
        const char *props[ELEMENTSOF(table) + 1];
        size_t n = 0;

        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (changed & table[i].bit)
                        props[n++] = table[i].name;
        props[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                                           (char **) props);
}

/* The job counts change with every job that starts or ends: their PropertiesChanged goes out at most once
 * per COUNTS_INTERVAL_USEC, with the values of when it is sent (the last change is always told, at most
 * that late). MaxParallel and Draining go out at once, with any counts that wait. */
#define COUNTS_INTERVAL_USEC (100 * USEC_PER_MSEC)
#define MANAGER_CHANGE_COUNTS (MANAGER_CHANGE_JOBS_RUNNING | MANAGER_CHANGE_JOBS_QUEUED | \
                               MANAGER_CHANGE_JOBS_WAITING)
static ManagerChange counts_waiting;
static usec_t counts_sent_usec;
static sd_event_source *counts_source;

static void send_counts_now(sd_bus *bus, ManagerChange changed) {
        changed |= counts_waiting;
        counts_waiting = 0;
        counts_sent_usec = now(CLOCK_MONOTONIC);
        if (counts_source)
                (void) sd_event_source_set_enabled(counts_source, SD_EVENT_OFF);
        send_manager_changed(bus, changed);
}

static int on_counts(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        send_counts_now(m->observers_userdata, 0);
        return 0;
}

static void emit_changed(Manager *m, ManagerChange changed, void *userdata) {
        usec_t t;

        if ((changed & ~MANAGER_CHANGE_COUNTS) != 0) {
                send_counts_now(userdata, changed);
                return;
        }
        if (counts_waiting != 0) {      /* the timer is armed */
                counts_waiting |= changed;
                return;
        }
        t = now(CLOCK_MONOTONIC);
        if (t >= counts_sent_usec + COUNTS_INTERVAL_USEC) {
                send_counts_now(userdata, changed);
                return;
        }
        counts_waiting = changed;
        if (!counts_source) {
                if (sd_event_add_time(m->event, &counts_source, CLOCK_MONOTONIC,
                                      counts_sent_usec + COUNTS_INTERVAL_USEC, 0, on_counts, m) < 0) {
                        send_counts_now(userdata, 0);   /* no timer: tell at once rather than never */
                        return;
                }
                (void) sd_event_source_set_description(counts_source, "bus-manager-counts");
        } else
                (void) sd_event_source_set_time(counts_source, counts_sent_usec + COUNTS_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(counts_source, SD_EVENT_ONESHOT);
}

static void emit_slot_quarantined(Manager *m, const char *pool, const char *slot, void *userdata) {
        (void) sd_bus_emit_signal(userdata, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE, "SlotQuarantined",
                                  "ss", pool, slot);
}

/* Messages queued for writing beyond which sliced work waits (a reply queued behind them waits for
 * dbus-daemon to take them all: ~50 us each). */
#define BUS_BACKLOG_MAX 256U

static bool bus_backlogged(Manager *m, void *userdata) {
        uint64_t n;

        return sd_bus_get_n_queued_write(userdata, &n) >= 0 && n > BUS_BACKLOG_MAX;
}

static void bus_detach(Manager *m, void *userdata) {
        subscribers = sd_bus_track_unref(subscribers);
        object_watchers = sd_bus_track_unref(object_watchers);
        flush_source = sd_event_source_disable_unref(flush_source);
        announce_source = sd_event_source_disable_unref(announce_source);
        release_source = sd_event_source_disable_unref(release_source);
        counts_source = sd_event_source_disable_unref(counts_source);
        counts_waiting = 0;
        pending = mfree(pending);
        n_pending = n_pending_alloc = 0;
        unannounced = mfree(unannounced);
        n_unannounced = n_unannounced_alloc = 0;
        held = mfree(held);
        n_held = n_held_alloc = 0;
        bus_objects_free();
        sd_bus_flush_close_unref(userdata);
}

const ManagerObservers bus_observers = {
        .job_new = emit_job_new,
        .job_changed = emit_job_changed,
        .job_removed = emit_job_removed,
        .run_new = emit_run_new,
        .run_changed = emit_run_changed,
        .run_finished = emit_run_finished,
        .run_removed = emit_run_removed,
        .changed = emit_changed,
        .slot_quarantined = emit_slot_quarantined,
        .backlogged = bus_backlogged,
        .detach = bus_detach,
};
