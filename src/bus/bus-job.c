/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus-jobd.h"
#include "bus-polkit.h"
#include "fd-util.h"
#include "jobd-bus.h"
#include "log.h"
#include "strv.h"
#include "user-limits.h"
#include "user-util.h"

/* Only the uid is taken from the bus, and only what the bus driver itself says (GetConnectionUnixUser:
 * SO_PEERCRED of the connection, fixed when the client connected). Never SD_BUS_CREDS_AUGMENT: libsystemd
 * fills augmented fields from /proc/<pid>/status of the client at the time of the query, which the client
 * controls (it may exec a setgid or setuid program after connecting, or its pid may be reused). Gid and
 * groups come from the user database (bus_verify_submitter(), job_start()).
 *
 * Unique names are never reused, so the last sender's uid is kept: a client pipelining thousands of calls
 * costs one synchronous query to the bus, not one per call (sd_bus_query_sender_creds() asks the bus driver
 * and waits). */
static struct {
        char *sender;
        uid_t uid;
} caller_cache;

int bus_get_caller(sd_bus_message *m, BusCaller *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(m);
        uid_t uid;
        int r;

        if (sender && caller_cache.sender && streq(sender, caller_cache.sender)) {
                *ret = (BusCaller) { .uid = caller_cache.uid };
                return 0;
        }

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;

        free(caller_cache.sender);
        caller_cache.sender = sender ? strdup(sender) : NULL;
        caller_cache.uid = uid;
        *ret = (BusCaller) { .uid = uid };
        return 0;
}

int bus_get_caller_or_self(Manager *manager, sd_bus_message *m, BusCaller *ret) {
        int r;

        r = bus_get_caller(m, ret);
        if (r >= 0)
                return r;
        /* The bus driver forgets a connection as soon as it is closed: a sender that exits right after
         * sending (or asks for no reply) may be gone before its uid is asked for. A --user daemon runs
         * every job as itself, whoever submits it, and its bus admits its own user: the job is its. */
        if (!manager->system_mode) {
                log_debug_errno(r, "%s from %s: its sender has left, taking it as uid %u's: %m",
                                strna(sd_bus_message_get_member(m)), strna(sd_bus_message_get_sender(m)),
                                (unsigned) manager->uid);
                *ret = (BusCaller) { .uid = manager->uid };
                return 0;
        }
        /* Nobody may be left to read the error reply: the refusal is at least in the daemon's log. */
        log_warning_errno(r, "%s from %s refused: cannot learn the sender's uid from the bus (has it left "
                          "already?): %m", strna(sd_bus_message_get_member(m)),
                          strna(sd_bus_message_get_sender(m)));
        return r;
}

int bus_verify_submitter(Manager *manager, uid_t uid, sd_bus_error *error) {
        _cleanup_(user_record_freep) UserRecord *u = NULL;
        int r;

        /* Root's jobs keep the daemon's credentials, and a --user daemon runs every job as itself. */
        if (!manager->system_mode || uid == 0)
                return 0;
        r = user_record_get(uid, &u);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, JOBD_ERROR_ACCESS_DENIED,
                                         "uid %u has no entry in the user database; jobd runs jobs only as "
                                         "users it can look up", (unsigned) uid);
        if (r == -E2BIG)
                return sd_bus_error_setf(error, JOBD_ERROR_ACCESS_DENIED,
                                         "uid %u is in more than %u groups in the user database",
                                         (unsigned) uid, USER_GROUPS_MAX);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot look up uid %u in the user database: %m",
                                               (unsigned) uid);
        return 0;
}

static BusOperation job_operation(Job *j, sd_bus_message *m) {
        return (BusOperation) {
                .action = JOBD_ACTION_MANAGE_JOBS,
                .verb = sd_bus_message_get_member(m),
                .job_id = j->id,
                .owner = j->owner,
        };
}

int bus_verify_manage_job(Job *j, sd_bus_message *m, BusAuth *ret, sd_bus_error *error) {
        BusOperation op = job_operation(j, m);
        int r;

        r = bus_verify_operator(j->manager, m, &op, ret, error);
        if (r == -EACCES)
                return bus_access_denied(error,
                                         "Job %llu belongs to uid %u; only its owner or root may do this%s",
                                         (unsigned long long) j->id, (unsigned) j->owner,
                                         j->manager->system_mode ? " (or an operator: polkit action "
                                         JOBD_ACTION_MANAGE_JOBS ", see org.jobd1(5))" : "");
        return r;
}

int bus_job_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                 sd_bus_error *error) {
        Manager *m = userdata;
        uint64_t id;
        Job *j;

        if (jobd_job_path_parse(path, &id) < 0)
                return 0;
        j = manager_get_job(m, id);
        if (!j)
                return 0;
        *found = j;
        return 1;
}

int bus_job_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        Job *j;

        l = calloc(m->n_jobs + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        MANAGER_FOREACH_JOB(j, m) {
                int r;

                if (n >= m->n_jobs)
                        break;
                r = jobd_job_path(j->id, &l[n]);
                if (r < 0)
                        return r;
                n++;
        }
        *nodes = TAKE_PTR(l);
        return 1;
}

static const char *daemon_cwd(void) {
        static char *cwd;

        if (!cwd)
                cwd = getcwd(NULL, 0);
        return cwd;
}

static int property_get_jobserver(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;

        if (streq(property, "JobserverStyle"))
                return sd_bus_message_append(reply, "s", j->spec.jobserver_fifo ? "fifo" : "pipe");
        return sd_bus_message_append(reply, "b", (int) j->spec.jobserver);
}

static int property_get_backend(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;

        if (streq(property, "SlurmJobId"))
                return sd_bus_message_append(reply, "u", j->slurm_id);
        return sd_bus_message_append(reply, "s", job_is_slurm(j) ? "slurm" : "local");
}

static int property_get_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        _cleanup_free_ char *cg = NULL;
        char buf[4096];
        const char *s = "";

        if (streq(property, "Name"))
                s = j->spec.name;
        else if (streq(property, "WorkingDirectory"))
                /* None given: the job ran where the daemon runs ("/" in system mode). */
                s = j->spec.working_directory ?: daemon_cwd();
        else if (streq(property, "State")) {
                job_sync_cgroup(j);
                s = job_state_to_string(j->state);
        }
        else if (streq(property, "Result"))
                s = job_result_to_string(j->result);
        else if (streq(property, "Reason")) {
                job_sync_cgroup(j);
                s = j->reason;
        }
        else if (streq(property, "LogPath"))
                s = job_log_path(j, buf, sizeof(buf));
        else if (streq(property, "Unit"))
                s = j->unit;
        else if (streq(property, "OutputDirectory"))
                s = j->spec.output_directory;
        else if (streq(property, "ControlGroup")) {
                int r = job_control_group(j, &cg);
                if (r < 0)
                        return r;
                s = cg;
        }
        return sd_bus_message_append_basic(reply, 's', strempty(s));
}

/* In system mode a job's command line and environment (tokens, passwords) are for its owner and root:
 * only a property read (Get, GetAll, GetManagedObjects) by one of them sees them, never a signal such as
 * InterfacesAdded, which every client on the bus may receive. */
static const uid_t *reader;

void bus_job_set_reader(const uid_t *uid) {
        reader = uid;
}

static bool job_may_reveal(Job *j, sd_bus *bus) {
        sd_bus_message *m;
        const char *member;
        BusCaller c;
        uint8_t type;

        if (!j->manager->system_mode)
                return true;
        if (reader)
                return *reader == 0 || *reader == j->owner;
        m = sd_bus_get_current_message(bus);
        if (!m || sd_bus_message_get_type(m, &type) < 0 || type != SD_BUS_MESSAGE_METHOD_CALL)
                return false;
        member = sd_bus_message_get_member(m);
        if (!member || !(streq(member, "Get") || streq(member, "GetAll") || streq(member, "GetManagedObjects")))
                return false;
        if (bus_get_caller(m, &c) < 0)
                return false;
        return c.uid == 0 || c.uid == j->owner;
}

static int property_get_strv(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        _cleanup_strv_free_ char **env = NULL;
        Job *j = userdata;

        if (!job_may_reveal(j, bus))
                return sd_bus_message_append_strv(reply, NULL);

        if (streq(property, "Argv"))
                return sd_bus_message_append_strv(reply, j->spec.argv);
        env = job_spec_environment(&j->spec);
        if (!env)
                return -ENOMEM;
        return sd_bus_message_append_strv(reply, env);
}

static int property_get_system_call_filter(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        const SeccompFilter *f = ((Job *) userdata)->spec.system_call_filter;

        return sd_bus_message_append_strv(reply, f ? f->names : NULL);
}

static int property_get_restrict_address_families(sd_bus *bus, const char *path, const char *interface,
                                                  const char *property, sd_bus_message *reply, void *userdata,
                                                  sd_bus_error *error) {
        const SeccompFilter *f = ((Job *) userdata)->spec.system_call_filter;

        return sd_bus_message_append_strv(reply, f ? f->address_families : NULL);
}

static int property_get_patterns(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const JobPatterns *p = ((Job *) userdata)->spec.patterns;

        if (!p)
                return sd_bus_message_append_strv(reply, NULL);
        return sd_bus_message_append_strv(reply, streq(property, "FailPatterns") ? p->fail : p->pass);
}

static int property_get_main_pid(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;

        /* Once done, no pid: it may have been given to another process already. */
        return sd_bus_message_append(reply, "u", j->state == JOB_DONE ? 0U : (uint32_t) job_main_pid(j));
}

static int property_get_stat(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;

        if (streq(property, "CPUUsageNSec"))
                return sd_bus_message_append(reply, "t", job_cpu_usage(j));
        return sd_bus_message_append(reply, "t", j->stats.memory_peak);
}

static int reply_job_errno(sd_bus_message *m, Job *j, int r, sd_bus_error *error) {
        if (r == -ESRCH || r == -EALREADY)
                return sd_bus_error_setf(error, JOBD_ERROR_NOT_RUNNING, "Job %llu is %s, not running",
                                         (unsigned long long) j->id, job_state_to_string(j->state));
        if (r == -EOPNOTSUPP && job_is_slurm(j))
                return sd_bus_error_setf(error, SD_BUS_ERROR_NOT_SUPPORTED,
                                         "Job %llu runs on Slurm: %s is not supported for cluster jobs "
                                         "(suspending a Slurm job needs an operator of the cluster)",
                                         (unsigned long long) j->id, strna(sd_bus_message_get_member(m)));
        if (r == -EIDRM)
                return sd_bus_error_setf(error, JOBD_ERROR_CGROUP_GONE,
                                         "Job %llu: its cgroup %s was removed by another process; its "
                                         "processes cannot be reached through it, nothing was done",
                                         (unsigned long long) j->id, strna(j->control_group));
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Job %llu: %s failed: %m", (unsigned long long) j->id,
                                               strna(sd_bus_message_get_member(m)));
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

int bus_job_kill(Job *j, sd_bus_message *m, int sig, sd_bus_error *error) {
        BusOperation op = job_operation(j, m);
        BusAuth a;
        int r;

        if (sig <= 0 || sig >= _NSIG)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid signal number %i", sig);
        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;   /* 0: polkit is asked, the call comes back with the answer */
        r = job_kill(j, sig);
        if (r >= 0)
                bus_log_operation(&op, &a, "Signal %i (%s) sent to job %llu of uid %u", sig, strsignal(sig),
                                  (unsigned long long) j->id, (unsigned) j->owner);
        return reply_job_errno(m, j, r, error);
}

int bus_job_cancel(Job *j, sd_bus_message *m, sd_bus_error *error) {
        BusOperation op = job_operation(j, m);
        BusAuth a;
        int r;

        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = job_cancel(j);
        if (r >= 0)
                bus_log_operation(&op, &a, "Job %llu of uid %u cancelled", (unsigned long long) j->id,
                                  (unsigned) j->owner);
        return reply_job_errno(m, j, r, error);
}

int bus_job_remove(Job *j, sd_bus_message *m, sd_bus_error *error) {
        BusOperation op = job_operation(j, m);
        uint64_t id = j->id;
        uid_t owner = j->owner;
        BusAuth a;
        int r;

        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = manager_remove_job(j->manager, j);   /* frees j */
        if (r == -EBUSY)
                return sd_bus_error_setf(error, JOBD_ERROR_BUSY, "Job %llu is %s%s", (unsigned long long) id,
                                         j->state != JOB_DONE ? job_state_to_string(j->state) : "done",
                                         j->state != JOB_DONE ? ", not done: cancel it first" :
                                         ", but a job that is not done depends on it");
        if (r == -EXDEV)
                return sd_bus_error_setf(error, JOBD_ERROR_BUSY,
                                         "Job %llu belongs to a run; its jobs are forgotten with the run",
                                         (unsigned long long) id);
        if (r < 0)
                return r;
        bus_log_operation(&op, &a, "Job %llu of uid %u removed", (unsigned long long) id, (unsigned) owner);
        return sd_bus_reply_method_return(m, NULL);
}

static int reply_unstarted(sd_bus_message *m, Job *j, int r, sd_bus_error *error) {
        if (r == -EBUSY || r == -EALREADY)
                return sd_bus_error_setf(error, JOBD_ERROR_BUSY, "Job %llu is %s: only a job that has not "
                                         "started can be held, released or given another priority",
                                         (unsigned long long) j->id, job_state_to_string(j->state));
        if (r == -EROFS)
                return sd_bus_error_setf(error, JOBD_ERROR_STATE_FULL, "Job %llu: the state folder cannot be "
                                         "written, the change would not survive a restart: refused",
                                         (unsigned long long) j->id);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_hold_release(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        BusOperation op = job_operation(j, m);
        bool hold = streq(sd_bus_message_get_member(m), "Hold");
        BusAuth a;
        int r;

        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = job_set_held(j, hold);
        if (r >= 0)
                bus_log_operation(&op, &a, "Job %llu of uid %u %s", (unsigned long long) j->id,
                                  (unsigned) j->owner, hold ? "held" : "released");
        return reply_unstarted(m, j, r, error);
}

static int method_set_priority(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        BusOperation op = job_operation(j, m);
        int32_t priority;
        BusAuth a;
        int r;

        r = sd_bus_message_read(m, "i", &priority);
        if (r < 0)
                return r;
        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        /* Within the caller's rights, as at Submit(): above jobd.conf's MaxPriority= only root. */
        if (user_limits_apply_to(a.uid) && priority > j->manager->user_limits.max_priority)
                return bus_access_denied(error, "Priority %i is more than the %i a user may give (jobd.conf "
                                         "[Users] MaxPriority=); only root may raise a job above it",
                                         (int) priority, (int) j->manager->user_limits.max_priority);
        r = job_set_priority(j, priority);
        if (r >= 0)
                bus_log_operation(&op, &a, "Priority of job %llu of uid %u set to %i", (unsigned long long) j->id,
                                  (unsigned) j->owner, (int) priority);
        return reply_unstarted(m, j, r, error);
}

static int property_get_log_offsets(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Job *j = userdata;

        return sd_bus_message_append_array(reply, 't', j->log_offsets, j->n_log_offsets * sizeof(uint64_t));
}

static int property_get_held(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "b", (int) ((Job *) userdata)->held);
}

static int method_remove(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return bus_job_remove(userdata, m, error);
}

static int property_get_labels(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append_strv(reply, ((Job *) userdata)->spec.labels);
}

/* "POOL=SLOT" as {POOL: SLOT}: the slots the latest attempt got, kept once it is done. */
static int property_get_slots(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "{ss}");
        STRV_FOREACH(s, j->slots) {
                const char *eq = strchr(*s, '=');
                _cleanup_free_ char *pool = NULL;

                if (r < 0 || !eq)
                        continue;
                pool = strndup(*s, eq - *s);
                if (!pool)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "{ss}", pool, eq + 1);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int method_kill(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        int32_t sig;
        int r;

        r = sd_bus_message_read(m, "i", &sig);
        if (r < 0)
                return r;
        return bus_job_kill(userdata, m, sig, error);
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        return bus_job_cancel(userdata, m, error);
}

static int method_pause_resume(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        BusOperation op = job_operation(j, m);
        bool pause = streq(sd_bus_message_get_member(m), "Pause");
        BusAuth a;
        int r;

        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        r = pause ? job_pause(j) : job_resume(j);
        if (r >= 0)
                bus_log_operation(&op, &a, "Job %llu of uid %u %s", (unsigned long long) j->id,
                                  (unsigned) j->owner, pause ? "paused" : "resumed");
        return reply_job_errno(m, j, r, error);
}

static int method_open_log(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_close_ int fd = -EBADF;
        Job *j = userdata;
        BusOperation op = job_operation(j, m);
        BusAuth a;
        int r;

        r = bus_verify_manage_job(j, m, &a, error);
        if (r <= 0)
                return r == 0 ? 1 : r;
        fd = job_open_log(j);
        if (fd == -ENOENT)
                return sd_bus_error_setf(error, JOBD_ERROR_NOT_RUNNING, "Job %llu has no log",
                                         (unsigned long long) j->id);
        if (fd < 0)
                return sd_bus_error_set_errnof(error, fd, "Cannot open the log of job %llu: %m",
                                               (unsigned long long) j->id);
        bus_log_operation(&op, &a, "Log of job %llu of uid %u opened", (unsigned long long) j->id,
                          (unsigned) j->owner);
        return sd_bus_reply_method_return(m, "h", fd);
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define CONST SD_BUS_VTABLE_PROPERTY_CONST

const sd_bus_vtable bus_job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "t", NULL, offsetof(Job, id), CONST),
        SD_BUS_PROPERTY("Name", "s", property_get_name, 0, CONST),
        SD_BUS_PROPERTY("Argv", "as", property_get_strv, 0, CONST),
        SD_BUS_PROPERTY("WorkingDirectory", "s", property_get_name, 0, CONST),
        SD_BUS_PROPERTY("Environment", "as", property_get_strv, 0, CONST),
        SD_BUS_PROPERTY("Owner", "u", NULL, offsetof(Job, owner), CONST),
        SD_BUS_PROPERTY("Priority", "i", NULL, offsetof(Job, spec.priority), EMITS),
        SD_BUS_PROPERTY("TimeoutUSec", "t", NULL, offsetof(Job, spec.timeout_usec), CONST),
        /* With jobd.conf's defaults applied; UINT64_MAX: none (systemd's infinity). */
        SD_BUS_PROPERTY("MemoryMax", "t", NULL, offsetof(Job, spec.limits.memory_max), CONST),
        SD_BUS_PROPERTY("TasksMax", "t", NULL, offsetof(Job, spec.limits.tasks_max), CONST),
        SD_BUS_PROPERTY("SystemCallFilter", "as", property_get_system_call_filter, 0, CONST),
        SD_BUS_PROPERTY("RestrictAddressFamilies", "as", property_get_restrict_address_families, 0, CONST),
        SD_BUS_PROPERTY("LogMaxBytes", "t", NULL, offsetof(Job, spec.log_max_bytes), CONST),
        SD_BUS_PROPERTY("FailPatterns", "as", property_get_patterns, 0, CONST),
        SD_BUS_PROPERTY("PassPatterns", "as", property_get_patterns, 0, CONST),
        SD_BUS_PROPERTY("OutputDirectory", "s", property_get_name, 0, CONST),
        SD_BUS_PROPERTY("Jobserver", "b", property_get_jobserver, 0, CONST),
        SD_BUS_PROPERTY("JobserverStyle", "s", property_get_jobserver, 0, CONST),
        SD_BUS_PROPERTY("State", "s", property_get_name, 0, EMITS),
        SD_BUS_PROPERTY("Result", "s", property_get_name, 0, EMITS),
        SD_BUS_PROPERTY("ExitCode", "i", NULL, offsetof(Job, exit_code), EMITS),
        SD_BUS_PROPERTY("ExitSignal", "i", NULL, offsetof(Job, exit_signal), EMITS),
        SD_BUS_PROPERTY("Reason", "s", property_get_name, 0, EMITS),
        SD_BUS_PROPERTY("ControlGroup", "s", property_get_name, 0, EMITS),
        SD_BUS_PROPERTY("Unit", "s", property_get_name, 0, EMITS),
        /* Read on demand: it becomes the command's pid when jobd-exec forks it, which nobody is told of. */
        SD_BUS_PROPERTY("MainPID", "u", property_get_main_pid, 0, 0),
        SD_BUS_PROPERTY("LogPath", "s", property_get_name, 0, CONST),
        SD_BUS_PROPERTY("SubmitUSec", "t", NULL, offsetof(Job, submit_usec), CONST),
        SD_BUS_PROPERTY("StartUSec", "t", NULL, offsetof(Job, start_usec), EMITS),
        SD_BUS_PROPERTY("FinishUSec", "t", NULL, offsetof(Job, finish_usec), EMITS),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", property_get_stat, 0, 0),
        SD_BUS_PROPERTY("MemoryPeakBytes", "t", property_get_stat, 0, 0),
        SD_BUS_PROPERTY("StrayProcessesKilled", "u", NULL, offsetof(Job, stray_processes), EMITS),
        SD_BUS_PROPERTY("Labels", "as", property_get_labels, 0, CONST),
        SD_BUS_PROPERTY("Slots", "a{ss}", property_get_slots, 0, 0),
        SD_BUS_PROPERTY("Held", "b", property_get_held, 0, EMITS),
        SD_BUS_PROPERTY("AttemptLogOffsets", "at", property_get_log_offsets, 0, 0),
        SD_BUS_PROPERTY("NotBeforeUSec", "t", NULL, offsetof(Job, spec.not_before_usec), CONST),
        SD_BUS_PROPERTY("Backend", "s", property_get_backend, 0, CONST),
        SD_BUS_PROPERTY("SlurmJobId", "u", property_get_backend, 0, EMITS),
        SD_BUS_METHOD_WITH_ARGS("Kill", SD_BUS_ARGS("i", signal), SD_BUS_NO_RESULT, method_kill,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Cancel", NULL, NULL, method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Pause", NULL, NULL, method_pause_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Resume", NULL, NULL, method_pause_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("OpenLog", SD_BUS_NO_ARGS, SD_BUS_RESULT("h", fd), method_open_log,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Remove", NULL, NULL, method_remove, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Hold", NULL, NULL, method_hold_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Release", NULL, NULL, method_hold_release, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetPriority", SD_BUS_ARGS("i", priority), SD_BUS_NO_RESULT, method_set_priority,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
