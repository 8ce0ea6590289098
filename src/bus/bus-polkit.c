/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "bus-jobd.h"
#include "bus-polkit.h"
#include "jobd-bus.h"
#include "log.h"
#include "time-util.h"
#include "user-util.h"

/* One question to polkit: asked for one method call, answered once. The design is systemd's: the handler
 * that needs the answer returns without a reply, and when the answer is in the very same message is put
 * back into the bus's read queue, so that it is dispatched again from the top: its object is looked up
 * anew (a job freed in between gets UnknownObject, never a dangling pointer) and the handler finds the
 * answer here. An answer nobody took (the object is gone) is dropped by an idle source, which runs only
 * after the re-queued message was dispatched. */
typedef struct PolkitQuery PolkitQuery;
struct PolkitQuery {
        struct BusPolkit *registry;
        PolkitQuery *next, *prev;
        sd_bus_message *request;       /* keyed by it: held, so its address is not reused meanwhile */
        char *action;
        char *sender;
        uid_t uid;
        sd_bus_slot *slot;             /* CheckAuthorization, while it is out */
        sd_event_source *unclaimed;    /* after the answer: drops it if no handler took it */
        bool answered;
        int answer;                    /* 1: allowed, -EACCES: refused */
        BusAuthVia via;
        bool challenge;                /* refused, but a password would do */
};

/* Bounded (BUS_POLKIT_PENDING_MAX), so the lookups by message and by sender are walks of a short list. */
typedef struct BusPolkit {
        Manager *manager;
        PolkitQuery *queries;
        unsigned n_queries;
} BusPolkit;

static const char *const bus_auth_via_table[_BUS_AUTH_VIA_MAX] = {
        [BUS_AUTH_ROOT] = "root",
        [BUS_AUTH_OWNER] = "owner",
        [BUS_AUTH_POLKIT] = "polkit",
        [BUS_AUTH_OPERATOR_GROUP] = "OperatorGroup",
};

const char *bus_auth_via_to_string(BusAuthVia v) {
        return v >= 0 && v < _BUS_AUTH_VIA_MAX ? bus_auth_via_table[v] : NULL;
}

static PolkitQuery *query_free(PolkitQuery *q) {
        if (!q)
                return NULL;
        if (q->registry) {
                if (q->prev)
                        q->prev->next = q->next;
                else
                        q->registry->queries = q->next;
                if (q->next)
                        q->next->prev = q->prev;
                q->registry->n_queries--;
        }
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->unclaimed);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q->sender);
        free(q);
        return NULL;
}

void bus_polkit_free(Manager *m) {
        if (!m->polkit)
                return;
        while (m->polkit->queries)
                query_free(m->polkit->queries);
        m->polkit = mfree(m->polkit);
}

int bus_access_denied(sd_bus_error *error, const char *format, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        int r;

        if (sd_bus_error_is_set(error))
                return -EACCES;
        va_start(ap, format);
        r = vasprintf(&msg, format, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return sd_bus_error_set(error, JOBD_ERROR_ACCESS_DENIED, msg);
}

/* The fallback where polkit is absent: membership of OperatorGroup= in the user database, never the
 * groups a client's bus credentials claim. */
static int operator_group_answer(Manager *m, uid_t uid) {
        _cleanup_(user_record_freep) UserRecord *u = NULL;
        int r;

        if (!m->have_operator_group)
                return -EACCES;
        r = user_record_get(uid, &u);
        if (r < 0) {
                log_debug_errno(r, "Cannot look uid %u up in the user database, not an operator: %m",
                                (unsigned) uid);
                return -EACCES;
        }
        return user_record_in_group(u, m->operator_gid) ? 1 : -EACCES;
}

static int on_unclaimed(sd_event_source *s, void *userdata) {
        PolkitQuery *q = userdata;

        log_debug("Nobody took polkit's answer for %s (the object is gone), dropping it.", q->sender);
        query_free(q);
        return 0;
}

static int on_polkit_answer(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        Manager *m = q->registry->manager;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        sd_bus *bus = sd_bus_message_get_bus(q->request);
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        q->answered = true;
        q->answer = -EACCES;

        /* Absent only if the bus driver says so: polkit itself passes on the same NameHasNoOwner when the
         * caller left before it could look the caller up, and such a caller must not be judged by the
         * fallback group instead of by polkit. */
        if (e && streq_ptr(sd_bus_message_get_sender(reply), "org.freedesktop.DBus") &&
            (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
             sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
                q->answer = operator_group_answer(m, q->uid);
                q->via = BUS_AUTH_OPERATOR_GROUP;
                log_debug("polkit is absent (%s); uid %u is %sin OperatorGroup=.", e->name, (unsigned) q->uid,
                          q->answer > 0 ? "" : "not ");
        } else if (e)
                /* polkit is there and failed (not our action installed, a timeout): no operator today. */
                log_warning("polkit did not answer whether uid %u may %s: %s; refusing.", (unsigned) q->uid,
                            q->action, e->message ?: e->name);
        else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        log_warning_errno(r, "Cannot read polkit's answer for uid %u, refusing: %m",
                                          (unsigned) q->uid);
                else if (authorized) {
                        q->answer = 1;
                        q->via = BUS_AUTH_POLKIT;
                } else
                        q->challenge = challenge;
        }

        /* Dispatched again from the top; the idle source runs after it (bus messages come first). */
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(bus, q->request);
        if (r >= 0)
                r = sd_event_add_defer(sd_bus_get_event(bus), &q->unclaimed, on_unclaimed, q);
        if (r >= 0) {
                (void) sd_event_source_set_priority(q->unclaimed, SD_EVENT_PRIORITY_IDLE);
                (void) sd_event_source_set_description(q->unclaimed, "polkit-unclaimed");
                return 0;
        }
        log_warning_errno(r, "Cannot dispatch the call of %s again after polkit's answer: %m", q->sender);
        (void) sd_bus_reply_method_errno(q->request, r, NULL);
        query_free(q);
        return 0;
}

static int append_details(sd_bus_message *c, const BusOperation *op) {
        char buf[32];
        int r;

        r = sd_bus_message_open_container(c, 'a', "{ss}");
        if (r >= 0)
                r = sd_bus_message_append(c, "{ss}", "verb", op->verb);
        if (r >= 0 && op->job_id > 0) {
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long) op->job_id);
                r = sd_bus_message_append(c, "{ss}", "job_id", buf);
        }
        if (r >= 0 && op->run_id > 0) {
                snprintf(buf, sizeof(buf), "%llu", (unsigned long long) op->run_id);
                r = sd_bus_message_append(c, "{ss}", "run_id", buf);
        }
        if (r >= 0 && op->owner != UID_NONE) {
                snprintf(buf, sizeof(buf), "%u", (unsigned) op->owner);
                r = sd_bus_message_append(c, "{ss}", "owner_uid", buf);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(c);
}

static int query_start(Manager *m, sd_bus_message *msg, const BusOperation *op, uid_t uid,
                       sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *c = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        bool interactive = sd_bus_message_get_allow_interactive_authorization(msg) > 0;
        unsigned n_uid = 0;
        sd_bus *bus;
        PolkitQuery *q;
        int r;

        /* polkit knows callers by their unique name: a peer-to-peer connection has none. */
        if (!sender)
                return -EACCES;
        if (!m->polkit) {
                m->polkit = calloc(1, sizeof(BusPolkit));
                if (!m->polkit)
                        return -ENOMEM;
                m->polkit->manager = m;
        }
        for (q = m->polkit->queries; q; q = q->next)
                n_uid += q->uid == uid;
        if (m->polkit->n_queries >= BUS_POLKIT_PENDING_MAX || n_uid >= BUS_POLKIT_PENDING_PER_UID_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many authorization questions are out (%u of uid %u, %u in all); "
                                         "try again later", n_uid, (unsigned) uid, m->polkit->n_queries);

        /* Asked on the connection the request came in on: the manager does not hold the bus for us. */
        bus = sd_bus_message_get_bus(msg);
        r = sd_bus_message_new_method_call(bus, &c, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(c, "(sa{sv})s", "system-bus-name", 1, "name", "s", sender,
                                          op->action);
        if (r >= 0)
                r = append_details(c, op);
        /* Flags: 1 = AllowUserInteraction, only when the caller said a person may be asked. */
        if (r >= 0)
                r = sd_bus_message_append(c, "us", (uint32_t) interactive, "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        q->request = sd_bus_message_ref(msg);
        q->uid = uid;
        q->action = strdup(op->action);
        q->sender = strdup(sender);
        if (!q->action || !q->sender) {
                query_free(q);
                return -ENOMEM;
        }
        r = sd_bus_call_async(bus, &q->slot, c, on_polkit_answer, q,
                              interactive ? BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC : BUS_POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                query_free(q);
                return r;
        }
        q->registry = m->polkit;
        q->next = m->polkit->queries;
        if (q->next)
                q->next->prev = q;
        m->polkit->queries = q;
        m->polkit->n_queries++;
        log_debug("Asking polkit whether uid %u (%s) may %s (%s)%s.", (unsigned) uid, sender, op->action,
                  op->verb, interactive ? ", interactively" : "");
        return 0;
}

int bus_verify_operator(Manager *m, sd_bus_message *msg, const BusOperation *op, BusAuth *ret,
                        sd_bus_error *error) {
        BusCaller c;
        int r;

        r = bus_get_caller(msg, &c);
        if (r < 0)
                return r;
        if (c.uid == 0 || c.uid == m->uid) {
                *ret = (BusAuth) { c.uid, BUS_AUTH_ROOT };
                return 1;
        }
        if (op->owner != UID_NONE && c.uid == op->owner) {
                *ret = (BusAuth) { c.uid, BUS_AUTH_OWNER };
                return 1;
        }
        /* A user instance serves one user: nobody else is anybody's operator there. */
        if (!m->system_mode)
                return -EACCES;

        for (PolkitQuery *q = m->polkit ? m->polkit->queries : NULL; q; q = q->next) {
                if (q->request != msg)
                        continue;
                /* Dispatched while still out, or asked for another action: not ours to answer. */
                if (!q->answered || !streq(q->action, op->action))
                        return -EBUSY;
                r = q->answer;
                if (r > 0)
                        *ret = (BusAuth) { c.uid, q->via };
                else if (q->challenge)
                        sd_bus_error_set(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                         "Interactive authentication required.");
                query_free(q);
                return r;
        }
        return query_start(m, msg, op, c.uid, error);
}

void bus_log_operation(const BusOperation *op, const BusAuth *a, const char *format, ...) {
        /* An operator acting on someone's job, and any change to the daemon as a whole. */
        static const char *const message_id[2] = {
                "MESSAGE_ID=f5456f2f3ea8456ba2f0d8daeba12100",   /* on another user's job or run */
                "MESSAGE_ID=d1b1321e96cf488f813c4578fb812bf1",   /* on the daemon */
        };
        char what[512], message[700];
        char f_msg[720], f_prio[16], f_ident[32], f_caller[40], f_owner[40], f_job[48], f_run[48];
        char f_action[96], f_via[64];
        struct iovec iov[12];
        size_t n = 0;
        va_list ap;

        if (op->owner != UID_NONE && a->uid == op->owner)
                return;
        va_start(ap, format);
        vsnprintf(what, sizeof(what), format, ap);
        va_end(ap);
        snprintf(message, sizeof(message), "%s by uid %u (%s).", what, (unsigned) a->uid,
                 bus_auth_via_to_string(a->via));

        if (log_get_journal()) {
#define FIELD(buf, ...) \
        (snprintf(buf, sizeof(buf), __VA_ARGS__), iov[n++] = (struct iovec) { buf, strlen(buf) })
                FIELD(f_msg, "MESSAGE=%s", message);
                FIELD(f_prio, "PRIORITY=%i", LOG_NOTICE);
                FIELD(f_ident, "SYSLOG_IDENTIFIER=%s", "jobd");
                iov[n++] = (struct iovec) { (char *) message_id[op->owner == UID_NONE],
                                            strlen(message_id[op->owner == UID_NONE]) };
                FIELD(f_caller, "JOBD_CALLER_UID=%u", (unsigned) a->uid);
                if (op->owner != UID_NONE)
                        FIELD(f_owner, "JOBD_OWNER_UID=%u", (unsigned) op->owner);
                if (op->job_id > 0)
                        FIELD(f_job, "JOBD_JOB_ID=%llu", (unsigned long long) op->job_id);
                if (op->run_id > 0)
                        FIELD(f_run, "JOBD_RUN_ID=%llu", (unsigned long long) op->run_id);
                FIELD(f_action, "JOBD_ACTION=%s", op->verb);
                FIELD(f_via, "JOBD_AUTHORIZED_BY=%s", bus_auth_via_to_string(a->via));
#undef FIELD
                if (sd_journal_sendv(iov, n) >= 0)
                        return;
        }
        log_notice("%s", message);
}
