/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* One job of a ListJobsFiltered() page, and its properties once jobctl_fetch_details() read them. */
typedef struct JobRow {
        uint64_t id;
        char *name, *state, *result, *path;
        uint32_t owner;
        json_object *props;             /* NULL: not read (or the job is gone) */
} JobRow;

typedef struct JobRows {
        JobRow *rows;
        size_t n, allocated;
} JobRows;

void job_rows_free(JobRows *l);

/* Every job that matches the filter options (--state= unless states is given, --result=, --group=,
 * --run=, --owner=, --label=, --since=), page by page. own: the caller's jobs only unless --owner= or root;
 * no_run: only jobs of no run (unless --run=). Logs on failure. */
int jobctl_list_jobs(sd_bus *bus, char **states, bool own, bool no_run, JobRows *ret);
/* Reads the list's columns of each row (ListJobDetails(), a batch a call) into its props. */
int jobctl_fetch_details(sd_bus *bus, JobRows *rows);
/* The table (or --json) of list. */
int jobctl_print_jobs(sd_bus *bus, JobRows *rows);
/* The unfinished jobs (running: the active ones only) of the caller that --group=/--run=/--label= pick. */
int jobctl_select_unfinished(sd_bus *bus, bool running, uint64_t **ret, size_t *ret_n);
