/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "job-spec.h"

/* Reads a Submit spec a{sv} into *spec (which must be initialised). Type errors, duplicate and unknown
 * keys set an org.jobd1.Error.InvalidSpec error naming the key and return -EINVAL; value rules are
 * job_spec_validate()'s. fds are duplicated (the message keeps its own). */
int bus_read_job_spec(sd_bus_message *m, JobSpec *spec, sd_bus_error *error);
