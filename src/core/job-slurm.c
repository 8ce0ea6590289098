/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "job-slurm.h"
#include "journal.h"
#include "log.h"
#include "manager.h"
#include "message-util.h"
#include "slurm/slurm-client.h"
#include "strv.h"
#include "user-util.h"

#if HAVE_SLURM
static void on_slurm_changed(SlurmClient *c, const SlurmJobStatus *s, void *userdata);

int manager_slurm_setup(Manager *m, const ConfSlurm *c, const char *filename) {
        SlurmConf sc;
        int r;

        if (!c->present)
                return 0;
        STRV_FOREACH(o, c->extra_options) {
                const char *why = NULL;

                if (slurm_extra_option_check(*o, &why) < 0)
                        return log_error_errno(-EINVAL, "%s:%u: ExtraOptions: %s: %s", filename,
                                               c->extra_options_line, *o, why ?: "not supported");
        }
        m->slurm_shared_dir = strdup(c->shared_dir);
        if (!m->slurm_shared_dir)
                return log_oom();
        sc = (SlurmConf) {
                .config = c->config,
                .partition = c->partition,
                .account = c->account,
                .qos = c->qos,
                .extra_options = c->extra_options,
                .shared_dir = c->shared_dir,
                .poll_interval = c->poll_interval_usec,
        };
        r = slurm_client_new(m->event, &sc, on_slurm_changed, m, &m->slurm);
        if (r < 0)
                return log_error_errno(r, "%s:%u: [Slurm]: cannot start the Slurm client (does slurmctld%s%s "
                                       "answer?): %m", filename, c->line, c->config ? " of " : "",
                                       strempty(c->config));
        log_debug("Slurm: jobs with Backend slurm go to the cluster%s%s, logs in %s.",
                  c->config ? " of " : "", strempty(c->config), c->shared_dir);
        return 0;
}

void manager_slurm_free(Manager *m) {
        m->slurm = slurm_client_free(m->slurm);
        m->slurm_shared_dir = mfree(m->slurm_shared_dir);
}

int manager_resolve_backend(Manager *m, JobSpec *spec, char **ret_message) {
        if (spec->backend == JOB_BACKEND_DEFAULT)
                spec->backend = m->slurm_default ? JOB_BACKEND_SLURM : JOB_BACKEND_LOCAL;
        if (spec->backend != JOB_BACKEND_SLURM)
                return 0;
        if (!m->slurm)
                return message_set(ret_message, -EINVAL, "Backend: \"slurm\", but Slurm is not configured "
                                   "(the daemon's jobd.conf has no [Slurm] section)");
        if (spec->stdio_fds[0] >= 0 || spec->stdio_fds[1] >= 0 || spec->stdio_fds[2] >= 0)
                return message_set(ret_message, -EINVAL, "StdinFD/StdoutFD/StderrFD: not for a job with "
                                   "Backend \"slurm\" (it runs on a node of the cluster; its output goes to "
                                   "its log in the shared folder)");
        if (spec->jobserver)
                return message_set(ret_message, -EINVAL, "Jobserver: not for a job with Backend \"slurm\"");
        if (seccomp_filter_is_set(spec->system_call_filter))
                return message_set(ret_message, -EINVAL, "SystemCallFilter/RestrictAddressFamilies: not for "
                                   "a job with Backend \"slurm\" (jobd applies no filter on a cluster node)");
        return 0;
}

const char *job_slurm_log_path(Job *j, char *buf, size_t l) {
        if (!j->manager->slurm_shared_dir)
                return "";
        snprintf(buf, l, "%s/%u/jobd-%llu.log", j->manager->slurm_shared_dir, (unsigned) job_log_uid(j),
                 (unsigned long long) j->id);
        return buf;
}

int job_slurm_make_log_dir(Job *j, gid_t gid) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        uid_t uid = job_log_uid(j);
        char name[32];
        struct stat st;

        if (!j->manager->slurm_shared_dir)
                return -ENOENT;
        dfd = open(j->manager->slurm_shared_dir, O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        snprintf(name, sizeof(name), "%u", (unsigned) uid);
        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(dfd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Made by the daemon (root, in system mode): handed to its user, who may follow and remove their
         * logs; the node writes them as that user. */
        if (st.st_uid != uid) {
                if (st.st_uid != geteuid())
                        return -EPERM;
                if (fchown(fd, uid, gid) < 0)
                        return -errno;
        }
        return 0;
}

void job_slurm_remove_log(Job *j) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        char name[64];

        if (!job_is_slurm(j) || j->spec.log_path || !j->manager->slurm_shared_dir)
                return;
        /* Only that name in the owner's folder, which they may change at will (as for a local log). */
        dfd = open(j->manager->slurm_shared_dir, O_DIRECTORY | O_CLOEXEC);
        snprintf(name, sizeof(name), "%u", (unsigned) job_log_uid(j));
        fd = dfd >= 0 ? openat(dfd, name, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -EBADF;
        if (fd < 0)
                return;
        snprintf(name, sizeof(name), "jobd-%llu.log", (unsigned long long) j->id);
        if (unlinkat(fd, name, 0) < 0 && errno != ENOENT)
                log_debug_errno(errno, "Job %llu: cannot remove its log in the shared folder, ignoring: %m",
                                (unsigned long long) j->id);
}

/* Counted pools the job holds, as Slurm licences "NAME:N,...": the cluster enforces them for everyone
 * who uses it, not only for this daemon. Slot pools are jobd's own (their slots are in the environment). */
static int job_slurm_licenses(Job *j, char **ret) {
        char *const *slots = sched_job_slots(j->manager->sched, j->id);
        _cleanup_free_ char *l = NULL;
        size_t n = 0;

        for (size_t i = 0; i < j->spec.n_resources; i++) {
                const JobResourceRequest *r = &j->spec.resources[i];
                size_t k = strlen(r->pool);
                bool slot_pool = false;
                char *t;

                STRV_FOREACH(s, (char **) slots)
                        if (strncmp(*s, r->pool, k) == 0 && (*s)[k] == '=')
                                slot_pool = true;
                if (slot_pool || r->amount == 0)
                        continue;
                t = realloc(l, n + k + 16);
                if (!t)
                        return -ENOMEM;
                l = t;
                n += sprintf(l + n, "%s%s:%u", n > 0 ? "," : "", r->pool, (unsigned) r->amount);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The end of an attempt: the patterns judge the log as for a local job, then the manager (which may
 * retry it). */
static void job_slurm_end(Job *j, JobResult result) {
        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
        j->log_source = sd_event_source_disable_unref(j->log_source);
        j->log_fd = safe_close(j->log_fd);
        j->slurm_submitting = false;
        j->slurm_pending_signal = 0;
        j->result = result;
        if (job_scan_wanted(j) && job_scan_start(j) >= 0)
                return;
        manager_job_done(j->manager, j);
}

/* A signal for the cluster job; while the submission is under way it waits for the id. */
static int job_slurm_signal(Job *j, int sig) {
        if (j->slurm_id > 0)
                return slurm_client_kill(j->manager->slurm, j->slurm_id, sig);
        if (j->slurm_submitting) {
                j->slurm_pending_signal = sig;
                return 0;
        }
        return -ESRCH;
}

static int on_slurm_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        int r;

        log_info("Job %llu: timed out, cancelling Slurm job %u.", (unsigned long long) j->id, j->slurm_id);
        j->stop_reason = JOB_STOP_TIMEOUT;
        (void) journal_stop(&j->manager->journal, j);
        j->timeout_source = sd_event_source_disable_unref(j->timeout_source);
        job_set_state(j, JOB_STOPPING, 0);
        r = job_slurm_signal(j, SIGKILL);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot cancel Slurm job %u: %m", (unsigned long long) j->id,
                                  j->slurm_id);
        return 0;
}

static void on_submitted(SlurmClient *c, uint64_t jobd_id, uint32_t slurm_id, int error, const char *message,
                         void *userdata) {
        Manager *m = userdata;
        Job *j = manager_get_job(m, jobd_id);
        int r;

        if (!j || !job_is_slurm(j) || !j->slurm_submitting) {
                /* Nobody waits for it (cannot happen: a job is freed only once done). */
                if (error == 0) {
                        log_warning("Slurm job %u of job %llu is not wanted any more, cancelling it.",
                                    slurm_id, (unsigned long long) jobd_id);
                        (void) slurm_client_kill(c, slurm_id, SIGKILL);
                }
                return;
        }
        j->slurm_submitting = false;
        if (error < 0) {
                char why[512];

                if (j->stop_reason == JOB_STOP_CANCEL) {
                        job_slurm_end(j, JOB_CANCELLED);
                        return;
                }
                if (IN_SET(error, -ECOMM, -EAGAIN)) {
                        /* Not the job's fault: slurmctld did not answer, or holds as many jobs as it may.
                         * Lost, which Retries retry for cluster jobs. */
                        job_set_reason(j, "Lost, not submitted (%s): %s",
                                       error == -ECOMM ? "slurmctld not reachable" : "the cluster is full",
                                       message ?: strerror(-error));
                        log_warning("Job %llu: %s", (unsigned long long) j->id, j->reason);
                        job_slurm_end(j, JOB_LOST);
                        return;
                }
                /* The client's message says that Slurm refused it, and why. */
                if (message)
                        snprintf(why, sizeof(why), "%s", message);
                else
                        snprintf(why, sizeof(why), "Slurm refused the job: %s", strerror(-error));
                (void) job_fail_start_full(j, error, NULL, why);
                return;
        }
        j->slurm_id = slurm_id;
        /* What a restart follows the job by: without this line it is reported lost (job_slurm_adopt()). */
        r = journal_slurm(&m->journal, j);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot record its Slurm job id %u in %s: %m",
                                  (unsigned long long) j->id, slurm_id, JOURNAL_FILE);
        log_debug("Job %llu: submitted to Slurm as job %u.", (unsigned long long) j->id, slurm_id);
        manager_job_changed(m, j, JOB_CHANGE_SLURM_JOB_ID);
        if (j->slurm_pending_signal > 0) {
                r = slurm_client_kill(c, slurm_id, j->slurm_pending_signal);
                if (r < 0)
                        log_warning_errno(r, "Job %llu: cannot signal Slurm job %u: %m",
                                          (unsigned long long) j->id, slurm_id);
                j->slurm_pending_signal = 0;
        }
}

int job_slurm_start(Job *j, const UserRecord *user) {
        Manager *m = j->manager;
        _cleanup_strv_free_ char **env = NULL;
        _cleanup_free_ char *licenses = NULL, *cwd = NULL;
        _cleanup_close_ int logfd = -EBADF;
        char name[64], log_buf[PATH_MAX];
        struct stat log_st;
        int r;

        j->slurm_id = 0;
        j->slurm_submitting = false;
        j->slurm_pending_signal = 0;
        j->killed_by_user = false;
        if (!m->slurm)
                return job_fail_start_full(j, -ENOTCONN, NULL, "Backend slurm: Slurm is not configured (the "
                                           "daemon's jobd.conf has no [Slurm] section)");

        /* Retries append to the log, as on the local backends: each attempt's output starts at its offset. */
        logfd = job_open_log_for_writing(j, user, &log_st);
        if (logfd < 0)
                return job_fail_start_full(j, logfd, "Cannot create the job's log in the shared folder",
                                           NULL);
        job_note_log_offset(j, &log_st);
        /* LogMaxBytes: as for a local job, while the node's writes reach this machine's inotify (a local
         * or shared folder written here), and once more when the job ends. */
        r = job_watch_log(j, logfd);
        if (r < 0)
                log_warning_errno(r, "Job %llu: cannot watch its log for LogMaxBytes, ignoring: %m",
                                  (unsigned long long) j->id);

        env = job_build_env(j, user);
        if (!env)
                return job_fail_start_full(j, -ENOMEM, "Cannot prepare the job's environment", NULL);
        r = job_slurm_licenses(j, &licenses);
        if (r < 0)
                return job_fail_start_full(j, r, "Cannot prepare the job's licences", NULL);
        if (!j->spec.working_directory) {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return job_fail_start_full(j, -errno, "Cannot tell the working directory", NULL);
        }
        snprintf(name, sizeof(name), "jobd-%llu", (unsigned long long) j->id);

        /* The start line before the job can run: after a crash, a job with a start line is followed again
         * by the Slurm id of the line after it, or reported lost; never submitted twice. */
        j->unit = mfree(j->unit);
        j->control_group = mfree(j->control_group);
        j->main_pid = 0;
        j->start_usec = now(CLOCK_REALTIME);
        r = journal_start(&m->journal, j);
        if (r < 0)
                return job_fail_start_full(j, r, "Cannot record its start in the state folder's "
                                           JOURNAL_FILE, NULL);

        /* Set first: the answer comes on a later loop iteration, but it must find the job waiting for it. */
        j->slurm_submitting = true;
        r = slurm_client_submit(m->slurm, &(SlurmSubmit) {
                        .jobd_id = j->id,
                        .attempt = job_attempt_number(j),
                        .name = name,
                        .uid = user ? user->uid : getuid(),
                        .gid = user ? user->gid : getgid(),
                        .argv = j->spec.argv,
                        .env = env,
                        .cwd = j->spec.working_directory ?: cwd,
                        .log_path = job_log_path(j, log_buf, sizeof(log_buf)),
                        .time_limit = j->spec.timeout_usec == USEC_INFINITY ? 0 : j->spec.timeout_usec,
                        .memory_max = j->spec.limits.memory_max,
                        .tasks_max = j->spec.limits.tasks_max,
                        .cpu_weight = j->spec.limits.cpu_weight,
                        .licenses = licenses,
                  }, on_submitted, m);
        if (r < 0) {
                j->slurm_submitting = false;
                return job_fail_start_full(j, r, "Cannot hand the job to the Slurm client", NULL);
        }
        manager_job_changed(m, j, JOB_CHANGE_START_USEC);
        return 0;
}

static void job_slurm_enter_running(Job *j, const SlurmJobStatus *s) {
        JobChange changed = JOB_CHANGE_REASON;
        int r;

        /* A kill is under way: it stays stopping. */
        if (j->state == JOB_RUNNING || j->state == JOB_STOPPING)
                return;
        j->reason = mfree(j->reason);
        if (j->state == JOB_STARTING) {
                /* TimeoutUSec counts from when the cluster started it, also across a restart of jobd; Slurm
                 * enforces it too (its time limit, in whole minutes). */
                if (j->spec.timeout_usec > 0 && j->spec.timeout_usec != USEC_INFINITY && !j->timeout_source) {
                        usec_t n = now(CLOCK_REALTIME), since = s->start_time > 0 ? s->start_time : n;
                        usec_t ran = n > since ? n - since : 0;

                        r = job_add_timer(j, &j->timeout_source, ran < j->spec.timeout_usec ?
                                          j->spec.timeout_usec - ran : 0, on_slurm_timeout, "job-timeout");
                        if (r < 0)
                                log_warning_errno(r, "Job %llu: cannot arm its timeout (Slurm's time limit "
                                                  "still holds): %m", (unsigned long long) j->id);
                }
                if (s->start_time > 0 && s->start_time != j->start_usec) {
                        j->start_usec = s->start_time;
                        changed |= JOB_CHANGE_START_USEC;
                }
                j->start_monotonic = now(CLOCK_MONOTONIC);
        }
        log_debug("Job %llu: Slurm job %u runs on %s.", (unsigned long long) j->id, s->slurm_id,
                  strna(s->node));
        job_set_state(j, JOB_RUNNING, changed);
}

static void job_slurm_finalize(Job *j, const SlurmJobStatus *s) {
        char buf[64];
        JobResult result;

        /* It may end between two queries, never seen running: when it started is Slurm's to say. */
        if (s->start_time > 0)
                j->start_usec = s->start_time;
        /* Nothing of the job writes any more: what the rate limit let through is capped now. */
        (void) job_enforce_log_cap(j, false);
        j->reason_is_log_note = false;
        j->reason = mfree(j->reason);
        j->exit_code = -1;
        j->exit_signal = 0;
        if (!IN_SET(s->state, SLURM_JOB_NODE_FAIL, SLURM_JOB_GONE)) {
                if (WIFSIGNALED(s->exit_status))
                        j->exit_signal = WTERMSIG(s->exit_status);
                else
                        j->exit_code = WEXITSTATUS(s->exit_status);
        }
        if (j->stop_reason == JOB_STOP_TIMEOUT || s->state == SLURM_JOB_TIMEOUT) {
                result = JOB_TIMEOUT;
                job_set_reason(j, "Timed out after %s%s",
                               format_timespan(buf, sizeof(buf), j->spec.timeout_usec),
                               j->stop_reason == JOB_STOP_TIMEOUT ? "" : " (Slurm's time limit)");
        } else if (s->state == SLURM_JOB_OUT_OF_MEMORY) {
                result = JOB_OOM;
                job_set_reason(j, "Killed by the OOM killer on node %s (MemoryMax=%llu)", strna(s->node),
                               (unsigned long long) j->spec.limits.memory_max);
        } else if (j->stop_reason == JOB_STOP_CANCEL)
                result = JOB_CANCELLED;
        else if (s->state == SLURM_JOB_NODE_FAIL) {
                result = JOB_LOST;
                job_set_reason(j, "Lost: node %s failed under Slurm job %u%s%s", strna(s->node), s->slurm_id,
                               s->reason ? ": " : "", strempty(s->reason));
        } else if (s->state == SLURM_JOB_GONE) {
                result = JOB_LOST;
                job_set_reason(j, "Lost: Slurm no longer knows job %u (purged while jobd was not "
                               "watching?)", s->slurm_id);
        } else if (s->state == SLURM_JOB_CANCELLED) {
                result = JOB_KILLED;
                /* Kill(SIGKILL) is Slurm's cancel, whose SIGTERM may end the command first: SIGKILL is
                 * what was asked for and what the local backends record. */
                if (j->exit_signal == 0 || j->killed_by_user) {
                        j->exit_signal = SIGKILL;
                        j->exit_code = -1;
                }
                if (!j->killed_by_user)
                        job_set_reason(j, "Slurm job %u was cancelled outside jobd (scancel?)", s->slurm_id);
        } else if (j->exit_signal > 0)
                result = JOB_KILLED;
        else if (j->exit_code == 0 && s->state == SLURM_JOB_COMPLETED)
                result = JOB_SUCCESS;
        else {
                result = JOB_FAILED;
                if (j->exit_code <= 0)
                        job_set_reason(j, "Slurm job %u failed%s%s", s->slurm_id, s->reason ? ": " : "",
                                       strempty(s->reason));
                else if (IN_SET(j->exit_code, 126, 127))
                        /* The batch script's exec of the command failed (its log has the shell's line). */
                        job_set_reason(j, "Cannot execute %s on node %s (exit status %i; see the job's "
                                       "log)", j->spec.argv[0], strna(s->node), j->exit_code);
        }
        job_reason_add_log_truncated(j);
        log_debug("Job %llu: Slurm job %u ended %s: %s.", (unsigned long long) j->id, s->slurm_id,
                  slurm_job_state_to_string(s->state), job_result_to_string(result));
        job_slurm_end(j, result);
}

static void on_slurm_changed(SlurmClient *c, const SlurmJobStatus *s, void *userdata) {
        Manager *m = userdata;
        Job *j = manager_get_job(m, s->jobd_id);

        if (!j || !job_is_slurm(j) || j->slurm_id != s->slurm_id || !job_state_is_active(j->state) ||
            j->scan || j->scan_queued) {
                log_debug("Slurm job %u (job %llu): %s, not one of jobd's running jobs (any more), ignored.",
                          s->slurm_id, (unsigned long long) s->jobd_id, slurm_job_state_to_string(s->state));
                return;
        }
        switch (s->state) {
        case SLURM_JOB_PENDING:
                /* Pending on the cluster is still starting for jobd (the scheduler started it: it holds its
                 * pools and counts toward MaxParallel). */
                if (j->state == JOB_STOPPING)
                        return;
                if (s->reason && !streq(s->reason, "None")) {
                        job_set_reason(j, "Pending in Slurm as job %u: %s", s->slurm_id, s->reason);
                        manager_job_changed(m, j, JOB_CHANGE_REASON);
                }
                if (j->state != JOB_STARTING)
                        job_set_state(j, JOB_STARTING, 0);
                break;
        case SLURM_JOB_RUNNING:
                job_slurm_enter_running(j, s);
                break;
        case SLURM_JOB_SUSPENDED:
                if (j->state == JOB_STOPPING)
                        return;
                job_set_reason(j, "Suspended in Slurm (an operator of the cluster suspended job %u)",
                               s->slurm_id);
                job_set_state(j, JOB_PAUSED, JOB_CHANGE_REASON);
                break;
        default:
                job_slurm_finalize(j, s);
        }
}

int job_slurm_kill(Job *j, int sig) {
        int r;

        if (!job_state_is_active(j->state))
                return -ESRCH;
        /* A signal other than SIGKILL reaches only a command that runs (SIGKILL cancels a pending job). */
        if (sig != SIGKILL && j->state == JOB_STARTING)
                return -ESRCH;
        if (sig == SIGKILL)
                j->killed_by_user = true;
        r = job_slurm_signal(j, sig);
        if (r < 0) {
                if (sig == SIGKILL)
                        j->killed_by_user = false;
                return r;
        }
        if (sig == SIGKILL && j->state != JOB_STOPPING)
                job_set_state(j, JOB_STOPPING, 0);
        return 0;
}

int job_slurm_cancel(Job *j) {
        int r;

        if (j->stop_reason == JOB_STOP_CANCEL)
                return 0;
        /* Slurm's own cancel: SIGTERM to every step, SIGKILL after the cluster's KillWait. */
        r = job_slurm_signal(j, SIGKILL);
        if (r < 0)
                return r;
        j->stop_reason = JOB_STOP_CANCEL;
        (void) journal_stop(&j->manager->journal, j);
        job_set_state(j, JOB_STOPPING, 0);
        return 0;
}

int job_slurm_adopt(Job *j, uint32_t slurm_id) {
        Manager *m = j->manager;
        int r;

        /* A restore: nobody to tell yet. Starting until Slurm says it runs (at its next query). */
        job_set_state(j, JOB_STARTING, JOB_CHANGE_QUIET);
        j->main_pid = 0;
        j->start_monotonic = now(CLOCK_MONOTONIC);
        j->slurm_id = slurm_id;
        job_copy_slots(j);
        if (!m->slurm) {
                job_set_reason(j, "Lost: jobd.conf has no [Slurm] section any more; Slurm job %u is not "
                               "followed", slurm_id);
                job_slurm_end(j, JOB_LOST);
                return 0;
        }
        if (slurm_id == 0) {
                /* The submission may have reached slurmctld: a job named jobd-ID may run on the cluster
                 * unwatched. Reported, not submitted again behind the user's back (Retries decide). */
                job_set_reason(j, "Lost: handed to Slurm, but jobd stopped before it recorded the Slurm "
                               "job id (a Slurm job named jobd-%llu may run unwatched)",
                               (unsigned long long) j->id);
                log_warning("Job %llu: %s.", (unsigned long long) j->id, j->reason);
                job_slurm_end(j, JOB_LOST);
                return 0;
        }
        job_watch_log_restored(j);
        r = slurm_client_track(m->slurm, slurm_id, j->id);
        if (r < 0) {
                job_set_reason(j, "Lost: cannot follow Slurm job %u after a restart: %s", slurm_id,
                               strerror(-r));
                job_slurm_end(j, JOB_LOST);
                return 0;
        }
        if (j->stop_reason != JOB_STOP_NONE) {
                /* Killed for its timeout or a cancel before the restart: again. */
                job_set_state(j, JOB_STOPPING, JOB_CHANGE_QUIET);
                (void) slurm_client_kill(m->slurm, slurm_id, SIGKILL);
        }
        log_info("Job %llu: following Slurm job %u again.", (unsigned long long) j->id, slurm_id);
        return 0;
}

#else /* !HAVE_SLURM */

/* Built without libslurm: a [Slurm] section is refused at start, so no job can be a cluster job except
 * one restored from a journal of a build that had it (reported lost). */

int manager_slurm_setup(Manager *m, const ConfSlurm *c, const char *filename) {
        if (!c->present)
                return 0;
        return log_error_errno(-EOPNOTSUPP, "%s:%u: [Slurm]: this jobd was built without Slurm support "
                               "(libslurm was not found when it was built)", filename, c->line);
}

void manager_slurm_free(Manager *m) {
        m->slurm_shared_dir = mfree(m->slurm_shared_dir);
}

int manager_resolve_backend(Manager *m, JobSpec *spec, char **ret_message) {
        if (spec->backend == JOB_BACKEND_DEFAULT)
                spec->backend = JOB_BACKEND_LOCAL;
        if (spec->backend == JOB_BACKEND_SLURM)
                return message_set(ret_message, -EINVAL, "Backend: \"slurm\", but Slurm is not configured "
                                   "(this jobd was built without Slurm support)");
        return 0;
}

const char *job_slurm_log_path(Job *j, char *buf, size_t l) {
        return "";
}

int job_slurm_make_log_dir(Job *j, gid_t gid) {
        return -ENOENT;
}

void job_slurm_remove_log(Job *j) {
}

int job_slurm_start(Job *j, const UserRecord *user) {
        return job_fail_start_full(j, -EOPNOTSUPP, NULL, "Backend slurm: this jobd was built without Slurm "
                                   "support");
}

int job_slurm_adopt(Job *j, uint32_t slurm_id) {
        job_set_state(j, JOB_STARTING, JOB_CHANGE_QUIET);
        free(j->reason);
        j->reason = strdup("Lost: this jobd was built without Slurm support; its Slurm job is not followed");
        j->result = JOB_LOST;
        manager_job_done(j->manager, j);
        return 0;
}

int job_slurm_kill(Job *j, int sig) {
        return -ESRCH;
}

int job_slurm_cancel(Job *j) {
        return -ESRCH;
}

#endif
