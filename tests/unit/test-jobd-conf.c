/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobd.conf(5): what it sets up, and that every mistake names the file and the line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf-parse.h"
#include "strv.h"
#include "time-util.h"
#include "user-limits.h"

static void test_example(void **state) {
        const char *text =
                "# Licences and boards of the lab\n"
                "[Pool vcs_license]\n"
                "Capacity = 2\n"
                "\n"
                "; slots have names\n"
                "[SlotPool board]\n"
                "Slots=board0 board1,  board2\n"
                "QuarantineAfter=3\n"
                "[Group build]\n"
                "Limit=2\n"
                "[Group sim]\n"
                "Limit=infinity\n"
                "[Group slow]\n"
                "TimeoutSec=2h\n";
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse(text, "lab.conf", &c, &error), 0);
        assert_null(error);
        assert_int_equal(c.n_entries, 5);
        assert_int_equal(c.entries[0].kind, CONF_POOL);
        assert_string_equal(c.entries[0].name, "vcs_license");
        assert_int_equal(c.entries[0].value, 2);
        assert_int_equal(c.entries[0].line, 2);
        assert_int_equal(c.entries[1].kind, CONF_SLOT_POOL);
        assert_int_equal(strv_length(c.entries[1].slots), 3);
        assert_string_equal(c.entries[1].slots[2], "board2");
        assert_int_equal(c.entries[1].quarantine_after, 3);
        assert_int_equal(c.entries[2].kind, CONF_GROUP);
        assert_int_equal(c.entries[2].value, 2);
        assert_int_equal(c.entries[3].value, 0);        /* no limit */
        assert_true(c.entries[3].have_limit);
        assert_int_equal(c.entries[3].timeout_usec, 0);
        assert_false(c.entries[4].have_limit);          /* only a default timeout */
        assert_int_equal(c.entries[4].timeout_usec, 2 * 3600 * USEC_PER_SEC);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("", "empty.conf", &c, &error), 0);
        assert_int_equal(c.n_entries, 0);
        jobd_conf_done(&c);
}

static void test_slurm(void **state) {
        const char *text =
                "[Pool simlic]\n"
                "Capacity=2\n"
                "[Slurm]\n"
                "Config=/etc/slurm/slurm.conf\n"
                "Partition=sim\n"
                "Account=dv\n"
                "QOS=night\n"
                "ExtraOptions=--exclusive  --constraint=avx2\n"
                "SharedDirectory=/shared/jobd\n"
                "PollIntervalSec=0.5\n";
        static const struct {
                const char *text, *error;
        } bad[] = {
                { "[Slurm]\nPartition=sim\n", "x.conf:1: [Slurm] needs SharedDirectory=" },
                { "[Slurm]\nSharedDirectory=shared\n", "x.conf:2: SharedDirectory=shared: expected an absolute path" },
                { "[Slurm]\nSharedDirectory=/s\nConfig=slurm.conf\n", "x.conf:3: Config=slurm.conf: expected" },
                { "[Slurm]\nSharedDirectory=/s\nPartition=a b\n", "x.conf:3: Partition=a b: expected a name" },
                { "[Slurm]\nSharedDirectory=/s\nPollIntervalSec=1h\n", "x.conf:3: PollIntervalSec=1h: expected" },
                { "[Slurm]\nSharedDirectory=/s\nExtraOptions=-N 1\n", "x.conf:3: ExtraOptions: \"-N\" is not" },
                { "[Slurm]\nSharedDirectory=/s\nNodes=4\n", "x.conf:3: unknown key Nodes= in the [Slurm] section" },
                { "[Slurm big]\nSharedDirectory=/s\n", "x.conf:1: [Slurm] takes no name" },
                { "[Slurm]\nSharedDirectory=/s\n[Slurm]\nSharedDirectory=/s\n", "x.conf:3: [Slurm] is defined already on line 1" },
        };
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse(text, "lab.conf", &c, &error), 0);
        assert_true(c.slurm.present);
        assert_int_equal(c.slurm.line, 3);
        assert_string_equal(c.slurm.config, "/etc/slurm/slurm.conf");
        assert_string_equal(c.slurm.partition, "sim");
        assert_string_equal(c.slurm.account, "dv");
        assert_string_equal(c.slurm.qos, "night");
        assert_int_equal(strv_length(c.slurm.extra_options), 2);
        assert_string_equal(c.slurm.extra_options[1], "--constraint=avx2");
        assert_int_equal(c.slurm.extra_options_line, 8);
        assert_string_equal(c.slurm.shared_dir, "/shared/jobd");
        assert_int_equal(c.slurm.poll_interval_usec, 500 * USEC_PER_MSEC);
        assert_int_equal(c.n_entries, 1);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("[Pool p]\nCapacity=1\n", "x.conf", &c, &error), 0);
        assert_false(c.slurm.present);
        jobd_conf_done(&c);

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(jobd_conf_parse(bad[i].text, "x.conf", &c, &error), -EINVAL);
                if (!strstr(error, bad[i].error))
                        fail_msg("%s: expected \"%s\" in \"%s\"", bad[i].text, bad[i].error, error);
                free(error);
                error = NULL;
        }
}

static void test_access(void **state) {
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse("[Pool p]\nCapacity=1\n[Access]\nOperatorGroup = jobd-operators\n"
                                         "[Group g]\nLimit=1\n", "a.conf", &c, &error), 0);
        assert_string_equal(c.operator_group, "jobd-operators");
        assert_int_equal(c.n_entries, 2);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("[Access]\nOperatorGroup=1234\n", "a.conf", &c, &error), 0);
        assert_string_equal(c.operator_group, "1234");
        jobd_conf_done(&c);

        /* Empty takes an earlier line back. */
        assert_int_equal(jobd_conf_parse("[Access]\nOperatorGroup=wheel\nOperatorGroup=\n", "a.conf", &c,
                                         &error), 0);
        assert_null(c.operator_group);
        jobd_conf_done(&c);

        assert_int_equal(jobd_conf_parse("", "a.conf", &c, &error), 0);
        assert_null(c.operator_group);
        jobd_conf_done(&c);
}

static void expect_error(const char *text, const char *want) {
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse(text, "x.conf", &c, &error), -EINVAL);
        assert_non_null(error);
        if (strncmp(error, want, strlen(want)) != 0)
                fail_msg("error \"%s\" does not start with \"%s\"", error, want);
        free(error);
}

static void test_mistakes(void **state) {
        expect_error("Capacity=2\n", "x.conf:1: Capacity= outside of a section");
        expect_error("[Pool]\nCapacity=2\n", "x.conf:1: [Pool ]: the name must be");
        expect_error("[Pool a/b]\n", "x.conf:1: [Pool a/b]: the name must be");
        expect_error("[Licence x]\n", "x.conf:1: unknown section [Licence]");
        expect_error("[Pool x]\n", "x.conf:1: [Pool x] needs Capacity=");
        expect_error("[Pool x]\nCapacity=two\n", "x.conf:2: Capacity=two: expected a number");
        expect_error("[Pool x]\nCapacity=1\nLimit=3\n", "x.conf:3: unknown key Limit= in a [Pool] section");
        expect_error("[Pool x]\nCapacity=1\n[SlotPool x]\nSlots=a\n", "x.conf:3: SlotPool x is defined "
                                                                      "already");
        expect_error("[SlotPool b]\nQuarantineAfter=1\n", "x.conf:1: [SlotPool b] needs Slots=");
        expect_error("[SlotPool b]\nSlots=a a\n", "x.conf:2: Slots: \"a\" is listed twice");
        expect_error("[SlotPool b]\nSlots=x=y\n", "x.conf:2: Slots: \"x=y\" is not a valid slot name");
        expect_error("[Group g]\nLimit=-1\n", "x.conf:2: Limit=-1: expected a number or infinity");
        expect_error("[Group g]\n", "x.conf:1: [Group g] needs Limit= or TimeoutSec=");
        expect_error("[Group g]\nTimeoutSec=soon\n", "x.conf:2: TimeoutSec=soon: expected a time span");
        expect_error("[Group g]\nLimit=1\n[Pool p]\nCapacity=1\njunk\n", "x.conf:5: expected KEY=VALUE");
        expect_error("[Group g] x\n", "x.conf:1: a section header is");
        expect_error("[Access ops]\n", "x.conf:1: [Access] takes no name");
        expect_error("[Access]\nOperatorGroup=a b\n", "x.conf:2: OperatorGroup=a b: expected a group name");
        expect_error("[Access]\nOperatorGroup=-x\n", "x.conf:2: OperatorGroup=-x: expected a group name");
        expect_error("[Access]\nOperators=x\n", "x.conf:2: unknown key Operators= in the [Access] section");
}

/* [Defaults]: no name, no entry; LogMaxBytes= is a size, infinity or 0 for none. */
static void test_defaults(void **state) {
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse("[Defaults]\nLogMaxBytes=1M\n[Group g]\nLimit=1\n", "x.conf", &c,
                                         &error), 0);
        assert_int_equal(c.defaults.log_max_bytes, 1048576);
        assert_int_equal(c.n_entries, 1);
        jobd_conf_done(&c);
        assert_int_equal(jobd_conf_parse("[Defaults]\nLogMaxBytes=infinity\n", "x.conf", &c, &error), 0);
        assert_int_equal(c.defaults.log_max_bytes, 0);
        jobd_conf_done(&c);
        assert_int_equal(jobd_conf_parse("[Pool p]\nCapacity=1\n", "x.conf", &c, &error), 0);
        assert_int_equal(c.defaults.log_max_bytes, 0);
        jobd_conf_done(&c);

        expect_error("[Defaults]\nLogMaxBytes=10\n", "x.conf:2: LogMaxBytes=10: expected a size");
        expect_error("[Defaults]\nLogMaxBytes=lots\n", "x.conf:2: LogMaxBytes=lots: expected a size");
        expect_error("[Defaults]\nLimit=1\n", "x.conf:2: unknown key Limit= in the [Defaults] section");
}

/* [Runs]: KeepRuns= from 0 to 1024, unset without it. */
static void test_runs(void **state) {
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse("[Runs]\nKeepRuns=3\n", "x.conf", &c, &error), 0);
        assert_int_equal(c.runs.keep_runs, 3);
        jobd_conf_done(&c);
        assert_int_equal(jobd_conf_parse("[Runs]\nKeepRuns=0\n", "x.conf", &c, &error), 0);
        assert_int_equal(c.runs.keep_runs, 0);
        jobd_conf_done(&c);
        assert_int_equal(jobd_conf_parse("[Pool p]\nCapacity=1\n", "x.conf", &c, &error), 0);
        assert_true(c.runs.keep_runs == CONF_UNSET);
        jobd_conf_done(&c);

        expect_error("[Runs]\nKeepRuns=1025\n", "x.conf:2: KeepRuns=1025: expected a number of runs");
        expect_error("[Runs]\nKeepRuns=all\n", "x.conf:2: KeepRuns=all: expected a number of runs");
        expect_error("[Runs x]\nKeepRuns=1\n", "x.conf:1: [Runs] is a section without a name");
}

static void test_users_defaults(void **state) {
        const char *text =
                "[Users]\n"
                "MaxRunningJobs=4\n"
                "MaxUnfinishedJobs = infinity\n"
                "MaxSpecBytes=64M\n"
                "MaxPriority=-5\n"
                "[Group g]\n"
                "Limit=1\n"
                "[Defaults]\n"
                "TimeoutSec=2h\n"
                "MaxTimeoutSec=1d\n"
                "TasksMax=512\n"
                "MemoryMax=4G\n"
                "[Users]\n"
                "MaxRunningJobs=8\n";           /* again: the last value wins */
        char *error = NULL;
        JobdConf c;

        assert_int_equal(jobd_conf_parse(text, "u.conf", &c, &error), 0);
        assert_null(error);
        assert_int_equal(c.n_entries, 1);
        assert_int_equal(c.users.max_running_jobs, 8);
        assert_true(c.users.max_unfinished_jobs == CONF_INFINITY);
        assert_int_equal(c.users.max_spec_bytes, 64ULL << 20);
        assert_int_equal(c.users.max_priority, -5);
        assert_int_equal(c.defaults.timeout_usec, 2 * 3600 * USEC_PER_SEC);
        assert_int_equal(c.defaults.max_timeout_usec, 24 * 3600 * USEC_PER_SEC);
        assert_int_equal(c.defaults.tasks_max, 512);
        assert_int_equal(c.defaults.memory_max, 4ULL << 30);
        jobd_conf_done(&c);

        /* Nothing given: everything unset, so the daemon's built-in values apply. */
        assert_int_equal(jobd_conf_parse("[Defaults]\nTimeoutSec=0\n", "u.conf", &c, &error), 0);
        assert_true(c.users.max_running_jobs == CONF_UNSET);
        assert_true(c.users.max_spec_bytes == CONF_UNSET);
        assert_true(c.users.max_priority == CONF_PRIORITY_UNSET);
        assert_true(c.defaults.timeout_usec == CONF_INFINITY);   /* 0: none, like TimeoutUSec */
        assert_true(c.defaults.memory_max == CONF_UNSET);
        jobd_conf_done(&c);

        expect_error("[Users alice]\n", "x.conf:1: [Users] is a section without a name");
        expect_error("[Users]\nMaxRunningJobs=0\n",
                     "x.conf:2: MaxRunningJobs=0: expected a number of at least 1, or infinity");
        expect_error("[Users]\nMaxPriority=high\n", "x.conf:2: MaxPriority=high: expected a number");
        expect_error("[Users]\nMaxSpecBytes=lots\n", "x.conf:2: MaxSpecBytes=lots: expected a size");
        expect_error("[Users]\nTimeoutSec=1h\n",
                     "x.conf:2: unknown key TimeoutSec= in the [Users] section (known: MaxRunningJobs, "
                     "MaxUnfinishedJobs, MaxSpecBytes, MaxPriority)");
        expect_error("[Defaults]\nTimeoutSec=2y\n", "x.conf:2: TimeoutSec=2y: expected a time span");
        expect_error("[Defaults]\nTasksMax=5000000\n", "x.conf:2: TasksMax=5000000: expected a number");
        expect_error("[Defaults]\nMemoryMax=1K\n", "x.conf:2: MemoryMax=1K: expected a size of at least 1M");
        expect_error("[Defaults]\nLimit=1\n", "x.conf:2: unknown key Limit= in the [Defaults] section");
}

static void test_user_limits(void **state) {
        char *error = NULL, *msg = NULL;
        UserLimits l;
        JobdConf c;
        JobSpec s;

        /* Built in: none for --user, bounds for --system. */
        assert_int_equal(user_limits_from_conf(NULL, false, &l, &error), 0);
        assert_true(l.max_unfinished_jobs == UINT64_MAX && l.max_spec_bytes == UINT64_MAX);
        assert_int_equal(l.max_priority, INT32_MAX);
        assert_int_equal(l.max_running_jobs, UINT32_MAX);
        assert_int_equal(user_limits_from_conf(NULL, true, &l, &error), 0);
        assert_int_equal(l.max_unfinished_jobs, USER_LIMITS_SYSTEM_UNFINISHED_JOBS);
        assert_int_equal(l.max_spec_bytes, USER_LIMITS_SYSTEM_SPEC_BYTES);
        assert_int_equal(l.max_priority, 0);
        assert_true(l.max_timeout_usec == USEC_INFINITY);
        assert_int_equal(l.default_timeout_usec, 0);
        assert_true(l.default_tasks_max == LIMIT_UNSET && l.default_memory_max == LIMIT_UNSET);

        /* The file wins; infinity lifts a built-in limit. */
        assert_int_equal(jobd_conf_parse("[Users]\nMaxUnfinishedJobs=infinity\nMaxPriority=10\n"
                                         "MaxRunningJobs=4\n[Defaults]\nMaxTimeoutSec=1h\nTasksMax=50\n",
                                         "u.conf", &c, &error), 0);
        assert_int_equal(user_limits_from_conf(&c, true, &l, &error), 0);
        jobd_conf_done(&c);
        assert_true(l.max_unfinished_jobs == UINT64_MAX);
        assert_int_equal(l.max_spec_bytes, USER_LIMITS_SYSTEM_SPEC_BYTES);
        assert_int_equal(l.max_priority, 10);
        assert_int_equal(l.max_running_jobs, 4);

        /* Defaults: the maximum is the timeout of a job without one; the spec's own values stay. */
        job_spec_init(&s);
        user_limits_apply_defaults(&l, &s);
        assert_int_equal(s.timeout_usec, 3600 * USEC_PER_SEC);
        assert_int_equal(s.limits.tasks_max, 50);
        assert_true(s.limits.memory_max == LIMIT_UNSET);
        assert_int_equal(user_limits_check_spec(&l, &s, &msg), 0);
        s.priority = 10;
        assert_int_equal(user_limits_check_spec(&l, &s, &msg), 0);
        s.priority = 11;
        assert_int_equal(user_limits_check_spec(&l, &s, &msg), -EINVAL);
        assert_string_equal(msg, "Priority: 11 is more than the 10 a user may give (jobd.conf [Users] "
                                 "MaxPriority=); only root may raise a job above it");
        free(msg);
        s.priority = -100;
        s.timeout_usec = USEC_INFINITY;
        assert_int_equal(user_limits_check_spec(&l, &s, &msg), -EINVAL);
        assert_string_equal(msg, "TimeoutUSec: no timeout is more than the 1h 0min 0s a job may run (jobd.conf "
                                 "[Defaults] MaxTimeoutSec=)");
        free(msg);
        s.timeout_usec = 3600 * USEC_PER_SEC + 1;
        assert_int_equal(user_limits_check_spec(&l, &s, &msg), -EINVAL);
        free(msg);
        s.limits.tasks_max = 7;
        s.timeout_usec = 0;
        user_limits_apply_defaults(&l, &s);
        assert_int_equal(s.limits.tasks_max, 7);
        job_spec_done(&s);

        /* Quotas: at the limit is fine, over it is not; the message has the numbers. */
        l.max_unfinished_jobs = 3;
        l.max_spec_bytes = 1000;
        assert_int_equal(user_limits_check_quota(&l, 1000, 2, 500, 1, 500, &msg), 0);
        assert_int_equal(user_limits_check_quota(&l, 1000, 2, 500, 2, 10, &msg), -EDQUOT);
        assert_string_equal(msg, "MaxUnfinishedJobs: uid 1000 has 2 unfinished jobs; 2 more would be over the "
                                 "limit of 3 (jobd.conf [Users])");
        free(msg);
        assert_int_equal(user_limits_check_quota(&l, 1000, 1, 500, 1, 501, &msg), -EDQUOT);
        assert_string_equal(msg, "MaxSpecBytes: the jobs of uid 1000 (unfinished, and those of runs still kept) "
                                 "hold 500 bytes of specs; 501 more would be over the limit of 1000 (jobd.conf "
                                 "[Users])");
        free(msg);

        /* A default timeout longer than the maximum is a mistake of the file. */
        assert_int_equal(jobd_conf_parse("[Defaults]\nTimeoutSec=2h\nMaxTimeoutSec=1h\n", "u.conf", &c, &error),
                         0);
        assert_int_equal(user_limits_from_conf(&c, false, &l, &error), -EINVAL);
        assert_non_null(strstr(error, "TimeoutSec= is longer than MaxTimeoutSec="));
        free(error);
        jobd_conf_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_example),
                cmocka_unit_test(test_mistakes),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_runs),
                cmocka_unit_test(test_users_defaults),
                cmocka_unit_test(test_user_limits),
                cmocka_unit_test(test_access),
                cmocka_unit_test(test_slurm),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
