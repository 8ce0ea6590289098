/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SystemCallFilter: the system calls a job may make, as a list of names (an allow list), or, with "~"
 * before the first name (or as an entry of its own, first), the system calls it may not make (a deny list).
 * A call the filter refuses fails with EPERM; the job is not killed. An allow list always allows execve()
 * and execveat(): the filter is in force when the exec helper starts the command. The daemon compiles the
 * filter with libseccomp into a BPF program in the job's state folder; the exec helper loads it
 * (PR_SET_NO_NEW_PRIVS, then seccomp()) right before it executes the command.
 */

#include <stdbool.h>

#define SECCOMP_FILTER_NAMES_MAX 1024U
#define SECCOMP_FILTER_NAME_MAX 64U
/* The program's file in the job's state folder (what jobd-exec --seccomp= names). */
#define SECCOMP_FILTER_FILE "seccomp.bpf"

/* 0 if l is a valid filter (NULL or empty: none); else -EINVAL with *ret_message naming the entry, or
 * -ENOMEM. */
int seccomp_filter_check(char *const *l, char **ret_message);
/* Whether the filter is a deny list. */
bool seccomp_filter_is_deny_list(char *const *l);
/* Compiles a checked, non-empty filter for the native architecture and writes the BPF program to
 * dir_fd/SECCOMP_FILTER_FILE. */
int seccomp_filter_export(char *const *l, int dir_fd);
