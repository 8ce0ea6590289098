/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler's controls and slot health across restarts of jobd (src/core/controls.c). */

#include <stddef.h>
#include <stdint.h>

#include "manager.h"

/* Folds n bytes into a digest (h 0 to begin): what the saved controls remember of jobd.conf. */
uint64_t controls_digest(uint64_t h, const void *p, size_t n);

/* Writes the controls snapshot in the state folder (and empties the log), once manager_new() has set
 * everything up; failures are logged. Called at start, on a quarantine and on exit. */
void manager_save_controls(Manager *m);
/* A control call changed a group's limit or hold, a pool, or MaxParallel/Drain: appends its new state to
 * the controls log (O(1) in I/O), or writes a new snapshot when the log is long. */
void manager_log_control_group(Manager *m, const char *group);
void manager_log_control_pool(Manager *m, const char *pool);
void manager_log_control_globals(Manager *m);
/* Applies the saved controls over jobd.conf's (before the jobs are restored: they ask for the pools). */
int manager_load_controls(Manager *m);
/* After the jobs are restored: the saved holds (paused groups, whose running jobs are frozen again, and
 * a drain). */
void manager_apply_saved_holds(Manager *m);
