/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "escape-util.h"
#include "conf-parse.h"
#include "controls-parse.h"
#include "controls.h"
#include "fd-util.h"
#include "log.h"
#include "message-util.h"
#include "quota.h"
#include "parse-util.h"
#include "resources.h"
#include "job-slurm.h"
#include "user-util.h"
#include "strv.h"

/* A configuration file is a few lines; this bounds what a mistake (a log file given as --config) costs. */
#define CONFIG_FILE_MAX (1024U * 1024U)

#define refuse(ret, ...) message_set(ret, -EINVAL, __VA_ARGS__)

/* What clients may make the daemon remember is bounded (controls-parse.h): a group with a limit or hold
 * counts while it has one (a lifted one is forgotten once no job uses it), a pool for good. O(1). */
static int check_group_bound(Manager *m, const char *group, char **ret) {
        SchedGroupInfo g;

        if (sched_get_group(m->sched, group, &g) >= 0 && (g.limit != SCHED_UNLIMITED || g.held))
                return 0;
        if (sched_count_groups_set(m->sched) < CONTROLS_GROUPS_MAX)
                return 0;
        return message_set(ret, -E2BIG, "Group %s: %u groups have a limit or a hold already, the most jobd "
                           "keeps; lift one first (SetGroupLimit(NAME, 0), ResumeGroup(NAME))", group,
                           CONTROLS_GROUPS_MAX);
}

static int check_pool_bound(Manager *m, const char *pool, char **ret) {
        if (sched_has_pool(m->sched, pool) || sched_count_pools(m->sched) < CONTROLS_POOLS_MAX)
                return 0;
        return message_set(ret, -E2BIG, "Pool %s: there are %u pools already, the most jobd keeps", pool,
                           CONTROLS_POOLS_MAX);
}

int manager_set_group_limit(Manager *m, const char *group, uint32_t limit, char **ret) {
        int r;

        *ret = NULL;
        if (!identifier_is_valid(group, JOB_GROUP_MAX))
                return refuse(ret, "Group \"%s\" is not 1-%u characters of A-Z a-z 0-9 _ . -",
                              SHORT_STRING(group),
                              JOB_GROUP_MAX);
        if (limit != 0) {
                r = check_group_bound(m, group, ret);
                if (r < 0)
                        return r;
        }
        r = sched_set_group_limit(m->sched, group, limit == 0 ? SCHED_UNLIMITED : limit);
        if (r < 0)
                return r;
        if (limit == 0)
                log_info("Group %s: no limit.", group);
        else
                log_info("Group %s: at most %u jobs at once.", group, limit);
        manager_log_control_group(m, group);
        manager_reschedule(m);
        return 0;
}

int manager_set_group_paused(Manager *m, const char *group, bool paused, char **ret) {
        int r;

        *ret = NULL;
        if (!identifier_is_valid(group, JOB_GROUP_MAX))
                return refuse(ret, "Group \"%s\" is not 1-%u characters of A-Z a-z 0-9 _ . -",
                              SHORT_STRING(group),
                              JOB_GROUP_MAX);
        if (paused) {
                r = check_group_bound(m, group, ret);
                if (r < 0)
                        return r;
        }
        r = sched_set_group_held(m->sched, group, paused);
        if (r < 0)
                return r;
        for (uint64_t id = m->gc_cursor; id < m->next_id; id++) {
                Job *j = m->jobs[id];

                if (!j || !j->spec.group || !streq(j->spec.group, group))
                        continue;
                if (paused && j->state == JOB_RUNNING)
                        r = job_pause(j);
                else if (!paused && j->state == JOB_PAUSED)
                        r = job_resume(j);
                else
                        continue;
                if (r < 0)
                        log_warning_errno(r, "Job %llu: cannot %s it with its group, ignoring: %m",
                                          (unsigned long long) id, paused ? "freeze" : "thaw");
        }
        log_info("Group %s %s.", group, paused ? "paused" : "resumed");
        manager_log_control_group(m, group);
        manager_reschedule(m);
        return 0;
}

int manager_set_pool(Manager *m, const char *pool, uint32_t capacity, char **ret) {
        int r;

        *ret = NULL;
        if (!identifier_is_valid(pool, JOB_POOL_NAME_MAX))
                return refuse(ret, "Pool \"%s\" is not 1-%u characters of A-Z a-z 0-9 _ . -",
                              SHORT_STRING(pool),
                              JOB_POOL_NAME_MAX);
        r = check_pool_bound(m, pool, ret);
        if (r < 0)
                return r;
        r = sched_set_pool(m->sched, pool, capacity);
        if (r == -EEXIST)
                return refuse(ret, "Pool \"%s\" is a slot pool: give it slots (SetSlotPool)", pool);
        if (r < 0)
                return r;
        log_info("Pool %s: capacity %u.", pool, capacity);
        manager_log_control_pool(m, pool);
        manager_reschedule(m);
        return 0;
}

int manager_set_slot_pool(Manager *m, const char *pool, char **slots, uint32_t quarantine_after,
                          char **ret) {
        size_t n = 0;
        int r;

        *ret = NULL;
        if (!identifier_is_valid(pool, JOB_POOL_NAME_MAX))
                return refuse(ret, "Pool \"%s\" is not 1-%u characters of A-Z a-z 0-9 _ . -",
                              SHORT_STRING(pool),
                              JOB_POOL_NAME_MAX);
        STRV_FOREACH(s, slots) {
                if (!slot_name_is_valid(*s))
                        return refuse(ret,
                                      "Slot \"%s\" of pool %s: 1-%u visible characters, no '=' or ','",
                                      SHORT_STRING(*s), pool, JOB_SLOT_NAME_MAX);
                STRV_FOREACH(t, slots) {
                        if (t == s)
                                break;
                        if (streq(*t, *s))
                                return refuse(ret, "Slot \"%s\" of pool %s is listed twice", *s, pool);
                }
                n++;
        }
        if (n > SCHED_SLOTS_MAX)
                return refuse(ret, "Pool %s: %zu slots, at most %u are allowed", pool, n, SCHED_SLOTS_MAX);
        r = check_pool_bound(m, pool, ret);
        if (r < 0)
                return r;
        r = sched_set_slot_pool(m->sched, pool, slots, quarantine_after);
        if (r == -EEXIST)
                return refuse(ret, "Pool \"%s\" is a counted pool: give it a capacity (SetPool)", pool);
        if (r < 0)
                return r;
        log_info("Slot pool %s: %zu slots, quarantine after %u consecutive failures%s.", pool, n,
                 quarantine_after, quarantine_after == 0 ? " (never)" : "");
        manager_log_control_pool(m, pool);
        m->slot_reasons_dirty = true;
        manager_reschedule(m);
        return 0;
}

int manager_release_slot(Manager *m, const char *pool, const char *slot, char **ret) {
        int r;

        *ret = NULL;
        r = sched_release_slot(m->sched, pool, slot);
        if (r == -ENOENT) {
                if (asprintf(ret, "Pool %s has no slot \"%s\"", SHORT_STRING(pool), SHORT_STRING(slot)) < 0)
                        *ret = NULL;
                return r;
        }
        if (r < 0)
                return r;
        if (r > 0) {
                m->slot_reasons_dirty = true;
                log_info("Slot %s of pool %s released from quarantine.", slot, pool);
                manager_save_controls(m);
                manager_reschedule(m);
        }
        return r;
}

int manager_set_group_timeout(Manager *m, const char *group, usec_t timeout) {
        GroupDefault *t;

        for (size_t i = 0; i < m->n_group_defaults; i++)
                if (streq(m->group_defaults[i].group, group)) {
                        m->group_defaults[i].timeout_usec = timeout;
                        return 0;
                }
        t = reallocarray(m->group_defaults, m->n_group_defaults + 1, sizeof(GroupDefault));
        if (!t)
                return -ENOMEM;
        m->group_defaults = t;
        t[m->n_group_defaults] = (GroupDefault) { .group = strdup(group), .timeout_usec = timeout };
        if (!t[m->n_group_defaults].group)
                return -ENOMEM;
        m->n_group_defaults++;
        return 0;
}

void manager_apply_group_defaults(Manager *m, JobSpec *spec) {
        if (!spec->group || spec->timeout_usec != 0)
                return;
        for (size_t i = 0; i < m->n_group_defaults; i++)
                if (streq(m->group_defaults[i].group, spec->group)) {
                        spec->timeout_usec = m->group_defaults[i].timeout_usec;
                        return;
                }
}

void manager_resources_free(Manager *m) {
        for (size_t i = 0; i < m->n_group_defaults; i++)
                free(m->group_defaults[i].group);
        m->group_defaults = mfree(m->group_defaults);
        m->n_group_defaults = 0;
}

void manager_set_draining(Manager *m, bool draining) {
        if (m->draining == draining)
                return;
        m->draining = draining;
        sched_set_draining(m->sched, draining);
        log_info("%s", draining ? "Draining: running jobs finish, nothing new starts." :
                                  "No longer draining: jobs start again.");
        manager_notify(m, changed, MANAGER_CHANGE_DRAINING);
        manager_log_control_globals(m);
        manager_reschedule(m);
}

#define SLOT_REASON_PREFIX "waiting for a slot of pool "

typedef struct SlotPools {
        char **names;
        int error;
} SlotPools;

static int collect_slot_pool(void *userdata, const SchedPoolInfo *p) {
        SlotPools *x = userdata;

        if (p->slots && p->capacity > 0 && strv_extend(&x->names, p->name) < 0)
                x->error = -ENOMEM;
        return 0;
}

static int check_quarantined(void *userdata, const SchedSlotInfo *i) {
        if (!i->quarantined)
                *(bool *) userdata = false;
        return 0;
}

void manager_update_slot_reasons(Manager *m) {
        _cleanup_strv_free_ char **dead = NULL;
        SlotPools x = {};
        bool any = false;
        Job *j;

        if (!m->slot_reasons_dirty)
                return;
        m->slot_reasons_dirty = false;

        (void) manager_foreach_pool(m, collect_slot_pool, &x);
        STRV_FOREACH(p, x.names) {
                bool all = true;

                if (manager_foreach_slot(m, *p, check_quarantined, &all) >= 0 && all &&
                    strv_extend(&dead, *p) < 0)
                        break;
        }
        strv_free(x.names);
        if (!dead && !m->have_slot_reasons)
                return;

        MANAGER_FOREACH_JOB(j, m) {
                bool ours = j->reason && strneq(j->reason, SLOT_REASON_PREFIX, strlen(SLOT_REASON_PREFIX));
                const char *pool = NULL;
                char *reason = NULL;

                if (j->state != JOB_QUEUED && j->state != JOB_WAITING)
                        continue;
                for (size_t k = 0; k < j->spec.n_resources && !pool; k++)
                        if (strv_contains(dead, j->spec.resources[k].pool))
                                pool = j->spec.resources[k].pool;
                if (pool) {
                        any = true;
                        /* Another Reason (a hold's, the daemon's) stays: this one is the least news. */
                        if (j->reason && !ours)
                                continue;
                        if (asprintf(&reason, SLOT_REASON_PREFIX "%s: all quarantined (jobctl release-slot)",
                                     pool) < 0)
                                continue;
                        if (streq_ptr(j->reason, reason)) {
                                free(reason);
                                continue;
                        }
                } else if (!ours)
                        continue;
                free(j->reason);
                j->reason = reason;
                manager_job_changed(m, j, JOB_CHANGE_REASON);
        }
        m->have_slot_reasons = any;
}

void manager_send_slot_quarantined(Manager *m, const char *pool, const char *slot) {
        m->slot_reasons_dirty = true;
        manager_reschedule(m);
        log_warning("Slot %s of pool %s quarantined after repeated failures: no job gets it until it is "
                    "released (jobctl release-slot %s %s).", slot, pool, pool, slot);
        manager_save_controls(m);
        manager_notify(m, slot_quarantined, pool, slot);
}

static char *default_config_path(bool system_mode) {
        const char *e;
        char *p = NULL;

        if (system_mode)
                return strdup(SYSCONFDIR "/jobd/jobd.conf");
        e = getenv("XDG_CONFIG_HOME");
        if (e && e[0] == '/')
                return asprintf(&p, "%s/jobd/jobd.conf", e) < 0 ? NULL : p;
        e = getenv("HOME");
        return asprintf(&p, "%s/.config/jobd/jobd.conf", e ?: "") < 0 ? NULL : p;
}

static int read_config(const char *path, char **ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);  /* a FIFO would block */
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* /dev/null: no configuration, as elsewhere. */
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        if (st.st_size > CONFIG_FILE_MAX)
                return -EFBIG;
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        n = read_fd_full(fd, buf, st.st_size + 1);
        if (n < 0)
                return n;
        if (strlen(buf) != (size_t) n)
                return -EBADMSG;
        *ret = TAKE_PTR(buf);
        return 0;
}

int manager_load_config(Manager *m, const char *path) {
        _cleanup_free_ char *p = NULL, *text = NULL, *why = NULL;
        JobdConf c = {};
        int r;

        if (!path) {
                p = default_config_path(m->system_mode);
                if (!p)
                        return log_oom();
        }
        r = read_config(path ?: p, &text);
        if (r == -ENOENT && !path) {
                log_debug("No configuration file %s, using none.", p);
                return 0;
        }
        if (r == -EBADFD)
                return log_error_errno(r, "Cannot read the configuration file %s: not a regular file (a "
                                       "device, socket or pipe); give a file, or /dev/null for none.",
                                       path ?: p);
        if (r < 0)
                return log_error_errno(r, "Cannot read the configuration file %s: %m", path ?: p);

        m->config_digest = controls_digest(0, text, strlen(text));
        r = jobd_conf_parse(text, path ?: p, &c, &why);
        if (r == -EINVAL)
                return log_error_errno(r, "%s", strna(why));
        if (r < 0)
                return log_error_errno(r, "Cannot parse %s: %m", path ?: p);
        r = manager_setup_user_limits(m, &c, path ?: p);
        if (r >= 0)
                r = manager_slurm_setup(m, &c.slurm, path ?: p);
        if (r < 0) {
                jobd_conf_done(&c);
                return r;
        }

        for (size_t i = 0; i < c.n_entries && r >= 0; i++) {
                const ConfEntry *e = &c.entries[i];
                _cleanup_free_ char *msg = NULL;

                switch (e->kind) {
                case CONF_POOL:
                        r = manager_set_pool(m, e->name, e->value, &msg);
                        break;
                case CONF_SLOT_POOL:
                        r = manager_set_slot_pool(m, e->name, e->slots, e->quarantine_after, &msg);
                        break;
                case CONF_GROUP:
                        r = e->have_limit ? manager_set_group_limit(m, e->name, e->value, &msg) : 0;
                        if (r >= 0 && e->have_limit && strv_extend(&m->config_groups, e->name) < 0)
                                r = -ENOMEM;
                        if (r >= 0 && e->timeout_usec > 0)
                                r = manager_set_group_timeout(m, e->name, e->timeout_usec);
                        break;
                default:
                        r = -EINVAL;
                }
                if (r < 0 && msg)
                        log_error_errno(r, "%s:%u: %s", path ?: p, e->line, msg);
                else if (r < 0)
                        log_error_errno(r, "%s:%u: cannot apply this section: %m", path ?: p, e->line);
        }
        m->default_log_max_bytes = c.defaults.log_max_bytes;
        m->keep_runs = c.runs.keep_runs == CONF_UNSET ? 0 : (unsigned) c.runs.keep_runs;
        /* A group that is not there is a mistake worth stopping for: silently nobody would be an operator
         * where the administrator meant a group to be. */
        if (r >= 0 && c.operator_group) {
                r = group_lookup(c.operator_group, &m->operator_gid);
                if (r == -ESRCH)
                        log_error_errno(r, "%s: OperatorGroup=%s: no such group.", path ?: p,
                                        c.operator_group);
                else if (r < 0)
                        log_error_errno(r, "%s: OperatorGroup=%s: cannot look the group up: %m", path ?: p,
                                        c.operator_group);
                else {
                        m->have_operator_group = true;
                        log_debug("Operators (where polkit is absent): members of group %s (gid %u).",
                                  c.operator_group, (unsigned) m->operator_gid);
                }
        }
        jobd_conf_done(&c);
        if (r >= 0)
                log_debug("Configuration %s applied.", path ?: p);
        return r;
}
