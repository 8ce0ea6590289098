/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SystemCallFilter: the system calls a job may make, as a list of names (an allow list), or, with "~"
 * before the first name (or as an entry of its own, first), the system calls it may not make (a deny list).
 * A name may be a group ("@network-io", systemd's groups and "@io-uring"). A call the filter refuses fails
 * with EPERM; the job is not killed, on the native architecture and its compatibility ones (i386 and x32
 * code on x86-64, arm on aarch64). An allow list always allows execve() and execveat(): the filter is in
 * force when the exec helper starts the command. A deny list also denies io_uring (its operations stand in
 * for system calls the filter never sees).
 *
 * RestrictAddressFamilies: the families (AF_UNIX, AF_INET, ...) socket() and socketpair() may create, or
 * with "~" first those they may not; "none" alone allows none. Another family fails with EAFNOSUPPORT. It
 * also denies io_uring (IORING_OP_SOCKET) and socketcall() (whose arguments the filter cannot read).
 *
 * Both live in one SeccompFilter and one BPF program. The daemon compiles it with libseccomp, once per
 * filter (the jobs of a plan share their defaults'), and writes it into the job's state folder; the exec
 * helper loads it (PR_SET_NO_NEW_PRIVS, then seccomp()) right before it executes the command.
 */

#include <stdbool.h>
#include <stddef.h>

#define SECCOMP_FILTER_NAMES_MAX 1024U
#define SECCOMP_FILTER_NAME_MAX 64U
#define SECCOMP_FAMILIES_MAX 64U
#define SECCOMP_FAMILY_NAME_MAX 32U
/* The program's file in the job's state folder (what jobd-exec --seccomp= names). */
#define SECCOMP_FILTER_FILE "seccomp.bpf"

/* A filter as jobs hold it: refcounted, never changed once shared. */
typedef struct SeccompFilter {
        unsigned n_ref;
        char **names;            /* SystemCallFilter as given: "~" first for a deny list */
        char **address_families; /* RestrictAddressFamilies as given: "~" first for a deny list */
        void *program;           /* the compiled BPF program, once compiled */
        size_t program_size;
} SeccompFilter;

/* Takes names (NULL: empty). NULL on OOM (names are then freed). */
SeccompFilter *seccomp_filter_new(char **names);
SeccompFilter *seccomp_filter_ref(SeccompFilter *f);
SeccompFilter *seccomp_filter_unref(SeccompFilter *f);
/* Replace the names or the families of *f (taken, NULL: none), creating *f if NULL and copying it first
 * if it is shared. -ENOMEM (the list is then freed). */
int seccomp_filter_set_names(SeccompFilter **f, char **names);
int seccomp_filter_set_address_families(SeccompFilter **f, char **families);
/* Whether it filters anything (NULL and empty lists do not). */
static inline bool seccomp_filter_is_set(const SeccompFilter *f) {
        return f && ((f->names && f->names[0]) || (f->address_families && f->address_families[0]));
}

/* 0 if l is a valid filter (NULL or empty: none); else -EINVAL with *ret_message naming the entry, or
 * -ENOMEM. */
int seccomp_filter_check(char *const *l, char **ret_message);
/* The same for RestrictAddressFamilies. */
int seccomp_address_families_check(char *const *l, char **ret_message);
/* AF_INET for "AF_INET"; -EINVAL for a name jobd does not know. */
int seccomp_address_family_from_string(const char *s);
/* Whether a group of system calls ("@network-io") exists. */
bool seccomp_syscall_group_exists(const char *name);
/* The system call names of a group, the groups within it expanded, each once, including names libseccomp
 * does not know on this architecture. -ENOENT for an unknown group. */
int seccomp_syscall_group_expand(const char *group, char ***ret);
/* Whether the list is a deny list. */
bool seccomp_filter_is_deny_list(char *const *l);
/* Writes the BPF program of a checked filter that is set to dir_fd/SECCOMP_FILTER_FILE, compiling it
 * the first time. */
int seccomp_filter_write(SeccompFilter *f, int dir_fd);
