/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uring-socket FAMILY: creates a socket of FAMILY (a number: 1 AF_UNIX, 2 AF_INET) with io_uring's
 * IORING_OP_SOCKET (Linux 5.19), the way a job would get around a seccomp filter on socket(). Raw system
 * calls, no liburing. Prints one line and exits 0 on "socket created", 1 when refused (io_uring_setup,
 * io_uring_enter or the operation), 77 when this kernel has no IORING_OP_SOCKET.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int refused(const char *what, int e) {
        printf("%s refused: %s\n", what, strerrorname_np(e) ?: "?");
        return 1;
}

int main(int argc, char *argv[]) {
        struct io_uring_params p = {};
        struct io_uring_sqe *sqes;
        struct io_uring_cqe *cqe;
        unsigned *sq_tail, *sq_array, *cq_head, *cq_tail;
        size_t sq_size, cq_size;
        void *sq, *cq;
        int fd, family, res;

        if (argc != 2)
                return 2;
        family = atoi(argv[1]);
        fd = (int) syscall(__NR_io_uring_setup, 1, &p);
        if (fd < 0)
                return refused("io_uring_setup", errno);

        sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
        cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
        if (p.features & IORING_FEAT_SINGLE_MMAP)
                sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
        sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
        if (sq == MAP_FAILED)
                return refused("mmap", errno);
        cq = p.features & IORING_FEAT_SINGLE_MMAP ? sq :
             mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
        if (cq == MAP_FAILED)
                return refused("mmap", errno);
        sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
        if (sqes == MAP_FAILED)
                return refused("mmap", errno);

        sq_tail = (unsigned *) ((char *) sq + p.sq_off.tail);
        sq_array = (unsigned *) ((char *) sq + p.sq_off.array);
        cq_head = (unsigned *) ((char *) cq + p.cq_off.head);
        cq_tail = (unsigned *) ((char *) cq + p.cq_off.tail);

        memset(&sqes[0], 0, sizeof(sqes[0]));
        sqes[0].opcode = IORING_OP_SOCKET;
        sqes[0].fd = family;                 /* domain */
        sqes[0].off = SOCK_STREAM;           /* type */
        sqes[0].len = 0;                     /* protocol */
        sq_array[0] = 0;
        __atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);

        if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
                return refused("io_uring_enter", errno);
        if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == *cq_head)
                return refused("completion", EAGAIN);
        cqe = &((struct io_uring_cqe *) ((char *) cq + p.cq_off.cqes))[*cq_head & (p.cq_entries - 1)];
        res = cqe->res;
        if (res == -EINVAL) {
                printf("IORING_OP_SOCKET: not supported here\n");
                return 77;
        }
        if (res < 0)
                return refused("IORING_OP_SOCKET", -res);
        printf("socket created\n");
        return 0;
}
