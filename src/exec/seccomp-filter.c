/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escape-util.h"
#include "fd-util.h"
#include "macro.h"
#include "seccomp-filter.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC_VOID(scmp_filter_ctx, seccomp_release);

_printf_(2, 3)
static int refuse(char **ret, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return -EINVAL;
}

bool seccomp_filter_is_deny_list(char *const *l) {
        return l && l[0] && l[0][0] == '~';
}

/* The name of entry i, without the deny marker; NULL for the marker entry "~" itself. */
static const char *entry_name(char *const *l, size_t i) {
        if (i == 0 && l[0][0] == '~')
                return l[0][1] ? l[0] + 1 : NULL;
        return l[i];
}

/*
 * The named groups of system calls, as systemd 252 defines them for SystemCallFilter= (systemd.exec(5),
 * "systemd-analyze syscall-filter"), and @io-uring, which is ours. A group may name other groups. Names of
 * other architectures and of newer kernels are in the table: a name libseccomp does not know here is
 * skipped, as systemd does.
 */
static const struct {
        const char *name;
        const char *members;   /* separated by spaces */
} syscall_groups[] = {
        { "@aio",
          "io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup io_submit "
          "io_uring_enter io_uring_register io_uring_setup" },
        { "@basic-io",
          "_llseek close close_range dup dup2 dup3 lseek pread64 preadv preadv2 pwrite64 pwritev "
          "pwritev2 read readv write writev" },
        { "@chown",
          "chown chown32 fchown fchown32 fchownat lchown lchown32" },
        { "@clock",
          "adjtimex clock_adjtime clock_adjtime64 clock_settime clock_settime64 settimeofday" },
        { "@cpu-emulation",
          "modify_ldt subpage_prot switch_endian vm86 vm86old" },
        { "@debug",
          "lookup_dcookie perf_event_open pidfd_getfd ptrace rtas s390_runtime_instr "
          "sys_debug_setcontext" },
        { "@default",
          "arch_prctl brk cacheflush clock_getres clock_getres_time64 clock_gettime "
          "clock_gettime64 clock_nanosleep clock_nanosleep_time64 execve exit exit_group futex "
          "futex_time64 futex_waitv get_robust_list get_thread_area getegid getegid32 geteuid "
          "geteuid32 getgid getgid32 getgroups getgroups32 getpgid getpgrp getpid getppid "
          "getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getsid gettid "
          "gettimeofday getuid getuid32 membarrier mmap mmap2 mprotect munmap nanosleep pause "
          "prlimit64 restart_syscall riscv_flush_icache riscv_hwprobe rseq rt_sigreturn "
          "sched_getaffinity sched_yield set_robust_list set_thread_area set_tid_address set_tls "
          "sigreturn time ugetrlimit uretprobe" },
        { "@file-system",
          "access chdir chmod close creat faccessat faccessat2 fallocate fchdir fchmod fchmodat "
          "fchmodat2 fcntl fcntl64 fgetxattr flistxattr fremovexattr fsetxattr fstat fstat64 "
          "fstatat64 fstatfs fstatfs64 ftruncate ftruncate64 futimesat getcwd getdents getdents64 "
          "getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch lgetxattr link "
          "linkat listxattr llistxattr lremovexattr lsetxattr lstat lstat64 mkdir mkdirat mknod "
          "mknodat newfstatat oldfstat oldlstat oldstat open openat openat2 readlink readlinkat "
          "removexattr rename renameat renameat2 rmdir setxattr stat stat64 statfs statfs64 statx "
          "symlink symlinkat truncate truncate64 unlink unlinkat utime utimensat utimensat_time64 "
          "utimes" },
        { "@io-event",
          "_newselect epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 "
          "epoll_wait epoll_wait_old eventfd eventfd2 poll ppoll ppoll_time64 pselect6 "
          "pselect6_time64 select" },
        { "@io-uring",
          "io_uring_enter io_uring_register io_uring_setup" },
        { "@ipc",
          "ipc memfd_create mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 "
          "mq_timedsend mq_timedsend_time64 mq_unlink msgctl msgget msgrcv msgsnd pipe pipe2 "
          "process_madvise process_vm_readv process_vm_writev semctl semget semop semtimedop "
          "semtimedop_time64 shmat shmctl shmdt shmget" },
        { "@keyring",
          "add_key keyctl request_key" },
        { "@memlock",
          "mlock mlock2 mlockall munlock munlockall" },
        { "@module",
          "delete_module finit_module init_module" },
        { "@mount",
          "chroot fsconfig fsmount fsopen fspick mount mount_setattr move_mount open_tree "
          "pivot_root umount umount2" },
        { "@network-io",
          "accept accept4 bind connect getpeername getsockname getsockopt listen recv recvfrom "
          "recvmmsg recvmmsg_time64 recvmsg send sendmmsg sendmsg sendto setsockopt shutdown "
          "socket socketcall socketpair" },
        { "@obsolete",
          "_sysctl afs_syscall bdflush break create_module ftime get_kernel_syms getpmsg gtty idle "
          "lock mpx prof profil putpmsg query_module security sgetmask ssetmask stime stty sysfs "
          "tuxcall ulimit uselib ustat vserver" },
        { "@pkey",
          "pkey_alloc pkey_free pkey_mprotect" },
        { "@privileged",
          "@chown @clock @module @raw-io @reboot @swap _sysctl acct bpf capset chroot "
          "fanotify_init fanotify_mark nfsservctl open_by_handle_at pivot_root quotactl "
          "quotactl_fd setdomainname setfsuid setfsuid32 setgroups setgroups32 sethostname "
          "setresuid setresuid32 setreuid setreuid32 setuid setuid32 vhangup" },
        { "@process",
          "capget clone clone3 execveat fork getrusage kill pidfd_open pidfd_send_signal prctl "
          "rt_sigqueueinfo rt_tgsigqueueinfo setns swapcontext tgkill times tkill unshare vfork "
          "wait4 waitid waitpid" },
        { "@raw-io",
          "ioperm iopl pciconfig_iobase pciconfig_read pciconfig_write s390_pci_mmio_read "
          "s390_pci_mmio_write" },
        { "@reboot",
          "kexec_file_load kexec_load reboot" },
        { "@resources",
          "ioprio_set mbind migrate_pages move_pages nice sched_setaffinity sched_setattr "
          "sched_setparam sched_setscheduler set_mempolicy set_mempolicy_home_node setpriority "
          "setrlimit" },
        { "@setuid",
          "setgid setgid32 setgroups setgroups32 setregid setregid32 setresgid setresgid32 "
          "setresuid setresuid32 setreuid setreuid32 setuid setuid32" },
        { "@signal",
          "rt_sigaction rt_sigpending rt_sigprocmask rt_sigsuspend rt_sigtimedwait "
          "rt_sigtimedwait_time64 sigaction sigaltstack signal signalfd signalfd4 sigpending "
          "sigprocmask sigsuspend" },
        { "@swap",
          "swapoff swapon" },
        { "@sync",
          "fdatasync fsync msync sync sync_file_range sync_file_range2 syncfs" },
        { "@system-service",
          "@aio @basic-io @chown @default @file-system @io-event @ipc @keyring @memlock "
          "@network-io @process @resources @setuid @signal @sync @timer arm_fadvise64_64 capget "
          "capset copy_file_range fadvise64 fadvise64_64 flock get_mempolicy getcpu getpriority "
          "ioctl ioprio_get kcmp madvise mremap name_to_handle_at oldolduname olduname personality "
          "readahead readdir remap_file_pages sched_get_priority_max sched_get_priority_min "
          "sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval "
          "sched_rr_get_interval_time64 sched_yield sendfile sendfile64 setfsgid setfsgid32 "
          "setfsuid setfsuid32 setpgid setsid splice sysinfo tee umask uname userfaultfd vmsplice" },
        { "@timer",
          "alarm getitimer setitimer timer_create timer_delete timer_getoverrun timer_gettime "
          "timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime "
          "timerfd_gettime64 timerfd_settime timerfd_settime64 times" },
};

#define GROUP_DEPTH_MAX 4

static const char *group_members(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(syscall_groups); i++)
                if (streq(syscall_groups[i].name, name))
                        return syscall_groups[i].members;
        return NULL;
}

bool seccomp_syscall_group_exists(const char *name) {
        return group_members(name);
}

/* Calls f for each system call name of the group, groups within expanded. -ENOENT for an unknown group
 * (a name of the table itself is never unknown); f's negative return stops the walk. */
static int group_foreach(const char *name, unsigned depth, int (*f)(const char *name, void *userdata),
                         void *userdata) {
        const char *p = group_members(name);
        int r;

        if (!p)
                return -ENOENT;
        if (depth >= GROUP_DEPTH_MAX)
                return -ELOOP;
        while (*p) {
                char w[SECCOMP_FILTER_NAME_MAX + 1];
                size_t l = strcspn(p, " ");

                if (l == 0 || l > SECCOMP_FILTER_NAME_MAX)
                        return -EBADMSG;
                memcpy(w, p, l);
                w[l] = 0;
                p += l + strspn(p + l, " ");
                r = w[0] == '@' ? group_foreach(w, depth + 1, f, userdata) : f(w, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int add_name(const char *name, void *userdata) {
        char ***l = userdata;

        return strv_contains(*l, name) ? 0 : strv_extend(l, name);
}

int seccomp_syscall_group_expand(const char *group, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        r = group_foreach(group, 0, add_name, &l);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int seccomp_filter_check(char *const *l, char **ret) {
        size_t n = 0;

        *ret = NULL;
        for (; l && l[n]; n++) {
                const char *name = entry_name(l, n);

                if (n >= SECCOMP_FILTER_NAMES_MAX)
                        return refuse(ret, "SystemCallFilter: more than %u entries", SECCOMP_FILTER_NAMES_MAX);
                if (!name) {
                        if (!l[1])
                                return refuse(ret, "SystemCallFilter: \"~\" must be followed by system call "
                                              "names");
                        continue;
                }
                if (name[0] == '~')
                        return refuse(ret, "SystemCallFilter: \"%s\": \"~\" (deny the names that follow) "
                                      "may only come first", SHORT_STRING(name));
                if (strlen(name) > SECCOMP_FILTER_NAME_MAX)
                        return refuse(ret, "SystemCallFilter: \"%s\" is too long for a system call name",
                                      SHORT_STRING(name));
                if (name[0] == '@') {
                        if (!seccomp_syscall_group_exists(name))
                                return refuse(ret, "SystemCallFilter: \"%s\" is not a group of system calls "
                                              "jobd knows", name);
                        continue;
                }
                if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
                        return refuse(ret, "SystemCallFilter: \"%s\" is not a system call libseccomp knows",
                                      name);
        }
        return 0;
}

/* The address families jobd knows by name: those of glibc's <sys/socket.h>, up to AF_MAX. */
static const struct {
        const char *name;
        int family;
} address_families[] = {
        { "AF_UNIX", AF_UNIX },           { "AF_LOCAL", AF_LOCAL },         { "AF_INET", AF_INET },
        { "AF_AX25", AF_AX25 },           { "AF_IPX", AF_IPX },             { "AF_APPLETALK", AF_APPLETALK },
        { "AF_NETROM", AF_NETROM },       { "AF_BRIDGE", AF_BRIDGE },       { "AF_ATMPVC", AF_ATMPVC },
        { "AF_X25", AF_X25 },             { "AF_INET6", AF_INET6 },         { "AF_ROSE", AF_ROSE },
        { "AF_DECnet", AF_DECnet },       { "AF_NETBEUI", AF_NETBEUI },     { "AF_SECURITY", AF_SECURITY },
        { "AF_KEY", AF_KEY },             { "AF_NETLINK", AF_NETLINK },     { "AF_PACKET", AF_PACKET },
        { "AF_ASH", AF_ASH },             { "AF_ECONET", AF_ECONET },       { "AF_ATMSVC", AF_ATMSVC },
        { "AF_RDS", AF_RDS },             { "AF_SNA", AF_SNA },             { "AF_IRDA", AF_IRDA },
        { "AF_PPPOX", AF_PPPOX },         { "AF_WANPIPE", AF_WANPIPE },     { "AF_LLC", AF_LLC },
        { "AF_IB", AF_IB },               { "AF_MPLS", AF_MPLS },           { "AF_CAN", AF_CAN },
        { "AF_TIPC", AF_TIPC },           { "AF_BLUETOOTH", AF_BLUETOOTH }, { "AF_IUCV", AF_IUCV },
        { "AF_RXRPC", AF_RXRPC },         { "AF_ISDN", AF_ISDN },           { "AF_PHONET", AF_PHONET },
        { "AF_IEEE802154", AF_IEEE802154 }, { "AF_CAIF", AF_CAIF },         { "AF_ALG", AF_ALG },
        { "AF_NFC", AF_NFC },             { "AF_VSOCK", AF_VSOCK },         { "AF_KCM", AF_KCM },
        { "AF_QIPCRTR", AF_QIPCRTR },     { "AF_SMC", AF_SMC },             { "AF_XDP", AF_XDP },
        { "AF_MCTP", AF_MCTP },
};

int seccomp_address_family_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(address_families); i++)
                if (streq(address_families[i].name, s))
                        return address_families[i].family;
        return -EINVAL;
}

int seccomp_address_families_check(char *const *l, char **ret) {
        size_t n = 0;

        *ret = NULL;
        for (; l && l[n]; n++) {
                const char *name = entry_name(l, n);

                if (n >= SECCOMP_FAMILIES_MAX)
                        return refuse(ret, "RestrictAddressFamilies: more than %u entries",
                                      SECCOMP_FAMILIES_MAX);
                if (!name) {
                        if (!l[1])
                                return refuse(ret, "RestrictAddressFamilies: \"~\" must be followed by "
                                              "address families");
                        continue;
                }
                if (name[0] == '~')
                        return refuse(ret, "RestrictAddressFamilies: \"%s\": \"~\" (deny the families "
                                      "that follow) may only come first", SHORT_STRING(name));
                if (streq(name, "none")) {
                        if (n > 0 || l[1])
                                return refuse(ret, "RestrictAddressFamilies: \"none\" must be the only "
                                              "entry");
                        continue;
                }
                if (seccomp_address_family_from_string(name) < 0)
                        return refuse(ret, "RestrictAddressFamilies: \"%s\" is not an address family "
                                      "jobd knows (AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, ...)",
                                      SHORT_STRING(name));
        }
        return 0;
}

SeccompFilter *seccomp_filter_new(char **names) {
        SeccompFilter *f = malloc(sizeof(SeccompFilter));

        if (!f) {
                strv_free(names);
                return NULL;
        }
        *f = (SeccompFilter) { .n_ref = 1, .names = names };
        return f;
}

SeccompFilter *seccomp_filter_ref(SeccompFilter *f) {
        if (f)
                f->n_ref++;
        return f;
}

SeccompFilter *seccomp_filter_unref(SeccompFilter *f) {
        if (!f || --f->n_ref > 0)
                return NULL;
        strv_free(f->names);
        strv_free(f->address_families);
        free(f->program);
        return mfree(f);
}

/* *f, made ours to change: new if there is none, copied if it is shared. */
static int filter_make_private(SeccompFilter **f) {
        SeccompFilter *c;

        if (*f && (*f)->n_ref == 1) {
                (*f)->program = mfree((*f)->program);
                (*f)->program_size = 0;
                return 0;
        }
        c = seccomp_filter_new(NULL);
        if (!c)
                return -ENOMEM;
        if (*f) {
                if (((*f)->names && !(c->names = strv_copy((*f)->names))) ||
                    ((*f)->address_families && !(c->address_families = strv_copy((*f)->address_families)))) {
                        seccomp_filter_unref(c);
                        return -ENOMEM;
                }
                seccomp_filter_unref(*f);
        }
        *f = c;
        return 0;
}

int seccomp_filter_set_names(SeccompFilter **f, char **names) {
        int r = filter_make_private(f);

        if (r < 0) {
                strv_free(names);
                return r;
        }
        strv_free((*f)->names);
        (*f)->names = names;
        return 0;
}

int seccomp_filter_set_address_families(SeccompFilter **f, char **families) {
        int r = filter_make_private(f);

        if (r < 0) {
                strv_free(families);
                return r;
        }
        strv_free((*f)->address_families);
        (*f)->address_families = families;
        return 0;
}

/* The architectures whose system calls a process of ours can make: without them in the filter, libseccomp
 * kills a process that makes a 32-bit call instead of refusing it. Those where libseccomp filters socket()
 * through the socketcall() multiplexer (i386) are added only when with_multiplexed. */
static int add_compat_arches(scmp_filter_ctx ctx, bool with_multiplexed) {
        static const struct {
                uint32_t native, compat;
                bool multiplexed;
        } table[] = {
                { SCMP_ARCH_X86_64, SCMP_ARCH_X86, true },
                { SCMP_ARCH_X86_64, SCMP_ARCH_X32, false },
                { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, false },
        };
        uint32_t native = seccomp_arch_native();
        int r;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (table[i].native != native || (table[i].multiplexed && !with_multiplexed))
                        continue;
                r = seccomp_arch_add(ctx, table[i].compat);
                if (r < 0 && r != -EEXIST)
                        return r;
        }
        return 0;
}

/* A set of system call numbers (a handful to a few hundred: an array is enough). */
typedef struct NrSet {
        int *nrs;
        size_t n;
} NrSet;

static bool nr_set_contains(const NrSet *s, int nr) {
        for (size_t i = 0; i < s->n; i++)
                if (s->nrs[i] == nr)
                        return true;
        return false;
}

static int nr_set_add(NrSet *s, int nr) {
        int *a;

        if (nr_set_contains(s, nr))
                return 0;
        a = realloc(s->nrs, (s->n + 1) * sizeof(int));
        if (!a)
                return -ENOMEM;
        a[s->n++] = nr;
        s->nrs = a;
        return 0;
}

/* A member of a group that libseccomp does not know (another architecture's, a newer kernel's) is
 * skipped. */
static int add_group_member(const char *name, void *userdata) {
        int nr = seccomp_syscall_resolve_name(name);

        return nr == __NR_SCMP_ERROR ? 0 : nr_set_add(userdata, nr);
}

static int expand_names(char *const *l, NrSet *ret) {
        int r;

        for (size_t i = 0; l && l[i]; i++) {
                const char *name = entry_name(l, i);
                int nr;

                if (!name)
                        continue;
                if (name[0] == '@') {
                        r = group_foreach(name, 0, add_group_member, ret);
                        if (r < 0)
                                return r == -ENOENT ? -EINVAL : r;
                        continue;
                }
                nr = seccomp_syscall_resolve_name(name);
                if (nr == __NR_SCMP_ERROR)
                        return -EINVAL;
                r = nr_set_add(ret, nr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Adds a rule; a name of another architecture (socketcall on x86-64) has nothing to filter here, and a rule
 * already there is fine. */
static int rule_add(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n_args,
                    const struct scmp_arg_cmp *args) {
        int r = seccomp_rule_add_array(ctx, action, nr, n_args, args);

        if (r < 0 && !(nr < 0 && r == -EDOM) && r != -EEXIST)
                return r;
        return 0;
}

/* The first argument of socket() and socketpair() decides: families from 0 to AF_MAX - 1 one by one, the
 * rest (numbers no family has, and every value with bits above the int the kernel reads) refused in one
 * rule. The rules cover each value exactly once, so their order does not matter, and each must go in: a
 * rule libseccomp refuses as a duplicate would leave a family open. */
static int add_family_rules(scmp_filter_ctx ctx, int nr, char *const *l, uint32_t default_action) {
        const uint32_t refuse_family = SCMP_ACT_ERRNO(EAFNOSUPPORT);
        bool deny = seccomp_filter_is_deny_list(l), named[AF_MAX] = {};
        struct scmp_arg_cmp cmp;
        int r;

        for (size_t i = 0; l[i]; i++) {
                const char *name = entry_name(l, i);
                int af;

                if (!name || streq(name, "none"))
                        continue;
                af = seccomp_address_family_from_string(name);
                if (af < 0 || af >= AF_MAX)
                        return -EINVAL;
                named[af] = true;
        }
        for (int af = 0; af < AF_MAX; af++) {
                uint32_t action = named[af] != deny ? SCMP_ACT_ALLOW : refuse_family;

                if (action == default_action)
                        continue;
                cmp = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) af);
                r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp);
                if (r < 0)
                        return r;
        }
        cmp = SCMP_A0(SCMP_CMP_GE, (scmp_datum_t) AF_MAX);
        return seccomp_rule_add_array(ctx, refuse_family, nr, 1, &cmp);
}

typedef struct Rules {
        const SeccompFilter *filter;
        NrSet set;                  /* the system calls SystemCallFilter names, groups expanded */
        NrSet forced;               /* refused whatever the list says */
        bool deny, has_names, has_families;
        uint32_t default_action;
} Rules;

/* The rules into ctx. family_args: socket()'s arguments can be filtered on every architecture of ctx; where
 * not (i386, where libseccomp filters socket() through socketcall() too), RestrictAddressFamilies refuses
 * socket() and socketpair() whatever the family. */
static int add_rules(scmp_filter_ctx ctx, const Rules *x, bool family_args) {
        const uint32_t refuse_action = SCMP_ACT_ERRNO(EPERM);
        const int socket_calls[] = { SCMP_SYS(socket), SCMP_SYS(socketpair) };
        int r;

        for (size_t i = 0; i < x->set.n; i++) {
                int nr = x->set.nrs[i];

                if (x->deny)
                        r = rule_add(ctx, refuse_action, nr, 0, NULL);
                else if (nr_set_contains(&x->forced, nr) ||
                         (x->has_families && (nr == socket_calls[0] || nr == socket_calls[1])))
                        continue;   /* refused by the default action, or allowed by family below */
                else
                        r = rule_add(ctx, SCMP_ACT_ALLOW, nr, 0, NULL);
                if (r < 0)
                        return r;
        }
        if (x->has_names && !x->deny) {
                /* The helper executes the command under the filter. */
                r = rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execve), 0, NULL);
                if (r >= 0)
                        r = rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(execveat), 0, NULL);
                if (r < 0)
                        return r;
        }
        if (x->default_action == SCMP_ACT_ALLOW)
                for (size_t i = 0; i < x->forced.n; i++) {
                        r = rule_add(ctx, refuse_action, x->forced.nrs[i], 0, NULL);
                        if (r < 0)
                                return r;
                }
        if (!x->has_families)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(socket_calls); i++) {
                /* A call the system call filter refuses stays refused. */
                if (x->has_names && nr_set_contains(&x->set, socket_calls[i]) == x->deny)
                        continue;
                if (family_args)
                        r = add_family_rules(ctx, socket_calls[i], x->filter->address_families,
                                             x->default_action);
                else
                        r = rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), socket_calls[i], 0, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int compile(SeccompFilter *f) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL, ctx_multiplexed = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ int *nrs = NULL, *forced_nrs = NULL;
        Rules x = {
                .filter = f,
                .has_names = !strv_isempty(f->names),
                .deny = seccomp_filter_is_deny_list(f->names),
                .has_families = !strv_isempty(f->address_families),
        };
        struct stat st;
        void *p;
        int r;

        x.default_action = x.has_names && !x.deny ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_ALLOW;
        r = expand_names(f->names, &x.set);
        nrs = x.set.nrs;
        if (r < 0)
                return r;

        /*
         * What io_uring does (IORING_OP_SOCKET, _OPENAT, _CONNECT, ...) no filter on the system calls it
         * stands for sees: a deny list, and RestrictAddressFamilies, also deny io_uring. With
         * RestrictAddressFamilies, socketcall() too: its arguments are behind a pointer, the filter cannot
         * read the family (i386 code on x86-64).
         */
        if (x.deny || x.has_families) {
                r = nr_set_add(&x.forced, SCMP_SYS(io_uring_setup));
                if (r >= 0)
                        r = nr_set_add(&x.forced, SCMP_SYS(io_uring_enter));
                if (r >= 0)
                        r = nr_set_add(&x.forced, SCMP_SYS(io_uring_register));
                if (r >= 0 && x.has_families)
                        r = nr_set_add(&x.forced, SCMP_SYS(socketcall));
                forced_nrs = x.forced.nrs;
                if (r < 0)
                        return r;
        }

        ctx = seccomp_init(x.default_action);
        if (!ctx)
                return -ENOMEM;
        r = add_compat_arches(ctx, !x.has_families);
        if (r < 0)
                return r;
        r = add_rules(ctx, &x, true);
        if (r < 0)
                return r;
        if (x.has_families && seccomp_arch_native() == SCMP_ARCH_X86_64) {
                /* i386 in a filter of its own, merged: there a rule on socket()'s family is one on
                 * socketcall() as well, which would clash with the next family's rule. */
                ctx_multiplexed = seccomp_init(x.default_action);
                if (!ctx_multiplexed)
                        return -ENOMEM;
                r = seccomp_arch_add(ctx_multiplexed, SCMP_ARCH_X86);
                if (r >= 0)
                        r = seccomp_arch_remove(ctx_multiplexed, SCMP_ARCH_NATIVE);
                if (r >= 0)
                        r = add_rules(ctx_multiplexed, &x, false);
                if (r >= 0)
                        r = seccomp_merge(ctx, ctx_multiplexed);
                if (r < 0)
                        return r;
                ctx_multiplexed = NULL;   /* merged into ctx */
        }

        /* libseccomp 2.5 exports to an fd only. */
        fd = memfd_create("seccomp-filter", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0)
                return -EBADMSG;
        p = malloc(st.st_size);
        if (!p)
                return -ENOMEM;
        if (pread(fd, p, st.st_size, 0) != st.st_size) {
                free(p);
                return -EIO;
        }
        f->program = p;
        f->program_size = st.st_size;
        return 0;
}

int seccomp_filter_write(SeccompFilter *f, int dir_fd) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;
        int r;

        if (!f->program) {
                r = compile(f);
                if (r < 0)
                        return r;
        }
        fd = openat(dir_fd, SECCOMP_FILTER_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        n = write(fd, f->program, f->program_size);
        if (n < 0)
                return -errno;
        return (size_t) n == f->program_size ? 0 : -EIO;
}
