/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The saved controls as files (pure: text in, JSON out; src/core/controls.c reads and writes the files):
 *
 *   controls.json  the snapshot: { "config": DIGEST, "max_parallel": N, "max_parallel_option": N,
 *                  "draining": B, "groups": [{"name", "limit", "paused"}...], "pools": [{"name",
 *                  "capacity"} or {"name", "slots", "quarantine_after"}...], "slot_health": [...] }
 *   controls.log   the changes since the snapshot, one JSON object a line, each the whole new state of
 *                  what one control call changed: {"group": {...}}, {"pool": {...}} (entries as in the
 *                  snapshot), {"max_parallel": N, "max_parallel_option": N}, {"draining": B}.
 *
 * A control call appends one line (O(1) in I/O however many groups and pools there are); the snapshot is
 * rewritten, and the log emptied, when the log has grown past the snapshot's size (and on start and exit).
 * Replaying the whole log over either the snapshot before or after a compaction gives the same state, so
 * a crash between the two writes loses nothing; a damaged line (a torn last write) is skipped. */

#include <json-c/json.h>

/* Bounds of what clients may make the daemon remember (resources.c refuses more). */
#define CONTROLS_GROUPS_MAX 1024U     /* groups with a limit or a hold */
#define CONTROLS_POOLS_MAX  1024U     /* pools and slot pools */

/* The snapshot text (NULL: none) with every valid line of log (NULL: none) merged in, in the snapshot's
 * form. *ret_skipped counts the lines skipped. -EBADMSG if the snapshot is not a JSON object, -ENOMEM. */
int controls_parse(const char *snapshot, const char *log, json_object **ret, unsigned *ret_skipped);
