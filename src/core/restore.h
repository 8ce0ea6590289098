/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

struct Manager;

/* Jobs from the state log of an earlier instance: finished ones as they were, started ones re-adopted
 * through their cgroups (first, so they hold their slots), unstarted ones queued again as one batch; then
 * the log is rewritten. Pools, groups and the saved controls must be set up before. A negative errno,
 * logged, if the daemon cannot start from it. */
int manager_restore(struct Manager *m);
