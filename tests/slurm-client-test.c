/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Drives src/slurm/slurm-client.c against a real cluster (tests/integration/slurm-client.sh starts one).
 *
 *   slurm-client-test SLURM_CONF SHARED_DIR scenario [--timeout] [--oom]
 *       jobs that exit 0 and 3, a job killed by SIGTERM, one cancelled by SIGKILL, a pending one killed
 *       (cancelled), licences enforced, a refused submission, an unknown id (gone), the argv and the
 *       environment as the job sees them, and a fresh client that re-adopts every job still running
 *       (a daemon restart); --timeout adds a job over a 1 min time limit (Slurm ends it within ~1.5 min),
 *       --oom one over its MemoryMax (where the cluster enforces --mem).
 *       Exit 0 when every job ended as expected.
 *
 *   slurm-client-test SLURM_CONF SHARED_DIR stop
 *       200 held submissions queued, the client freed in the first answer: no other job of them is left
 *       pending in slurmctld (queued ones never sent, accepted ones cancelled). Also what slurmctld
 *       recorded of the first: the SlurmSubmit fields and ExtraOptions in Slurm's units.
 *
 *   slurm-client-test SLURM_CONF SHARED_DIR nodefail
 *       one job; prints "running ID" when it runs, for the shell to stop slurmd; expects NODE_FAIL.
 *
 *   slurm-client-test SLURM_CONF SHARED_DIR unreachable MALFORMED_CONF
 *       slurm_client_new() fails, with a clear line and without ending the process, on a missing
 *       slurm.conf, on one libslurm cannot process, on unsupported ExtraOptions, and within seconds on
 *       SLURM_CONF, whose controller does not answer.
 *
 *   slurm-client-test SLURM_CONF SHARED_DIR bench N
 *       submits N held jobs, follows them, cancels them: submissions/s through the worker, the time of
 *       one slurm_load_jobs() with the cluster's table, and the event loop's worst lateness meanwhile
 *       (a 10 ms timer), which shows that the queries run off the loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <systemd/sd-event.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "slurm-client.h"
#include "strv.h"
#include "time-util.h"

typedef enum Action {
        ACTION_NONE,
        ACTION_KILL_TERM_WHEN_RUNNING,
        ACTION_KILL_KILL_WHEN_RUNNING,
        ACTION_KILL_OTHER_WHEN_RUNNING,
        ACTION_RESTART_WHEN_RUNNING,
        ACTION_SUSPEND_WHEN_RUNNING,
        ACTION_ANNOUNCE_WHEN_RUNNING,
} Action;

typedef struct TestJob {
        const char *what;
        char **argv;
        const char *licenses;
        usec_t time_limit;
        Action action;
        size_t other;
        SlurmJobState want;
        int want_exit;          /* WEXITSTATUS, or -1 */
        int want_signal;        /* WTERMSIG, or 0 */
        bool want_refused;
        const char *want_log;   /* exact content of the log, or NULL */

        uint32_t slurm_id;
        bool skip;              /* not in this run (--timeout, --oom not given) */
        bool submitted, refused, final, seen_running, seen_suspended, acted;
        SlurmJobState got;
        int status;
        char *reason_final;
        char log_path[256];
} TestJob;

static SlurmConf conf;
static SlurmClient *client;
static sd_event *event;
static TestJob *jobs;
static size_t n_jobs;
static int failures;
static const char *shared_dir;
static uint32_t gone_id = 3999999;
static bool gone_seen;

#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); failures++; } while (0)

static void check_done(void) {
        for (size_t i = 0; i < n_jobs; i++)
                if (!jobs[i].final && !jobs[i].refused && !jobs[i].skip)
                        return;
        if (!gone_seen)
                return;
        (void) sd_event_exit(event, 0);
}

static void on_change(SlurmClient *c, const SlurmJobStatus *s, void *userdata);

static void restart_client(void) {
        int r;

        printf("restart: dropping the client with %u jobs tracked\n", slurm_client_tracked(client));
        client = slurm_client_free(client);
        r = slurm_client_new(event, &conf, on_change, NULL, &client);
        if (r < 0) {
                FAIL("a fresh client did not start: %s", strerror(-r));
                (void) sd_event_exit(event, 1);
                return;
        }
        /* Out of order (as a journal may hand them over), the unknown id among them, and each twice:
         * the client sorts, and reports each once. */
        if (!gone_seen)
                (void) slurm_client_track(client, gone_id, UINT64_MAX);
        for (size_t k = 0; k < 2; k++)
                for (size_t i = n_jobs; i > 0; i--)
                        if (jobs[i - 1].slurm_id > 0 && !jobs[i - 1].final)
                                (void) slurm_client_track(client, jobs[i - 1].slurm_id, i - 1);
}

static char *read_log(const char *path);

static int on_started_check(sd_event_source *source, uint64_t usec, void *userdata) {
        TestJob *j = userdata;
        _cleanup_free_ char *log = read_log(j->log_path);

        if (j->final)
                return 0;
        if (log && strstr(log, "started\n"))
                return slurm_client_kill(client, j->slurm_id, SIGTERM), 0;
        return sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, 100 * USEC_PER_MSEC, 0,
                                          on_started_check, j), 0;
}

static void on_change(SlurmClient *c, const SlurmJobStatus *s, void *userdata) {
        TestJob *j;

        if (s->jobd_id == UINT64_MAX) {
                printf("job %u (unknown id): %s\n", s->slurm_id, slurm_job_state_to_string(s->state));
                if (s->state != SLURM_JOB_GONE)
                        FAIL("an id slurmctld never gave out is %s, not gone",
                             slurm_job_state_to_string(s->state));
                gone_seen = true;
                check_done();
                return;
        }
        if (s->jobd_id >= n_jobs) {
                FAIL("a change for an unknown cookie %" PRIu64, s->jobd_id);
                return;
        }
        j = jobs + s->jobd_id;
        printf("job %u (%s): %s node=%s reason=%s exit=0x%x\n", s->slurm_id, j->what,
               slurm_job_state_to_string(s->state), strna(s->node), strna(s->reason), s->exit_status);
        if (s->slurm_id != j->slurm_id)
                FAIL("%s: change for id %u, submitted as %u", j->what, s->slurm_id, j->slurm_id);
        if (j->final)
                FAIL("%s: a change after the final state", j->what);
        if (s->state == SLURM_JOB_RUNNING) {
                j->seen_running = true;
                if (!s->node)
                        FAIL("%s: running without a node", j->what);
                if (!j->acted) {
                        j->acted = true;
                        switch (j->action) {
                        case ACTION_KILL_TERM_WHEN_RUNNING:
                                /* RUNNING comes with the allocation, before slurmd has started the batch
                                 * script; a signal other than SIGKILL sent in between is lost. Wait for the
                                 * script to say it runs. */
                                (void) sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC,
                                                                  100 * USEC_PER_MSEC, 0, on_started_check,
                                                                  j);
                                break;
                        case ACTION_KILL_KILL_WHEN_RUNNING:
                                (void) slurm_client_kill(client, j->slurm_id, SIGKILL);
                                break;
                        case ACTION_KILL_OTHER_WHEN_RUNNING:
                                /* The other one waits for the licences this one holds. slurmctld takes
                                 * no signal but SIGKILL for a pending job: the client cancels it. */
                                (void) slurm_client_kill(client, jobs[j->other].slurm_id, SIGTERM);
                                break;
                        case ACTION_RESTART_WHEN_RUNNING:
                                restart_client();
                                return;
                        case ACTION_SUSPEND_WHEN_RUNNING:
                                (void) slurm_client_suspend(client, j->slurm_id, true);
                                break;
                        case ACTION_ANNOUNCE_WHEN_RUNNING:
                                /* For the shell: it stops slurmd now. */
                                printf("running %u\n", j->slurm_id);
                                break;
                        default:
                                break;
                        }
                }
        }
        if (s->state == SLURM_JOB_SUSPENDED && !j->seen_suspended) {
                j->seen_suspended = true;
                if (j->action == ACTION_SUSPEND_WHEN_RUNNING)
                        (void) slurm_client_suspend(client, j->slurm_id, false);
        }
        if (!slurm_job_state_is_final(s->state))
                return;
        j->final = true;
        j->reason_final = s->reason ? strdup(s->reason) : NULL;
        j->got = s->state;
        j->status = s->exit_status;
        check_done();
}

static void on_submitted(SlurmClient *c, uint64_t jobd_id, uint32_t slurm_id, int error, const char *message,
                         void *userdata) {
        TestJob *j = jobs + jobd_id;

        j->submitted = true;
        if (error < 0) {
                printf("job (%s) refused: %s (%s)\n", j->what, strna(message), strerror(-error));
                j->refused = true;
                if (!j->want_refused)
                        FAIL("%s: refused: %s", j->what, strna(message));
                else if (!message || !strstr(message, "Slurm refused the job: "))
                        FAIL("%s: the refusal does not carry Slurm's reason: %s", j->what, strna(message));
                check_done();
                return;
        }
        printf("job %u (%s) submitted\n", slurm_id, j->what);
        if (j->want_refused)
                FAIL("%s: accepted, should have been refused", j->what);
        if (slurm_id == 0)
                FAIL("%s: success without an id", j->what);
        j->slurm_id = slurm_id;
}

static char *read_log(const char *path) {
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0;

        if (!f)
                return NULL;
        if (getdelim(&buf, &n, 0, f) < 0)
                return free(buf), strdup("");
        return buf;
}

static void check_job(TestJob *j) {
        if (j->skip)
                return;
        if (j->want_refused) {
                if (!j->refused)
                        FAIL("%s: not refused", j->what);
                return;
        }
        if (!j->final) {
                FAIL("%s: never ended", j->what);
                return;
        }
        if (j->got != j->want)
                FAIL("%s: ended %s, expected %s", j->what, slurm_job_state_to_string(j->got),
                     slurm_job_state_to_string(j->want));
        if (j->want_exit >= 0 && !(WIFEXITED(j->status) && WEXITSTATUS(j->status) == j->want_exit))
                FAIL("%s: exit status 0x%x, expected exit code %d", j->what, j->status, j->want_exit);
        if (j->want_signal > 0 && !(WIFSIGNALED(j->status) && WTERMSIG(j->status) == j->want_signal))
                FAIL("%s: exit status 0x%x, expected signal %d", j->what, j->status, j->want_signal);
        if (j->want_log) {
                _cleanup_free_ char *log = read_log(j->log_path);
                if (!log || !streq(log, j->want_log))
                        FAIL("%s: log %s is \"%s\", expected \"%s\"", j->what, j->log_path, strna(log),
                             j->want_log);
        }
}

static int submit_all(void) {
        _cleanup_strv_free_ char **env = NULL;
        char cwd[4096];

        if (!getcwd(cwd, sizeof(cwd)))
                return -errno;
        if (strv_extend(&env, "PATH=/usr/local/bin:/usr/bin:/bin") < 0 ||
            strv_extend(&env, "JOBD_TEST_VAR=it's $set") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n_jobs; i++) {
                TestJob *j = jobs + i;
                SlurmSubmit s = {
                        .jobd_id = i,
                        .uid = getuid(),
                        .gid = getgid(),
                        .argv = j->argv,
                        .env = env,
                        .cwd = cwd,
                        .log_path = j->log_path,
                        .time_limit = j->time_limit,
                        .memory_max = 64 << 20,
                        .tasks_max = UINT64_MAX,
                        .cpu_weight = UINT64_MAX,
                        .licenses = j->licenses,
                };
                char name[64];
                int r;

                if (j->skip)
                        continue;
                snprintf(name, sizeof(name), "jobd-test-%zu", i);
                s.name = name;
                snprintf(j->log_path, sizeof(j->log_path), "%s/jobd-test-%d-%zu.log", shared_dir,
                         (int) getpid(), i);
                r = slurm_client_submit(client, &s, on_submitted, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define ARGV(...) ((char *[]) { __VA_ARGS__, NULL })

static int scenario(bool with_timeout, bool with_oom) {
        TestJob table[] = {
                { .what = "exit-0",
                  .argv = ARGV("sh", "-c", "echo out; echo err >&2; echo \"$JOBD_TEST_VAR\""),
                  .want = SLURM_JOB_COMPLETED, .want_exit = 0, .want_log = "out\nerr\nit's $set\n" },
                { .what = "exit-3", .argv = ARGV("sh", "-c", "exit 3"), .want = SLURM_JOB_FAILED,
                  .want_exit = 3 },
                { .what = "argv", .argv = ARGV("printf", "[%s]", "a b", "it's", "", "x\ny", "$HOME", "*"),
                  .want = SLURM_JOB_COMPLETED, .want_exit = 0, .want_log = "[a b][it's][][x\ny][$HOME][*]" },
                { .what = "sigterm", .argv = ARGV("sh", "-c", "echo started; exec sleep 300"),
                  .action = ACTION_KILL_TERM_WHEN_RUNNING,
                  .want = SLURM_JOB_FAILED, .want_exit = -1, .want_signal = SIGTERM },
                { .what = "cancelled", .argv = ARGV("sleep", "300"), .action = ACTION_KILL_KILL_WHEN_RUNNING,
                  .want = SLURM_JOB_CANCELLED, .want_exit = -1 },
                /* Both licences of the cluster's simlic:2: the second waits for the first, and is killed
                 * while it waits. */
                { .what = "licence-holder", .argv = ARGV("sleep", "8"), .licenses = "simlic:2",
                  .action = ACTION_KILL_OTHER_WHEN_RUNNING, .other = 6,
                  .want = SLURM_JOB_COMPLETED, .want_exit = 0 },
                { .what = "pending-killed", .argv = ARGV("true"), .licenses = "simlic:2",
                  .want = SLURM_JOB_CANCELLED, .want_exit = -1 },
                { .what = "refused", .argv = ARGV("true"), .licenses = "no-such-licence:1",
                  .want_refused = true },
                /* Still running when the client is replaced: the fresh one re-adopts it. */
                { .what = "restart", .argv = ARGV("sleep", "5"), .action = ACTION_RESTART_WHEN_RUNNING,
                  .want = SLURM_JOB_COMPLETED, .want_exit = 0 },
                { .what = "suspend", .argv = ARGV("sleep", "4"), .action = ACTION_SUSPEND_WHEN_RUNNING,
                  .want = SLURM_JOB_COMPLETED, .want_exit = 0 },
                /* Needs the cluster to enforce --mem (task/cgroup, ConstrainRAMSpace): --oom. */
                { .what = "oom", .argv = ARGV("python3", "-c", "x = b'x' * (400 << 20)"),
                  .want = SLURM_JOB_OUT_OF_MEMORY, .want_exit = -1, .want_signal = SIGKILL,
                  .skip = !with_oom },
                { .what = "timeout", .argv = ARGV("sleep", "300"), .time_limit = 1,
                  .want = SLURM_JOB_TIMEOUT, .want_exit = -1, .skip = !with_timeout },
        };
        int r;

        n_jobs = ELEMENTSOF(table);
        jobs = table;
        for (size_t i = 0; i < n_jobs; i++)
                if (jobs[i].want_exit == 0 && jobs[i].want != SLURM_JOB_COMPLETED)
                        jobs[i].want_exit = -1;

        r = slurm_client_new(event, &conf, on_change, NULL, &client);
        if (r < 0)
                return r;
        r = submit_all();
        if (r < 0)
                return r;
        (void) slurm_client_track(client, gone_id, UINT64_MAX);

        r = sd_event_loop(event);
        client = slurm_client_free(client);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n_jobs; i++)
                check_job(jobs + i);
        if (!gone_seen)
                FAIL("the unknown id was not reported gone");
        if (!jobs[9].seen_suspended)
                FAIL("suspend: never reported suspended");
        if (jobs[6].seen_running)
                FAIL("pending-killed: ran although the licences were taken");
        /* Cancelled while it waited for the licences the other job held: enforced by slurmctld. */
        if (!jobs[6].reason_final || !strstr(jobs[6].reason_final, "Licenses"))
                FAIL("pending-killed: waited for \"%s\", not for licences", strna(jobs[6].reason_final));
        if (jobs[6].seen_running)
                FAIL("pending-killed: ran although the other job held the licences");
        for (size_t i = 0; i < n_jobs; i++)
                free(jobs[i].reason_final);
        return failures > 0 ? -EBADMSG : 0;
}

/* ---- a node that fails under a running job ---- */

static int nodefail(void) {
        TestJob table[] = {
                { .what = "node-fail", .argv = ARGV("sleep", "300"), .action = ACTION_ANNOUNCE_WHEN_RUNNING,
                  .want = SLURM_JOB_NODE_FAIL, .want_exit = -1 },
        };
        int r;

        jobs = table;
        n_jobs = ELEMENTSOF(table);
        gone_seen = true;
        r = slurm_client_new(event, &conf, on_change, NULL, &client);
        if (r < 0)
                return r;
        r = submit_all();
        if (r < 0)
                return r;
        r = sd_event_loop(event);
        client = slurm_client_free(client);
        if (r < 0)
                return r;
        check_job(jobs);
        free(jobs[0].reason_final);
        return failures > 0 ? -EBADMSG : 0;
}

/* ---- a client freed while submissions are under way ---- */

static uint32_t stop_first_id;
static unsigned stop_answers;

static void stop_on_submitted(SlurmClient *c, uint64_t jobd_id, uint32_t slurm_id, int error,
                              const char *message, void *userdata) {
        stop_answers++;
        if (error < 0) {
                FAIL("stop: a submission was refused: %s", strna(message));
                return;
        }
        /* The first answer: the client goes while the worker is busy with the others. */
        stop_first_id = slurm_id;
        client = slurm_client_free(client);
        (void) sd_event_exit(event, 0);
}

/* What slurmctld recorded of a submission: the SlurmSubmit fields and the ExtraOptions, in its units. */
static void check_desc(const slurm_job_info_t *j, const char *cwd, const char *log_path) {
        if (j->priority != 0)
                FAIL("desc: --hold: priority %u", j->priority);
        if (!j->comment || !streq(j->comment, "jobd test"))
                FAIL("desc: --comment: \"%s\"", strna(j->comment));
        if (j->cpus_per_task != 2)
                FAIL("desc: --cpus-per-task: %u", j->cpus_per_task);
        if (j->time_min != 1)
                FAIL("desc: --time-min: %u", j->time_min);
        if (j->time_limit != 2)
                FAIL("desc: time limit of 90 s: %u min", j->time_limit);
        if (j->pn_min_memory != 16)
                FAIL("desc: MemoryMax 16M: %" PRIu64 " MiB", j->pn_min_memory);
        if (j->nice != NICE_OFFSET + 50)
                FAIL("desc: CPUWeight 50: nice %d", (int) (j->nice - NICE_OFFSET));
        if (!j->licenses || !streq(j->licenses, "simlic:1"))
                FAIL("desc: licences: \"%s\"", strna(j->licenses));
        if (j->requeue != 0)
                FAIL("desc: requeue %u", j->requeue);
        if (j->user_id != getuid() || j->group_id != getgid())
                FAIL("desc: user %u group %u", j->user_id, j->group_id);
        if (!j->work_dir || !streq(j->work_dir, cwd))
                FAIL("desc: work_dir \"%s\"", strna(j->work_dir));
        if (!j->std_out || !streq(j->std_out, log_path) || !j->std_err || !streq(j->std_err, log_path))
                FAIL("desc: stdout \"%s\", stderr \"%s\"", strna(j->std_out), strna(j->std_err));
        if (!j->std_in || !streq(j->std_in, "/dev/null"))
                FAIL("desc: stdin \"%s\"", strna(j->std_in));
}

static int stop(unsigned n) {
        char *extra[] = { (char *) "--hold", (char *) "--comment=jobd test", (char *) "--cpus-per-task=2",
                          (char *) "--time-min=1", NULL };
        char *env[] = { (char *) "PATH=/usr/bin:/bin", NULL };
        char cwd[4096], log_path[512], name[64];
        job_info_msg_t *resp = NULL;
        unsigned left = 0, ours = 0;
        int r;

        if (!getcwd(cwd, sizeof(cwd)))
                return -errno;
        conf.extra_options = extra;
        snprintf(name, sizeof(name), "jobd-stop-%d", (int) getpid());
        snprintf(log_path, sizeof(log_path), "%s/jobd-stop.log", shared_dir);
        r = slurm_client_new(event, &conf, on_change, NULL, &client);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < n; i++) {
                SlurmSubmit s = {
                        .jobd_id = i, .name = name, .uid = getuid(), .gid = getgid(),
                        .argv = ARGV("sleep", "600"), .env = env, .cwd = cwd, .log_path = log_path,
                        .time_limit = 90 * USEC_PER_SEC, .memory_max = 16 << 20, .tasks_max = UINT64_MAX,
                        .cpu_weight = 50, .licenses = "simlic:1",
                };
                r = slurm_client_submit(client, &s, stop_on_submitted, NULL);
                if (r < 0)
                        return r;
        }
        r = sd_event_loop(event);
        if (r < 0)
                return r;
        if (stop_answers != 1)
                FAIL("stop: %u answers after the client was freed in the first", stop_answers);

        /* The one job the test heard of is the test's to cancel; every other one must be gone already.
         * (A loop that has exited takes no new sources: a fresh one.) */
        event = sd_event_unref(event);
        r = sd_event_new(&event);
        if (r < 0)
                return r;
        r = slurm_client_new(event, &conf, on_change, NULL, &client);
        if (r < 0)
                return r;
        (void) slurm_client_kill(client, stop_first_id, SIGKILL);
        client = slurm_client_free(client);
        (void) usleep(2 * USEC_PER_SEC);

        if (slurm_load_jobs(0, &resp, SHOW_ALL) != SLURM_SUCCESS)
                return log_error_errno(-EIO, "slurm_load_jobs: %s", slurm_strerror(slurm_get_errno()));
        for (uint32_t i = 0; i < resp->record_count; i++) {
                const slurm_job_info_t *j = resp->job_array + i;

                if (!j->name || !streq(j->name, name))
                        continue;
                if (ours++ == 0)
                        check_desc(j, cwd, log_path);
                if (!slurm_job_state_is_final(slurm_job_state_from_slurm(j->job_state))) {
                        FAIL("stop: job %u is still %s after the client stopped", j->job_id,
                             slurm_job_state_to_string(slurm_job_state_from_slurm(j->job_state)));
                        left++;
                }
        }
        slurm_free_job_info_msg(resp);
        printf("stop: %u of %u submissions reached slurmctld, %u left behind\n", ours, n, left);
        if (ours == 0)
                FAIL("stop: not even the first submission is in slurmctld's table");
        return failures > 0 ? -EBADMSG : 0;
}

/* ---- bench ---- */

static unsigned bench_n, bench_submitted, bench_refused, bench_final, bench_pending_seen;
static uint32_t *bench_ids;
static usec_t bench_t0, bench_t_submitted, bench_t_cancel, lateness_max, lateness_expected;
static bool bench_cancelling;

static void bench_on_change(SlurmClient *c, const SlurmJobStatus *s, void *userdata) {
        if (slurm_job_state_is_final(s->state)) {
                bench_final++;
                if (bench_final + bench_refused == bench_n)
                        (void) sd_event_exit(event, 0);
        }
}

static void bench_cancel_all(void) {
        SlurmClientStats st;

        slurm_client_get_stats(client, &st);
        printf("bench: %u jobs tracked; last slurm_load_jobs: %.1f ms for %" PRIu64 " jobs (max %.1f ms, "
               "%" PRIu64 " queries, %" PRIu64 " with the table)\n", slurm_client_tracked(client),
               st.poll_usec_last / 1000.0, st.poll_records_last, st.poll_usec_max / 1000.0, st.n_polls,
               st.n_polls_changed);
        printf("bench: event loop lateness while following them: max %.1f ms; longest turn delivering "
               "results "
               "%.1f ms (%" PRIu64 " callbacks)\n", lateness_max / 1000.0, st.deliver_usec_max / 1000.0,
               st.n_delivered);
        bench_cancelling = true;
        bench_t_cancel = now(CLOCK_MONOTONIC);
        for (unsigned i = 0; i < bench_n; i++)
                if (bench_ids[i])
                        (void) slurm_client_kill(client, bench_ids[i], SIGKILL);
}

static int bench_on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        usec_t n = now(CLOCK_MONOTONIC);
        static unsigned ticks;

        if (lateness_expected > 0 && n > lateness_expected && n - lateness_expected > lateness_max) {
                lateness_max = n - lateness_expected;
                if (lateness_max > 50 * USEC_PER_MSEC)
                        printf("bench: loop %.1f ms late at +%.2f s (%s)\n", lateness_max / 1000.0,
                               (n - bench_t0) / 1e6, bench_cancelling ? "cancelling" :
                               bench_t_submitted > 0 ? "following" : "submitting");
        }
        lateness_expected = n + 10 * USEC_PER_MSEC;
        (void) sd_event_source_set_time(s, lateness_expected);
        /* After the submissions: let the client follow the whole set for a few intervals, then cancel. */
        if (bench_t_submitted > 0 && !bench_cancelling && n > bench_t_submitted + 5 * USEC_PER_SEC)
                bench_cancel_all();
        ticks++;
        return 0;
}

static void bench_on_submitted(SlurmClient *c, uint64_t jobd_id, uint32_t slurm_id, int error,
                               const char *message, void *userdata) {
        if (error < 0) {
                if (bench_refused++ == 0)
                        fprintf(stderr, "bench: refused: %s\n", strna(message));
        } else
                bench_ids[jobd_id] = slurm_id;
        if (++bench_submitted == bench_n) {
                SlurmClientStats st;

                bench_t_submitted = now(CLOCK_MONOTONIC);
                slurm_client_get_stats(client, &st);
                printf("bench: %u submissions (%u refused) in %.2f s: %.0f/s; %.2f ms per "
                       "slurm_submit_batch_job()\n", bench_n, bench_refused,
                       (bench_t_submitted - bench_t0) / 1e6, bench_n * 1e6 / (bench_t_submitted - bench_t0),
                       st.submit_usec_total / 1000.0 / bench_n);
        }
}

static int bench(unsigned n) {
        char *extra[] = { (char *) "--hold", NULL };
        _cleanup_(sd_event_source_unrefp) sd_event_source *timer = NULL;
        char *env[] = { (char *) "PATH=/usr/bin:/bin", NULL };
        char cwd[4096], log_path[512];
        int r;

        if (!getcwd(cwd, sizeof(cwd)))
                return -errno;
        conf.extra_options = extra;
        bench_n = n;
        bench_ids = calloc(n, sizeof(uint32_t));
        if (!bench_ids)
                return -ENOMEM;
        r = slurm_client_new(event, &conf, bench_on_change, NULL, &client);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(event, &timer, CLOCK_MONOTONIC, 10 * USEC_PER_MSEC, 1, bench_on_timer,
                                       NULL);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(timer, SD_EVENT_ON);
        snprintf(log_path, sizeof(log_path), "%s/jobd-bench.log", shared_dir);
        bench_t0 = now(CLOCK_MONOTONIC);
        for (unsigned i = 0; i < n; i++) {
                SlurmSubmit s = {
                        .jobd_id = i, .name = "jobd-bench", .uid = getuid(), .gid = getgid(),
                        .argv = ARGV("sleep", "600"), .env = env, .cwd = cwd, .log_path = log_path,
                        .memory_max = 16 << 20, .tasks_max = UINT64_MAX, .cpu_weight = UINT64_MAX,
                };
                r = slurm_client_submit(client, &s, bench_on_submitted, NULL);
                if (r < 0)
                        return r;
        }
        printf("bench: %u submissions queued in %.1f ms (the loop's share)\n", n,
               (now(CLOCK_MONOTONIC) - bench_t0) / 1000.0);
        r = sd_event_loop(event);
        if (r >= 0) {
                usec_t dt = now(CLOCK_MONOTONIC) - bench_t_cancel;
                printf("bench: %u cancels sent and seen final in %.2f s: %.0f/s\n", bench_final, dt / 1e6,
                       bench_final * 1e6 / dt);
                printf("bench: event loop lateness overall: max %.1f ms\n", lateness_max / 1000.0);
        }
        client = slurm_client_free(client);
        free(bench_ids);
        (void) bench_pending_seen;
        return r;
}

/* ---- what slurm_client_new() refuses, without ending the process ---- */

static int refused(const char *config, int want, const char *what) {
        SlurmConf bad = conf;
        usec_t t0 = now(CLOCK_MONOTONIC), dt;
        SlurmClient *c = NULL;
        int r;

        bad.config = (char *) config;
        r = slurm_client_new(event, &bad, on_change, NULL, &c);
        dt = now(CLOCK_MONOTONIC) - t0;
        printf("%s: %s after %.1f s\n", what, r < 0 ? strerror(-r) : "accepted", dt / 1e6);
        if (r >= 0) {
                FAIL("%s: the client started", what);
                slurm_client_free(c);
        } else if (want != 0 && r != want)
                FAIL("%s: %s, expected %s", what, strerror(-r), strerror(-want));
        if (dt > 10 * USEC_PER_SEC)
                FAIL("%s: took %.1f s", what, dt / 1e6);
        return 0;
}

static int unreachable(const char *malformed) {
        char *bad_extra[] = { (char *) "--constraint=x", (char *) "--mem=1G", NULL };
        SlurmConf c2 = conf;
        SlurmClient *c = NULL;
        int r;

        refused("/nonexistent/slurm.conf", -ENOENT, "a missing slurm.conf");
        /* libslurm would end the process on this one (fatal()): the child that reads it first dies. */
        refused(malformed, -EINVAL, "a slurm.conf libslurm cannot process");
        c2.extra_options = bad_extra;
        r = slurm_client_new(event, &c2, on_change, NULL, &c);
        printf("ExtraOptions with --mem: %s\n", r < 0 ? strerror(-r) : "accepted");
        if (r != -EINVAL) {
                FAIL("ExtraOptions with --mem=1G: %s, expected EINVAL", r < 0 ? strerror(-r) : "accepted");
                slurm_client_free(c);
        }
        /* The configuration given on the command line names a controller nobody listens for. */
        refused(conf.config, 0, "a controller that does not answer");
        return failures > 0 ? -EBADMSG : 0;
}

int main(int argc, char *argv[]) {
        int r;

        if (argc < 4) {
                fprintf(stderr, "usage: %s SLURM_CONF SHARED_DIR scenario [--timeout] | bench N\n", argv[0]);
                return EXIT_FAILURE;
        }
        conf.config = argv[1];
        conf.shared_dir = argv[2];
        conf.poll_interval = 500 * USEC_PER_MSEC;
        shared_dir = argv[2];
        setvbuf(stdout, NULL, _IOLBF, 0);

        r = sd_event_default(&event);
        if (r < 0)
                return EXIT_FAILURE;
        if (streq(argv[3], "scenario"))
                r = scenario(strv_contains(argv + 4, "--timeout"), strv_contains(argv + 4, "--oom"));
        else if (streq(argv[3], "stop"))
                r = stop(200);
        else if (streq(argv[3], "nodefail"))
                r = nodefail();
        else if (streq(argv[3], "unreachable") && argc > 4)
                r = unreachable(argv[4]);
        else if (streq(argv[3], "bench") && argc > 4)
                r = bench((unsigned) strtoul(argv[4], NULL, 10));
        else {
                fprintf(stderr, "unknown mode %s\n", argv[3]);
                r = -EINVAL;
        }
        event = sd_event_unref(event);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", argv[3], strerror(-r));
                return EXIT_FAILURE;
        }
        printf("%s: ok\n", argv[3]);
        return EXIT_SUCCESS;
}
