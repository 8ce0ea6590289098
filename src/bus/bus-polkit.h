/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "macro.h"
#include "manager.h"
#include "time-util.h"

/* The polkit actions of jobd (policy/org.jobd1.policy). */
#define JOBD_ACTION_MANAGE_JOBS   "org.jobd1.manage-jobs"    /* act on other users' jobs and runs */
#define JOBD_ACTION_MANAGE_DAEMON "org.jobd1.manage-daemon"  /* limits, pools, groups, slots, drain */

/* Questions to polkit that may be out at once, in all and per uid (not per connection: a user may open
 * as many as they like): what a user can make the daemon hold. Over the bound: LimitsExceeded at once.
 * One user fills at most 8 of the 128, so others' questions are still asked. */
#define BUS_POLKIT_PENDING_MAX         128U
#define BUS_POLKIT_PENDING_PER_UID_MAX 8U
/* How long polkit may take to answer: as a method call, or longer when it may ask a person for a
 * password (the caller allowed interactive authorization). */
#define BUS_POLKIT_TIMEOUT_USEC             (25 * USEC_PER_SEC)
#define BUS_POLKIT_INTERACTIVE_TIMEOUT_USEC (120 * USEC_PER_SEC)

#define UID_NONE ((uid_t) -1)

typedef enum BusAuthVia {
        BUS_AUTH_ROOT,             /* root or the daemon's own user */
        BUS_AUTH_OWNER,            /* the job's or run's owner */
        BUS_AUTH_POLKIT,           /* polkit said yes */
        BUS_AUTH_OPERATOR_GROUP,   /* polkit is absent; a member of jobd.conf's OperatorGroup= */
        _BUS_AUTH_VIA_MAX,
} BusAuthVia;

const char *bus_auth_via_to_string(BusAuthVia v);

/* What a caller wants to do: the polkit action, the method, and what it acts on. */
typedef struct BusOperation {
        const char *action;        /* JOBD_ACTION_* */
        const char *verb;          /* the method: "Cancel", "SetMaxParallel", ... */
        uint64_t job_id;           /* 0: none */
        uint64_t run_id;           /* 0: none */
        uid_t owner;               /* of the job or run; UID_NONE: the daemon as a whole */
} BusOperation;

/* A change to the daemon as a whole, by the method of msg. */
static inline BusOperation bus_daemon_operation(sd_bus_message *msg) {
        return (BusOperation) {
                .action = JOBD_ACTION_MANAGE_DAEMON,
                .verb = sd_bus_message_get_member(msg),
                .owner = UID_NONE,
        };
}

/* Who was allowed, and why. */
typedef struct BusAuth {
        uid_t uid;
        BusAuthVia via;
} BusAuth;

/* May the caller of msg do op? Root, the daemon's own user and op->owner may, without a question. In user
 * mode nobody else may. In system mode polkit decides, asked asynchronously (CheckAuthorization for the
 * caller's unique name, with op's details; interactive if the message allows it); where polkit is absent
 * (nobody owns org.freedesktop.PolicyKit1) a member of jobd.conf's OperatorGroup= may, membership from
 * the user database.
 *
 * Returns 1: allowed, *ret says who and why. 0: the question is out; the method handler returns 1
 * without a reply, and it is called again with the same message (rewound) when the answer is in; that
 * call returns the answer. -EACCES: refused; error is set only where polkit gave a reason (interactive
 * authorization required), else the caller sets AccessDenied with its own message. -EBUSY, -ENOMEM, ...:
 * a failure (LimitsExceeded set when too many questions are out). */
int bus_verify_operator(Manager *m, sd_bus_message *msg, const BusOperation *op, BusAuth *ret,
                        sd_bus_error *error);

/* Sets org.jobd1.Error.AccessDenied with the message, unless error is set already (polkit's reason). */
int bus_access_denied(sd_bus_error *error, const char *format, ...) _printf_(2, 3);

/* Drops the questions still out (at exit). */
void bus_polkit_free(Manager *m);

/* Records in the daemon's log what a caller did to another user's job or run, or to the daemon (op with
 * owner UID_NONE); nothing for a user acting on their own. A journal entry with MESSAGE_ID=,
 * JOBD_CALLER_UID=, JOBD_OWNER_UID=, JOBD_JOB_ID=, JOBD_RUN_ID=, JOBD_ACTION=, JOBD_AUTHORIZED_BY= where
 * stderr is the journal, a plain line otherwise; the message reads "<what> by uid U (via)." */
void bus_log_operation(const BusOperation *op, const BusAuth *a, const char *format, ...) _printf_(3, 4);
#define LOG_DAEMON_OPERATION(msg, auth, ...)                                          \
        do {                                                                          \
                BusOperation _op = bus_daemon_operation(msg);                         \
                bus_log_operation(&_op, (auth), __VA_ARGS__);                          \
        } while (0)
