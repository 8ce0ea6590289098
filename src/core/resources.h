/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler's controls as the Manager offers them: group limits and holds, counted and slot pools,
 * drain. Each takes effect at once (a scheduler pass follows) and never touches running jobs, except that
 * holding a group freezes its running jobs. Errors carry a message for the client in *ret_message. */

#include <stdbool.h>
#include <stdint.h>

#include "manager.h"

typedef struct GroupDefault {
        char *group;
        usec_t timeout_usec;
} GroupDefault;

/* limit 0: no limit. -EINVAL for a bad name. */
int manager_set_group_limit(Manager *m, const char *group, uint32_t limit, char **ret_message);
/* Holds (true) or releases a group: nothing new of it starts, its running jobs are frozen (thawed). */
int manager_set_group_paused(Manager *m, const char *group, bool paused, char **ret_message);
/* -EEXIST: a slot pool has this name. */
int manager_set_pool(Manager *m, const char *pool, uint32_t capacity, char **ret_message);
/* -EEXIST: a counted pool has this name. quarantine_after 0: never. */
int manager_set_slot_pool(Manager *m, const char *pool, char **slots, uint32_t quarantine_after,
                          char **ret_message);
/* 1 if the slot was quarantined and is free again, 0 if it was not quarantined; -ENOENT no such slot. */
int manager_release_slot(Manager *m, const char *pool, const char *slot, char **ret_message);
void manager_set_draining(Manager *m, bool draining);

/* A group's default timeout (jobd.conf's TimeoutSec=): a job of the group submitted without a timeout
 * of its own gets it. 0: none. */
int manager_set_group_timeout(Manager *m, const char *group, usec_t timeout);
void manager_apply_group_defaults(Manager *m, JobSpec *spec);
void manager_resources_free(Manager *m);

/* Called by the scheduler's callback: announces it (signal SlotQuarantined) and logs it. */
void manager_send_slot_quarantined(Manager *m, const char *pool, const char *slot);
/* The Reason of unstarted jobs that ask for a slot of a pool whose slots are all quarantined ("waiting for
 * a slot of pool P: all quarantined"), set or cleared after a quarantine, a release or a redefinition.
 * Called from the scheduler pass (never from inside a scheduler callback). */
void manager_update_slot_reasons(Manager *m);

/* Applies a configuration file (jobd.conf(5)): pools, slot pools, group limits. path NULL: the default
 * one, which may be missing. Logs what is wrong, naming the file and line. */
int manager_load_config(Manager *m, const char *path);
