/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Writes report.xml, report.json and summary.md of a run into dir, or into the run's output root (Run
 * property OutputRoot) if dir is NULL. Without either: a usage error, or 0 and nothing written if
 * quiet_if_no_root. 1 once written; logs failures. */
int jobctl_write_run_reports(sd_bus *bus, uint64_t run_id, const char *dir, bool quiet_if_no_root);
