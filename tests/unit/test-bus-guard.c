/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bus-guard.c on a real sd-bus connection pair (a socket pair, anonymous authentication; the server in a
 * child process): a method whose error message holds half a UTF-8 character is still answered (sd-bus
 * alone drops such a reply and the caller waits for its timeout), escaped, and the guard logs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bus-guard.h"
#include "macro.h"

static int method_bad_utf8(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        /* What "%.64s" made of 63 ASCII bytes and an "é". */
        return sd_bus_error_set(error, "org.example.Error.Refused", "Group \"aaaa\xc3\" is not valid");
}

static const sd_bus_vtable vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("BadUtf8", NULL, NULL, method_bad_utf8, 0),
        SD_BUS_VTABLE_END
};

/* The server: serves the object until the client goes, with stderr (the log) into log_fd. */
static _noreturn_ void serve(int fd, int log_fd) {
        sd_id128_t id = SD_ID128_MAKE(6a,6f,62,64,67,75,61,72,64,74,65,73,74,30,30,31);
        sd_bus *bus = NULL;

        dup2(log_fd, STDERR_FILENO);
        if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fd, fd) < 0 || sd_bus_set_server(bus, true, id) < 0 ||
            sd_bus_set_anonymous(bus, true) < 0 ||
            bus_add_guarded_object_vtable(bus, "/test", "org.example.Test", vtable, NULL) < 0 ||
            sd_bus_start(bus) < 0)
                _exit(2);
        for (int i = 0; i < 200; i++) {
                int r = sd_bus_process(bus, NULL);

                if (r < 0)
                        break;
                if (r == 0 && sd_bus_wait(bus, 50 * 1000) < 0)
                        break;
        }
        sd_bus_flush_close_unref(bus);
        _exit(0);
}

static pid_t start_server(sd_bus **ret_client, int *ret_log) {
        int sv[2], logp[2];
        sd_bus *client = NULL;
        pid_t pid;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(pipe2(logp, O_CLOEXEC), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(sv[1]);
                close(logp[0]);
                serve(sv[0], logp[1]);
        }
        close(sv[0]);
        close(logp[1]);
        assert_true(sd_bus_new(&client) >= 0);
        assert_true(sd_bus_set_fd(client, sv[1], sv[1]) >= 0);
        assert_true(sd_bus_set_anonymous(client, true) >= 0);
        assert_true(sd_bus_set_method_call_timeout(client, 3 * 1000 * 1000) >= 0);
        assert_true(sd_bus_start(client) >= 0);
        *ret_client = client;
        *ret_log = logp[0];
        return pid;
}

static void read_log(int fd, pid_t pid, char *buf, size_t size) {
        ssize_t n;
        size_t k = 0;
        int status;

        assert_int_equal(waitpid(pid, &status, 0), pid);
        while (k + 1 < size && (n = read(fd, buf + k, size - 1 - k)) > 0)
                k += (size_t) n;
        buf[k] = 0;
        close(fd);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_invalid_utf8_is_answered(void **state) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus *client;
        char log[4096];
        int log_fd, r;
        pid_t pid = start_server(&client, &log_fd);

        r = sd_bus_call_method(client, NULL, "/test", "org.example.Test", "BadUtf8", &error, NULL, "");
        assert_true(r < 0);
        assert_int_not_equal(r, -ETIMEDOUT);
        assert_string_equal(error.name, "org.example.Error.Refused");
        assert_string_equal(error.message, "Group \"aaaa\\xc3\" is not valid");
        sd_bus_error_free(&error);
        sd_bus_flush_close_unref(client);
        read_log(log_fd, pid, log, sizeof(log));
        assert_non_null(strstr(log, "org.example.Test.BadUtf8()"));
        assert_non_null(strstr(log, "not valid UTF-8, sent escaped"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_invalid_utf8_is_answered),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
