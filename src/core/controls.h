/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The scheduler's controls and slot health across restarts of jobd (src/core/controls.c). */

#include <stddef.h>
#include <stdint.h>

#include "manager.h"

/* Folds n bytes into a digest (h 0 to begin): what the saved controls remember of jobd.conf. */
uint64_t controls_digest(uint64_t h, const void *p, size_t n);

/* Writes the controls file in the state folder, once manager_new() has set everything up; failures are
 * logged. Called after each change of a control, on a quarantine and on exit. */
void manager_save_controls(Manager *m);
/* Applies the saved controls over jobd.conf's (before the jobs are restored: they ask for the pools). */
int manager_load_controls(Manager *m);
/* After the jobs are restored: the saved holds (paused groups, whose running jobs are frozen again, and
 * a drain). */
void manager_apply_saved_holds(Manager *m);
