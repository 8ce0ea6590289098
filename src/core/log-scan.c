/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape-util.h"
#include "log-scan.h"
#include "macro.h"
#include "message-util.h"
#include "strv.h"

/* A pattern that backtracks without end must not hold a scan thread forever. */
#define LOG_SCAN_MATCH_LIMIT    100000000U
#define LOG_SCAN_HEAP_LIMIT_KIB (64U * 1024U)

JobPatterns *job_patterns_new(void) {
        JobPatterns *p = calloc(1, sizeof(JobPatterns));

        if (p)
                p->n_ref = 1;
        return p;
}

JobPatterns *job_patterns_ref(JobPatterns *p) {
        if (p)
                __atomic_add_fetch(&p->n_ref, 1, __ATOMIC_RELAXED);
        return p;
}

static void free_codes(pcre2_code **c, size_t n) {
        for (size_t i = 0; c && i < n; i++)
                pcre2_code_free(c[i]);
        free(c);
}

JobPatterns *job_patterns_unref(JobPatterns *p) {
        if (!p || __atomic_sub_fetch(&p->n_ref, 1, __ATOMIC_ACQ_REL) > 0)
                return NULL;
        strv_free(p->fail);
        strv_free(p->pass);
        pcre2_code_free(p->fail_any);
        free_codes(p->fail_each, p->n_fail);
        free_codes(p->pass_each, p->n_pass);
        free(p);
        return NULL;
}

JobPatterns *job_patterns_copy(const JobPatterns *p) {
        JobPatterns *c = job_patterns_new();

        if (!c)
                return NULL;
        if ((p->fail && !(c->fail = strv_copy(p->fail))) || (p->pass && !(c->pass = strv_copy(p->pass))))
                return job_patterns_unref(c);
        return c;
}

bool job_patterns_is_empty(const JobPatterns *p) {
        return !p || (strv_isempty(p->fail) && strv_isempty(p->pass));
}

/* s cut to at most max bytes at a character boundary (D-Bus strings are UTF-8). */
static const char *shorten(const char *s, char *buf, size_t max) {
        size_t l = strlen(s);

        if (l <= max)
                return s;
        l = max;
        while (l > 0 && ((unsigned char) s[l] & 0xc0) == 0x80)
                l--;
        memcpy(buf, s, l);
        memcpy(buf + l, "...", 4);
        return buf;
}

static int compile_one(const char *key, const char *pattern, pcre2_code **ret, char **ret_message) {
        PCRE2_UCHAR msg[256];
        PCRE2_SIZE offset;
        pcre2_code *c;
        int error;

        c = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE, &error, &offset, NULL);
        if (!c) {
                if (error == PCRE2_ERROR_NOMEMORY)
                        return -ENOMEM;
                if (pcre2_get_error_message(error, msg, sizeof(msg)) < 0)
                        snprintf((char *) msg, sizeof(msg), "error %i", error);
                return message_set(ret_message, -EINVAL, "%s: \"%s\": %s at offset %zu", key,
                                   shorten(pattern, (char[136]) {}, 128),
                                   (const char *) msg, (size_t) offset);
        }
        /* Without JIT (not built for this CPU), the interpreter does the same, slower. */
        (void) pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
        *ret = c;
        return 0;
}

static int compile_list(const char *key, char **l, pcre2_code ***ret, size_t *ret_n, char **ret_message) {
        size_t n = strv_length(l);
        pcre2_code **c;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (n == 0)
                return 0;
        c = calloc(n, sizeof(pcre2_code *));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = compile_one(key, l[i], &c[i], ret_message);
                if (r < 0) {
                        free_codes(c, i);
                        return r;
                }
        }
        *ret = c;
        *ret_n = n;
        return 0;
}

/* The fail list as one pattern: (?|(?:p1\E)|(?:p2\E)...). A branch reset group keeps each pattern's own
 * group numbers (its back references), \E ends a \Q the pattern left open. A pattern that could reach
 * beyond its group (a comment of extended mode, a leading verb) keeps the list as separate patterns. */
static void compile_alternation(JobPatterns *p) {
        _cleanup_free_ char *s = NULL;
        size_t size = 0;
        char *dummy = NULL;
        FILE *f;

        if (p->n_fail < 2)
                return;
        STRV_FOREACH(e, p->fail)
                if (strchr(*e, '#') || strstr(*e, "(*"))
                        return;
        f = open_memstream(&s, &size);
        if (!f)
                return;
        fputs("(?|", f);
        STRV_FOREACH(e, p->fail)
                fprintf(f, "%s(?:%s\\E)", e == p->fail ? "" : "|", *e);
        fputs(")", f);
        if (fclose(f) != 0)
                return;
        if (compile_one("FailPatterns", s, &p->fail_any, &dummy) < 0)
                p->fail_any = NULL;
        free(dummy);
}

int job_patterns_compile(JobPatterns *p, char **ret_message) {
        int r;

        if (!p || p->compiled)
                return 0;
        if (strv_length(p->fail) > JOB_PATTERNS_MAX || strv_length(p->pass) > JOB_PATTERNS_MAX)
                return message_set(ret_message, -EINVAL, "%s: at most %u patterns are allowed",
                                   strv_length(p->fail) > JOB_PATTERNS_MAX ? "FailPatterns" : "PassPatterns",
                                   JOB_PATTERNS_MAX);
        STRV_FOREACH(e, p->fail)
                if (isempty(*e))
                        return message_set(ret_message, -EINVAL, "FailPatterns: a pattern must not be empty");
        STRV_FOREACH(e, p->pass)
                if (isempty(*e))
                        return message_set(ret_message, -EINVAL, "PassPatterns: a pattern must not be empty");
        r = compile_list("FailPatterns", p->fail, &p->fail_each, &p->n_fail, ret_message);
        if (r < 0)
                return r;
        r = compile_list("PassPatterns", p->pass, &p->pass_each, &p->n_pass, ret_message);
        if (r < 0) {
                free_codes(p->fail_each, p->n_fail);
                p->fail_each = NULL;
                p->n_fail = 0;
                return r;
        }
        compile_alternation(p);
        p->compiled = true;
        return 0;
}

typedef struct Scanner {
        const JobPatterns *p;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
        pcre2_jit_stack *jit_stack;
        bool *pass_found;
        size_t n_pass_left;
        uint64_t lines;                /* complete lines before the current region */
        LogScanResult *res;
} Scanner;

static uint64_t count_newlines(const char *s, size_t l) {
        uint64_t n = 0;
        const char *end = s + l;

        for (const char *q; s < end && (q = memchr(s, '\n', end - s)); s = q + 1)
                n++;
        return n;
}

/* The start offset of a match of c in s, or a PCRE2 error (< 0; PCRE2_ERROR_NOMATCH if none). */
static int match_at(Scanner *sc, const pcre2_code *c, const char *s, size_t l, size_t *ret_offset) {
        int rc = pcre2_match(c, (PCRE2_SPTR) s, l, 0, 0, sc->md, sc->mctx);

        if (rc < 0)
                return rc;
        *ret_offset = pcre2_get_ovector_pointer(sc->md)[0];
        return 0;
}

/* The line for a Reason (a D-Bus string, shown on terminals): printable UTF-8 as it is, a tab as a space,
 * any other byte as '?'; at most LOG_SCAN_QUOTE_MAX bytes, whole characters, then "...". */
static void quote(char *dst, const char *line, size_t l) {
        char ch[5];
        size_t n = 0, i = 0;

        while (l > 0 && (line[l - 1] == '\r' || line[l - 1] == '\n'))
                l--;
        while (i < l) {
                size_t k;

                /* utf8_printable_char_len() wants a string: the character, NUL-terminated. */
                memset(ch, 0, sizeof(ch));
                memcpy(ch, line + i, MIN(l - i, (size_t) 4));
                k = utf8_printable_char_len(ch);
                if (n + MAX(k, (size_t) 1) > LOG_SCAN_QUOTE_MAX)
                        break;
                if (k == 0) {
                        dst[n++] = line[i] == '\t' ? ' ' : '?';
                        i++;
                } else {
                        memcpy(dst + n, line + i, k);
                        n += k;
                        i += k;
                }
        }
        if (i < l) {
                memcpy(dst + n, "...", 3);
                n += 3;
        }
        dst[n] = 0;
}

static int scan_error(Scanner *sc, int rc) {
        /* PCRE2's codes are negative and not errnos: name them for the Reason by what they mean. */
        sc->res->error = rc == PCRE2_ERROR_NOMEMORY ? -ENOMEM :
                         rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
                         rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ? -E2BIG : -EIO;
        return sc->res->error;
}

/* One region of the log: whole lines (or a piece of a line longer than the buffer). 1: a fail pattern
 * matched (the scan is over), 0: go on, < 0: error. */
static int scan_region(Scanner *sc, const char *s, size_t l) {
        const JobPatterns *p = sc->p;
        size_t best = SIZE_MAX, best_i = 0, o;
        int rc;

        if (p->fail_any) {
                rc = match_at(sc, p->fail_any, s, l, &best);
                if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
                        return scan_error(sc, rc);
                if (rc == 0) {
                        /* Which one: the first that matches from the start of that line. */
                        const char *ls = memrchr(s, '\n', best);
                        size_t from = ls ? (size_t) (ls - s) + 1 : 0;

                        best = SIZE_MAX;
                        for (size_t i = 0; i < p->n_fail; i++) {
                                rc = match_at(sc, p->fail_each[i], s + from, l - from, &o);
                                if (rc == 0 && from + o < best) {
                                        best = from + o;
                                        best_i = i;
                                }
                        }
                }
        } else
                for (size_t i = 0; i < p->n_fail; i++) {
                        /* Only up to the best so far: a later match cannot win. */
                        rc = match_at(sc, p->fail_each[i], s, best == SIZE_MAX ? l : MIN(l, best + 1), &o);
                        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
                                return scan_error(sc, rc);
                        if (rc == 0 && o < best) {
                                best = o;
                                best_i = i;
                        }
                }
        if (best != SIZE_MAX) {
                const char *ls = memrchr(s, '\n', best), *le;
                size_t from = ls ? (size_t) (ls - s) + 1 : 0;

                le = memchr(s + best, '\n', l - best);
                sc->res->fail_matched = true;
                sc->res->fail_index = best_i;
                sc->res->fail_line = sc->lines + count_newlines(s, from) + 1;
                quote(sc->res->fail_quote, s + from, (le ? (size_t) (le - s) : l) - from);
                return 1;
        }

        for (size_t i = 0; sc->n_pass_left > 0 && i < p->n_pass; i++) {
                if (sc->pass_found[i])
                        continue;
                rc = match_at(sc, p->pass_each[i], s, l, &o);
                if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
                        return scan_error(sc, rc);
                if (rc == 0) {
                        sc->pass_found[i] = true;
                        sc->n_pass_left--;
                }
        }
        sc->lines += count_newlines(s, l);
        return 0;
}

void log_scan_fd(const JobPatterns *p, int fd, uint64_t offset, const volatile bool *cancel,
                 LogScanResult *res) {
        Scanner sc = { .p = p, .res = res };
        _cleanup_free_ char *buf = NULL;
        size_t have = 0;
        bool eof = false;
        int r = 0;

        *res = (LogScanResult) {};
        if (!p || !p->compiled) {
                res->error = -EINVAL;
                return;
        }
        buf = malloc(LOG_SCAN_BUFFER);
        sc.pass_found = calloc(MAX(p->n_pass, (size_t) 1), sizeof(bool));
        sc.md = pcre2_match_data_create(1, NULL);
        sc.mctx = pcre2_match_context_create(NULL);
        sc.jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
        if (!buf || !sc.pass_found || !sc.md || !sc.mctx) {
                res->error = -ENOMEM;
                goto finish;
        }
        sc.n_pass_left = p->n_pass;
        (void) pcre2_set_match_limit(sc.mctx, LOG_SCAN_MATCH_LIMIT);
        (void) pcre2_set_heap_limit(sc.mctx, LOG_SCAN_HEAP_LIMIT_KIB);
        if (sc.jit_stack)
                pcre2_jit_stack_assign(sc.mctx, NULL, sc.jit_stack);

        if (lseek(fd, (off_t) offset, SEEK_SET) < 0 && errno != ESPIPE) {
                res->error = -errno;
                goto finish;
        }
        while (!eof) {
                ssize_t n;
                const char *nl;
                size_t upto;

                if (cancel && *cancel) {
                        res->error = -ECANCELED;
                        goto finish;
                }
                /* A hole (a log made sparse with ftruncate()) holds no text: it ends the line before it and
                 * is not read, so a terabyte of nothing costs nothing. */
                if (have == 0 || have < LOG_SCAN_BUFFER) {
                        off_t pos = lseek(fd, 0, SEEK_CUR), data;

                        data = pos < 0 ? pos : lseek(fd, pos, SEEK_DATA);
                        if (data < 0 && errno == ENXIO)
                                data = lseek(fd, 0, SEEK_END);   /* only a hole up to the end */
                        if (pos >= 0 && data > pos) {
                                if (have > 0) {
                                        r = scan_region(&sc, buf, have);
                                        if (r != 0)
                                                goto finish;
                                        /* The piece ends a line that has no newline. */
                                        sc.lines++;
                                        have = 0;
                                }
                                res->bytes += (uint64_t) (data - pos);
                        }
                }
                n = read(fd, buf + have, LOG_SCAN_BUFFER - have);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        res->error = -errno;
                        goto finish;
                }
                if (n == 0)
                        eof = true;
                have += n;
                res->bytes += n;
                if (have == 0)
                        break;
                /* Whole lines; at the end of the file the rest; a full buffer without a newline as is. */
                nl = memrchr(buf, '\n', have);
                upto = eof || (!nl && have == LOG_SCAN_BUFFER) ? have : nl ? (size_t) (nl - buf) + 1 : 0;
                if (upto == 0)
                        continue;
                r = scan_region(&sc, buf, upto);
                if (r != 0)
                        goto finish;
                memmove(buf, buf + upto, have - upto);
                have -= upto;
        }
        if (sc.n_pass_left > 0)
                for (size_t i = 0; i < p->n_pass; i++)
                        if (!sc.pass_found[i]) {
                                res->pass_missing = true;
                                res->pass_index = i;
                                break;
                        }
finish:
        free(sc.pass_found);
        pcre2_match_data_free(sc.md);
        pcre2_match_context_free(sc.mctx);
        pcre2_jit_stack_free(sc.jit_stack);
}

char *log_scan_reason(const JobPatterns *p, const LogScanResult *res) {
        char buf[136];
        char *s = NULL;
        int r = 0;

        if (res->error < 0 && res->error != -ECANCELED)
                r = asprintf(&s, "Cannot scan the log for FailPatterns/PassPatterns: %s",
                             res->error == -E2BIG ? "a pattern exceeded PCRE2's match limits" :
                             strerror(-res->error));
        else if (res->fail_matched)
                r = asprintf(&s, "FailPatterns: \"%s\" matched line %llu: %s",
                             shorten(p->fail[res->fail_index], buf, 128),
                             (unsigned long long) res->fail_line, res->fail_quote);
        else if (res->pass_missing)
                r = asprintf(&s, "PassPatterns: \"%s\" never matched the log",
                             shorten(p->pass[res->pass_index], buf, 128));
        return r < 0 ? NULL : s;
}
