/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* FailPatterns and PassPatterns: PCRE2 regexes that decide a test's verdict from its log. Pure: no bus, no
 * event loop. The scan is streaming (a fixed buffer, whatever the size of the log) and may run in any
 * thread: compiled patterns are read-only once job_patterns_compile() has run. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* Bounds on what one spec may give. */
#define JOB_PATTERNS_MAX        256U
#define JOB_PATTERNS_BYTES_MAX  (64U * 1024U)
/* What a Reason quotes of a matching line, at most. */
#define LOG_SCAN_QUOTE_MAX      200U
/* The scan reads the log this much at a time; a longer line is matched in pieces of this size. */
#define LOG_SCAN_BUFFER         (1024U * 1024U)

/* Both lists of a spec, shared by the jobs of a plan that take them from its defaults (one compilation
 * for all of them). The reference count is atomic: a scan thread holds one. */
typedef struct JobPatterns {
        unsigned n_ref;
        char **fail, **pass;           /* NULL or a strv each */
        /* Set by job_patterns_compile(). */
        bool compiled;
        pcre2_code *fail_any;          /* the fail list as one alternation, NULL if empty */
        pcre2_code **fail_each, **pass_each;
        size_t n_fail, n_pass;
} JobPatterns;

JobPatterns *job_patterns_new(void);
JobPatterns *job_patterns_ref(JobPatterns *p);
JobPatterns *job_patterns_unref(JobPatterns *p);
/* A copy of the lists (not compiled). NULL on OOM. */
JobPatterns *job_patterns_copy(const JobPatterns *p);
bool job_patterns_is_empty(const JobPatterns *p);

/* Compiles every pattern (with JIT where available), once: a second call does nothing. -EINVAL with
 * *ret_message naming the key, the pattern, PCRE2's message and the offset in the pattern; -ENOMEM. */
int job_patterns_compile(JobPatterns *p, char **ret_message);

typedef struct LogScanResult {
        bool fail_matched;
        size_t fail_index;             /* which fail pattern matched first */
        uint64_t fail_line;            /* its line number, from 1 */
        char fail_quote[LOG_SCAN_QUOTE_MAX + 8];   /* the line, printable ASCII (others as '?') */
        bool pass_missing;
        size_t pass_index;             /* the first pass pattern never matched */
        uint64_t bytes;                /* read so far */
        int error;                     /* < 0: reading or matching failed (the scan stopped) */
} LogScanResult;

/* Scans the file at fd from offset until the first fail match or its end. Stops early (with
 * -ECANCELED) when *cancel turns true. Every pass pattern is looked for until it matches. A match is the
 * line where it starts (patterns are compiled with PCRE2_MULTILINE: ^ and $ match at each line). */
void log_scan_fd(const JobPatterns *p, int fd, uint64_t offset, const volatile bool *cancel,
                 LogScanResult *ret);

/* The Reason for a scan: NULL if the patterns found nothing to say. "FailPatterns: \"UVM_ERROR\" matched
 * line 12: UVM_ERROR @ 10ns: ...", "PassPatterns: \"TEST PASSED\" never matched". NULL on OOM too. */
char *log_scan_reason(const JobPatterns *p, const LogScanResult *res);
