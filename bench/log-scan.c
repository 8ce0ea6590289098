/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The FailPatterns/PassPatterns scanner alone (src/core/log-scan.c, as jobd runs it in its scan thread):
 *     log-scan FILE [--fail=REGEX]... [--pass=REGEX]...
 * prints bytes, seconds, MB/s and what the scan found. bench/log-scan.sh compares it with grep -E. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log-scan.h"
#include "strv.h"

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        JobPatterns *p = job_patterns_new();
        LogScanResult res;
        char *why = NULL, *reason;
        double t0, t;
        int fd;

        if (argc < 2 || !p) {
                fprintf(stderr, "usage: log-scan FILE [--fail=REGEX]... [--pass=REGEX]...\n");
                return 2;
        }
        for (int i = 2; i < argc; i++) {
                if (strncmp(argv[i], "--fail=", 7) == 0 && strv_extend(&p->fail, argv[i] + 7) >= 0)
                        continue;
                if (strncmp(argv[i], "--pass=", 7) == 0 && strv_extend(&p->pass, argv[i] + 7) >= 0)
                        continue;
                fprintf(stderr, "log-scan: bad argument %s\n", argv[i]);
                return 2;
        }
        if (job_patterns_compile(p, &why) < 0) {
                fprintf(stderr, "log-scan: %s\n", why ? why : "out of memory");
                return 2;
        }
        fd = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "log-scan: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        t0 = now_s();
        log_scan_fd(p, fd, 0, NULL, &res);
        t = now_s() - t0;
        reason = log_scan_reason(p, &res);
        printf("%llu bytes in %.3f s: %.0f MB/s (%s)\n", (unsigned long long) res.bytes, t,
               res.bytes / 1e6 / t, reason ? reason : "no fail match, every pass pattern matched");
        free(reason);
        close(fd);
        job_patterns_unref(p);
        return res.error < 0 ? 1 : 0;
}
