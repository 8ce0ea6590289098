/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The lines of the state log (src/core/journal.c) that are pure data: the header that names the format
 * version, and the submit line, whose fields one table describes for both directions. No manager, no I/O:
 * the unit test, the fuzz target and the daemon use the same code.
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "job-spec.h"

/* The format the daemon writes: the first line of the file is {"jobd_state":N}. A file without it was
 * written before the format had a version (then named "journal"): version 0, read as 1. A reader refuses
 * a file of a newer version rather than rewrite it without what it does not know. */
#define JOURNAL_FORMAT_VERSION 1U
#define JOURNAL_HEADER_KEY "jobd_state"
/* The highest job or run id read back: jobs live in a table indexed by id (and ids are never reused), so
 * a damaged line must not name one that would make it absurdly large. */
#define JOURNAL_ID_MAX ((uint64_t) UINT32_MAX)

/* A submit line. Writing, spec is a shallow copy of the job's (borrowed, never freed) and env, if not
 * NULL, what is written instead of spec.environment; reading, spec is owned (job_spec_done()). */
typedef struct JournalSubmit {
        uint64_t id;
        uint64_t run;             /* 0: the job has no run; else its environment is the run's */
        uint64_t submit_usec;
        uint64_t owner;           /* a uid_t, checked as one */
        JobSpec spec;
        char **env;
        uint64_t syscalls_of;     /* the earlier job whose line spells the filter out; 0: none */
} JournalSubmit;

typedef enum JournalFieldKind {
        JOURNAL_FIELD_U64,        /* uint64_t at offset, within [min, max] (or UINT64_MAX if unset_ok) */
        JOURNAL_FIELD_U32,
        JOURNAL_FIELD_I32,
        JOURNAL_FIELD_STRING,     /* char * at offset, omitted if NULL */
        JOURNAL_FIELD_STRV,       /* char ** at offset, every element a string */
        JOURNAL_FIELD_CUSTOM,     /* get and set */
} JournalFieldKind;

typedef struct JournalField {
        const char *name;
        json_type type;           /* of the value in the line */
        unsigned since;           /* the first format version that has it (0: from before versions) */
        JournalFieldKind kind;
        size_t offset;            /* in JournalSubmit */
        uint64_t min, max;        /* integers: range read back */
        bool unset_ok;            /* integers: UINT64_MAX (LIMIT_UNSET) is fine too */
        bool omit_zero;           /* integers: not written when 0 */
        /* CUSTOM: the value to write (*ret NULL: omitted); 0 or -ENOMEM. */
        int (*get)(const JournalSubmit *s, json_object **ret);
        /* CUSTOM: takes the value read; -EBADMSG if it is out of range, -ENOMEM. */
        int (*set)(JournalSubmit *s, json_object *v);
} JournalField;

extern const JournalField journal_submit_fields[];
extern const size_t journal_submit_n_fields;

/* The header line {"jobd_state":JOURNAL_FORMAT_VERSION}. NULL on OOM. */
json_object *journal_header_new(void);
/* 1 and *ret_version if o is a header line, 0 if it is not one, -EBADMSG if its version is not a
 * positive integer below 2^31. */
int journal_header_parse(json_object *o, unsigned *ret_version);

typedef enum JournalLineKind {
        JOURNAL_LINE_HEADER,
        JOURNAL_LINE_RUN,
        JOURNAL_LINE_SUBMIT,
        JOURNAL_LINE_EVENT,       /* start, retry, rerun, done, or one a later version added */
} JournalLineKind;

/* Parses one line of the file: *ret (to be put) and its kind; a header's version in *ret_version, else
 * the id ("e" and "id" present, 0 < id <= JOURNAL_ID_MAX) in *ret_id. -EBADMSG for a line that is neither (a line cut
 * short by a crash, or damage). */
int journal_line_parse(const char *line, json_object **ret, JournalLineKind *ret_kind, uint64_t *ret_id,
                       unsigned *ret_version);

/* The line {"e":"submit","id":...} from s. NULL on OOM. */
json_object *journal_submit_to_json(const JournalSubmit *s);
/* Reads a submit line (o's "e" is not checked) into *ret (ret->spec to be freed by the caller, also on
 * failure). -EBADMSG (and *ret_field, the key at fault) for a missing id, a field of the wrong type or out
 * of range; -ENOMEM. The caller resolves run and syscalls_of. */
int journal_submit_from_json(json_object *o, JournalSubmit *ret, const char **ret_field);
/* Frees what a read spec owns (for _cleanup_: s is initialised by journal_submit_from_json() first). */
void journal_submit_done(JournalSubmit *s);

/* Tolerant accessors for the hand-written lines: a missing key or a wrong type gives def (or NULL). */
uint64_t journal_get_u64(json_object *o, const char *key, uint64_t def);
int64_t journal_get_i64(json_object *o, const char *key, int64_t def);
/* The same within [min, max]: a value beyond it gives def too (a damaged pid must not become -1). */
uint64_t journal_get_uint(json_object *o, const char *key, uint64_t def, uint64_t max);
int64_t journal_get_int(json_object *o, const char *key, int64_t def, int64_t min, int64_t max);
const char *journal_get_str(json_object *o, const char *key);
/* Strings of the array at key (others skipped; missing: empty). -ENOMEM. */
int journal_get_strv(json_object *o, const char *key, char ***ret);
json_object *journal_strv_to_json(char **l);
