/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "job-spec.h"

/* Reads a Submit spec a{sv} into *spec (which must be initialised). Type errors, duplicate and unknown
 * keys set an org.jobd1.Error.InvalidSpec error naming the key and return -EINVAL; value rules are
 * job_spec_validate()'s. fds are duplicated (the message keeps its own). */
int bus_read_job_spec(sd_bus_message *m, JobSpec *spec, sd_bus_error *error);

/* Reads an "as" with doubling growth (sd_bus_message_read_strv() is quadratic in libsystemd 252), refusing
 * with org.jobd1.Error.InvalidSpec naming key as soon as it passes max_entries or max_bytes. Replaces *ret. */
int bus_read_strv_bounded(sd_bus_message *m, const char *key, size_t max_entries, size_t max_bytes,
                          char ***ret, sd_bus_error *error);

typedef enum BusSpecKind {
        BUS_SPEC_SUBMIT,               /* Submit() */
        BUS_SPEC_PLAN_JOB,             /* a job of SubmitPlan(): "After" may also be "as", no fds */
        BUS_SPEC_PLAN_OPTIONS,         /* SubmitPlan()'s options: Name, MaxParallel, and job defaults */
} BusSpecKind;

typedef struct BusSpecExtra {
        uint64_t keys;                 /* JOB_SPEC_KEY_BIT() of each spec key given */
        char **after_names;            /* BUS_SPEC_PLAN_JOB: "After as" */
        char *name;                    /* BUS_SPEC_PLAN_OPTIONS: the run's Name */
        uint32_t max_parallel;         /* BUS_SPEC_PLAN_OPTIONS: MaxParallel */
        uint64_t run_timeout_usec;     /* BUS_SPEC_PLAN_OPTIONS: RunTimeoutUSec */
        char *output_root;             /* BUS_SPEC_PLAN_OPTIONS: OutputRoot */
} BusSpecExtra;

/* As bus_read_job_spec(), for the kinds of dicts above; x collects what is not part of a JobSpec. */
int bus_read_job_spec_full(sd_bus_message *m, JobSpec *spec, BusSpecKind kind, BusSpecExtra *x,
                           sd_bus_error *error);
void bus_spec_extra_done(BusSpecExtra *x);
