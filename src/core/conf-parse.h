/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jobd.conf(5): pools, slot pools and group limits the daemon sets up at start. Pure: text in, entries out.
 *
 *     # Licences for the simulator: at most two jobs hold one at a time.
 *     [Pool vcs_license]
 *     Capacity=2
 *
 *     [SlotPool board]
 *     Slots=board0 board1 board2
 *     QuarantineAfter=3
 *
 *     [Group build]
 *     Limit=2
 *     TimeoutSec=2h
 *
 *     # Who may act on other users' jobs and on the daemon where polkit is absent.
 *     [Access]
 *     OperatorGroup=jobd-operators
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum ConfKind {
        CONF_POOL,
        CONF_SLOT_POOL,
        CONF_GROUP,
        _CONF_KIND_MAX,
} ConfKind;

typedef struct ConfEntry {
        ConfKind kind;
        char *name;
        unsigned line;                 /* of the section header */
        uint32_t value;                /* Pool: Capacity; Group: Limit (0: none) */
        bool have_limit;               /* Group: Limit= was given */
        uint64_t timeout_usec;         /* Group: TimeoutSec=, for its jobs without a timeout (0: none) */
        char **slots;                  /* SlotPool: Slots */
        uint32_t quarantine_after;     /* SlotPool: QuarantineAfter (0: never) */
} ConfEntry;

typedef struct JobdConf {
        ConfEntry *entries;
        size_t n_entries;
        char *operator_group;          /* [Access] OperatorGroup=: a group name or a gid; NULL: none */
} JobdConf;

/* Parses the text of a configuration file. On a mistake returns -EINVAL with *ret_error saying
 * "FILENAME:LINE: what is wrong". Names and slot names are checked as the daemon's API checks them. */
int jobd_conf_parse(const char *text, const char *filename, JobdConf *ret, char **ret_error);
void jobd_conf_done(JobdConf *c);

const char *conf_kind_to_string(ConfKind k);
