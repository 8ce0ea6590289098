/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "journal-line.h"
#include "seccomp-filter.h"
#include "strv.h"

/* A NULL-terminated list of the strings given (then NULL). */
static char **strv_of(const char *first, ...) {
        char **l = NULL;
        va_list ap;

        va_start(ap, first);
        for (const char *x = first; x; x = va_arg(ap, const char *))
                assert_int_equal(strv_extend(&l, x), 0);
        va_end(ap);
        return l;
}

static const int to_string_flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE;

/* A job that sets every field of the submit line to something other than its default. */
static void make_submit(JournalSubmit *s) {
        char *msg = NULL;

        *s = (JournalSubmit) { .id = 42, .run = 7, .submit_usec = 1700000000123456ULL, .owner = 1004 };
        job_spec_init(&s->spec);
        s->spec.argv = strv_of("/bin/sh", "-c", "echo \"quoted\" \\ back\tslash", NULL);
        s->spec.environment = strv_of("A=1", "B=two words", NULL);
        s->spec.name = strdup("nightly build");
        s->spec.working_directory = strdup("/srv/work dir");
        s->spec.priority = -12;
        s->spec.timeout_usec = 90ULL * 1000000ULL;
        s->spec.limits.memory_max = 512ULL << 20;
        s->spec.limits.tasks_max = 64;
        s->spec.limits.cpu_weight = 250;
        s->spec.n_after = 2;
        s->spec.after = calloc(2, sizeof(uint64_t));
        assert_non_null(s->spec.after);
        s->spec.after[0] = 3;
        s->spec.after[1] = 41;
        s->spec.after_condition = SCHED_AFTER_FAILURE;
        s->spec.group = strdup("builders");
        s->spec.n_resources = 2;
        s->spec.resources = calloc(2, sizeof(JobResourceRequest));
        assert_non_null(s->spec.resources);
        s->spec.resources[0] = (JobResourceRequest) { strdup("gpu"), 2 };
        s->spec.resources[1] = (JobResourceRequest) { strdup("licences"), 1 };
        s->spec.retries = 3;
        {
                _cleanup_strv_free_ char **words = strv_of("failed", "timeout", "75", NULL);

                assert_int_equal(job_spec_set_retry_on(&s->spec, words, &msg), 0);
        }
        s->spec.retry_delay_usec = 5ULL * 1000000ULL;
        s->spec.log_max_bytes = 1ULL << 20;
        s->spec.jobserver = true;
        s->spec.system_call_filter = seccomp_filter_new(strv_of("@system-service", "~@mount", NULL));
        assert_non_null(s->spec.system_call_filter);
        s->spec.system_call_filter->address_families = strv_of("AF_UNIX", "AF_INET", NULL);
        s->spec.labels = strv_of("nightly", "gpu", NULL);
        s->spec.backend = JOB_BACKEND_SLURM;
        assert_non_null(s->spec.argv);
        assert_non_null(s->spec.environment);
}

static char *encode(const JournalSubmit *s) {
        json_object *o = journal_submit_to_json(s);
        char *t;

        assert_non_null(o);
        t = strdup(json_object_to_json_string_ext(o, to_string_flags));
        json_object_put(o);
        assert_non_null(t);
        return t;
}

/* Parses text as the replay does (one line of the file) and decodes it as a submit line. */
static int decode(const char *text, JournalSubmit *ret, const char **ret_field) {
        JournalLineKind kind;
        json_object *o;
        uint64_t id;
        unsigned v;
        int r;

        r = journal_line_parse(text, &o, &kind, &id, &v);
        if (r < 0) {
                *ret = (JournalSubmit) {};
                job_spec_init(&ret->spec);
                *ret_field = "(line)";
                return r;
        }
        assert_int_equal(kind, JOURNAL_LINE_SUBMIT);
        r = journal_submit_from_json(o, ret, ret_field);
        json_object_put(o);
        if (r >= 0)
                assert_int_equal(ret->id, id);
        return r;
}

static void assert_strv_equal(char **a, char **b) {
        assert_int_equal(strv_length(a), strv_length(b));
        for (size_t i = 0; i < strv_length(a); i++)
                assert_string_equal(a[i], b[i]);
}

static void test_round_trip(void **state) {
        JournalSubmit in, out;
        const char *field = NULL;
        _cleanup_free_ char *line = NULL, *again = NULL;
        _cleanup_strv_free_ char **retry_in = NULL, **retry_out = NULL;

        make_submit(&in);
        line = encode(&in);
        assert_int_equal(decode(line, &out, &field), 0);
        assert_null(field);

        assert_int_equal(out.id, in.id);
        assert_int_equal(out.run, in.run);
        assert_int_equal(out.submit_usec, in.submit_usec);
        assert_int_equal(out.owner, in.owner);
        assert_int_equal(out.syscalls_of, 0);
        assert_strv_equal(out.spec.argv, in.spec.argv);
        assert_strv_equal(out.spec.environment, in.spec.environment);
        assert_string_equal(out.spec.name, in.spec.name);
        assert_string_equal(out.spec.working_directory, in.spec.working_directory);
        assert_int_equal(out.spec.priority, in.spec.priority);
        assert_int_equal(out.spec.timeout_usec, in.spec.timeout_usec);
        assert_int_equal(out.spec.limits.memory_max, in.spec.limits.memory_max);
        assert_int_equal(out.spec.limits.tasks_max, in.spec.limits.tasks_max);
        assert_int_equal(out.spec.limits.cpu_weight, in.spec.limits.cpu_weight);
        assert_int_equal(out.spec.n_after, 2);
        assert_int_equal(out.spec.after[0], 3);
        assert_int_equal(out.spec.after[1], 41);
        assert_int_equal(out.spec.after_condition, SCHED_AFTER_FAILURE);
        assert_string_equal(out.spec.group, "builders");
        assert_int_equal(out.spec.n_resources, 2);
        assert_string_equal(out.spec.resources[0].pool, "gpu");
        assert_int_equal(out.spec.resources[0].amount, 2);
        assert_string_equal(out.spec.resources[1].pool, "licences");
        assert_int_equal(out.spec.resources[1].amount, 1);
        assert_int_equal(out.spec.retries, 3);
        assert_int_equal(out.spec.retry_on, in.spec.retry_on);
        retry_in = job_spec_retry_on_strv(&in.spec);
        retry_out = job_spec_retry_on_strv(&out.spec);
        assert_strv_equal(retry_out, retry_in);
        assert_int_equal(out.spec.retry_delay_usec, in.spec.retry_delay_usec);
        assert_int_equal(out.spec.log_max_bytes, in.spec.log_max_bytes);
        assert_true(out.spec.jobserver);
        assert_non_null(out.spec.system_call_filter);
        assert_strv_equal(out.spec.system_call_filter->names, in.spec.system_call_filter->names);
        assert_strv_equal(out.spec.system_call_filter->address_families,
                          in.spec.system_call_filter->address_families);
        assert_strv_equal(out.spec.labels, in.spec.labels);
        assert_int_equal(out.spec.backend, JOB_BACKEND_SLURM);
        assert_non_null(strstr(line, "\"backend\":\"slurm\""));

        /* And back again: the same line, byte for byte (the table is read in the order it writes). */
        again = encode(&out);
        assert_string_equal(again, line);

        journal_submit_done(&in);
        journal_submit_done(&out);
        (void) state;
}

/* The defaults survive too: what is not set is not written, and reads back as not set. */
static void test_round_trip_minimal(void **state) {
        JournalSubmit in = { .id = 1, .owner = 0 }, out;
        const char *field;
        _cleanup_free_ char *line = NULL;

        job_spec_init(&in.spec);
        in.spec.argv = strv_of("true", NULL);
        in.spec.log_max_bytes = 0;
        line = encode(&in);
        assert_null(strstr(line, "\"run\""));
        assert_null(strstr(line, "\"log_max\""));
        assert_null(strstr(line, "\"syscalls"));
        assert_null(strstr(line, "\"retry_on\""));
        assert_null(strstr(line, "\"labels\""));
        assert_null(strstr(line, "\"jobserver\""));
        assert_null(strstr(line, "\"backend\""));
        assert_int_equal(decode(line, &out, &field), 0);
        assert_int_equal(out.spec.backend, JOB_BACKEND_DEFAULT);   /* a local job's line */
        assert_false(out.spec.jobserver);
        assert_int_equal(out.run, 0);
        assert_int_equal(out.spec.limits.memory_max, LIMIT_UNSET);
        assert_int_equal(out.spec.limits.tasks_max, LIMIT_UNSET);
        assert_int_equal(out.spec.limits.cpu_weight, LIMIT_UNSET);
        assert_int_equal(out.spec.log_max_bytes, 0);
        assert_int_equal(out.spec.retry_on, 0);
        assert_null(out.spec.system_call_filter);
        assert_int_equal(out.spec.n_after, 0);
        journal_submit_done(&in);
        journal_submit_done(&out);
        (void) state;
}

/* A filter another line spelled out is named, not repeated; the reader hands the id to its caller. */
static void test_syscalls_of(void **state) {
        JournalSubmit in, out;
        const char *field;
        _cleanup_free_ char *line = NULL;

        make_submit(&in);
        in.syscalls_of = 40;
        line = encode(&in);
        assert_non_null(strstr(line, "\"syscalls_of\":40"));
        assert_null(strstr(line, "\"syscalls\""));
        assert_null(strstr(line, "\"afs\""));
        assert_int_equal(decode(line, &out, &field), 0);
        assert_int_equal(out.syscalls_of, 40);
        assert_null(out.spec.system_call_filter);
        journal_submit_done(&in);
        journal_submit_done(&out);
        (void) state;
}

/* A line of the format before versions (the file was "journal"), with the groups it then kept. */
static void test_old_line(void **state) {
        const char *line = "{\"e\":\"submit\",\"id\":5,\"submit\":1,\"owner\":1000,\"gid\":0,\"groups\":[0,4],"
                           "\"argv\":[\"sleep\",\"1\"],\"env\":[],\"cwd\":\"/\",\"prio\":0,\"timeout\":0,"
                           "\"mem\":18446744073709551615,\"tasks\":18446744073709551615,"
                           "\"cpuw\":18446744073709551615,\"after\":[],\"cond\":\"success\",\"res\":{},"
                           "\"retries\":0,\"retry_delay\":0}";
        JournalSubmit out;
        const char *field;

        assert_int_equal(decode(line, &out, &field), 0);
        assert_int_equal(out.owner, 1000);
        assert_string_equal(out.spec.argv[1], "1");
        assert_int_equal(out.spec.limits.memory_max, LIMIT_UNSET);
        assert_int_equal(out.spec.log_max_bytes, 0);
        journal_submit_done(&out);
        (void) state;
}

static void test_header(void **state) {
        json_object *o = journal_header_new(), *p;
        JournalLineKind kind;
        uint64_t id;
        unsigned v = 0;

        assert_non_null(o);
        assert_string_equal(json_object_to_json_string_ext(o, to_string_flags), "{\"jobd_state\":1}");
        assert_int_equal(journal_header_parse(o, &v), 1);
        assert_int_equal(v, JOURNAL_FORMAT_VERSION);
        json_object_put(o);

        /* A newer version is reported as such: the replay refuses it. */
        assert_int_equal(journal_line_parse("{\"jobd_state\":7}\n", &p, &kind, &id, &v), 0);
        assert_int_equal(kind, JOURNAL_LINE_HEADER);
        assert_int_equal(v, 7);
        json_object_put(p);

        assert_int_equal(journal_line_parse("{\"jobd_state\":\"2\"}", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"jobd_state\":0}", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"jobd_state\":-1}", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"jobd_state\":4294967297}", &p, &kind, &id, &v), -EBADMSG);
        /* Not a line at all, or one without "e" or a usable id. */
        assert_int_equal(journal_line_parse("{\"e\":\"submit\",\"id\":3", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("[1,2]", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"e\":\"done\",\"id\":0}", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"e\":\"done\",\"id\":-3}", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"e\":\"done\",\"id\":18446744073709551615}", &p, &kind, &id, &v),
                         -EBADMSG);
        assert_int_equal(journal_line_parse("{\"e\":7,\"id\":3}", &p, &kind, &id, &v), -EBADMSG);
        assert_int_equal(journal_line_parse("{\"e\":\"done\",\"id\":3}", &p, &kind, &id, &v), 0);
        assert_int_equal(kind, JOURNAL_LINE_EVENT);
        assert_int_equal(id, 3);
        json_object_put(p);
        (void) state;
}

/* Each damaged field makes the line unreadable, naming the field: nothing out of range reaches a job. */
static void test_damaged(void **state) {
        static const struct {
                const char *extra;
                const char *field;
        } cases[] = {
                { "\"owner\":-1",                         "owner" },
                { "\"owner\":4294967295",                 "owner" },
                { "\"owner\":\"0\"",                      "owner" },
                { "\"submit\":1.5",                       "submit" },
                { "\"run\":9223372036854775808",          "run" },
                { "\"prio\":2147483648",                  "prio" },
                { "\"prio\":-2147483649",                 "prio" },
                { "\"timeout\":-5",                       "timeout" },
                { "\"mem\":4096",                         "mem" },
                { "\"tasks\":0",                          "tasks" },
                { "\"cpuw\":10001",                       "cpuw" },
                { "\"after\":[10]",                       "after" },
                { "\"after\":[0]",                        "after" },
                { "\"after\":[\"3\"]",                    "after" },
                { "\"after\":{}",                         "after" },
                { "\"cond\":\"sometimes\"",               "cond" },
                { "\"res\":{\"gpu\":4294967296}",         "res" },
                { "\"res\":{\"gpu\":-1}",                 "res" },
                { "\"res\":{\"\":1}",                     "res" },
                { "\"retries\":101",                      "retries" },
                { "\"retry_on\":[\"sometimes\"]",         "retry_on" },
                { "\"retry_delay\":86400000001",          "retry_delay" },
                { "\"log_max\":1",                        "log_max" },
                { "\"syscalls_of\":10",                   "syscalls_of" },
                { "\"syscalls\":[1]",                     "syscalls" },
                { "\"afs\":[\"AF_UNIX\"]",                "afs" },
                { "\"env\":[\"A=1\",null]",               "env" },
                { "\"name\":[]",                          "name" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                _cleanup_free_ char *line = NULL;
                JournalSubmit out;
                const char *field = NULL;

                assert_true(asprintf(&line, "{\"e\":\"submit\",\"id\":10,\"argv\":[\"true\"],%s}",
                                     cases[i].extra) > 0);
                if (decode(line, &out, &field) != -EBADMSG)
                        fail_msg("%s: not refused", line);
                if (!field || strcmp(field, cases[i].field) != 0)
                        fail_msg("%s: refused for \"%s\", not \"%s\"", line, field ?: "(null)", cases[i].field);
                journal_submit_done(&out);
        }

        {
                JournalSubmit out;
                const char *field;

                /* Nothing to run. */
                assert_int_equal(decode("{\"e\":\"submit\",\"id\":10}", &out, &field), -EBADMSG);
                assert_string_equal(field, "argv");
                journal_submit_done(&out);
                assert_int_equal(decode("{\"e\":\"submit\",\"id\":10,\"argv\":[]}", &out, &field), -EBADMSG);
                journal_submit_done(&out);
        }
        (void) state;
}

/* The table: unique keys, none newer than the format written, custom fields with both directions. */
static void test_table(void **state) {
        for (size_t i = 0; i < journal_submit_n_fields; i++) {
                const JournalField *f = &journal_submit_fields[i];

                assert_true(f->since <= JOURNAL_FORMAT_VERSION);
                assert_true(strcmp(f->name, "e") != 0 && strcmp(f->name, "id") != 0);
                if (f->kind == JOURNAL_FIELD_CUSTOM) {
                        assert_non_null(f->get);
                        assert_non_null(f->set);
                }
                for (size_t k = 0; k < i; k++)
                        assert_string_not_equal(f->name, journal_submit_fields[k].name);
        }
        (void) state;
}

static void test_tolerant_accessors(void **state) {
        json_object *o = json_tokener_parse("{\"pid\":-1,\"big\":18446744073709551615,\"s\":5,\"n\":12}");

        assert_non_null(o);
        assert_int_equal(journal_get_uint(o, "pid", 0, INT32_MAX), 0);
        assert_int_equal(journal_get_uint(o, "big", 7, UINT32_MAX), 7);
        assert_int_equal(journal_get_uint(o, "n", 0, 100), 12);
        assert_int_equal(journal_get_uint(o, "n", 0, 11), 0);
        assert_int_equal(journal_get_int(o, "pid", 0, -5, 5), -1);
        assert_int_equal(journal_get_int(o, "big", 3, INT32_MIN, INT32_MAX), 3);
        assert_null(journal_get_str(o, "s"));
        json_object_put(o);
        (void) state;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_round_trip_minimal),
                cmocka_unit_test(test_syscalls_of),
                cmocka_unit_test(test_old_line),
                cmocka_unit_test(test_header),
                cmocka_unit_test(test_damaged),
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_tolerant_accessors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
