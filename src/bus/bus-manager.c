/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "bus-guard.h"
#include "bus-jobd.h"
#include "bus-polkit.h"
#include "bus-sched.h"
#include "bus-spec.h"
#include "job-filter.h"
#include "jobd-bus.h"
#include "log.h"
#include "run.h"

static Job *find_job(Manager *m, uint64_t id, sd_bus_error *error) {
        Job *j = manager_get_job(m, id);

        if (!j)
                sd_bus_error_setf(error, JOBD_ERROR_NO_SUCH_JOB, "No job with id %llu", (unsigned long long) id);
        return j;
}

/* The job a method's leading "t id" names: 0 with *ret set, or negative with error set (NoSuchJob). */
static int read_job(sd_bus_message *msg, Manager *m, Job **ret, sd_bus_error *error) {
        uint64_t id;
        int r;

        r = sd_bus_message_read(msg, "t", &id);
        if (r < 0)
                return r;
        *ret = find_job(m, id, error);
        return *ret ? 0 : -ENOENT;
}

static int method_submit(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *path = NULL, *why = NULL;
        BusCaller c;
        JobSpec spec;
        Job *j;
        int r;

        job_spec_init(&spec);
        r = bus_read_job_spec(msg, &spec, error);
        if (r < 0)
                goto finish;

        r = bus_get_caller_or_self(m, msg, &c);
        if (r < 0)
                goto finish;
        r = bus_verify_submitter(m, c.uid, error);
        if (r < 0)
                goto finish;
        r = manager_submit(m, &spec, c.uid, &j, &why);
        if (r < 0) {
                const char *name = r == -EDQUOT ? JOBD_ERROR_QUOTA_EXCEEDED :
                                   r == -EROFS ? JOBD_ERROR_STATE_FULL :
                                   r == -ELOOP ? JOBD_ERROR_DEPENDENCY_CYCLE : JOBD_ERROR_INVALID_SPEC;
                if (why)
                        r = sd_bus_error_set(error, name, why);
                goto finish;
        }
        r = jobd_job_path(j->id, &path);
        if (r >= 0)
                r = sd_bus_reply_method_return(msg, "to", j->id, path);
finish:
        job_spec_done(&spec);
        return r;
}

static int method_list_jobs(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tsssuo)");
        if (r < 0)
                return r;
        r = bus_append_job_list(m, reply, 0, m->next_id);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, JOBD_ERROR_TOO_LARGE,
                                         "ListJobs() of %u jobs would pass %u MiB, more than a bus carries; "
                                         "page through them with ListJobsFiltered()",
                                         m->n_jobs, REPLY_SIZE_MAX >> 20);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static const struct {
        const char *name, *signature;
} filter_keys[] = {
        { "Owner", "u" }, { "Run", "t" }, { "States", "as" }, { "Results", "as" }, { "Group", "s" },
        { "Label", "s" }, { "MinId", "t" }, { "MaxId", "t" }, { "SubmittedAfterUSec", "t" },
};

/* States/Results: each name is checked as it is read, nothing is allocated (a client may send many). */
static int read_filter_names(sd_bus_message *msg, const char *key, JobFilter *f, sd_bus_error *error) {
        bool states = streq(key, "States");
        const char *s;
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(msg, 's', &s)) > 0)
                if ((states ? job_filter_add_state(f, s) : job_filter_add_result(f, s)) < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "%s: \"%.64s\" is not a job %s", key, s,
                                                 states ? "state (waiting, queued, starting, running, paused, "
                                                          "stopping, done)" :
                                                          "result (success, failed, killed, timeout, oom, "
                                                          "skipped, cancelled, lost, or \"\")");
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int read_filter(sd_bus_message *msg, JobFilter *f, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *contents, *s;
                size_t k;

                r = sd_bus_message_read_basic(msg, 's', &key);
                if (r < 0)
                        return r;
                for (k = 0; k < ELEMENTSOF(filter_keys); k++)
                        if (streq(key, filter_keys[k].name))
                                break;
                if (k >= ELEMENTSOF(filter_keys))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Unknown filter key \"%.64s\" (known: Owner, Run, States, "
                                                 "Results, Group, Label, MinId, MaxId, SubmittedAfterUSec)",
                                                 key);
                r = sd_bus_message_peek_type(msg, NULL, &contents);
                if (r < 0)
                        return r;
                if (!streq(contents, filter_keys[k].signature))
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Filter key %s: must be of type '%s', got '%s'", key,
                                                 filter_keys[k].signature, contents);
                r = sd_bus_message_enter_container(msg, 'v', contents);
                if (r < 0)
                        return r;
                if (streq(key, "Owner")) {
                        r = sd_bus_message_read_basic(msg, 'u', &f->owner);
                        f->owner_set = true;
                } else if (streq(key, "Run")) {
                        r = sd_bus_message_read_basic(msg, 't', &f->run);
                        f->run_set = true;
                } else if (streq(key, "States") || streq(key, "Results"))
                        r = read_filter_names(msg, key, f, error);
                else if (streq(key, "Group") || streq(key, "Label")) {
                        char **p = streq(key, "Group") ? &f->group : &f->label;

                        r = sd_bus_message_read_basic(msg, 's', &s);
                        if (r >= 0) {
                                free(*p);
                                *p = strdup(s);
                                if (!*p)
                                        r = -ENOMEM;
                        }
                } else
                        r = sd_bus_message_read_basic(msg, 't', streq(key, "MinId") ? &f->min_id :
                                                                streq(key, "MaxId") ? &f->max_id :
                                                                &f->submitted_after);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(msg);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int method_list_jobs_filtered(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(job_filter_done) JobFilter f = {};
        Manager *m = userdata;
        uint64_t after, first, end, last = 0;
        uint32_t limit, n = 0;
        bool more = false;
        Job *j;
        int r;

        r = read_filter(msg, &f, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "tu", &after, &limit);
        if (r < 0)
                return r;
        limit = job_filter_limit(limit);
        job_filter_id_range(&f, after, &first, &end);

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tsssuo)");
        if (r < 0)
                return r;
        MANAGER_FOREACH_JOB_RANGE(j, m, first, end) {
                const Run *run = f.run_set ? manager_run_of_job(m, j->id) : NULL;
                JobFilterItem item = {
                        .id = j->id,
                        .owner = (uint32_t) j->owner,
                        .run = run ? run->id : 0,
                        .state = j->state,
                        .result = j->result,
                        .group = j->spec.group,
                        .labels = j->spec.labels,
                        .submit_usec = j->submit_usec,
                };
                char path[64];

                if (!job_filter_match(&f, &item))
                        continue;
                /* One more match than the page holds: there is a next page. */
                if (n >= limit) {
                        more = true;
                        break;
                }
                snprintf(path, sizeof(path), JOBD_JOB_PATH_PREFIX "/%llu", (unsigned long long) j->id);
                r = sd_bus_message_append(reply, "(tsssuo)", j->id, j->spec.name ?: "",
                                          job_state_to_string(j->state),
                                          job_result_to_string(j->result), (uint32_t) j->owner, path);
                if (r < 0)
                        return r;
                n++;
                last = j->id;
        }
        r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "t", more ? last : UINT64_C(0));
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* The columns of "jobctl list" beyond ListJobsFiltered's, for many jobs in one call (one GetAll a job
 * costs a round trip and every property). Argv is for its owner and root only in system mode, as the
 * Argv property. */
#define JOB_DETAILS_MAX 10000U

static int method_list_job_details(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        const uint64_t *ids;
        BusCaller c = { .uid = 0 };
        size_t sz, n, size = 0;
        int r;

        r = sd_bus_message_read_array(msg, 't', (const void **) &ids, &sz);
        if (r < 0)
                return r;
        n = sz / sizeof(uint64_t);
        if (n > JOB_DETAILS_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "ids: %zu, at most %u in one call", n,
                                         JOB_DETAILS_MAX);
        if (m->system_mode) {
                r = bus_get_caller(msg, &c);
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tiittasas)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                Job *j = manager_get_job(m, ids[i]);
                bool reveal;

                if (!j)
                        continue;
                reveal = !m->system_mode || c.uid == 0 || c.uid == j->owner;
                /* Bounded as every reply: an id may come many times, and an Argv is up to 256 KiB. */
                size += 64 + bus_strv_wire_bytes(reveal ? j->spec.argv : NULL) +
                        bus_strv_wire_bytes(j->spec.labels);
                if (size > REPLY_SIZE_MAX)
                        return sd_bus_error_setf(error, JOBD_ERROR_TOO_LARGE,
                                                 "ListJobDetails() of these %zu ids would pass %u MiB, more "
                                                 "than a bus carries; ask for fewer ids a call",
                                                 n, REPLY_SIZE_MAX >> 20);
                r = sd_bus_message_open_container(reply, 'r', "tiittasas");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "tiitt", j->id, (int32_t) j->exit_code,
                                                  (int32_t) j->exit_signal, (uint64_t) j->start_usec,
                                                  (uint64_t) j->finish_usec);
                if (r >= 0)
                        r = sd_bus_message_append_strv(reply, reveal ? j->spec.argv : NULL);
                if (r >= 0)
                        r = sd_bus_message_append_strv(reply, j->spec.labels);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_remove_job(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Job *j;
        int r;

        r = read_job(msg, userdata, &j, error);
        if (r < 0)
                return r;
        return bus_job_remove(j, msg, error);
}

static int method_get_job(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        uint64_t id;
        int r;

        r = sd_bus_message_read(msg, "t", &id);
        if (r < 0)
                return r;
        if (!find_job(userdata, id, error))
                return -ENOENT;
        r = jobd_job_path(id, &path);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_kill_job(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint64_t id;
        int32_t sig;
        Job *j;
        int r;

        r = sd_bus_message_read(msg, "ti", &id, &sig);
        if (r < 0)
                return r;
        j = find_job(userdata, id, error);
        if (!j)
                return -ENOENT;
        return bus_job_kill(j, msg, sig, error);
}

static int method_cancel_job(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Job *j;
        int r;

        r = read_job(msg, userdata, &j, error);
        if (r < 0)
                return r;
        return bus_job_cancel(j, msg, error);
}

static int method_set_max_parallel(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        BusAuth a;
        uint32_t n;
        int r;

        r = sd_bus_message_read(msg, "u", &n);
        if (r < 0)
                return r;
        r = bus_verify_manage_daemon(m, msg, "change MaxParallel", &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;   /* 0: polkit is asked, the call comes back with the answer */
        manager_set_max_parallel(m, n);
        LOG_DAEMON_OPERATION(msg, &a, "MaxParallel set to %u%s", n, n == 0 ? " (unlimited)" : "");
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_subscribe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_subscribe(msg, streq(sd_bus_message_get_member(msg), "Subscribe"), error);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append_basic(reply, 's', streq(property, "Version") ? PACKAGE_VERSION
                                                                                  : m->backend->ops->name);
}

static int property_get_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        SchedCounts c;
        uint32_t v;

        manager_get_counts(m, &c);
        if (streq(property, "MaxParallel"))
                v = manager_get_max_parallel(m); else if (streq(property, "JobsRunning"))
                v = c.running;
        else if (streq(property, "JobsQueued"))
                v = c.queued;
        else
                v = c.waiting;
        return sd_bus_message_append_basic(reply, 'u', &v);
}

const sd_bus_vtable bus_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Backend", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MaxParallel", "u", property_get_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("JobsRunning", "u", property_get_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("JobsQueued", "u", property_get_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("JobsWaiting", "u", property_get_count, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Submit", SD_BUS_ARGS("a{sv}", spec), SD_BUS_RESULT("t", id, "o", job),
                                method_submit, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(tsssuo)", jobs),
                                method_list_jobs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJob", SD_BUS_ARGS("t", id), SD_BUS_RESULT("o", job), method_get_job,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobsFiltered", SD_BUS_ARGS("a{sv}", filter, "t", after, "u", limit),
                                SD_BUS_RESULT("a(tsssuo)", jobs, "t", next), method_list_jobs_filtered,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RemoveJob", SD_BUS_ARGS("t", id), SD_BUS_NO_RESULT, method_remove_job,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobDetails", SD_BUS_ARGS("at", ids), SD_BUS_RESULT("a(tiittasas)", details),
                                method_list_job_details, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("KillJob", SD_BUS_ARGS("t", id, "i", signal), SD_BUS_NO_RESULT,
                                method_kill_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("CancelJob", SD_BUS_ARGS("t", id), SD_BUS_NO_RESULT, method_cancel_job,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetMaxParallel", SD_BUS_ARGS("u", n), SD_BUS_NO_RESULT,
                                method_set_max_parallel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Subscribe", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_subscribe,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Unsubscribe", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_subscribe,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("t", id, "o", job), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobChanged", SD_BUS_ARGS("t", id, "o", job, "s", state, "s", result), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved", SD_BUS_ARGS("t", id, "o", job), 0),
        SD_BUS_VTABLE_END
};

static int on_name_acquired(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Manager *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        uint32_t ret = 0;

        if (e) {
                log_error("Cannot own the bus name %s: %s", JOBD_BUS_NAME, e->message ?: e->name);
                return sd_event_exit(m->event, -EEXIST);
        }
        /* A refusal is a normal reply: 1 means primary owner, 4 already owner, 3 exists. */
        if (sd_bus_message_read(reply, "u", &ret) < 0 || (ret != 1 && ret != 4)) {
                log_error("Cannot own the bus name %s: another daemon has it (reply %u).", JOBD_BUS_NAME, ret);
                return sd_event_exit(m->event, -EEXIST);
        }
        log_info("jobd %s ready: bus name %s, backend %s, cgroup %s.", PACKAGE_VERSION, JOBD_BUS_NAME,
                 m->backend->ops->name, m->backend->root_path);
        (void) sd_notify(false, "READY=1\nSTATUS=Accepting jobs.");
        return 0;
}

/* The bus went away under us (dbus-daemon stopped, or it dropped us): nothing can reach the daemon any
 * more. Exit with a failure, so that the service manager restarts it (Restart=on-failure). */
static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        log_error("Disconnected from the bus: exiting with a failure, so that jobd is restarted. The jobs "
                  "carry on and are adopted at the next start.");
        return sd_event_exit(m->event, -ECONNRESET);
}

int bus_setup(Manager *m, const char *address) {
        sd_bus *bus = NULL;
        int r;

        if (address) {
                r = sd_bus_new(&bus);
                if (r >= 0)
                        r = sd_bus_set_address(bus, address);
                if (r >= 0)
                        r = sd_bus_set_bus_client(bus, true);
                if (r >= 0)
                        r = sd_bus_start(bus);
        } else if (m->system_mode)
                r = sd_bus_open_system(&bus);
        else
                r = sd_bus_open_user(&bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return log_error_errno(r, "Cannot connect to the %s bus%s%s: %m",
                                       address ? "given" : m->system_mode ? "system" : "session",
                                       address ? " " : "", address ?: "");
        }
        /* From now on the manager holds the connection, and tells it what changes. */
        manager_set_observers(m, &bus_observers, bus);

        r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %m");
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, m);
        if (r < 0)
                return log_error_errno(r, "Cannot watch for the bus's disconnection: %m");
        r = sd_bus_error_add_map(jobd_bus_error_map);
        if (r < 0)
                return log_error_errno(r, "Cannot register the error map: %m");

        r = bus_objects_setup(m, bus);
        if (r >= 0)
                r = bus_add_guarded_object_vtable(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                                  bus_manager_vtable, m);
        if (r >= 0)
                r = bus_add_guarded_fallback_vtable(bus, JOBD_JOB_PATH_PREFIX, JOBD_JOB_INTERFACE,
                                                    bus_job_vtable, bus_job_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, JOBD_JOB_PATH_PREFIX, bus_job_enumerate, m);
        if (r >= 0)
                r = sd_bus_add_object_manager(bus, NULL, JOBD_MANAGER_PATH);
        if (r < 0)
                return log_error_errno(r, "Cannot register the D-Bus objects: %m");
        r = bus_sched_setup(m, bus);
        if (r < 0)
                return r;

        r = sd_bus_request_name_async(bus, NULL, JOBD_BUS_NAME, 0, on_name_acquired, m);
        if (r < 0)
                return log_error_errno(r, "Cannot request the bus name %s: %m", JOBD_BUS_NAME);
        return 0;
}
