/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgroup v2 primitives on directory fds. They do not log; they return negative errno. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Splits a line of /proc/self/mountinfo (modified): the mount point, with the kernel's octal escapes ("\040"
 * for a space) undone, the file system type and the super options ("" if none). -EINVAL if it is not one. */
int cg_parse_mountinfo_line(char *line, const char **ret_path, const char **ret_fstype,
                            const char **ret_options);

/* Called for each mount; a return value other than 0 ends the walk and is returned. */
typedef int (*cg_mount_func_t)(const char *path, const char *fstype, const char *options, void *userdata);
/* Walks the mounts of f, or of /proc/self/mountinfo if f is NULL. */
int cg_mountinfo_foreach(FILE *f, cg_mount_func_t func, void *userdata);

/* The cgroup2 mount point from /proc/self/mountinfo ("/sys/fs/cgroup" on pure v2 hosts,
 * "/sys/fs/cgroup/unified" on hybrid ones). -ENOMEDIUM if there is none. */
int cg_find_unified_mount(char **ret);

/* The v2 cgroup of a process relative to the v2 mount ("/user.slice/..."), from /proc/<pid>/cgroup. */
int cg_pid_get_path(pid_t pid, char **ret);

/* 1 if the process is in the v2 cgroup path (relative to the v2 mount), 0 if not, or -errno. */
int cg_pid_in_cgroup(pid_t pid, const char *path);

/* "populated" and "frozen" from cgroup.events: one read. */
int cg_read_events(int cgfd, bool *ret_populated, bool *ret_frozen);

/* Writes 1 to cgroup.kill: SIGKILL to every process of the cgroup (and its descendants), atomically
 * with respect to forks. -EOPNOTSUPP on kernels before 5.14. */
int cg_kill_all(int cgfd);

/* Sends sig to every process in cgroup.procs, re-reading until a pass finds no process it has not
 * signalled yet (processes forked meanwhile are caught). Returns the number of processes signalled. */
int cg_signal_all(int cgfd, int sig);

/* Number of processes listed in cgroup.procs. */
int cg_count_procs(int cgfd);

int cg_freeze(int cgfd, bool freeze);
/* What cgroup.freeze asks for (1: frozen or freezing), or -errno. */
int cg_get_freeze(int cgfd);

/* "usage_usec" of cpu.stat, in ns. */
int cg_cpu_usage(int cgfd, uint64_t *ret_nsec);

/* Reads "key value" lines of a flat keyed file (memory.events, memory.oom_control, cpu.stat). */
int cg_read_keyed(int cgfd, const char *file, const char *key, uint64_t *ret);

/* Writes s to cgroup.procs of a v1/v2 cgroup directory given as a path (for moving pid 0 = self). */
int cg_attach_path(const char *dir, pid_t pid);

/* Moves every process of the cgroup at from_fd into the one at to_fd. */
int cg_migrate_all(int from_fd, int to_fd);
