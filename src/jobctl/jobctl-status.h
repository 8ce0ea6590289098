/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Shows a run's status until it is done (see jobctl-status.c): table (a terminal) or lines. groups: the
 * group of each job of the run in order, the first being job groups_first, if the caller knows them (a
 * plan file), else NULL: each job is asked. The bus must not be attached to an event loop. 0 once the run is done, or negative errno
 * (logged). $JOBCTL_STATUS_INTERVAL_SEC: seconds between summary lines (default 30). */
int run_status_follow(sd_bus *bus, uint64_t id, const char *path, uint64_t groups_first, char **groups,
                      bool table);

/* The same, and when signal_fd (a signalfd) is readable, on_signal(bus, userdata) is called: a negative
 * return ends the view with that error (e.g. -ECANCELED: the user stopped waiting). */
int run_status_follow_full(sd_bus *bus, uint64_t id, const char *path, uint64_t groups_first, char **groups,
                           bool table, int signal_fd, int (*on_signal)(sd_bus *bus, void *userdata),
                           void *userdata);
