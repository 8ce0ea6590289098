/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SystemCallFilter: the system calls a job may make, as a list of names (an allow list), or, with "~"
 * before the first name (or as an entry of its own, first), the system calls it may not make (a deny list).
 * A call the filter refuses fails with EPERM; the job is not killed, on the native architecture and its
 * compatibility ones (i386 and x32 code on x86-64, arm on aarch64). An allow list always allows execve()
 * and execveat(): the filter is in force when the exec helper starts the command. The daemon compiles the
 * filter with libseccomp into a BPF program, once per filter (the jobs of a plan share their defaults'),
 * and writes it into the job's state folder; the exec helper loads it (PR_SET_NO_NEW_PRIVS, then
 * seccomp()) right before it executes the command.
 */

#include <stdbool.h>
#include <stddef.h>

#define SECCOMP_FILTER_NAMES_MAX 1024U
#define SECCOMP_FILTER_NAME_MAX 64U
/* The program's file in the job's state folder (what jobd-exec --seccomp= names). */
#define SECCOMP_FILTER_FILE "seccomp.bpf"

/* A filter as jobs hold it: refcounted, never changed once shared. */
typedef struct SeccompFilter {
        unsigned n_ref;
        char **names;            /* as given: "~" first for a deny list */
        void *program;           /* the compiled BPF program, once compiled */
        size_t program_size;
} SeccompFilter;

/* Takes names (NULL: empty). NULL on OOM (names are then freed). */
SeccompFilter *seccomp_filter_new(char **names);
SeccompFilter *seccomp_filter_ref(SeccompFilter *f);
SeccompFilter *seccomp_filter_unref(SeccompFilter *f);
/* Whether it filters anything (NULL and empty lists do not). */
static inline bool seccomp_filter_is_set(const SeccompFilter *f) {
        return f && f->names && f->names[0];
}

/* 0 if l is a valid filter (NULL or empty: none); else -EINVAL with *ret_message naming the entry, or
 * -ENOMEM. */
int seccomp_filter_check(char *const *l, char **ret_message);
/* Whether the list is a deny list. */
bool seccomp_filter_is_deny_list(char *const *l);
/* Writes the BPF program of a checked filter that is set to dir_fd/SECCOMP_FILTER_FILE, compiling it
 * the first time. */
int seccomp_filter_write(SeccompFilter *f, int dir_fd);
