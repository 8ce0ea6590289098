/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape-util.h"
#include "bus-guard.h"
#include "bus-jobd.h"
#include "bus-polkit.h"
#include "bus-sched.h"
#include "bus-spec.h"
#include "jobd-bus.h"
#include "log.h"
#include "plan.h"
#include "resources.h"
#include "run.h"
#include "strv.h"

int bus_verify_manage_daemon(Manager *m, sd_bus_message *msg, const char *what, BusAuth *ret,
                             sd_bus_error *error) {
        BusOperation op = bus_daemon_operation(msg);
        int r;

        r = bus_verify_operator(m, msg, &op, ret, error);
        if (r == -EACCES)
                return bus_access_denied(error, "Only root may %s%s", what,
                                         m->system_mode ? " (or an operator: polkit action "
                                         JOBD_ACTION_MANAGE_DAEMON ", see org.jobd1(5))" : "");
        return r;
}

/* Sets the error from a refusal of the core: its message if it gave one. */
static int reply_refusal(int r, const char *message, const char *name, sd_bus_error *error) {
        if (message)
                return sd_bus_error_set(error, name, message);
        return r;
}

int bus_append_job_list(Manager *m, sd_bus_message *reply, uint64_t first, uint64_t n) {
        size_t size = 0;
        char path[64];
        Job *j;
        int r;

        MANAGER_FOREACH_JOB_RANGE(j, m, first, first + n) {
                /* Name, path, state, result and framing: bounded as every reply. */
                size += 64 + (j->spec.name ? strlen(j->spec.name) : 0);
                if (size > REPLY_SIZE_MAX)
                        return -E2BIG;
                snprintf(path, sizeof(path), JOBD_JOB_PATH_PREFIX "/%llu", (unsigned long long) j->id);
                r = sd_bus_message_append(reply, "(tsssuo)", j->id, j->spec.name ?: "",
                                          job_state_to_string(j->state), job_result_to_string(j->result),
                                          (uint32_t) j->owner, path);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Puts where the refused part of a plan is in front of the message of an InvalidSpec error. */
static int prefix_error(sd_bus_error *error, const char *prefix) {
        _cleanup_free_ char *msg = NULL;

        if (!sd_bus_error_has_name(error, JOBD_ERROR_INVALID_SPEC))
                return 0;
        if (asprintf(&msg, "%s: %s", prefix, strempty(error->message)) < 0)
                return -ENOMEM;
        sd_bus_error_free(error);
        return sd_bus_error_set(error, JOBD_ERROR_INVALID_SPEC, msg);
}

static int read_plan(sd_bus_message *msg, Plan *p, sd_bus_error *error) {
        BusSpecExtra x = {};
        int r;

        r = sd_bus_message_enter_container(msg, 'a', "a{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0;; i++) {
                char label[PLAN_LABEL_MAX];
                PlanJob *j;

                r = sd_bus_message_at_end(msg, false);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                r = plan_add_job(p, &j);
                if (r == -E2BIG)
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC,
                                                 "jobs: more than %u jobs in one plan", PLAN_JOBS_MAX);
                if (r < 0)
                        return r;

                x = (BusSpecExtra) {};
                r = bus_read_job_spec_full(msg, &j->spec, BUS_SPEC_PLAN_JOB, &x, error);
                j->keys = x.keys;
                j->after_names = TAKE_PTR(x.after_names);
                bus_spec_extra_done(&x);
                if (r < 0) {
                        int q = prefix_error(error, plan_job_label(p, i, label, sizeof(label)));
                        return q < 0 ? q : r;
                }
        }
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;

        x = (BusSpecExtra) {};
        r = bus_read_job_spec_full(msg, &p->defaults, BUS_SPEC_PLAN_OPTIONS, &x, error);
        p->default_keys = x.keys;
        p->name = TAKE_PTR(x.name);
        p->max_parallel = x.max_parallel;
        p->timeout_usec = x.run_timeout_usec;
        p->output_root = TAKE_PTR(x.output_root);
        bus_spec_extra_done(&x);
        if (r < 0) {
                int q = prefix_error(error, "options");
                return q < 0 ? q : r;
        }
        if (p->name && (strlen(p->name) > JOB_NAME_MAX || !identifier_is_valid(p->name, JOB_NAME_MAX)))
                return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC, "options: Name: \"%s\" is not "
                                         "1-%u characters of A-Z a-z 0-9 _ . -", SHORT_STRING(p->name),
                                         JOB_NAME_MAX);
        if (p->timeout_usec > JOB_TIMEOUT_MAX && p->timeout_usec != USEC_INFINITY)
                return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC, "options: RunTimeoutUSec: %llu µs is "
                                         "more than a year (use 0 for no timeout)",
                                         (unsigned long long) p->timeout_usec);
        if (p->timeout_usec == USEC_INFINITY)
                p->timeout_usec = 0;
        if (p->output_root) {
                if (p->output_root[0] != '/')
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC, "options: OutputRoot: must "
                                                 "be an absolute path, got \"%s\"", SHORT_STRING(p->output_root));
                if (strlen(p->output_root) >= PATH_MAX / 2)
                        return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC, "options: OutputRoot: longer "
                                                 "than %u bytes", PATH_MAX / 2 - 1);
                for (const char *c = p->output_root; *c; c++)
                        if ((unsigned char) *c < ' ' || *c == 0x7f)
                                return sd_bus_error_setf(error, JOBD_ERROR_INVALID_SPEC, "options: OutputRoot: "
                                                         "must not contain control characters");
        }
        return 0;
}

static int method_submit_plan(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *why = NULL, *path = NULL;
        Manager *m = userdata;
        BusCaller c;
        Plan p;
        Run *run;
        int r;

        plan_init(&p);
        r = read_plan(msg, &p, error);
        if (r < 0)
                goto finish;

        r = bus_get_caller_or_self(m, msg, &c);
        if (r < 0)
                goto finish;
        r = bus_verify_submitter(m, c.uid, error);
        if (r < 0)
                goto finish;
        r = manager_submit_plan(m, &p, c.uid, &run, &why);
        if (r < 0) {
                r = reply_refusal(r, why,
                                  r == -EDQUOT ? JOBD_ERROR_QUOTA_EXCEEDED :
                                  r == -EROFS  ? JOBD_ERROR_STATE_FULL :
                                  r == -ELOOP  ? JOBD_ERROR_DEPENDENCY_CYCLE :
                                                 JOBD_ERROR_INVALID_SPEC,
                                  error);
                goto finish;
        }

        r = jobd_run_path(run->id, &path);
        if (r < 0)
                goto finish;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "to", run->id, path);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (uint32_t i = 0; r >= 0 && i < run->n_jobs; i++) {
                char jp[64];

                snprintf(jp, sizeof(jp), JOBD_JOB_PATH_PREFIX "/%llu",
                         (unsigned long long) (run->first_job + i));
                r = sd_bus_message_append_basic(reply, 'o', jp);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
finish:
        plan_done(&p);
        return r;
}

static int method_list_runs(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(tsssuuuo)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_runs; i++) {
                const Run *run = m->runs[i];
                char path[64];

                snprintf(path, sizeof(path), JOBD_RUN_PATH_PREFIX "/%llu", (unsigned long long) run->id);
                r = sd_bus_message_append(reply, "(tsssuuuo)", run->id, strempty(run->name), run_state(run),
                                          run_result(run), run->n_jobs, run->state_counts[JOB_DONE],
                                          run->state_counts[JOB_DONE] - run->result_counts[JOB_SUCCESS],
                                          path);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_run(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *path = NULL;
        uint64_t id;
        int r;

        r = sd_bus_message_read(msg, "t", &id);
        if (r < 0)
                return r;
        if (!manager_get_run(userdata, id))
                return sd_bus_error_setf(error, JOBD_ERROR_NO_SUCH_RUN, "No run with id %llu",
                                         (unsigned long long) id);
        r = jobd_run_path(id, &path);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_set_group_limit(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        Manager *m = userdata;
        BusAuth a;
        const char *group;
        uint32_t limit;
        int r;

        r = sd_bus_message_read(msg, "su", &group, &limit);
        if (r < 0)
                return r;
        r = bus_verify_manage_daemon(m, msg, "change group limits", &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;   /* 0: polkit is asked, the call comes back with the answer */
        r = manager_set_group_limit(m, group, limit, &why);
        if (r < 0)
                return reply_refusal(r, why, r == -E2BIG ? SD_BUS_ERROR_LIMITS_EXCEEDED :
                                                           SD_BUS_ERROR_INVALID_ARGS, error);
        LOG_DAEMON_OPERATION(msg, &a, "Limit of group %s set to %u", group, limit);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_pause_resume_group(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        Manager *m = userdata;
        bool pause = streq(sd_bus_message_get_member(msg), "PauseGroup");
        const char *group;
        BusAuth a;
        int r;

        r = sd_bus_message_read(msg, "s", &group);
        if (r < 0)
                return r;
        r = bus_verify_manage_daemon(m, msg, pause ? "pause groups" : "resume groups", &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_set_group_paused(m, group, pause, &why);
        if (r < 0)
                return reply_refusal(r, why, r == -E2BIG ? SD_BUS_ERROR_LIMITS_EXCEEDED :
                                                           SD_BUS_ERROR_INVALID_ARGS, error);
        LOG_DAEMON_OPERATION(msg, &a, "Group %s %s", group, pause ? "held" : "released");
        return sd_bus_reply_method_return(msg, NULL);
}

static int append_group(void *userdata, const SchedGroupInfo *g) {
        return MIN(sd_bus_message_append(userdata, "(suuub)", g->name,
                                         g->limit == SCHED_UNLIMITED ? 0 : g->limit, g->running, g->queued,
                                         (int) g->held), 0);
}

static int method_list_groups(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Manager *m = userdata;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(suuub)");
        if (r < 0)
                return r;
        r = manager_foreach_group(m, append_group, reply);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_set_pool(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        Manager *m = userdata;
        const char *pool;
        uint32_t capacity;
        BusAuth a;
        int r;

        r = sd_bus_message_read(msg, "su", &pool, &capacity);
        if (r < 0)
                return r;
        r = bus_verify_manage_daemon(m, msg, "change pools", &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_set_pool(m, pool, capacity, &why);
        if (r < 0)
                return reply_refusal(r, why, r == -E2BIG ? SD_BUS_ERROR_LIMITS_EXCEEDED :
                                                           SD_BUS_ERROR_INVALID_ARGS, error);
        LOG_DAEMON_OPERATION(msg, &a, "Capacity of pool %s set to %u", pool, capacity);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_set_slot_pool(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **slots = NULL;
        _cleanup_free_ char *why = NULL;
        Manager *m = userdata;
        const char *pool;
        uint32_t quarantine_after;
        BusAuth a;
        int r;

        /* Who asks first: the slot list is the expensive part of the message. */
        r = bus_verify_manage_daemon(m, msg, "change pools", &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = sd_bus_message_read(msg, "s", &pool);
        if (r < 0)
                return r;
        r = bus_read_strv_bounded(msg, "slots", SCHED_SLOTS_MAX, SCHED_SLOTS_MAX * 256, &slots, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "u", &quarantine_after);
        if (r < 0)
                return r;
        r = manager_set_slot_pool(m, pool, slots, quarantine_after, &why);
        if (r < 0)
                return reply_refusal(r, why, r == -E2BIG ? SD_BUS_ERROR_LIMITS_EXCEEDED :
                                                           SD_BUS_ERROR_INVALID_ARGS, error);
        LOG_DAEMON_OPERATION(msg, &a, "Slot pool %s set to %zu slots, quarantine after %u failures", pool,
                             strv_length(slots), quarantine_after);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_release_slot(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        Manager *m = userdata;
        const char *pool, *slot;
        BusAuth a;
        int r;

        r = sd_bus_message_read(msg, "ss", &pool, &slot);
        if (r < 0)
                return r;
        r = bus_verify_manage_daemon(m, msg, "release slots", &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_release_slot(m, pool, slot, &why);
        if (r == -ENOENT)
                return reply_refusal(r, why, JOBD_ERROR_NO_SUCH_SLOT, error);
        if (r < 0)
                return reply_refusal(r, why, SD_BUS_ERROR_INVALID_ARGS, error);
        LOG_DAEMON_OPERATION(msg, &a, "Slot %s of pool %s released%s", slot, pool,
                             r > 0 ? "" : " (it was free)");
        return sd_bus_reply_method_return(msg, "b", r > 0);
}

typedef struct PoolCopy {
        char *name;
        bool slots;
        uint32_t capacity, in_use;
} PoolCopy;

typedef struct PoolList {
        PoolCopy *pools;
        size_t n;
} PoolList;

static void pool_list_done(PoolList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->pools[i].name);
        free(l->pools);
}

static int collect_pool(void *userdata, const SchedPoolInfo *p) {
        PoolList *l = userdata;
        PoolCopy *t;

        t = reallocarray(l->pools, l->n + 1, sizeof(PoolCopy));
        if (!t)
                return -ENOMEM;
        l->pools = t;
        t[l->n] = (PoolCopy) { strdup(p->name), p->slots, p->capacity, p->in_use };
        if (!t[l->n].name)
                return -ENOMEM;
        l->n++;
        return 0;
}

/* The foreach callbacks stop at a non-zero return: only errors may stop them. */
static int append_slot(void *userdata, const SchedSlotInfo *i) {
        int r = sd_bus_message_append(userdata, "(stub)", i->name, i->holder, i->consecutive_failures,
                                      (int) i->quarantined);
        return MIN(r, 0);
}

static int method_list_pools(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(pool_list_done) PoolList l = {};
        Manager *m = userdata;
        int r;

        /* Copied first: the slots are read by pool, not from inside the iteration over pools. */
        r = manager_foreach_pool(m, collect_pool, &l);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sbuua(stub))");
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n; i++) {
                r = sd_bus_message_open_container(reply, 'r', "sbuua(stub)");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sbuu", l.pools[i].name, (int) l.pools[i].slots,
                                                  l.pools[i].capacity, l.pools[i].in_use);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "(stub)");
                if (r >= 0 && l.pools[i].slots)
                        r = manager_foreach_slot(m, l.pools[i].name, append_slot, reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST SD_BUS_VTABLE_PROPERTY_CONST

static int property_get_draining(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        return sd_bus_message_append(reply, "b", (int) m->draining);
}

static int method_drain_resume(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        bool drain = streq(sd_bus_message_get_member(msg), "Drain");
        BusAuth a;
        int r;

        r = bus_verify_manage_daemon(m, msg, drain ? "drain the daemon" : "resume a drained daemon", &a,
                                     error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        manager_set_draining(m, drain);
        LOG_DAEMON_OPERATION(msg, &a, "%s", drain ? "Daemon drained" : "Drained daemon resumed");
        return sd_bus_reply_method_return(msg, NULL);
}

const sd_bus_vtable bus_manager_sched_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Draining", "b", property_get_draining, 0, EMITS),
        SD_BUS_METHOD_WITH_ARGS("SubmitPlan", SD_BUS_ARGS("aa{sv}", jobs, "a{sv}", options),
                                SD_BUS_RESULT("t", run, "o", run_path, "ao", jobs), method_submit_plan,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListRuns", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(tsssuuuo)", runs),
                                method_list_runs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetRun", SD_BUS_ARGS("t", id), SD_BUS_RESULT("o", run), method_get_run,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetGroupLimit", SD_BUS_ARGS("s", group, "u", limit), SD_BUS_NO_RESULT,
                                method_set_group_limit, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("PauseGroup", SD_BUS_ARGS("s", group), SD_BUS_NO_RESULT,
                                method_pause_resume_group, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ResumeGroup", SD_BUS_ARGS("s", group), SD_BUS_NO_RESULT,
                                method_pause_resume_group, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListGroups", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(suuub)", groups),
                                method_list_groups, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPool", SD_BUS_ARGS("s", pool, "u", capacity), SD_BUS_NO_RESULT,
                                method_set_pool, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetSlotPool", SD_BUS_ARGS("s", pool, "as", slots, "u", quarantine_after),
                                SD_BUS_NO_RESULT, method_set_slot_pool, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReleaseSlot", SD_BUS_ARGS("s", pool, "s", slot),
                                SD_BUS_RESULT("b", released), method_release_slot,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListPools", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sbuua(stub))", pools),
                                method_list_pools, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Drain", NULL, NULL, method_drain_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Resume", NULL, NULL, method_drain_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("RunNew", SD_BUS_ARGS("t", id, "o", run), 0),
        SD_BUS_SIGNAL_WITH_ARGS("RunRemoved", SD_BUS_ARGS("t", id, "o", run), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SlotQuarantined", SD_BUS_ARGS("s", pool, "s", slot), 0),
        SD_BUS_VTABLE_END
};

static int property_get_after(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;

        return sd_bus_message_append_array(reply, 't', j->spec.after, j->spec.n_after * sizeof(uint64_t));
}

static int property_get_job_string(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error) {
        Job *j = userdata;

        if (streq(property, "AfterCondition"))
                return sd_bus_message_append(reply, "s",
                                             job_after_condition_to_string(j->spec.after_condition));
        return sd_bus_message_append(reply, "s", strempty(j->spec.group));
}

static int property_get_resources(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{su}");
        for (size_t i = 0; r >= 0 && i < j->spec.n_resources; i++)
                r = sd_bus_message_append(reply, "{su}", j->spec.resources[i].pool,
                                          j->spec.resources[i].amount);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_retry_on(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **l = job_spec_retry_on_strv(&((Job *) userdata)->spec);

        if (!l)
                return -ENOMEM;
        return sd_bus_message_append_strv(reply, l);
}

static int property_get_run(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        Run *r = manager_run_of_job(j->manager, j->id);

        return sd_bus_message_append(reply, "t", r ? r->id : UINT64_C(0));
}

/* The job's result in its run's first pass, before any Run.Retry(): "" while it has none (not of a run, or
 * not done yet then). */
static int property_get_first_result(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Job *j = userdata;
        Run *r = manager_run_of_job(j->manager, j->id);
        JobResult f = r ? run_job_first_result(r, (uint32_t) (j->id - r->first_job)) : JOB_RESULT_NONE;

        return sd_bus_message_append(reply, "s", f == JOB_RESULT_NONE ? "" : job_result_to_string(f));
}

static int property_get_attempt(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "u", job_attempt_number(userdata));
}

static int property_get_attempts(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ttsii)");
        for (uint32_t i = 0; r >= 0 && i < MIN(j->n_attempts, JOB_ATTEMPTS_MAX); i++) {
                const JobAttempt *a = &j->attempts[i];

                r = sd_bus_message_append(reply, "(ttsii)", a->start_usec, a->finish_usec,
                                          job_result_to_string(a->result), a->exit_code, a->exit_signal);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

const sd_bus_vtable bus_job_sched_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("After", "at", property_get_after, 0, CONST),
        SD_BUS_PROPERTY("AfterCondition", "s", property_get_job_string, 0, CONST),
        SD_BUS_PROPERTY("Group", "s", property_get_job_string, 0, CONST),
        SD_BUS_PROPERTY("Resources", "a{su}", property_get_resources, 0, CONST),
        SD_BUS_PROPERTY("Retries", "u", NULL, offsetof(Job, spec.retries), CONST),
        SD_BUS_PROPERTY("RetryOn", "as", property_get_retry_on, 0, CONST),
        SD_BUS_PROPERTY("RetryDelayUSec", "t", NULL, offsetof(Job, spec.retry_delay_usec), CONST),
        SD_BUS_PROPERTY("Run", "t", property_get_run, 0, CONST),
        SD_BUS_PROPERTY("Attempt", "u", property_get_attempt, 0, 0),
        SD_BUS_PROPERTY("Attempts", "a(ttsii)", property_get_attempts, 0, EMITS),
        SD_BUS_PROPERTY("FirstResult", "s", property_get_first_result, 0, 0),
        SD_BUS_VTABLE_END
};

int bus_sched_setup(Manager *m, sd_bus *bus) {
        int r;

        r = bus_add_guarded_object_vtable(bus, JOBD_MANAGER_PATH, JOBD_MANAGER_INTERFACE,
                                          bus_manager_sched_vtable, m);
        if (r >= 0)
                r = bus_add_guarded_fallback_vtable(bus, JOBD_JOB_PATH_PREFIX, JOBD_JOB_INTERFACE,
                                                    bus_job_sched_vtable, bus_job_find, m);
        if (r >= 0)
                r = bus_add_guarded_fallback_vtable(bus, JOBD_RUN_PATH_PREFIX, JOBD_RUN_INTERFACE,
                                                    bus_run_vtable, bus_run_find, m);
        if (r >= 0)
                r = sd_bus_add_node_enumerator(bus, NULL, JOBD_RUN_PATH_PREFIX, bus_run_enumerate, m);
        if (r < 0)
                return log_error_errno(r, "Cannot register the scheduler's D-Bus objects: %m");
        return 0;
}
