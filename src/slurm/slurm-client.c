/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <systemd/sd-event.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "slurm-client.h"
#include "slurm-util.h"
#include "strv.h"

/* Exported by libslurm (src/common/slurm_protocol_defs.c) but not declared in slurm.h. */
extern char *slurm_job_reason_string(enum job_state_reason inx);

/* How long slurm_client_new() waits for slurmctld's first answer. libslurm's own connect retries last
 * MessageTimeout (10 s by default) and cannot be shortened per call, so the wait is on our side. */
#define SLURM_PING_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* Results handed to callbacks in one turn of the event loop; the rest waits for the next turn, so a poll
 * that finds 10k changes does not hold the loop for all of them. */
#define SLURM_DELIVER_MAX 512
/* Requests the worker takes in one go before it looks whether a poll is due. */
#define SLURM_REQUESTS_PER_TURN 256
/* How long slurm_client_free() waits for the worker to leave a libslurm call before it lets it go. */
#define SLURM_JOIN_TIMEOUT_USEC (2 * USEC_PER_SEC)

typedef enum RequestType {
        REQUEST_SUBMIT,
        REQUEST_TRACK,
        REQUEST_UNTRACK,
        REQUEST_KILL,
        REQUEST_SUSPEND,
        REQUEST_RESUME,
} RequestType;

typedef struct Request {
        struct Request *next;
        RequestType type;
        uint32_t slurm_id;
        uint64_t jobd_id;
        int sig;
        /* REQUEST_SUBMIT: everything copied, in job_desc_msg_t's units. */
        slurm_submitted_t cb;
        void *userdata;
        char *name, *script, *cwd, *log_path, *licenses;
        char **env;
        uid_t uid;
        gid_t gid;
        uint32_t time_limit;
        uint64_t memory_mib;
        uint32_t nice;
} Request;

typedef struct Result {
        struct Result *next;
        bool submitted;         /* else a state change */
        slurm_submitted_t cb;
        void *userdata;
        int error;
        char *message;
        SlurmJobStatus status;  /* its strings owned here */
} Result;

/* A job the worker follows; kept in an array sorted by slurm_id (Slurm hands out increasing ids, so a
 * submission appends). */
typedef struct Tracked {
        uint32_t slurm_id;
        uint64_t jobd_id;
        int reported;           /* SlurmJobState last reported, -1: none yet */
        uint64_t seq;           /* order of tracking, for an id tracked twice */
        bool seen;
        bool dead;
} Tracked;

/* What the loop and the worker share. Reference counted: the worker may outlive the SlurmClient when it
 * is stuck in a libslurm call at free time (a controller that does not answer). */
typedef struct Shared {
        atomic_int n_ref;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int efd;                        /* eventfd: results are waiting */

        /* Under lock. */
        bool quit;
        bool poll_requested;
        Request *req_head, **req_tail;
        Result *res_head, **res_tail;
        bool ping_done;
        int ping_error;
        char *ping_message;

        /* Set before the worker starts, read-only afterwards. */
        char *partition, *account, *qos;
        SlurmExtra extra;
        bool privileged;
        usec_t poll_interval;

        /* Worker only. */
        Tracked *tracked;
        size_t n_tracked, n_allocated, n_dead;
        bool sorted;
        uint64_t next_seq;
        time_t last_update;
        bool need_full;
        int last_poll_error;

        /* Read by the loop. */
        atomic_uint n_live;             /* tracked and not final */
        atomic_uint n_queued;           /* submissions not yet answered */
        atomic_ullong n_polls, n_polls_changed, poll_usec_last, poll_usec_max, poll_records_last;
        atomic_ullong n_submitted, submit_usec_total;
} Shared;

struct SlurmClient {
        sd_event *event;
        sd_event_source *result_source;
        sd_event_source *poll_source;
        usec_t poll_interval;
        slurm_changed_t on_change;
        void *userdata;
        Shared *shared;
        pthread_t thread;
        bool thread_started;
        /* Results taken from the worker, not delivered yet (at most SLURM_DELIVER_MAX per turn). */
        Result *pending_head, **pending_tail;
        bool dispatching, free_requested;
        uint64_t n_delivered;
        usec_t deliver_usec_max;
};

static void request_free(Request *q) {
        if (!q)
                return;
        free(q->name);
        free(q->script);
        free(q->cwd);
        free(q->log_path);
        free(q->licenses);
        strv_free(q->env);
        free(q);
}

static void result_free(Result *r) {
        if (!r)
                return;
        free(r->message);
        free((char *) r->status.node);
        free((char *) r->status.reason);
        free(r);
}

static void shared_unref(Shared *s) {
        if (!s || atomic_fetch_sub(&s->n_ref, 1) > 1)
                return;
        while (s->req_head) {
                Request *q = s->req_head;
                s->req_head = q->next;
                request_free(q);
        }
        while (s->res_head) {
                Result *r = s->res_head;
                s->res_head = r->next;
                result_free(r);
        }
        free(s->ping_message);
        free(s->partition);
        free(s->account);
        free(s->qos);
        slurm_extra_done(&s->extra);
        free(s->tracked);
        safe_close(s->efd);
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
}

/* Slurm's error numbers: below 1000 they are errno values; 1000-1999 the protocol and the connection to
 * slurmctld (worth a retry); above, slurmctld's refusals. */
static int errno_from_slurm(int e) {
        if (e > 0 && e < 1000)
                return -e;
        if (e >= 1000 && e < 2000)
                return -ECOMM;
        if (IN_SET(e, ESLURM_ACCESS_DENIED, ESLURM_USER_ID_MISSING))
                return -EPERM;
        return -EINVAL;
}

/* ---- worker side ---- */

static void shared_push_results(Shared *s, Result *head, Result **tail) {
        bool was_empty;

        if (!head)
                return;
        pthread_mutex_lock(&s->lock);
        was_empty = !s->res_head;
        *s->res_tail = head;
        s->res_tail = tail;
        pthread_mutex_unlock(&s->lock);
        /* The loop takes every result when it wakes up, so one wake-up per empty -> non-empty. */
        if (was_empty)
                (void) eventfd_write(s->efd, 1);
}

static int tracked_cmp(const void *a, const void *b) {
        const Tracked *x = a, *y = b;

        if (x->slurm_id != y->slurm_id)
                return x->slurm_id < y->slurm_id ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Re-adoption after a restart hands ids over in the journal's order: they are appended and sorted
 * once, before the next lookup, rather than inserted one by one (10k tracks would be O(n^2) moves).
 * Of an id tracked twice, the later one stays. */
static void tracked_sort(Shared *s) {
        size_t j = 0;

        if (s->sorted)
                return;
        qsort(s->tracked, s->n_tracked, sizeof(Tracked), tracked_cmp);
        for (size_t i = 0; i < s->n_tracked; i++) {
                if (i + 1 < s->n_tracked && s->tracked[i + 1].slurm_id == s->tracked[i].slurm_id) {
                        if (s->tracked[i].dead)
                                s->n_dead--;
                        else
                                atomic_fetch_sub(&s->n_live, 1);
                        continue;
                }
                s->tracked[j++] = s->tracked[i];
        }
        s->n_tracked = j;
        s->sorted = true;
}

static Tracked *tracked_find(Shared *s, uint32_t id) {
        size_t lo = 0, hi;

        tracked_sort(s);
        hi = s->n_tracked;
        while (lo < hi) {
                size_t m = lo + (hi - lo) / 2;
                if (s->tracked[m].slurm_id == id)
                        return &s->tracked[m];
                if (s->tracked[m].slurm_id < id)
                        lo = m + 1;
                else
                        hi = m;
        }
        return NULL;
}

/* Appends; the array stays sorted when ids come in increasing order (Slurm hands them out so). */
static int tracked_add(Shared *s, uint32_t id, uint64_t jobd_id, int reported) {
        if (s->n_tracked >= s->n_allocated) {
                size_t n = MAX(s->n_allocated * 2, (size_t) 64);
                Tracked *a = reallocarray(s->tracked, n, sizeof(Tracked));
                if (!a)
                        return -ENOMEM;
                s->tracked = a;
                s->n_allocated = n;
        }
        if (s->n_tracked > 0 && s->tracked[s->n_tracked - 1].slurm_id >= id)
                s->sorted = false;
        s->tracked[s->n_tracked++] = (Tracked) {
                .slurm_id = id,
                .jobd_id = jobd_id,
                .reported = reported,
                .seq = s->next_seq++,
        };
        atomic_fetch_add(&s->n_live, 1);
        return 0;
}

static void tracked_kill(Shared *s, Tracked *t) {
        if (t->dead)
                return;
        t->dead = true;
        s->n_dead++;
        atomic_fetch_sub(&s->n_live, 1);
}

static void tracked_compact(Shared *s) {
        size_t j = 0;

        tracked_sort(s);
        if (s->n_dead == 0)
                return;
        for (size_t i = 0; i < s->n_tracked; i++)
                if (!s->tracked[i].dead)
                        s->tracked[j++] = s->tracked[i];
        s->n_tracked = j;
        s->n_dead = 0;
}

static Result *result_new_submitted(const Request *q, uint32_t slurm_id, int error, char *message) {
        Result *r = calloc(1, sizeof(Result));

        if (!r) {
                free(message);
                return NULL;
        }
        r->submitted = true;
        r->cb = q->cb;
        r->userdata = q->userdata;
        r->error = error;
        r->message = message;
        r->status.jobd_id = q->jobd_id;
        r->status.slurm_id = slurm_id;
        return r;
}

static void worker_submit(Shared *s, const Request *q) {
        char *argv[] = { q->name, NULL };
        submit_response_msg_t *resp = NULL;
        _cleanup_free_ char *tres = NULL;
        job_desc_msg_t d;
        uint32_t slurm_id = 0;
        char *message = NULL;
        usec_t t0;
        Result *r;
        int error = 0;
        bool quit;

        /* Taken in a batch before the client was freed: not sent any more. */
        pthread_mutex_lock(&s->lock);
        quit = s->quit;
        pthread_mutex_unlock(&s->lock);
        if (quit) {
                atomic_fetch_sub(&s->n_queued, 1);
                return;
        }

        slurm_init_job_desc_msg(&d);
        d.name = q->name;
        d.script = q->script;
        d.argc = 1;
        d.argv = argv;
        d.user_id = q->uid;
        d.group_id = q->gid;
        d.work_dir = q->cwd;
        d.environment = q->env;
        d.env_size = strv_length(q->env);
        d.std_in = (char *) "/dev/null";
        d.std_out = q->log_path;
        d.std_err = q->log_path;
        d.open_mode = OPEN_MODE_APPEND;
        d.time_limit = q->time_limit;
        d.pn_min_memory = q->memory_mib;
        d.nice = q->nice;
        d.licenses = q->licenses;
        d.partition = s->partition;
        d.account = s->account;
        d.qos = s->qos;
        /* jobd retries by itself (Retries=), with a fresh attempt and log: Slurm must not run it again. */
        d.requeue = 0;

        d.features = s->extra.constraint;
        d.req_nodes = s->extra.nodelist;
        d.exc_nodes = s->extra.exclude;
        d.reservation = s->extra.reservation;
        d.comment = s->extra.comment;
        if (s->extra.gres) {
                tres = slurm_gres_to_tres(s->extra.gres);
                d.tres_per_node = tres;
        }
        if (s->extra.exclusive)
                d.shared = JOB_SHARED_NONE;
        if (s->extra.hold)
                d.priority = 0;
        if (s->extra.cpus_per_task > 0) {
                d.cpus_per_task = s->extra.cpus_per_task;
                d.min_cpus = s->extra.cpus_per_task;
                d.bitflags |= JOB_CPUS_SET;
        }
        if (s->extra.time_min > 0)
                d.time_min = s->extra.time_min;

        t0 = now(CLOCK_MONOTONIC);
        if (slurm_submit_batch_job(&d, &resp) != SLURM_SUCCESS || !resp) {
                int e = slurm_get_errno();

                error = errno_from_slurm(e);
                if (asprintf(&message, "Slurm refused the job: %s", slurm_strerror(e)) < 0)
                        message = NULL;
        } else {
                slurm_id = resp->job_id;
                pthread_mutex_lock(&s->lock);
                quit = s->quit;
                pthread_mutex_unlock(&s->lock);
                if (quit) {
                        /* The client was freed while slurmctld took the job: nobody will learn its id,
                         * so nobody would follow or cancel it. Take it back. */
                        log_notice("slurm: job %u was accepted after the client stopped, cancelling it",
                                   slurm_id);
                        (void) slurm_kill_job(slurm_id, SIGKILL, KILL_FULL_JOB);
                        error = -ECANCELED;
                        slurm_id = 0;
                } else if (tracked_add(s, slurm_id, q->jobd_id, SLURM_JOB_PENDING) < 0) {
                        /* Cannot follow it: take it back rather than leave it running unseen. */
                        (void) slurm_kill_job(slurm_id, SIGKILL, KILL_FULL_JOB);
                        error = -ENOMEM;
                        slurm_id = 0;
                }
        }
        atomic_fetch_add(&s->submit_usec_total, now(CLOCK_MONOTONIC) - t0);
        atomic_fetch_add(&s->n_submitted, 1);
        atomic_fetch_sub(&s->n_queued, 1);
        if (resp)
                slurm_free_submit_response_response_msg(resp);

        r = result_new_submitted(q, slurm_id, error, message);
        if (!r) {
                log_oom();
                return;
        }
        shared_push_results(s, r, &r->next);
}

static void worker_kill(Shared *s, uint32_t id, int sig) {
        Tracked *t = tracked_find(s, id);
        int e;

        if (slurm_kill_job(id, (uint16_t) sig, KILL_FULL_JOB) == SLURM_SUCCESS)
                return;
        e = slurm_get_errno();
        /* A pending job has no process to take the signal and slurmctld refuses any but SIGKILL: the
         * caller wants it gone, so cancel it. (STOP and CONT are refused also while an earlier one is
         * on its way to a running job: never a reason to cancel.) */
        if (e == ESLURM_TRANSITION_STATE_NO_UPDATE && !IN_SET(sig, SIGKILL, SIGSTOP, SIGCONT) &&
            t && !t->dead && IN_SET(t->reported, -1, SLURM_JOB_PENDING)) {
                if (slurm_kill_job(id, SIGKILL, KILL_FULL_JOB) == SLURM_SUCCESS)
                        return;
                e = slurm_get_errno();
        }
        if (e == ESLURM_ALREADY_DONE)
                log_debug("slurm: job %u has already ended, not sent signal %d", id, sig);
        else
                log_warning("slurm: failed to send signal %d to job %u: %s", sig, id, slurm_strerror(e));
}

static void worker_suspend(Shared *s, uint32_t id, bool suspend) {
        if ((suspend ? slurm_suspend(id) : slurm_resume(id)) == SLURM_SUCCESS)
                return;
        log_warning("slurm: failed to %s job %u: %s", suspend ? "suspend" : "resume", id,
                    slurm_strerror(slurm_get_errno()));
}

static char *strdup_nonempty(const char *s) {
        return isempty(s) ? NULL : strdup(s);
}

static Result *result_new_status(const Tracked *t, const slurm_job_info_t *j, SlurmJobState st) {
        Result *r = calloc(1, sizeof(Result));
        const char *reason = NULL;

        if (!r)
                return NULL;
        if (!isempty(j->state_desc))
                reason = j->state_desc;
        else if (j->state_reason != WAIT_NO_REASON)
                reason = slurm_job_reason_string(j->state_reason);
        r->status = (SlurmJobStatus) {
                .jobd_id = t->jobd_id,
                .slurm_id = t->slurm_id,
                .state = st,
                .exit_status = slurm_job_state_is_final(st) ? slurm_exit_status_from_slurm(j->exit_code) : 0,
                .node = strdup_nonempty(j->nodes ?: j->batch_host),
                .reason = strdup_nonempty(reason),
                .start_time = st != SLURM_JOB_PENDING && j->start_time > 0 ?
                        (usec_t) j->start_time * USEC_PER_SEC : 0,
                .end_time = slurm_job_state_is_final(st) && j->end_time > 0 ?
                        (usec_t) j->end_time * USEC_PER_SEC : 0,
        };
        return r;
}

static void worker_poll(Shared *s) {
        job_info_msg_t *resp = NULL;
        Result *head = NULL, **tail = &head;
        usec_t t0, dt;
        int e;

        tracked_compact(s);
        if (s->n_tracked == 0)
                return;

        t0 = now(CLOCK_MONOTONIC);
        /* One query for every job: slurmctld answers "no change" when nothing changed since last_update
         * (it compares with last_update - 1, so a change in the same second is not lost), else the
         * whole job table. SHOW_ALL: jobs in hidden partitions too. */
        if (slurm_load_jobs(s->need_full ? 0 : s->last_update, &resp, SHOW_ALL) != SLURM_SUCCESS) {
                e = slurm_get_errno();
                atomic_fetch_add(&s->n_polls, 1);
                if (e == SLURM_NO_CHANGE_IN_DATA)
                        return;
                /* Logged once per kind of failure, not once per interval. */
                if (e != s->last_poll_error)
                        log_warning("slurm: failed to load the job table, retrying every interval: %s",
                                    slurm_strerror(e));
                s->last_poll_error = e;
                return;
        }
        dt = now(CLOCK_MONOTONIC) - t0;
        if (s->last_poll_error != 0)
                log_info("slurm: the job table loads again");
        s->last_poll_error = 0;
        s->need_full = false;
        s->last_update = resp->last_update;

        for (size_t i = 0; i < s->n_tracked; i++)
                s->tracked[i].seen = false;
        for (uint32_t i = 0; i < resp->record_count; i++) {
                const slurm_job_info_t *j = resp->job_array + i;
                Tracked *t = tracked_find(s, j->job_id);
                SlurmJobState st;
                Result *r;

                if (!t || t->dead)
                        continue;
                t->seen = true;
                st = slurm_job_state_from_slurm(j->job_state);
                if ((int) st == t->reported)
                        continue;
                r = result_new_status(t, j, st);
                if (!r) {
                        log_oom();
                        break; /* reported by a later poll: need_full */
                }
                *tail = r;
                tail = &r->next;
                t->reported = st;
                if (slurm_job_state_is_final(st))
                        tracked_kill(s, t);
        }
        for (size_t i = 0; i < s->n_tracked; i++) {
                Tracked *t = s->tracked + i;
                Result *r;

                if (t->seen || t->dead)
                        continue;
                /* Not in a full answer: slurmctld has forgotten it (purged after MinJobAge, or its state
                 * was lost). */
                r = calloc(1, sizeof(Result));
                if (!r) {
                        log_oom();
                        s->need_full = true;
                        break;
                }
                r->status = (SlurmJobStatus) {
                        .jobd_id = t->jobd_id,
                        .slurm_id = t->slurm_id,
                        .state = SLURM_JOB_GONE,
                };
                *tail = r;
                tail = &r->next;
                tracked_kill(s, t);
        }
        tracked_compact(s);

        atomic_fetch_add(&s->n_polls, 1);
        atomic_fetch_add(&s->n_polls_changed, 1);
        atomic_store(&s->poll_usec_last, dt);
        atomic_store(&s->poll_records_last, resp->record_count);
        if (dt > atomic_load(&s->poll_usec_max))
                atomic_store(&s->poll_usec_max, dt);
        slurm_free_job_info_msg(resp);
        shared_push_results(s, head, tail);
}

static void worker_handle(Shared *s, Request *q) {
        switch (q->type) {
        case REQUEST_SUBMIT:
                worker_submit(s, q);
                break;
        case REQUEST_TRACK:
                if (tracked_add(s, q->slurm_id, q->jobd_id, -1) < 0)
                        log_oom();
                /* Nothing may have changed in slurmctld since the last answer: the next query must
                 * still tell this job's state. */
                s->need_full = true;
                break;
        case REQUEST_UNTRACK: {
                Tracked *t = tracked_find(s, q->slurm_id);
                if (t)
                        tracked_kill(s, t);
                break;
        }
        case REQUEST_KILL:
                worker_kill(s, q->slurm_id, q->sig);
                break;
        case REQUEST_SUSPEND:
        case REQUEST_RESUME:
                worker_suspend(s, q->slurm_id, q->type == REQUEST_SUSPEND);
                break;
        }
}

static int worker_ping(Shared *s) {
        slurm_conf_t *conf = NULL;
        int e = 0;

        /* slurm_load_ctl_conf() rather than slurm_ping(0): it is answered by whichever controller is
         * in charge, and it tells what the cluster does with a job's processes. */
        if (slurm_load_ctl_conf(0, &conf) != SLURM_SUCCESS) {
                e = slurm_get_errno();
                pthread_mutex_lock(&s->lock);
                s->ping_message = strdup(slurm_strerror(e));
                pthread_mutex_unlock(&s->lock);
                return e ?: SLURM_ERROR;
        }
        log_info("slurm: controller answers (cluster %s, %s, MinJobAge=%us, MaxJobCount=%u)",
                 strna(conf->cluster_name), strna(conf->proctrack_type), conf->min_job_age,
                 conf->max_job_cnt);
        /* A job that ends is forgotten MinJobAge after its end: a poll must come before that, or it is
         * reported gone (lost) instead of its result. The same bounds how long a daemon may be down. */
        if (conf->min_job_age > 0 && s->poll_interval * 2 > (usec_t) conf->min_job_age * USEC_PER_SEC)
                log_warning("slurm: PollIntervalSec is more than half of the cluster's MinJobAge=%us: jobs "
                            "may be forgotten by slurmctld before their end is seen, and reported lost",
                            conf->min_job_age);
        if (!conf->proctrack_type || !strstr(conf->proctrack_type, "cgroup"))
                log_notice("slurm: ProctrackType=%s: processes a job leaves behind on a node may outlive "
                           "its end (proctrack/cgroup reaps them)", strna(conf->proctrack_type));
        slurm_free_ctl_conf(conf);
        return 0;
}

static void *worker_main(void *p) {
        Shared *s = p;
        int r;

        r = worker_ping(s);
        pthread_mutex_lock(&s->lock);
        s->ping_done = true;
        s->ping_error = r;
        pthread_cond_broadcast(&s->cond);
        if (r != 0)
                s->quit = true;

        /* After quit, what is still queued is handled (slurm_client_free() leaves only the kills of jobs
         * whose submission nobody heard of), then the worker ends. */
        for (;;) {
                Request *batch = NULL, **bt = &batch;
                unsigned n = 0;
                bool worked;

                while (s->req_head && n < SLURM_REQUESTS_PER_TURN) {
                        Request *q = s->req_head;
                        s->req_head = q->next;
                        if (!s->req_head)
                                s->req_tail = &s->req_head;
                        q->next = NULL;
                        *bt = q;
                        bt = &q->next;
                        n++;
                }
                worked = batch;
                if (batch) {
                        pthread_mutex_unlock(&s->lock);
                        while (batch) {
                                Request *q = batch;
                                batch = q->next;
                                worker_handle(s, q);
                                request_free(q);
                        }
                        pthread_mutex_lock(&s->lock);
                }
                if (s->quit) {
                        if (!s->req_head)
                                break;
                        continue;
                }
                /* A due poll between two batches: 10k submissions in a row do not stop the tracking. */
                if (s->poll_requested) {
                        s->poll_requested = false;
                        pthread_mutex_unlock(&s->lock);
                        worker_poll(s);
                        pthread_mutex_lock(&s->lock);
                        continue;
                }
                if (!worked && !s->req_head)
                        pthread_cond_wait(&s->cond, &s->lock);
        }
        pthread_mutex_unlock(&s->lock);
        shared_unref(s);
        return NULL;
}

/* ---- loop side ---- */

DEFINE_TRIVIAL_CLEANUP_FUNC(SlurmClient *, slurm_client_free);

static void shared_push_request(Shared *s, Request *q) {
        bool was_empty;

        pthread_mutex_lock(&s->lock);
        was_empty = !s->req_head;
        *s->req_tail = q;
        s->req_tail = &q->next;
        /* The worker sleeps only with an empty queue: a wake-up per empty -> non-empty is enough (10k
         * kills in one callback are then 10k list appends, not 10k futex calls). */
        if (was_empty)
                pthread_cond_signal(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

static unsigned client_deliver(SlurmClient *c) {
        unsigned n = 0;

        c->dispatching = true;
        while (c->pending_head && n < SLURM_DELIVER_MAX && !c->free_requested) {
                Result *r = c->pending_head;

                c->pending_head = r->next;
                if (!c->pending_head)
                        c->pending_tail = &c->pending_head;
                if (r->submitted) {
                        if (r->cb)
                                r->cb(c, r->status.jobd_id, r->status.slurm_id, r->error, r->message,
                                      r->userdata);
                } else if (c->on_change)
                        c->on_change(c, &r->status, c->userdata);
                result_free(r);
                n++;
        }
        c->dispatching = false;
        return n;
}

static int on_results(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        SlurmClient *c = userdata;
        Shared *s = c->shared;
        unsigned n;
        usec_t t0, dt;
        eventfd_t v;

        (void) eventfd_read(fd, &v);
        pthread_mutex_lock(&s->lock);
        if (s->res_head) {
                *c->pending_tail = s->res_head;
                c->pending_tail = s->res_tail;
                s->res_head = NULL;
                s->res_tail = &s->res_head;
        }
        pthread_mutex_unlock(&s->lock);

        t0 = now(CLOCK_MONOTONIC);
        n = client_deliver(c);
        dt = now(CLOCK_MONOTONIC) - t0;
        c->n_delivered += n;
        if (dt > c->deliver_usec_max)
                c->deliver_usec_max = dt;
        if (c->free_requested) {
                slurm_client_free(c);
                return 0;
        }
        /* More than one turn's worth: come back on the next iteration, after the other sources. */
        if (c->pending_head)
                (void) eventfd_write(fd, 1);
        return 0;
}

static int on_poll_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        SlurmClient *c = userdata;
        Shared *s = c->shared;
        int r;

        if (atomic_load(&s->n_live) > 0) {
                pthread_mutex_lock(&s->lock);
                s->poll_requested = true;
                pthread_cond_signal(&s->cond);
                pthread_mutex_unlock(&s->lock);
        }
        r = sd_event_source_set_time_relative(source, c->poll_interval);
        if (r >= 0)
                r = sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "slurm: failed to re-arm the poll timer, Slurm jobs are no longer "
                                "followed: %m");
        return 0;
}

/* libslurm reads one slurm.conf per process (slurm_init() sets globals and exports SLURM_CONF), and it
 * ends the process with fatal() when that file cannot be processed. So the file is first read in a child
 * that may die of it, and the daemon only calls slurm_init() once that worked. */
static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
static bool library_initialized;
static char *library_config;

static int slurm_library_init(const char *config) {
        usec_t deadline;
        int status = 0, r = 0;
        pid_t pid;

        pthread_mutex_lock(&library_lock);
        if (library_initialized) {
                if (!streq_ptr(config, library_config))
                        r = log_error_errno(-EBUSY, "slurm: libslurm already uses %s, cannot switch to %s in "
                                            "the same process", strna(library_config), strna(config));
                goto finish;
        }
        if (config && access(config, R_OK) < 0) {
                r = log_error_errno(-errno, "slurm: cannot read Slurm's configuration %s: %m", config);
                goto finish;
        }

        pid = fork();
        if (pid < 0) {
                r = log_error_errno(-errno, "slurm: failed to fork to check %s: %m", strna(config));
                goto finish;
        }
        if (pid == 0) {
                slurm_init(config);
                _exit(EXIT_SUCCESS);
        }
        deadline = now(CLOCK_MONOTONIC) + 30 * USEC_PER_SEC;
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR) {
                        r = log_error_errno(-errno, "slurm: failed to wait for the check of %s: %m",
                                            strna(config));
                        goto finish;
                }
                if (now(CLOCK_MONOTONIC) > deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        r = log_error_errno(-ETIMEDOUT, "slurm: reading Slurm's configuration %s took more "
                                            "than 30s, giving up", strna(config));
                        goto finish;
                }
                (void) poll(NULL, 0, 10);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                r = log_error_errno(-EINVAL, "slurm: libslurm cannot process the configuration %s (its own "
                                    "message is above)", config ?: "(libslurm's default)");
                goto finish;
        }

        slurm_init(config);
        library_config = config ? strdup(config) : NULL;
        library_initialized = true;
finish:
        pthread_mutex_unlock(&library_lock);
        return r;
}

static int start_thread(SlurmClient *c) {
        sigset_t all, old;
        int r;

        /* Signals are the loop's (signalfd): the worker takes none. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        atomic_fetch_add(&c->shared->n_ref, 1);
        r = pthread_create(&c->thread, NULL, worker_main, c->shared);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r != 0) {
                atomic_fetch_sub(&c->shared->n_ref, 1);
                return -r;
        }
        c->thread_started = true;
        return 0;
}

/* Waits for the worker's first answer from slurmctld, at most SLURM_PING_TIMEOUT_USEC. */
static int wait_ping(SlurmClient *c) {
        Shared *s = c->shared;
        struct timespec ts;
        int r = 0;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += SLURM_PING_TIMEOUT_USEC / USEC_PER_SEC;
        pthread_mutex_lock(&s->lock);
        while (!s->ping_done && r == 0)
                r = pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        if (!s->ping_done)
                r = log_error_errno(-ETIMEDOUT, "slurm: slurmctld did not answer within %llus; is it "
                                    "running and is SlurmctldHost/SlurmctldPort in the configuration right?",
                                    (unsigned long long) (SLURM_PING_TIMEOUT_USEC / USEC_PER_SEC));
        else if (s->ping_error != 0)
                r = log_error_errno(-ECONNREFUSED, "slurm: slurmctld does not answer: %s",
                                    strna(s->ping_message));
        else
                r = 0;
        pthread_mutex_unlock(&s->lock);
        return r;
}

static Shared *shared_new(const SlurmConf *conf) {
        pthread_condattr_t attr;
        Shared *s = calloc(1, sizeof(Shared));

        if (!s)
                return NULL;
        atomic_init(&s->n_ref, 1);
        s->efd = -EBADF;
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&s->cond, &attr);
        pthread_condattr_destroy(&attr);
        s->req_tail = &s->req_head;
        s->res_tail = &s->res_head;
        s->sorted = true;
        s->privileged = geteuid() == 0;

        s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->efd < 0)
                goto fail;
        if ((conf->partition && !(s->partition = strdup(conf->partition))) ||
            (conf->account && !(s->account = strdup(conf->account))) ||
            (conf->qos && !(s->qos = strdup(conf->qos))))
                goto fail;
        return s;
fail:
        shared_unref(s);
        return NULL;
}

int slurm_client_new(sd_event *event, const SlurmConf *conf, slurm_changed_t on_change, void *userdata,
                     SlurmClient **ret) {
        _cleanup_(slurm_client_freep) SlurmClient *c = NULL;
        const char *bad = NULL, *why = NULL;
        int r;

        if (!event || !conf || !ret)
                return -EINVAL;

        c = calloc(1, sizeof(SlurmClient));
        if (!c)
                return log_oom();
        c->event = sd_event_ref(event);
        c->on_change = on_change;
        c->userdata = userdata;
        c->poll_interval = conf->poll_interval > 0 ? conf->poll_interval : USEC_PER_SEC;
        c->pending_tail = &c->pending_head;
        c->shared = shared_new(conf);
        if (!c->shared)
                return log_oom();
        c->shared->poll_interval = c->poll_interval;

        r = slurm_extra_parse(&c->shared->extra, conf->extra_options, &bad, &why);
        if (r == -EINVAL)
                return log_error_errno(r, "slurm: extra option %s %s", bad, why);
        if (r < 0)
                return log_oom();

        r = slurm_library_init(conf->config);
        if (r < 0)
                return r;

        r = sd_event_add_io(event, &c->result_source, c->shared->efd, EPOLLIN, on_results, c);
        if (r < 0)
                return log_error_errno(r, "slurm: failed to watch the worker's eventfd: %m");
        (void) sd_event_source_set_description(c->result_source, "slurm-results");

        r = sd_event_add_time_relative(event, &c->poll_source, CLOCK_MONOTONIC, c->poll_interval,
                                       c->poll_interval / 20, on_poll_timer, c);
        if (r < 0)
                return log_error_errno(r, "slurm: failed to add the poll timer: %m");
        (void) sd_event_source_set_description(c->poll_source, "slurm-poll");

        r = start_thread(c);
        if (r < 0)
                return log_error_errno(r, "slurm: failed to start the worker thread: %m");

        r = wait_ping(c);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

static Request *kill_request_new(uint32_t slurm_id) {
        Request *q = calloc(1, sizeof(Request));

        if (q)
                *q = (Request) { .type = REQUEST_KILL, .slurm_id = slurm_id, .sig = SIGKILL };
        return q;
}

/* Called with the lock held, quit set. Queued submissions are dropped (never sent); a submission that
 * slurmctld accepted but whose answer the loop never delivered would run with nobody knowing its id
 * (after a restart the job is "lost" and may be retried: twice on the cluster), so it is cancelled. */
static void stop_requests(SlurmClient *c) {
        Shared *s = c->shared;
        Request *keep = NULL, **kt = &keep;
        Result *lists[] = { c->pending_head, s->res_head };

        while (s->req_head) {
                Request *q = s->req_head;

                s->req_head = q->next;
                q->next = NULL;
                if (q->type == REQUEST_KILL) {
                        *kt = q;
                        kt = &q->next;
                } else
                        request_free(q);
        }
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                for (Result *r = lists[i]; r; r = r->next) {
                        Request *q;

                        if (!r->submitted || r->error < 0 || r->status.slurm_id == 0)
                                continue;
                        q = kill_request_new(r->status.slurm_id);
                        if (!q) {
                                log_oom();
                                continue;
                        }
                        log_notice("slurm: cancelling job %u, submitted but not yet reported when the client "
                                   "stopped", r->status.slurm_id);
                        *kt = q;
                        kt = &q->next;
                }
        s->req_head = keep;
        s->req_tail = keep ? kt : &s->req_head;
}

SlurmClient *slurm_client_free(SlurmClient *c) {
        Shared *s;

        if (!c)
                return NULL;
        /* From inside one of our callbacks: on_results() frees it when the callback returns. */
        if (c->dispatching) {
                c->free_requested = true;
                return NULL;
        }
        c->result_source = sd_event_source_disable_unref(c->result_source);
        c->poll_source = sd_event_source_disable_unref(c->poll_source);
        s = c->shared;
        if (s && c->thread_started) {
                struct timespec ts;

                pthread_mutex_lock(&s->lock);
                s->quit = true;
                stop_requests(c);
                pthread_cond_signal(&s->cond);
                pthread_mutex_unlock(&s->lock);
                /* A worker stuck in an RPC to a controller that does not answer is let go: it holds its
                 * own reference to what it uses. */
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += SLURM_JOIN_TIMEOUT_USEC / USEC_PER_SEC;
                if (pthread_timedjoin_np(c->thread, NULL, &ts) != 0) {
                        log_warning("slurm: the worker thread is still in a libslurm call, leaving it "
                                    "behind");
                        (void) pthread_detach(c->thread);
                }
        }
        while (c->pending_head) {
                Result *r = c->pending_head;
                c->pending_head = r->next;
                result_free(r);
        }
        shared_unref(s);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

int slurm_client_submit(SlurmClient *c, const SlurmSubmit *s, slurm_submitted_t cb, void *userdata) {
        Request *q;

        if (!c || !s || strv_isempty(s->argv) || isempty(s->cwd) || isempty(s->log_path))
                return -EINVAL;
        q = calloc(1, sizeof(Request));
        if (!q)
                return -ENOMEM;
        *q = (Request) {
                .type = REQUEST_SUBMIT,
                .jobd_id = s->jobd_id,
                .cb = cb,
                .userdata = userdata,
                .uid = s->uid,
                .gid = s->gid,
                .time_limit = slurm_time_limit_minutes(s->time_limit),
                .memory_mib = slurm_memory_mib(s->memory_max),
                .nice = slurm_nice_from_cpu_weight(s->cpu_weight, c->shared->privileged),
        };
        if (s->name)
                q->name = strdup(s->name);
        else if (asprintf(&q->name, "jobd-%" PRIu64, s->jobd_id) < 0)
                q->name = NULL;
        q->script = slurm_batch_script(s->argv);
        q->cwd = strdup(s->cwd);
        q->log_path = strdup(s->log_path);
        q->licenses = isempty(s->licenses) ? NULL : strdup(s->licenses);
        /* slurmctld refuses a batch job without any environment. */
        q->env = strv_isempty(s->env) ? strv_copy((char *const[]) { (char *) "JOBD_BACKEND=slurm", NULL }) :
                                        strv_copy(s->env);
        if (!q->name || !q->script || !q->cwd || !q->log_path || !q->env ||
            (!isempty(s->licenses) && !q->licenses)) {
                request_free(q);
                return -ENOMEM;
        }
        atomic_fetch_add(&c->shared->n_queued, 1);
        shared_push_request(c->shared, q);
        return 0;
}

static int push_simple(SlurmClient *c, RequestType type, uint32_t slurm_id, uint64_t jobd_id, int sig) {
        Request *q;

        if (!c || slurm_id == 0)
                return -EINVAL;
        q = calloc(1, sizeof(Request));
        if (!q)
                return -ENOMEM;
        *q = (Request) { .type = type, .slurm_id = slurm_id, .jobd_id = jobd_id, .sig = sig };
        shared_push_request(c->shared, q);
        return 0;
}

int slurm_client_track(SlurmClient *c, uint32_t slurm_id, uint64_t jobd_id) {
        return push_simple(c, REQUEST_TRACK, slurm_id, jobd_id, 0);
}

void slurm_client_untrack(SlurmClient *c, uint32_t slurm_id) {
        (void) push_simple(c, REQUEST_UNTRACK, slurm_id, 0, 0);
}

int slurm_client_kill(SlurmClient *c, uint32_t slurm_id, int sig) {
        if (sig <= 0 || sig >= _NSIG)
                return -EINVAL;
        return push_simple(c, REQUEST_KILL, slurm_id, 0, sig);
}

int slurm_client_suspend(SlurmClient *c, uint32_t slurm_id, bool suspend) {
        return push_simple(c, suspend ? REQUEST_SUSPEND : REQUEST_RESUME, slurm_id, 0, 0);
}

unsigned slurm_client_tracked(SlurmClient *c) {
        if (!c)
                return 0;
        return atomic_load(&c->shared->n_live) + atomic_load(&c->shared->n_queued);
}

void slurm_client_get_stats(SlurmClient *c, SlurmClientStats *ret) {
        Shared *s = c->shared;

        *ret = (SlurmClientStats) {
                .n_polls = atomic_load(&s->n_polls),
                .n_polls_changed = atomic_load(&s->n_polls_changed),
                .poll_usec_last = atomic_load(&s->poll_usec_last),
                .poll_usec_max = atomic_load(&s->poll_usec_max),
                .poll_records_last = atomic_load(&s->poll_records_last),
                .n_submitted = atomic_load(&s->n_submitted),
                .submit_usec_total = atomic_load(&s->submit_usec_total),
                .n_delivered = c->n_delivered,
                .deliver_usec_max = c->deliver_usec_max,
        };
}
