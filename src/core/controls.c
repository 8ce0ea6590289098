/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The scheduler's controls across restarts: what clients set over the bus (MaxParallel, group limits and
 * holds, pools, slot pools, Drain) and what the scheduler learnt (which slots failed, which are
 * quarantined) are saved in the state folder as a JSON snapshot and a log of the changes since
 * (controls-parse.h): a control call appends one line; the snapshot is rewritten atomically when the log
 * has grown past its size, on a quarantine, at start and when jobd exits. A restart applies them over
 * jobd.conf, except that settings of pools and groups that jobd.conf defines come from jobd.conf again
 * when it changed since (an edited file is meant to take effect), and MaxParallel from --max-parallel=
 * when that is not what it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controls-parse.h"
#include "controls.h"
#include "fd-util.h"
#include "log.h"
#include "resources.h"
#include "state-dir.h"
#include "strv.h"

#define CONTROLS_FILE "controls.json"
#define CONTROLS_LOG "controls.log"
/* The log is compacted into the snapshot once it has this many lines more than twice the snapshot's
 * entries: each compaction writes O(entries) bytes after at least as many appends. */
#define CONTROLS_LOG_LINES_MIN 1024U
/* A damaged or foreign file is not worth reading beyond this. */
#define CONTROLS_FILE_MAX (16U * 1024U * 1024U)

uint64_t controls_digest(uint64_t h, const void *p, size_t n) {
        const uint8_t *b = p;

        /* FNV-1a: to tell whether jobd.conf changed, not to resist anyone. */
        if (h == 0)
                h = UINT64_C(0xcbf29ce484222325);
        for (size_t i = 0; i < n; i++) {
                h ^= b[i];
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static int add_group_entry(json_object *groups, const char *name, uint32_t limit, bool held) {
        json_object *o = json_object_new_object();

        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "name", json_object_new_string(name));
        json_object_object_add(o, "limit", json_object_new_uint64(limit == SCHED_UNLIMITED ? 0 : limit));
        json_object_object_add(o, "paused", json_object_new_boolean(held));
        return json_object_array_add(groups, o) < 0 ? -ENOMEM : 0;
}

static int add_group(void *userdata, const SchedGroupInfo *g) {
        /* Unlimited and not held is what any group starts as (the scheduler may not even keep it). */
        if (g->limit == SCHED_UNLIMITED && !g->held)
                return 0;
        return add_group_entry(userdata, g->name, g->limit, g->held);
}

static int find_limited_group(void *userdata, const SchedGroupInfo *g) {
        return streq(g->name, (const char *) userdata) && (g->limit != SCHED_UNLIMITED || g->held);
}

typedef struct SlotWalk {
        json_object *slots;    /* names */
        json_object *health;   /* the slots that failed or are quarantined */
        const char *pool;
} SlotWalk;

static int add_slot(void *userdata, const SchedSlotInfo *i) {
        SlotWalk *w = userdata;
        json_object *o;

        json_object_array_add(w->slots, json_object_new_string(i->name));
        if (i->consecutive_failures == 0 && !i->quarantined)
                return 0;
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "pool", json_object_new_string(w->pool));
        json_object_object_add(o, "slot", json_object_new_string(i->name));
        json_object_object_add(o, "failures", json_object_new_uint64(i->consecutive_failures));
        json_object_object_add(o, "quarantined", json_object_new_boolean(i->quarantined));
        return json_object_array_add(w->health, o) < 0 ? -ENOMEM : 0;
}

typedef struct PoolWalk {
        Sched *sched;
        json_object *pools, *health;
} PoolWalk;

static int add_pool(void *userdata, const SchedPoolInfo *p) {
        PoolWalk *w = userdata;
        json_object *o;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        json_object_object_add(o, "name", json_object_new_string(p->name));
        if (p->slots) {
                SlotWalk s = { .slots = json_object_new_array(), .health = w->health, .pool = p->name };

                json_object_object_add(o, "slots", s.slots);
                json_object_object_add(o, "quarantine_after", json_object_new_uint64(p->quarantine_after));
                r = s.slots ? sched_foreach_slot(w->sched, p->name, add_slot, &s) : -ENOMEM;
                if (r < 0) {
                        json_object_put(o);
                        return r;
                }
        } else
                json_object_object_add(o, "capacity", json_object_new_uint64(p->capacity));
        return json_object_array_add(w->pools, o) < 0 ? -ENOMEM : 0;
}

static json_object *controls_build(Manager *m) {
        json_object *o = json_object_new_object(), *groups = json_object_new_array();
        PoolWalk w = { .sched = m->sched, .pools = json_object_new_array(), .health = json_object_new_array() };
        uint32_t max_parallel = sched_get_max_parallel(m->sched);
        char digest[32];
        int r;

        if (!o || !groups || !w.pools || !w.health) {
                json_object_put(o);
                json_object_put(groups);
                json_object_put(w.pools);
                json_object_put(w.health);
                return NULL;
        }
        snprintf(digest, sizeof(digest), "%016llx", (unsigned long long) m->config_digest);
        json_object_object_add(o, "config", json_object_new_string(digest));
        json_object_object_add(o, "max_parallel",
                               json_object_new_uint64(max_parallel == SCHED_UNLIMITED ? 0 : max_parallel));
        json_object_object_add(o, "max_parallel_option", json_object_new_int64(m->max_parallel_option));
        json_object_object_add(o, "draining", json_object_new_boolean(m->draining));
        json_object_object_add(o, "groups", groups);
        json_object_object_add(o, "pools", w.pools);
        json_object_object_add(o, "slot_health", w.health);
        r = sched_foreach_group(m->sched, add_group, groups);
        /* A group jobd.conf limits whose limit a client lifted: worth saving too. */
        STRV_FOREACH(g, m->config_groups)
                if (r >= 0 && sched_foreach_group(m->sched, find_limited_group, *g) == 0)
                        r = add_group_entry(groups, *g, SCHED_UNLIMITED, false);
        if (r >= 0)
                r = sched_foreach_pool(m->sched, add_pool, &w);
        if (r < 0) {
                json_object_put(o);
                return NULL;
        }
        m->controls_entries = (unsigned) (json_object_array_length(groups) +
                                          json_object_array_length(w.pools));
        return o;
}

void manager_save_controls(Manager *m) {
        const char *text;
        json_object *o;
        int r;

        if (!m->controls_ready || m->journal.dir_fd < 0)
                return;
        o = controls_build(m);
        text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)
                 : NULL;
        /* fsync()ed before and after the rename: a power loss leaves the old controls or the new, never an
         * empty file. */
        r = text ? state_write_file_atomic(m->journal.dir_fd, CONTROLS_FILE, text, 0644) : -ENOMEM;
        json_object_put(o);
        if (r < 0) {
                log_warning_errno(r, "Cannot save the scheduler's controls in %s/%s; a restart of jobd will "
                                  "forget the latest changes: %m", m->state_dir, CONTROLS_FILE);
                return;
        }
        /* The snapshot holds everything the log said: empty it (a crash before this replays the log over
         * the new snapshot, which gives the same state). */
        if (m->controls_log_fd >= 0 ? ftruncate(m->controls_log_fd, 0) < 0 :
            unlinkat(m->journal.dir_fd, CONTROLS_LOG, 0) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "Cannot empty %s/%s: %m", m->state_dir, CONTROLS_LOG);
        m->controls_log_lines = 0;
}

static int open_controls_log(Manager *m) {
        int fd, r;

        if (m->controls_log_fd >= 0)
                return 0;
        fd = openat(m->journal.dir_fd, CONTROLS_LOG, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                    0644);
        if (fd < 0)
                return -errno;
        r = state_check_fd(fd, m->uid, S_IFREG);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        m->controls_log_fd = fd;
        return 0;
}

/* Appends one change (a line of controls.log), or compacts the log into a new snapshot when it is long.
 * Takes line. */
static void log_control(Manager *m, json_object *line) {
        _cleanup_free_ char *text = NULL;
        const char *s;
        size_t n;
        int r;

        if (!m->controls_ready || m->journal.dir_fd < 0) {
                json_object_put(line);
                return;
        }
        if (!line || m->controls_log_lines >= CONTROLS_LOG_LINES_MIN + 2 * m->controls_entries) {
                json_object_put(line);
                manager_save_controls(m);
                return;
        }
        s = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || asprintf(&text, "%s\n", s) < 0)
                text = NULL;
        json_object_put(line);
        if (!text) {
                manager_save_controls(m);
                return;
        }
        r = open_controls_log(m);
        if (r >= 0) {
                n = strlen(text);
                /* One write() of a line: a crash leaves it whole or cut, and a cut line is skipped. */
                if (write(m->controls_log_fd, text, n) != (ssize_t) n)
                        r = -errno ?: -EIO;
                else if (fdatasync(m->controls_log_fd) < 0)
                        r = -errno;
        }
        if (r < 0) {
                log_warning_errno(r, "Cannot append to %s/%s, writing the whole snapshot instead: %m",
                                  m->state_dir, CONTROLS_LOG);
                m->controls_log_fd = safe_close(m->controls_log_fd);
                manager_save_controls(m);
                return;
        }
        m->controls_log_lines++;
}

void manager_log_control_group(Manager *m, const char *group) {
        SchedGroupInfo g = { .name = group, .limit = SCHED_UNLIMITED };
        json_object *line = json_object_new_object(), *a = json_object_new_array();

        /* A group with neither limit nor hold nor jobs is gone from the scheduler: logged as such. */
        if (sched_get_group(m->sched, group, &g) < 0)
                g = (SchedGroupInfo) { .name = group, .limit = SCHED_UNLIMITED };
        if (line && a && add_group_entry(a, group, g.limit, g.held) >= 0)
                json_object_object_add(line, "group", json_object_get(json_object_array_get_idx(a, 0)));
        else
                line = (json_object_put(line), NULL);
        json_object_put(a);
        log_control(m, line);
}

typedef struct FindPool {
        PoolWalk walk;
        const char *name;
} FindPool;

static int add_named_pool(void *userdata, const SchedPoolInfo *p) {
        FindPool *f = userdata;

        return streq(p->name, f->name) ? add_pool(&f->walk, p) : 0;
}

void manager_log_control_pool(Manager *m, const char *pool) {
        FindPool f = { .walk = { .sched = m->sched, .pools = json_object_new_array(),
                                 .health = json_object_new_array() }, .name = pool };
        json_object *line = json_object_new_object();
        int r;

        r = line && f.walk.pools && f.walk.health ? sched_foreach_pool(m->sched, add_named_pool, &f) : -ENOMEM;
        if (r >= 0 && json_object_array_length(f.walk.pools) == 1)
                json_object_object_add(line, "pool",
                                       json_object_get(json_object_array_get_idx(f.walk.pools, 0)));
        else
                line = (json_object_put(line), NULL);
        json_object_put(f.walk.pools);
        json_object_put(f.walk.health);
        log_control(m, line);
}

void manager_log_control_globals(Manager *m) {
        uint32_t max_parallel = sched_get_max_parallel(m->sched);
        json_object *line = json_object_new_object();

        if (line) {
                json_object_object_add(line, "max_parallel",
                                       json_object_new_uint64(max_parallel == SCHED_UNLIMITED ? 0 :
                                                              max_parallel));
                json_object_object_add(line, "max_parallel_option",
                                       json_object_new_int64(m->max_parallel_option));
                json_object_object_add(line, "draining", json_object_new_boolean(m->draining));
        }
        log_control(m, line);
}

static uint64_t get_u64(json_object *o, const char *key, uint64_t def) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_uint64(v);
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean) &&
               json_object_get_boolean(v);
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static json_object *get_array(json_object *o, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
                return NULL;
        return v;
}

static int read_state_text(Manager *m, const char *name, char **ret) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ssize_t n;
        int r;

        r = state_open_file(m->journal.dir_fd, name, m->uid, &fd);
        if (r < 0)
                return r;
        /* Sized to the file: a large buffer freed would raise glibc's mmap threshold for good, and keep
         * the daemon's later big tables in its heap (measured: +280 bytes of RSS per job of a 100k plan). */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size > CONTROLS_FILE_MAX)
                return -EFBIG;
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        /* A file that grew since fstat() is refused (-EFBIG), not cut. */
        n = read_fd_full(fd, buf, st.st_size + 1);
        if (n < 0)
                return n;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int read_controls(Manager *m, json_object **ret) {
        _cleanup_free_ char *snapshot = NULL, *log = NULL;
        unsigned skipped = 0;
        int r, q;

        r = read_state_text(m, CONTROLS_FILE, &snapshot);
        if (r < 0 && r != -ENOENT)
                return r;
        q = read_state_text(m, CONTROLS_LOG, &log);
        if (q < 0 && q != -ENOENT)
                log_warning_errno(q, "Cannot read %s/%s, the changes since the last snapshot are lost: %s",
                                  m->state_dir, CONTROLS_LOG, state_strerror(q));
        if (r == -ENOENT && !log)
                return -ENOENT;
        r = controls_parse(snapshot, log, ret, &skipped);
        if (r < 0)
                return r;
        if (skipped > 0)
                log_warning("%s/%s: %u damaged line(s) skipped.", m->state_dir, CONTROLS_LOG, skipped);
        return 0;
}

/* Whether jobd.conf defined the pool or group: a changed jobd.conf keeps the say over those. */
static int find_pool(void *userdata, const SchedPoolInfo *p) {
        return streq(p->name, (const char *) userdata);
}

static int find_group(void *userdata, const SchedGroupInfo *g) {
        return streq(g->name, (const char *) userdata) && g->limit != SCHED_UNLIMITED;
}

static void apply_pool(Manager *m, json_object *p, bool config_changed) {
        _cleanup_free_ char *msg = NULL;
        const char *name = get_str(p, "name");
        json_object *slots = get_array(p, "slots");
        int r;

        if (!name || (config_changed && sched_foreach_pool(m->sched, find_pool, (void *) name) > 0))
                return;
        if (slots) {
                _cleanup_strv_free_ char **l = NULL;

                for (size_t i = 0; i < json_object_array_length(slots); i++) {
                        json_object *e = json_object_array_get_idx(slots, i);

                        if (json_object_is_type(e, json_type_string) &&
                            strv_extend(&l, json_object_get_string(e)) < 0) {
                                log_oom();
                                return;
                        }
                }
                if (!l && !(l = strv_copy(NULL))) {
                        log_oom();
                        return;
                }
                r = manager_set_slot_pool(m, name, l, (uint32_t) get_u64(p, "quarantine_after", 0), &msg);
        } else
                r = manager_set_pool(m, name, (uint32_t) MIN(get_u64(p, "capacity", 0), (uint64_t) UINT32_MAX),
                                     &msg);
        if (r < 0)
                log_warning("Saved controls: cannot restore pool %s, ignoring: %s", name,
                            msg ?: strerror(-r));
}

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(json_object *, json_object_put);

int manager_load_controls(Manager *m) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        const char *saved;
        json_object *a;
        char digest[32];
        bool changed;
        int r;

        r = read_controls(m, &o);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                /* Not fatal: the jobs matter more than the knobs. */
                log_warning_errno(r, "Cannot read the saved controls %s/%s, using jobd.conf's alone: %s",
                                  m->state_dir, CONTROLS_FILE, state_strerror(r));
                return 0;
        }

        snprintf(digest, sizeof(digest), "%016llx", (unsigned long long) m->config_digest);
        saved = get_str(o, "config");
        changed = !saved || !streq(saved, digest);
        if (changed)
                log_info("jobd.conf changed since the controls were saved: its pools and groups win over "
                         "the saved ones.");
        /* MaxParallel is not jobd.conf's: a --max-parallel= other than the last one's wins. */
        if (json_object_object_get_ex(o, "max_parallel_option", &a) && json_object_is_type(a, json_type_int) &&
            json_object_get_int64(a) == m->max_parallel_option)
                manager_set_max_parallel(m, (unsigned) MIN(get_u64(o, "max_parallel", 0), (uint64_t) UINT32_MAX));

        a = get_array(o, "pools");
        for (size_t i = 0; a && i < json_object_array_length(a); i++)
                apply_pool(m, json_object_array_get_idx(a, i), changed);

        a = get_array(o, "slot_health");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *h = json_object_array_get_idx(a, i);
                const char *pool = get_str(h, "pool"), *slot = get_str(h, "slot");

                if (!pool || !slot)
                        continue;
                /* A slot that is gone from its pool has no health to restore. */
                (void) sched_set_slot_health(m->sched, pool, slot,
                                             (uint32_t) MIN(get_u64(h, "failures", 0), (uint64_t) UINT32_MAX),
                                             get_bool(h, "quarantined"));
        }

        a = get_array(o, "groups");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *g = json_object_array_get_idx(a, i);
                _cleanup_free_ char *msg = NULL;
                const char *name = get_str(g, "name");

                if (!name)
                        continue;
                r = 0;
                if (!changed || sched_foreach_group(m->sched, find_group, (void *) name) <= 0)
                        r = manager_set_group_limit(m, name,
                                                    (uint32_t) MIN(get_u64(g, "limit", 0), (uint64_t) UINT32_MAX),
                                                    &msg);
                /* Holds are states, not settings: they stay whatever jobd.conf says. Applied once the
                 * jobs are restored (a hold would keep the running ones from the scheduler). */
                if (r >= 0 && get_bool(g, "paused"))
                        r = strv_extend(&m->held_groups, name);
                if (r < 0)
                        log_warning("Saved controls: cannot restore group %s, ignoring: %s", name,
                                    msg ?: strerror(-r));
        }

        m->held_draining = get_bool(o, "draining");
        log_debug("Saved controls restored from %s/%s.", m->state_dir, CONTROLS_FILE);
        return 0;
}

void manager_apply_saved_holds(Manager *m) {
        _cleanup_strv_free_ char **l = TAKE_PTR(m->held_groups);

        /* Jobs of the group that were running are frozen still; one that was starting is frozen now. */
        STRV_FOREACH(g, l) {
                _cleanup_free_ char *msg = NULL;
                (void) manager_set_group_paused(m, *g, true, &msg);
        }
        if (m->held_draining)
                manager_set_draining(m, true);
        m->held_draining = false;
}
