/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "journal-line.h"
#include "journal.h"
#include "log.h"
#include "parse-util.h"
#include "manager.h"
#include "plan.h"
#include "run.h"
#include "state-dir.h"
#include "strv.h"

void journal_init(Journal *jr, int dir_fd) {
        const char *e;

        *jr = (Journal) { .dir_fd = dir_fd, .fd = -EBADF };
#if JOBD_TEST_HOOKS
        e = getenv("JOBD_TEST_CRASH_AT_WRITE");
        if (e && safe_atou64(e, &jr->crash_at) < 0)
                jr->crash_at = 0;
#else
        (void) e;
#endif
}

void journal_init_manager(Journal *jr, Manager *m) {
        jr->manager = m;
}

static void compact_abort(Journal *jr) {
        if (jr->compact_pid > 0) {
                (void) kill(jr->compact_pid, SIGKILL);
                (void) waitpid(jr->compact_pid, NULL, 0);
                (void) unlinkat(jr->dir_fd, JOURNAL_FILE ".tmp", 0);
        }
        jr->compact_pid = 0;
        jr->compact_source = sd_event_source_disable_unref(jr->compact_source);
        jr->pending = mfree(jr->pending);
        jr->n_pending = jr->pending_allocated = 0;
        jr->pending_failed = false;
}

void journal_close(Journal *jr) {
        compact_abort(jr);
        jr->retry_source = sd_event_source_disable_unref(jr->retry_source);
        jr->fd = safe_close(jr->fd);
        jr->filter_ref.filter = seccomp_filter_unref(jr->filter_ref.filter);
}

static const char *journal_dir(Journal *jr) {
        return jr->manager ? jr->manager->state_dir : "the state folder";
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Journal *jr = userdata;
        int r;

        r = journal_compact_start(jr);
        if (r < 0)
                (void) sd_event_source_set_time_relative(s, JOURNAL_RETRY_USEC),
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static void arm_retry(Journal *jr) {
        int r;

        if (!jr->manager || !jr->manager->event)
                return;
        if (!jr->retry_source) {
                r = sd_event_add_time_relative(jr->manager->event, &jr->retry_source, CLOCK_MONOTONIC,
                                               JOURNAL_RETRY_USEC, 0, on_retry, jr);
                if (r < 0) {
                        log_warning_errno(r, "Cannot arm the timer that retries writing %s, ignoring: %m",
                                          JOURNAL_FILE);
                        return;
                }
                (void) sd_event_source_set_description(jr->retry_source, "journal-retry");
                return;
        }
        (void) sd_event_source_set_time_relative(jr->retry_source, JOURNAL_RETRY_USEC);
        (void) sd_event_source_set_enabled(jr->retry_source, SD_EVENT_ONESHOT);
}

/* The first failed write of an episode: said once, with its errno; then no more Submits and no more starts
 * until the file is rewritten from memory. */
void journal_enter_read_only(Journal *jr, int error) {
        if (!jr->read_only) {
                log_error_errno(error, "Cannot write %s/%s: %m. Refusing new jobs and starting none until it "
                                "can be written again (retried every %u s); running jobs go on.",
                                journal_dir(jr), JOURNAL_FILE, (unsigned) (JOURNAL_RETRY_USEC / USEC_PER_SEC));
                jr->read_only = true;
                jr->error = error;
        }
        arm_retry(jr);
}

void journal_truncate(Journal *jr, uint64_t size) {
        if (jr->fd < 0 || size >= jr->size)
                return;
        /* Needs no space: what was appended since is cut off, the file ends with a whole line again. */
        if (ftruncate(jr->fd, (off_t) size) < 0)
                log_warning_errno(errno, "Cannot cut %s/%s back after a failed write: %m", journal_dir(jr),
                                  JOURNAL_FILE);
        jr->size = size;
        /* The line that spelled out the filter later lines would refer to may be gone with it. */
        jr->filter_ref.filter = seccomp_filter_unref(jr->filter_ref.filter);
        jr->filter_ref.job = 0;
        if (jr->compact_pid > 0)
                /* Lines already kept for the new file cannot be taken back one by one: start again. */
                jr->pending_failed = true;
}

static void pending_add(Journal *jr, const char *buf, size_t len) {
        if (jr->compact_pid <= 0 || jr->pending_failed)
                return;
        if (jr->n_pending + len > jr->pending_allocated) {
                size_t k = MAX(jr->pending_allocated * 2, jr->n_pending + len + 4096);
                char *t = realloc(jr->pending, k);

                if (!t) {
                        jr->pending_failed = true;
                        return;
                }
                jr->pending = t;
                jr->pending_allocated = k;
        }
        memcpy(jr->pending + jr->n_pending, buf, len);
        jr->n_pending += len;
}

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                /* A short write (the disk filled up): the next one says why. */
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Every append to state.log goes through here: whole lines, or nothing (cut back on failure). */
static int journal_append(Journal *jr, const char *buf, size_t len) {
        uint64_t before = jr->size;
        int r;

        if (jr->read_only)
                return -EROFS;
        if (jr->fd < 0)
                return 0;   /* before the restore opened it */
#if JOBD_TEST_HOOKS
        if (jr->crash_at > 0 && ++jr->n_appends == jr->crash_at) {
                /* A torn line, as a SIGKILL in the middle of a large write leaves it. */
                (void) write(jr->fd, buf, len / 2);
                (void) raise(SIGKILL);
        }
#endif
        r = write_all(jr->fd, buf, len);
        if (r < 0) {
                jr->size += len;   /* whatever part of it got there is cut off */
                journal_truncate(jr, before);
                journal_enter_read_only(jr, r);
                return r;
        }
        jr->size += len;
        pending_add(jr, buf, len);
        return 0;
}

static void add_u64(json_object *o, const char *key, uint64_t v) {
        json_object_object_add(o, key, json_object_new_uint64(v));
}

static void add_str(json_object *o, const char *key, const char *s) {
        if (s)
                json_object_object_add(o, key, json_object_new_string(s));
}

/* The event lines of a job (start, retry, done, stop, rerun, hold, release) are written straight as
 * text, without json-c objects: for a short job, building and printing the start and done lines with
 * json-c was a fifth of jobd's instructions (callgrind). The text is what json-c writes with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE: {"key":value,...} in the order added,
 * strings with '"', '\\' and control characters escaped, other bytes as they are; the reader is json-c. */
typedef struct JLine {
        char *buf;
        size_t n, allocated;
        bool oom;
} JLine;

static void jl_put(JLine *l, const char *s, size_t n) {
        if (l->oom)
                return;
        if (l->n + n > l->allocated) {
                size_t k = MAX(l->allocated * 2, l->n + n + 256);
                char *t = realloc(l->buf, k);

                if (!t) {
                        l->oom = true;
                        return;
                }
                l->buf = t;
                l->allocated = k;
        }
        memcpy(l->buf + l->n, s, n);
        l->n += n;
}

static void jl_key(JLine *l, const char *key) {
        jl_put(l, l->n == 0 ? "{\"" : ",\"", 2);
        jl_put(l, key, strlen(key));
        jl_put(l, "\":", 2);
}

static void jl_string_len(JLine *l, const char *s, size_t n) {
        const char *end = s + n;

        jl_put(l, "\"", 1);
        while (s < end) {
                const char *p = s;
                unsigned char c;
                char esc[8];

                while (p < end && (unsigned char) *p >= 0x20 && *p != '"' && *p != '\\')
                        p++;
                jl_put(l, s, (size_t) (p - s));
                if (p == end)
                        break;
                c = (unsigned char) *p;
                switch (c) {
                case '"':  jl_put(l, "\\\"", 2); break;
                case '\\': jl_put(l, "\\\\", 2); break;
                case '\b': jl_put(l, "\\b", 2); break;
                case '\f': jl_put(l, "\\f", 2); break;
                case '\n': jl_put(l, "\\n", 2); break;
                case '\r': jl_put(l, "\\r", 2); break;
                case '\t': jl_put(l, "\\t", 2); break;
                default:
                        snprintf(esc, sizeof(esc), "\\u%04x", c);
                        jl_put(l, esc, 6);
                }
                s = p + 1;
        }
        jl_put(l, "\"", 1);
}

static void jl_string(JLine *l, const char *s) {
        jl_string_len(l, s, strlen(s));
}

static void jl_str(JLine *l, const char *key, const char *s) {
        if (!s)
                return;
        jl_key(l, key);
        jl_string(l, s);
}

static void jl_uint(JLine *l, uint64_t v) {
        char b[24], *p = b + sizeof(b);

        do
                *--p = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        jl_put(l, p, (size_t) (b + sizeof(b) - p));
}

static void jl_u64(JLine *l, const char *key, uint64_t v) {
        jl_key(l, key);
        jl_uint(l, v);
}

static void jl_int(JLine *l, const char *key, int v) {
        if (v >= 0) {
                jl_u64(l, key, (uint64_t) v);
                return;
        }
        char b[16];
        int n = snprintf(b, sizeof(b), "%d", v);

        jl_key(l, key);
        jl_put(l, b, (size_t) n);
}

static void jl_strv(JLine *l, const char *key, char *const *v) {
        bool first = true;

        jl_key(l, key);
        jl_put(l, "[", 1);
        STRV_FOREACH(s, (char **) v) {
                if (!first)
                        jl_put(l, ",", 1);
                jl_string(l, *s);
                first = false;
        }
        jl_put(l, "]", 1);
}

static void event_begin(JLine *l, const char *e, Job *j) {
        *l = (JLine) {};
        jl_str(l, "e", e);
        jl_u64(l, "id", j->id);
}

/* Ends the line ("}\n") and hands over the text (to be freed), or NULL without memory. */
static char *jl_end(JLine *l, size_t *ret_len) {
        jl_put(l, "}\n", 2);
        if (l->oom) {
                l->buf = mfree(l->buf);
                return NULL;
        }
        *ret_len = l->n;
        return TAKE_PTR(l->buf);
}

static int journal_write_event(Journal *jr, JLine *l) {
        _cleanup_free_ char *buf = NULL;
        size_t len;

        buf = jl_end(l, &len);
        if (!buf)
                return log_oom();
        /* One write() per line: with O_APPEND a line is never interleaved or half-followed by another. */
        return journal_append(jr, buf, len);
}

/* For the rewrite (a file of its own). */
static int write_event(int fd, JLine *l) {
        _cleanup_free_ char *buf = NULL;
        size_t len;

        buf = jl_end(l, &len);
        if (!buf)
                return -ENOMEM;
        return write_all(fd, buf, len);
}

/* Any line (json-c objects: submit and run lines) as text, printed here rather than by json-c's
 * json_object_to_json_string_ext() (its printbuf and a snprintf() per number were half of the cost of a
 * submit line): the same text as json-c's JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, keys in
 * the order added; only doubles (no line has any) are left to json-c. */
static void jl_value(JLine *l, json_object *o) {
        switch (json_object_get_type(o)) {
        case json_type_null:
                jl_put(l, "null", 4);
                break;
        case json_type_boolean:
                if (json_object_get_boolean(o))
                        jl_put(l, "true", 4);
                else
                        jl_put(l, "false", 5);
                break;
        case json_type_int: {
                int64_t v = json_object_get_int64(o);

                if (v < 0) {
                        char b[24];
                        int n = snprintf(b, sizeof(b), "%" PRIi64, v);

                        jl_put(l, b, (size_t) n);
                } else
                        /* INT64_MAX also stands for a larger unsigned value. */
                        jl_uint(l, v == INT64_MAX ? json_object_get_uint64(o) : (uint64_t) v);
                break;
        }
        case json_type_string:
                jl_string_len(l, json_object_get_string(o), (size_t) json_object_get_string_len(o));
                break;
        case json_type_array: {
                size_t n = json_object_array_length(o);

                jl_put(l, "[", 1);
                for (size_t i = 0; i < n; i++) {
                        if (i > 0)
                                jl_put(l, ",", 1);
                        jl_value(l, json_object_array_get_idx(o, i));
                }
                jl_put(l, "]", 1);
                break;
        }
        case json_type_object: {
                bool first = true;

                jl_put(l, "{", 1);
                json_object_object_foreach(o, key, val) {
                        if (!first)
                                jl_put(l, ",", 1);
                        jl_string_len(l, key, strlen(key));
                        jl_put(l, ":", 1);
                        jl_value(l, val);
                        first = false;
                }
                jl_put(l, "}", 1);
                break;
        }
        default: {
                const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE);

                if (!t)
                        l->oom = true;
                else
                        jl_put(l, t, strlen(t));
        }
        }
}

static char *line_to_string(json_object *o, size_t *ret_len) {
        JLine l = {};

        jl_value(&l, o);
        jl_put(&l, "\n", 1);
        if (l.oom) {
                free(l.buf);
                return NULL;
        }
        *ret_len = l.n;
        return l.buf;
}

/* For the rewrite (a file of its own). */
static int write_line(int fd, json_object *o) {
        _cleanup_free_ char *buf = NULL;
        size_t l;

        buf = line_to_string(o, &l);
        if (!buf)
                return -ENOMEM;
        return write_all(fd, buf, l);
}

static int journal_write(Journal *jr, json_object *o) {
        _cleanup_free_ char *buf = NULL;
        size_t l;
        int r;

        if (!o)
                return log_oom();
        buf = line_to_string(o, &l);
        json_object_put(o);
        if (!buf)
                return log_oom();
        /* One write() per line: with O_APPEND a line is never interleaved or half-followed by another. */
        r = journal_append(jr, buf, l);
        return r;
}


/* A filter shared by many jobs (a plan's default) is written once: later jobs name the job whose line
 * has it. ref remembers the last one written to the file. The fields are journal_submit_fields[]'s. */
static json_object *submit_line(Job *j, JournalFilterRef *ref) {
        Run *run = manager_run_of_job(j->manager, j->id);
        _cleanup_strv_free_ char **env = NULL;
        JournalSubmit s = {
                .id = j->id,
                .run = run ? run->id : 0,
                .submit_usec = j->submit_usec,
                .owner = j->owner,
                .spec = j->spec,   /* borrowed */
        };

        /* A job of a run writes only its own variables: the run's line has the shared ones. */
        if (!run && s.spec.base_environment) {
                env = job_spec_environment(&s.spec);
                if (!env)
                        return NULL;
                s.env = env;
        }
        if (s.spec.system_call_filter && ref->filter == s.spec.system_call_filter)
                s.syscalls_of = ref->job;
        else if (s.spec.system_call_filter) {
                /* Held, so that no other filter can take its address. */
                seccomp_filter_unref(ref->filter);
                *ref = (JournalFilterRef) { seccomp_filter_ref(s.spec.system_call_filter), j->id };
        }
        return journal_submit_to_json(&s);
}

/* with_gone: only when the journal is rewritten, which is when jobs forgotten before are left out. */
static json_object *run_line(const Run *r, bool with_gone) {
        Manager *m = r->manager;
        json_object *o = json_object_new_object(), *gone;

        if (!o)
                return NULL;
        add_str(o, "e", "run");
        add_u64(o, "id", r->id);
        add_str(o, "name", r->name);
        add_u64(o, "owner", r->owner);
        add_u64(o, "first", r->first_job);
        add_u64(o, "n", r->n_jobs);
        add_u64(o, "maxpar", r->max_parallel);
        add_u64(o, "submit", r->submit_usec);
        add_u64(o, "finish", r->finish_usec);
        json_object_object_add(o, "cancelled", json_object_new_boolean(r->cancelled));
        if (r->paused)
                json_object_object_add(o, "paused", json_object_new_boolean(true));
        if (r->timeout_usec > 0) {
                add_u64(o, "timeout", r->timeout_usec);
                add_u64(o, "deadline", r->deadline_usec);
        }
        if (r->timed_out)
                json_object_object_add(o, "timed_out", json_object_new_boolean(true));
        if (r->output_root)
                add_str(o, "odir", r->output_root);
        if (r->environment)
                json_object_object_add(o, "env", journal_strv_to_json(r->environment->env));
        if (r->first_pass_done && r->first_result) {
                _cleanup_free_ char *first = malloc(r->n_jobs + 1);

                if (!first) {
                        json_object_put(o);
                        return NULL;
                }
                for (uint32_t k = 0; k < r->n_jobs; k++)
                        first[k] = (char) ('a' + r->first_result[k]);
                first[r->n_jobs] = 0;
                add_str(o, "firstres", first);
        }
        if (!with_gone)
                return o;
        /* Jobs forgotten already (done, beyond --keep-finished) live on as counts. */
        gone = json_object_new_object();
        for (JobResult res = JOB_SUCCESS; res < _JOB_RESULT_MAX; res++) {
                uint32_t n = 0;

                for (uint32_t k = 0; k < r->n_jobs; k++)
                        if (!manager_get_job(m, r->first_job + k) && run_job_result(r, k) == res)
                                n++;
                if (n > 0)
                        add_u64(gone, job_result_to_string(res), n);
        }
        json_object_object_add(o, "gone", gone);
        return o;
}

static void start_line(JLine *o, Job *j) {
        char *const *slots;

        event_begin(o, "start", j);
        jl_u64(o, "start", j->start_usec);
        jl_u64(o, "pid", (uint64_t) j->main_pid);
        jl_str(o, "cgroup", j->control_group);
        jl_str(o, "unit", j->unit);
        /* Where this attempt's output begins in the log (FailPatterns/PassPatterns scan only that). */
        if (j->log_offset > 0)
                jl_u64(o, "log_off", j->log_offset);
        /* LogPath: the file jobd opened, which a reader must find there again. */
        if (j->log_ino != 0) {
                jl_u64(o, "log_dev", (uint64_t) j->log_dev);
                jl_u64(o, "log_ino", (uint64_t) j->log_ino);
        }
        /* A Slurm job: its id on the cluster once submitted (a "slurm" line follows otherwise). */
        if (j->slurm_id > 0)
                jl_u64(o, "slurm", j->slurm_id);
        /* The devices it was given: after a restart it keeps them, nobody else gets them. */
        slots = sched_job_slots(j->manager->sched, j->id);
        if (slots)
                jl_strv(o, "slots", slots);
}

/* An attempt that did not decide the result; tries is what the scheduler counts (since the last
 * Run.Retry()), so that a restart does not give the job its retries anew. */
static void retry_line(JLine *o, Job *j, const JobAttempt *a, uint32_t tries) {
        event_begin(o, "retry", j);
        jl_u64(o, "tries", tries);
        jl_str(o, "result", job_result_to_string(a->result));
        jl_int(o, "code", a->exit_code);
        jl_int(o, "signal", a->exit_signal);
        jl_u64(o, "start", a->start_usec);
        jl_u64(o, "finish", a->finish_usec);
}

static void done_line(JLine *o, Job *j) {
        event_begin(o, "done", j);
        jl_str(o, "result", job_result_to_string(j->result));
        jl_int(o, "code", j->exit_code);
        jl_int(o, "signal", j->exit_signal);
        jl_str(o, "reason", j->reason);
        jl_u64(o, "start", j->start_usec);
        jl_u64(o, "finish", j->finish_usec);
        jl_u64(o, "strays", j->stray_processes);
        jl_u64(o, "cpu", j->stats.cpu_nsec);
        jl_u64(o, "mem", j->stats.memory_peak);
        jl_u64(o, "cmdpid", (uint64_t) j->command_pid);
        jl_str(o, "cgroup", j->control_group);
        jl_str(o, "unit", j->unit);
        jl_u64(o, "attempts", j->n_attempts);
        if (j->slurm_id > 0)
                jl_u64(o, "slurm", j->slurm_id);
}

static void stop_line(JLine *o, Job *j) {
        event_begin(o, "stop", j);
        jl_str(o, "why", j->stop_reason == JOB_STOP_TIMEOUT ? "timeout" : "cancel");
}

int journal_submit(Journal *jr, Job *j) {
        return journal_write(jr, submit_line(j, &jr->filter_ref));
}

/* Appends o's line to buf (o put). */
static int buf_add_line(char **buf, size_t *used, size_t *allocated, json_object *o) {
        const char *s;
        size_t l;

        s = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
        if (!s) {
                json_object_put(o);
                return -ENOMEM;
        }
        l = strlen(s);
        if (*used + l + 1 > *allocated) {
                size_t k = MAX(*allocated * 2, MAX(*used + l + 1, (size_t) (1U << 20) + 65536));
                char *t = realloc(*buf, k);

                if (!t) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                *buf = t;
                *allocated = k;
        }
        memcpy(*buf + *used, s, l);
        (*buf)[*used + l] = '\n';
        *used += l + 1;
        json_object_put(o);
        return 0;
}

int journal_submit_run(Journal *jr, const Run *run) {
        Manager *m = run->manager;
        _cleanup_free_ char *buf = NULL;
        size_t used = 0, allocated = 0;
        uint64_t before = jr->size;
        json_object *o;
        int r;

        if (jr->read_only)
                return -EROFS;
        if (jr->fd < 0)
                return 0;
        /* The run's line says that a commit line must follow its jobs: a crash in between (a large plan
         * is written in chunks) leaves a run that the replay drops, never half a plan. */
        o = run_line(run, false);
        if (o)
                json_object_object_add(o, "commit", json_object_new_boolean(true));
        r = buf_add_line(&buf, &used, &allocated, o);
        /* Lines gathered into writes of about 1 MiB (a plan of a few hundred jobs is one write): 100k
         * write() calls would cost more than the rest of a plan's submission. */
        for (uint32_t i = 0; i < run->n_jobs && r >= 0; i++) {
                r = buf_add_line(&buf, &used, &allocated,
                                 submit_line(manager_get_job(m, run->first_job + i), &jr->filter_ref));
                if (r >= 0 && used >= 1U << 20) {
                        r = journal_append(jr, buf, used);
                        used = 0;
                }
        }
        if (r >= 0) {
                o = json_object_new_object();
                if (o) {
                        add_str(o, "e", "commit");
                        add_u64(o, "id", run->id);
                }
                r = buf_add_line(&buf, &used, &allocated, o);
        }
        if (r >= 0)
                r = journal_append(jr, buf, used);
        if (r == -ENOMEM)
                log_oom();
        if (r < 0)
                /* Nothing of the plan stays: its client is told it was refused. */
                journal_truncate(jr, before);
        return r;
}

int journal_start(Journal *jr, Job *j) {
        JLine o;

        start_line(&o, j);
        return journal_write_event(jr, &o);
}

int journal_retry(Journal *jr, Job *j) {
        const JobAttempt *a = job_last_attempt(j);
        JLine o;

        if (!a)
                return 0;
        retry_line(&o, j, a, sched_job_attempts(j->manager->sched, j->id));
        return journal_write_event(jr, &o);
}

/* Why the daemon is ending a running job, before it kills it: its helper dies too and records no status,
 * so after a crash only this line tells a timeout or a cancel from a job that failed. */
int journal_stop(Journal *jr, Job *j) {
        JLine o;

        stop_line(&o, j);
        return journal_write_event(jr, &o);
}

/* A Slurm job's id on the cluster, once slurmctld accepted it (after its start line): what a restart
 * follows it by. */
int journal_slurm(Journal *jr, Job *j) {
        JLine o;

        event_begin(&o, "slurm", j);
        jl_u64(&o, "slurm", j->slurm_id);
        return journal_write_event(jr, &o);
}

int journal_done(Journal *jr, Job *j) {
        JLine o;

        done_line(&o, j);
        return journal_write_event(jr, &o);
}

int journal_run(Journal *jr, const Run *r) {
        return journal_write(jr, run_line(r, false));
}

int journal_rerun(Journal *jr, Job *j) {
        JLine o;

        event_begin(&o, "rerun", j);
        return journal_write_event(jr, &o);
}

int journal_hold(Journal *jr, Job *j, bool held) {
        JLine o;

        event_begin(&o, held ? "hold" : "release", j);
        return journal_write_event(jr, &o);
}

/* The hand-written lines (run, start, retry, done) are read with tolerant accessors: a missing key or a
 * wrong type gives a default. */
static char *dup_str(json_object *o, const char *key) {
        const char *s = journal_get_str(o, key);
        return s ? strdup(s) : NULL;
}

void journal_runs_free(Journal *jr) {
        for (size_t i = 0; i < jr->n_runs; i++) {
                free(jr->runs[i].name);
                free(jr->runs[i].output_root);
                free(jr->runs[i].first);
                job_shared_env_unref(jr->runs[i].environment);
        }
        jr->runs = mfree(jr->runs);
        jr->n_runs = 0;
}

static JournalRun *find_run(Journal *jr, uint64_t id) {
        for (size_t i = jr->n_runs; i > 0; i--)
                if (jr->runs[i - 1].id == id)
                        return &jr->runs[i - 1];
        return NULL;
}

/* A "run" line: a later line of the same run (written by a rewrite) replaces the earlier. */
static int run_from_line(Journal *jr, json_object *o) {
        uint32_t gone_before[_JOB_RESULT_MAX] = {};
        bool needs_commit = false, committed = false;
        JournalRun *x, *t;
        json_object *gone;
        char **env = NULL;
        int r;

        x = find_run(jr, journal_get_u64(o, "id", 0));
        if (!x) {
                t = reallocarray(jr->runs, jr->n_runs + 1, sizeof(JournalRun));
                if (!t)
                        return -ENOMEM;
                jr->runs = t;
                x = &t[jr->n_runs++];
        } else {
                free(x->name);
                free(x->output_root);
                free(x->first);
                job_shared_env_unref(x->environment);
                memcpy(gone_before, x->gone, sizeof(gone_before));
                needs_commit = x->needs_commit;
                committed = x->committed;
        }
        /* The line of a submission: its jobs count only once its commit line follows them. */
        if (json_object_object_get_ex(o, "commit", NULL)) {
                needs_commit = true;
                committed = false;
        }
        *x = (JournalRun) {
                .id = journal_get_u64(o, "id", 0),
                .name = dup_str(o, "name"),
                .owner = (uid_t) journal_get_uint(o, "owner", 0, UINT32_MAX - 1),
                .first_job = journal_get_uint(o, "first", 0, JOURNAL_ID_MAX),
                .n_jobs = (uint32_t) journal_get_uint(o, "n", 0, PLAN_JOBS_MAX),
                .max_parallel = (uint32_t) journal_get_uint(o, "maxpar", 0, UINT32_MAX),
                .submit_usec = journal_get_u64(o, "submit", 0),
                .finish_usec = journal_get_u64(o, "finish", 0),
                .timeout_usec = journal_get_uint(o, "timeout", 0, JOB_TIMEOUT_MAX),
                .deadline_usec = journal_get_u64(o, "deadline", 0),
                .output_root = dup_str(o, "odir"),
                .first = dup_str(o, "firstres"),
        };
        if (json_object_object_get_ex(o, "timed_out", &gone))
                x->timed_out = json_object_get_boolean(gone);
        memcpy(x->gone, gone_before, sizeof(gone_before));
        x->needs_commit = needs_commit;
        x->committed = committed;
        if (x->n_jobs > 0 && x->first_job > JOURNAL_ID_MAX - x->n_jobs + 1)
                x->n_jobs = 0;   /* beyond the ids a job may have: ignored as overlapping */
        if (json_object_object_get_ex(o, "cancelled", &gone))
                x->cancelled = json_object_get_boolean(gone);
        if (json_object_object_get_ex(o, "paused", &gone))
                x->paused = json_object_get_boolean(gone);
        if (json_object_object_get_ex(o, "env", &gone)) {
                r = journal_get_strv(o, "env", &env);
                if (r < 0)
                        return r;
                x->environment = job_shared_env_new(env);
                if (!x->environment)
                        return -ENOMEM;
        }
        if (json_object_object_get_ex(o, "gone", &gone) && json_object_is_type(gone, json_type_object)) {
                memset(x->gone, 0, sizeof(x->gone));
                json_object_object_foreach(gone, res, count) {
                        JobResult k = job_result_from_string(res);
                        if (k > JOB_RESULT_NONE && k < _JOB_RESULT_MAX)
                                x->gone[k] = (uint32_t) journal_get_uint(gone, res, 0, x->n_jobs);
                }
        }
        return 0;
}

static JournalRecord *find_record(JournalRecord *r, size_t n, uint64_t id);

/* 1 and *ret if the line made a job, 0 if it was skipped as damaged. */
static int job_from_submit(Journal *jr, Manager *m, json_object *o, JournalRecord *recs, size_t n_recs,
                           const char *name, unsigned lineno, Job **ret, uint64_t *ret_run) {
        _cleanup_(journal_submit_done) JournalSubmit s;
        const char *field;
        int r;

        r = journal_submit_from_json(o, &s, &field);
        if (r == -EBADMSG) {
                log_warning("%s line %u: the submit line of job %llu has a bad \"%s\", ignoring it.", name,
                            lineno, (unsigned long long) s.id, field);
                return 0;
        }
        if (r < 0)
                return r;
        if (s.syscalls_of > 0 && !s.spec.system_call_filter) {
                JournalRecord *of = find_record(recs, n_recs, s.syscalls_of);

                /* An earlier job with the same filter (a plan's jobs share their defaults'). */
                if (of)
                        s.spec.system_call_filter = seccomp_filter_ref(of->job->spec.system_call_filter);
                else
                        log_warning("%s line %u: job %llu refers to the filter of an unknown job, ignoring it.",
                                    name, lineno, (unsigned long long) s.id);
        }
        if (s.run > 0) {
                JournalRun *run = find_run(jr, s.run);
                if (run)
                        s.spec.base_environment = job_shared_env_ref(run->environment);
        }
        /* Only the owner: gid and groups are looked up in the user database when the job starts. Lines
         * written by earlier versions also have "gid" and "groups", taken from the submitting client's
         * /proc: they are ignored, never trusted. */
        /* The spec is the job's from here on (job_new() leaves s.spec empty). */
        *ret_run = s.run;
        r = job_new(m, s.id, &s.spec, (uid_t) s.owner, ret);
        if (r < 0)
                return r;
        (*ret)->submit_usec = s.submit_usec;
        return 1;
}

static JobAttempt attempt_from_line(json_object *o) {
        JobAttempt a = {
                .start_usec = journal_get_u64(o, "start", 0),
                .finish_usec = journal_get_u64(o, "finish", 0),
                .result = job_result_from_string(journal_get_str(o, "result")),
                .exit_code = (int) journal_get_int(o, "code", -1, INT_MIN, INT_MAX),
                .exit_signal = (int) journal_get_int(o, "signal", 0, 0, INT_MAX),
        };

        if ((int) a.result < 0 || a.result == JOB_RESULT_NONE)
                a.result = JOB_LOST;
        return a;
}

static int job_apply_done(Job *j, json_object *o) {
        const char *s;

        j->result = job_result_from_string(journal_get_str(o, "result"));
        if ((int) j->result < 0 || j->result == JOB_RESULT_NONE)
                j->result = JOB_LOST;
        j->exit_code = (int) journal_get_int(o, "code", -1, INT_MIN, INT_MAX);
        j->exit_signal = (int) journal_get_int(o, "signal", 0, 0, INT_MAX);
        free(j->reason);
        j->reason = dup_str(o, "reason");
        j->start_usec = journal_get_u64(o, "start", 0);
        j->finish_usec = journal_get_u64(o, "finish", 0);
        j->stray_processes = (unsigned) journal_get_uint(o, "strays", 0, UINT_MAX);
        j->stats.cpu_nsec = journal_get_u64(o, "cpu", 0);
        j->stats.memory_peak = journal_get_u64(o, "mem", 0);
        j->command_pid = (pid_t) journal_get_uint(o, "cmdpid", 0, INT_MAX);
        s = journal_get_str(o, "cgroup");
        free(j->control_group);
        j->control_group = s ? strdup(s) : NULL;
        s = journal_get_str(o, "unit");
        free(j->unit);
        j->unit = s ? strdup(s) : NULL;
        j->slurm_id = (uint32_t) journal_get_uint(o, "slurm", 0, UINT32_MAX);
        job_set_state(j, JOB_DONE, JOB_CHANGE_QUIET);
        /* The attempt that decided the result, unless it was a retry's that never started (a cancel). */
        if (j->n_attempts < journal_get_u64(o, "attempts", 0))
                return job_add_attempt(j, &(JobAttempt) {
                                .start_usec = j->start_usec,
                                .finish_usec = j->finish_usec,
                                .result = j->result,
                                .exit_code = j->exit_code,
                                .exit_signal = j->exit_signal,
                        });
        return 0;
}

static JournalRecord *find_record(JournalRecord *r, size_t n, uint64_t id) {
        size_t lo = 0, hi = n;

        /* Submit lines come in id order. */
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (r[mid].id == id)
                        return &r[mid];
                if (r[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

void journal_records_free(JournalRecord *r, size_t n) {
        for (size_t i = 0; i < n; i++) {
                job_free(r[i].job);
                free(r[i].cgroup);
                free(r[i].unit);
                strv_free(r[i].slots);
        }
        free(r);
}

/* A plan whose commit line is missing was being written when the daemon stopped: its client got no reply.
 * It goes, with its jobs (none of which can have started: they are started after the commit line). */
static void drop_uncommitted(Journal *jr, Manager *m, const char *name, JournalRecord *recs, size_t *n) {
        size_t k = 0, n_runs = 0;

        for (size_t i = 0; i < *n; i++) {
                JournalRun *x = recs[i].run > 0 ? find_run(jr, recs[i].run) : NULL;

                if (x && x->needs_commit && !x->committed) {
                        job_free(recs[i].job);
                        free(recs[i].cgroup);
                        free(recs[i].unit);
                        strv_free(recs[i].slots);
                        continue;
                }
                recs[k++] = recs[i];
        }
        *n = k;
        for (size_t i = 0; i < jr->n_runs; i++) {
                JournalRun *x = &jr->runs[i];

                if (x->needs_commit && !x->committed) {
                        log_warning("%s/%s: run %llu was being submitted when jobd stopped (no commit line): "
                                    "dropping it and its jobs, its client was told nothing.", m->state_dir,
                                    name, (unsigned long long) x->id);
                        free(x->name);
                        job_shared_env_unref(x->environment);
                        continue;
                }
                jr->runs[n_runs++] = *x;
        }
        jr->n_runs = n_runs;
}

int journal_replay(Journal *jr, Manager *m, JournalRecord **ret) {
        _cleanup_fclose_ FILE *f = NULL;
        JournalRecord *recs = NULL;
        size_t n = 0, allocated = 0;
        const char *name = JOURNAL_FILE;
        unsigned lineno = 0, version;
        char *line = NULL;
        size_t sz = 0;
        int fd, r;

        *ret = NULL;
        /* Its lines are commands run as any uid: only a file the daemon's uid wrote is read. */
        r = state_open_file(jr->dir_fd, JOURNAL_FILE, m->uid, &fd);
        if (r == -ENOENT) {
                /* The name of versions before the format had one: read once, then state.log replaces it
                 * (journal_compact()). */
                r = state_open_file(jr->dir_fd, JOURNAL_FILE_OLD, m->uid, &fd);
                if (r != -ENOENT)
                        name = JOURNAL_FILE_OLD;
                if (r >= 0) {
                        jr->migrate = true;
                        log_info("Reading %s/%s of an earlier jobd; it becomes %s.", m->state_dir,
                                 JOURNAL_FILE_OLD, JOURNAL_FILE);
                }
        }
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return log_error_errno(r, "Cannot read %s/%s: %s", m->state_dir, name, state_strerror(r));
        f = fdopen(fd, "r");
        if (!f) {
                safe_close(fd);
                return log_oom();
        }

        while (getline(&line, &sz, f) > 0) {
                JournalLineKind kind;
                json_object *o;
                JournalRecord *rec;
                const char *e;
                uint64_t id;

                if (lineno < UINT_MAX)
                        lineno++;
                r = journal_line_parse(line, &o, &kind, &id, &version);
                if (r < 0) {
                        /* The last line may be cut short by a crash; anything else is damage. */
                        log_warning("%s line %u unreadable, ignoring it.", name, lineno);
                        continue;
                }
                if (kind == JOURNAL_LINE_HEADER) {
                        json_object_put(o);
                        if (version <= JOURNAL_FORMAT_VERSION)
                                continue;
                        /* Rewriting it would drop what this version does not know: refused. */
                        log_error("%s/%s is of state format %u, written by a newer jobd; this one reads format "
                                  "%u and older. Refusing to start rather than rewrite it.", m->state_dir,
                                  name, version, JOURNAL_FORMAT_VERSION);
                        r = -EPROTONOSUPPORT;
                        goto fail;
                }
                e = journal_get_str(o, "e");
                if (kind == JOURNAL_LINE_RUN) {
                        r = run_from_line(jr, o);
                        json_object_put(o);
                        if (r < 0)
                                goto fail;
                        continue;
                }

                if (kind == JOURNAL_LINE_SUBMIT) {
                        if (n > 0 && id <= recs[n - 1].id) {
                                log_warning("%s line %u: job %llu out of order, ignoring it.", name, lineno,
                                            (unsigned long long) id);
                                json_object_put(o);
                                continue;
                        }
                        if (n >= allocated) {
                                JournalRecord *t;
                                allocated = MAX(allocated * 2, (size_t) 64);
                                t = reallocarray(recs, allocated, sizeof(JournalRecord));
                                if (!t) {
                                        json_object_put(o);
                                        r = -ENOMEM;
                                        goto fail;
                                }
                                recs = t;
                        }
                        recs[n] = (JournalRecord) { .id = id };
                        r = job_from_submit(jr, m, o, recs, n, name, lineno, &recs[n].job, &recs[n].run);
                        json_object_put(o);
                        if (r < 0)
                                goto fail;
                        if (r > 0)
                                n++;
                        continue;
                }

                if (streq(e, "commit")) {
                        JournalRun *x = find_run(jr, id);

                        if (x)
                                x->committed = true;
                        json_object_put(o);
                        continue;
                }
                rec = find_record(recs, n, id);
                if (!rec) {
                        log_warning("%s line %u: event for unknown job %llu, ignoring it.", name, lineno,
                                    (unsigned long long) id);
                        json_object_put(o);
                        continue;
                }
                r = 0;
                rec->retry_pending = streq(e, "retry");
                if (streq(e, "stop")) {
                        const char *why = journal_get_str(o, "why");

                        rec->stop_reason = streq_ptr(why, "timeout") ? JOB_STOP_TIMEOUT :
                                           streq_ptr(why, "cancel") ? JOB_STOP_CANCEL : JOB_STOP_NONE;
                } else if (streq(e, "start")) {
                        rec->started = true;
                        rec->stop_reason = JOB_STOP_NONE;
                        rec->main_pid = (pid_t) journal_get_uint(o, "pid", 0, INT_MAX);
                        free(rec->cgroup);
                        free(rec->unit);
                        rec->slots = strv_free(rec->slots);
                        rec->cgroup = dup_str(o, "cgroup");
                        rec->unit = dup_str(o, "unit");
                        if (json_object_object_get_ex(o, "slots", NULL))
                                r = journal_get_strv(o, "slots", &rec->slots);
                        rec->job->start_usec = journal_get_u64(o, "start", 0);
                        rec->job->log_offset = journal_get_u64(o, "log_off", 0);
                        rec->job->log_dev = (dev_t) journal_get_u64(o, "log_dev", 0);
                        rec->job->log_ino = (ino_t) journal_get_u64(o, "log_ino", 0);
                        rec->slurm_id = (uint32_t) journal_get_uint(o, "slurm", 0, UINT32_MAX);
                } else if (streq(e, "slurm")) {
                        rec->slurm_id = (uint32_t) journal_get_uint(o, "slurm", 0, UINT32_MAX);
                        /* Not a retry line: what came before it still holds. */
                        rec->retry_pending = false;
                } else if (streq(e, "retry")) {
                        JobAttempt a = attempt_from_line(o);

                        rec->started = false;
                        rec->stop_reason = JOB_STOP_NONE;
                        rec->tries = (uint32_t) journal_get_uint(o, "tries", rec->tries + 1, UINT32_MAX);
                        rec->slurm_id = 0;
                        /* Lines of older versions say nothing about the attempt. */
                        if (json_object_object_get_ex(o, "result", NULL))
                                r = job_add_attempt(rec->job, &a);
                } else if (streq(e, "rerun")) {
                        /* A run's Retry(): back to a job that never ran, its retries counted anew. */
                        rec->tries = 0;
                        rec->started = rec->done = false;
                        rec->stop_reason = JOB_STOP_NONE;
                        job_set_state(rec->job, JOB_WAITING, JOB_CHANGE_QUIET);
                        rec->job->result = JOB_RESULT_NONE;
                        rec->job->exit_code = -1;
                        rec->job->exit_signal = 0;
                        rec->job->reason = mfree(rec->job->reason);
                        rec->job->start_usec = rec->job->finish_usec = 0;
                }
                else if (streq(e, "hold") || streq(e, "release"))
                        /* Job.Hold()/Release(): the job is created with its Hold key, the last call wins. */
                        rec->job->held = streq(e, "hold");
                else if (streq(e, "done")) {
                        rec->done = true;
                        r = job_apply_done(rec->job, o);
                }
                json_object_put(o);
                if (r < 0)
                        goto fail;
        }
        free(line);
        drop_uncommitted(jr, m, name, recs, &n);
        *ret = recs;
        return (int) n;

fail:
        free(line);
        journal_records_free(recs, n);
        if (r != -EPROTONOSUPPORT)   /* logged with both versions */
                log_error_errno(r, "Cannot read %s/%s: %m", m->state_dir, name);
        return r;
}

/* A job's history as retry lines; the last says how many attempts the scheduler counts. */
static int write_attempts(int fd, Manager *m, Job *j) {
        uint32_t tries = sched_job_attempts(m->sched, j->id), n = MIN(j->n_attempts, JOB_ATTEMPTS_MAX);
        const JobAttempt *last = job_last_attempt(j);
        int r = 0;

        if (job_state_is_active(j->state) && tries > 0)
                tries--;   /* the start line stands for the attempt under way */
        /* The done line brings back the attempt that decided the result (most jobs have only that one). */
        if (j->state == JOB_DONE && last && last->start_usec == j->start_usec && last->result == j->result &&
            last->exit_code == j->exit_code && last->exit_signal == j->exit_signal)
                n--;
        for (uint32_t i = 0; i < n && r >= 0; i++) {
                JLine o;

                retry_line(&o, j, &j->attempts[i], tries);
                r = write_event(fd, &o);
        }
        return r;
}

/* The whole file from memory into fd: header, then each run before its first job, each job's submit line,
 * its history and its start or done line. */
static int compact_write(Manager *m, int fd, JournalFilterRef *ref) {
        json_object *o;
        JLine e;
        size_t ri = 0;
        int r;

        /* The format version first: a later jobd knows how to read it, an earlier one refuses a newer. */
        o = journal_header_new();
        r = o ? write_line(fd, o) : -ENOMEM;
        json_object_put(o);

        for (uint64_t id = m->gc_cursor; id <= m->next_id && r >= 0; id++) {
                Job *j = id < m->next_id ? manager_get_job(m, id) : NULL;

                /* Each run before its first job (the last ones after all jobs: theirs are gone). */
                for (; ri < m->n_runs && r >= 0 && (m->runs[ri]->first_job <= id || id == m->next_id);
                     ri++) {
                        o = run_line(m->runs[ri], true);
                        r = o ? write_line(fd, o) : -ENOMEM;
                        json_object_put(o);
                }
                if (!j || r < 0)
                        continue;
                o = submit_line(j, ref);
                r = o ? write_line(fd, o) : -ENOMEM;
                json_object_put(o);
                if (r < 0)
                        continue;
                /* A Hold()/Release() since the submission, while the job has not started. */
                if (j->held != j->spec.hold && (j->state == JOB_WAITING || j->state == JOB_QUEUED)) {
                        event_begin(&e, j->held ? "hold" : "release", j);
                        r = write_event(fd, &e);
                        if (r < 0)
                                continue;
                }
                r = write_attempts(fd, m, j);
                if (r < 0 || !(j->state == JOB_DONE || job_state_is_active(j->state)))
                        continue;
                if (j->state == JOB_DONE)
                        done_line(&e, j);
                else
                        start_line(&e, j);
                r = write_event(fd, &e);
                if (r >= 0 && j->state != JOB_DONE && j->stop_reason != JOB_STOP_NONE) {
                        stop_line(&e, j);
                        r = write_event(fd, &e);
                }
        }
        return r;
}

/* The new file (fd, written as JOURNAL_FILE ".tmp") replaces the old one and is appended to from now on. */
static int compact_finish(Journal *jr, int fd, JournalFilterRef ref) {
        Manager *m = jr->manager;
        struct stat st;
        int r;

        /* On disk before it replaces the old file, and the rename on disk before anything is appended: on
         * XFS or btrfs a power loss could otherwise leave an empty file in place of both. */
        r = state_replace_file(jr->dir_fd, fd, JOURNAL_FILE ".tmp", JOURNAL_FILE);
        if (r < 0) {
                seccomp_filter_unref(ref.filter);
                (void) unlinkat(jr->dir_fd, JOURNAL_FILE ".tmp", 0);
                return r;
        }
        if (jr->migrate) {
                /* Read once: from now on state.log is the daemon's memory. */
                if (unlinkat(jr->dir_fd, JOURNAL_FILE_OLD, 0) < 0 && errno != ENOENT)
                        log_warning_errno(errno, "Cannot remove %s/%s (now %s), ignoring: %m", m->state_dir,
                                          JOURNAL_FILE_OLD, JOURNAL_FILE);
                jr->migrate = false;
        }

        /* Lines from now on may refer to what the new file holds. */
        jr->fd = safe_close(jr->fd);
        seccomp_filter_unref(jr->filter_ref.filter);
        jr->filter_ref = ref;
        jr->fd = openat(jr->dir_fd, JOURNAL_FILE, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
        if (jr->fd < 0)
                return -errno;
        if (fstat(jr->fd, &st) < 0)
                return -errno;
        jr->size = (uint64_t) st.st_size;
        if (jr->read_only) {
                log_notice("%s/%s can be written again: accepting and starting jobs.", m->state_dir,
                           JOURNAL_FILE);
                jr->read_only = false;
                jr->error = 0;
                manager_reschedule(m);
        }
        return 0;
}

int journal_compact(Journal *jr, Manager *m) {
        _cleanup_close_ int fd = -EBADF;
        JournalFilterRef ref = {};
        int r;

        compact_abort(jr);
        jr->manager = m;
        fd = openat(jr->dir_fd, JOURNAL_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = compact_write(m, fd, &ref);
        if (r < 0) {
                seccomp_filter_unref(ref.filter);
                (void) unlinkat(jr->dir_fd, JOURNAL_FILE ".tmp", 0);
                return r;
        }
        return compact_finish(jr, fd, ref);
}

static int on_compact_done(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Journal *jr = userdata;
        Manager *m = jr->manager;
        _cleanup_close_ int fd = -EBADF;
        usec_t begin = now(CLOCK_MONOTONIC);
        int r = 0;

        jr->compact_pid = 0;
        jr->compact_source = sd_event_source_disable_unref(jr->compact_source);
        if (si->si_code != CLD_EXITED || si->si_status != 0)
                r = si->si_code == CLD_EXITED && si->si_status > 0 && si->si_status < 255 ? -si->si_status : -EIO;
        else if (jr->pending_failed)
                r = -ENOMEM;   /* an append was cut back, or not kept: the new file would not match */
        if (r >= 0) {
                fd = openat(jr->dir_fd, JOURNAL_FILE ".tmp", O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
                r = fd < 0 ? -errno : write_all(fd, jr->pending, jr->n_pending);
        }
        jr->pending = mfree(jr->pending);
        jr->n_pending = jr->pending_allocated = 0;
        jr->pending_failed = false;
        if (r >= 0)
                /* The lines appended meanwhile spelled out their filters (journal_compact_start()). */
                r = compact_finish(jr, fd, jr->filter_ref.filter ?
                                   (JournalFilterRef) { seccomp_filter_ref(jr->filter_ref.filter), jr->filter_ref.job } :
                                   (JournalFilterRef) {});
        if (r < 0) {
                (void) unlinkat(jr->dir_fd, JOURNAL_FILE ".tmp", 0);
                if (jr->read_only)
                        arm_retry(jr);
                else
                        log_warning_errno(r, "Cannot rewrite %s/%s, ignoring: %m", m->state_dir, JOURNAL_FILE);
                return 0;
        }
        /* Jobs removed (RemoveJob) while the child wrote are still in the new file: once more. */
        if (m->removed_since_compact)
                (void) sd_event_source_set_enabled(m->gc_source, SD_EVENT_ONESHOT);
        log_debug("Rewrote %s/%s in the background in %llu ms; the event loop was held %llu us to fork and "
                  "%llu us to finish.", m->state_dir, JOURNAL_FILE,
                  (unsigned long long) ((begin - jr->compact_begin) / USEC_PER_MSEC),
                  (unsigned long long) jr->compact_fork_usec,
                  (unsigned long long) (now(CLOCK_MONOTONIC) - begin));
        return 0;
}

int journal_compact_start(Journal *jr) {
        Manager *m = jr->manager;
        _cleanup_close_ int fd = -EBADF, pidfd = -EBADF;
        pid_t pid;
        int r;

        if (jr->compact_pid > 0)
                return 0;
        jr->compact_begin = now(CLOCK_MONOTONIC);
        fd = openat(jr->dir_fd, JOURNAL_FILE ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        /* The child writes what memory holds now; what is appended from now on goes to the old file and
         * into jr->pending. Those lines spell their filters out again: the child's file may lack the
         * line an old reference names. */
        jr->filter_ref.filter = seccomp_filter_unref(jr->filter_ref.filter);
        jr->filter_ref.job = 0;
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                JournalFilterRef ref = {};

                /* Nothing but the new file: the bus connection must not outlive the daemon in here. */
                if (dup2(fd, 3) < 0)
                        _exit(EBADF);
                fd = 3;
                (void) close_all_fds(4);

                r = compact_write(m, fd, &ref);
                if (r >= 0 && fsync(fd) < 0)
                        r = -errno;
                _exit(r < 0 ? MIN(-r, 254) : 0);
        }
        pidfd = pidfd_open(pid, 0);
        if (pidfd >= 0)
                r = sd_event_add_child_pidfd(m->event, &jr->compact_source, pidfd, WEXITED, on_compact_done, jr);
        else
                r = -errno;
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                (void) unlinkat(jr->dir_fd, JOURNAL_FILE ".tmp", 0);
                return r;
        }
        (void) sd_event_source_set_child_pidfd_own(jr->compact_source, true);
        TAKE_FD(pidfd);
        (void) sd_event_source_set_description(jr->compact_source, "journal-compact");
        jr->compact_pid = pid;
        jr->compact_fork_usec = now(CLOCK_MONOTONIC) - jr->compact_begin;
        return 0;
}
