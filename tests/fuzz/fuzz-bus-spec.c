/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a client sends to Submit() and SubmitPlan(), as bytes on the wire: the input is one D-Bus message
 * (little- or big-endian, header and body, as tests/fuzz/make-bus-seeds.py writes them) that a server
 * connection reads over a socket pair after an anonymous authentication, exactly as jobd's connection
 * reads from dbus-daemon. Whatever sd-bus accepts is then given to the spec reader (bus-spec.c) as each
 * kind of dict it reads: a Submit() spec, a plan job, the plan's options; a spec it accepts is checked
 * by job_spec_validate() as the daemon would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bus-spec.h"
#include "escape-util.h"
#include "job-spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_as(sd_bus_message *m, BusSpecKind kind) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        BusSpecExtra x = {};
        char *why = NULL;
        JobSpec spec;
        int r;

        if (sd_bus_message_rewind(m, true) < 0)
                return;
        if (kind == BUS_SPEC_PLAN_JOB) {
                /* SubmitPlan()'s first argument: each job of the aa{sv}. */
                if (sd_bus_message_enter_container(m, 'a', "a{sv}") <= 0)
                        return;
                for (unsigned i = 0; i < 64; i++) {
                        job_spec_init(&spec);
                        x = (BusSpecExtra) {};
                        r = bus_read_job_spec_full(m, &spec, kind, &x, &error);
                        job_spec_done(&spec);
                        bus_spec_extra_done(&x);
                        sd_bus_error_free(&error);
                        if (r < 0 || sd_bus_message_at_end(m, false) != 0)
                                break;
                }
                return;
        }
        job_spec_init(&spec);
        r = bus_read_job_spec_full(m, &spec, kind, &x, &error);
        if (r >= 0 && kind == BUS_SPEC_SUBMIT) {
                (void) job_spec_validate(&spec, &why);
                free(why);
        }
        /* A refusal must be sendable: a message that is not valid UTF-8 is a bug (issue 10). */
        if (sd_bus_error_is_set(&error)) {
                sd_bus_message *reply = NULL;

                if (!utf8_is_valid(error.message))
                        abort();
                /* (A call sent with NO_REPLY_EXPECTED gets no reply at all.) */
                if (sd_bus_message_get_expect_reply(m) &&
                    sd_bus_message_new_method_error(m, &reply, &error) < 0)
                        abort();
                sd_bus_message_unref(reply);
        }
        job_spec_done(&spec);
        bus_spec_extra_done(&x);
        sd_bus_error_free(&error);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char auth[] = "\0AUTH ANONYMOUS\r\nBEGIN\r\n";
        sd_id128_t id = SD_ID128_MAKE(6a,6f,62,64,31,66,75,7a,7a,62,75,73,73,70,65,63);
        sd_bus_message *m = NULL;
        sd_bus *bus = NULL;
        int sv[2], r;

        /* Beyond a socket buffer the writes below would block. */
        if (size > 64 * 1024)
                return 0;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                abort();
        if (write(sv[1], auth, sizeof(auth) - 1) != (ssize_t) sizeof(auth) - 1 ||
            (size > 0 && write(sv[1], data, size) != (ssize_t) size))
                abort();
        (void) shutdown(sv[1], SHUT_WR);

        if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, sv[0], sv[0]) < 0 ||
            sd_bus_set_server(bus, true, id) < 0 || sd_bus_set_anonymous(bus, true) < 0 ||
            sd_bus_start(bus) < 0)
                abort();
        for (unsigned i = 0; i < 16 && !m; i++) {
                r = sd_bus_process(bus, &m);
                if (r <= 0)
                        break;
        }
        if (m && sd_bus_message_get_type(m, &(uint8_t) {0}) >= 0) {
                read_as(m, BUS_SPEC_SUBMIT);
                read_as(m, BUS_SPEC_PLAN_JOB);
                /* SubmitPlan()'s options come after its jobs; a lone a{sv} is read as options too. */
                read_as(m, BUS_SPEC_PLAN_OPTIONS);
                if (sd_bus_message_rewind(m, true) >= 0 && sd_bus_message_skip(m, "aa{sv}") >= 0) {
                        sd_bus_error error = SD_BUS_ERROR_NULL;
                        BusSpecExtra x = {};
                        JobSpec spec;

                        job_spec_init(&spec);
                        (void) bus_read_job_spec_full(m, &spec, BUS_SPEC_PLAN_OPTIONS, &x, &error);
                        job_spec_done(&spec);
                        bus_spec_extra_done(&x);
                        sd_bus_error_free(&error);
                }
        }
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        close(sv[1]);
        return 0;
}
