/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* clone()/clone3() onto a stack of the caller's, for children that share the parent's memory (CLONE_VM;
 * the daemon adds CLONE_VFORK): the child must not return through the parent's frames, so it starts on
 * its own stack, calls fn(arg) and exits with its return value. x86-64 only; no C library needed
 * (jobd-exec without libc uses it too). */

#if defined(__x86_64__)
#define HAVE_CLONE_ON_STACK 1

/* nr: SYS_clone with (a0 = flags, a1 = top of the stack), or SYS_clone3 with (a0 = struct clone_args *,
 * a1 = its size; the stack is in the struct). Returns the child's pid or -errno, in the parent only. */
static inline long clone_on_stack(long nr, long a0, long a1, int (*fn)(void *), void *arg) {
        register long rax __asm__("rax") = nr;
        register long rdi __asm__("rdi") = a0;
        register long rsi __asm__("rsi") = a1;
        register long rdx __asm__("rdx") = 0;     /* clone: parent_tid, child_tid, tls unused */
        register long r10 __asm__("r10") = 0;
        register long r8 __asm__("r8") = 0;
        register void *r12 __asm__("r12") = (void *) fn;
        register void *r13 __asm__("r13") = arg;

        /* The child returns from the syscall on the new stack (the kernel points rsp at its top, which
         * must be 16-byte aligned): call fn(arg) and exit with its return value; it never returns here. */
        __asm__ volatile(
                "syscall\n\t"
                "test %%rax, %%rax\n\t"
                "jnz 1f\n\t"
                "xor %%ebp, %%ebp\n\t"
                "mov %%r13, %%rdi\n\t"
                "call *%%r12\n\t"
                "mov %%eax, %%edi\n\t"
                "mov $60, %%eax\n\t"
                "syscall\n\t"
                "hlt\n\t"
                "1:\n\t"
                : "+r"(rax)
                : "r"(rdi), "r"(rsi), "r"(rdx), "r"(r10), "r"(r8), "r"(r12), "r"(r13)
                : "rcx", "r11", "memory");
        return rax;
}
#else
#define HAVE_CLONE_ON_STACK 0
#endif
