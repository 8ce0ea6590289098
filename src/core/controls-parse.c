/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controls-parse.h"
#include "macro.h"

static json_object *ensure_array(json_object *o, const char *key) {
        json_object *a;

        if (json_object_object_get_ex(o, key, &a) && json_object_is_type(a, json_type_array))
                return a;
        a = json_object_new_array();
        if (!a || json_object_object_add(o, key, a) < 0)
                return NULL;
        return a;
}

static const char *entry_name(json_object *e) {
        json_object *n;

        if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "name", &n) ||
            !json_object_is_type(n, json_type_string))
                return NULL;
        return json_object_get_string(n);
}

/* name -> index in array, for the entries of the snapshot and those the log adds. */
static json_object *index_array(json_object *a) {
        json_object *idx = json_object_new_object();

        if (!idx)
                return NULL;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                const char *name = entry_name(json_object_array_get_idx(a, i));

                if (name)
                        json_object_object_add(idx, name, json_object_new_int64((int64_t) i));
        }
        return idx;
}

/* Puts a copy of entry in place of the entry of the same name, or at the end. */
static int merge_entry(json_object *a, json_object *idx, json_object *entry) {
        const char *name = entry_name(entry);
        json_object *copy = NULL, *at;

        if (!name)
                return -EINVAL;
        if (json_object_deep_copy(entry, &copy, NULL) < 0)
                return -ENOMEM;
        if (json_object_object_get_ex(idx, name, &at)) {
                if (json_object_array_put_idx(a, (size_t) json_object_get_int64(at), copy) < 0) {
                        json_object_put(copy);
                        return -ENOMEM;
                }
                return 0;
        }
        json_object_object_add(idx, name, json_object_new_int64((int64_t) json_object_array_length(a)));
        if (json_object_array_add(a, copy) < 0) {
                json_object_put(copy);
                return -ENOMEM;
        }
        return 0;
}

static int merge_line(json_object *o, json_object *groups, json_object *group_idx, json_object *pools,
                      json_object *pool_idx, json_object *line) {
        json_object *v;
        bool known = false;

        if (!json_object_is_type(line, json_type_object))
                return -EINVAL;
        if (json_object_object_get_ex(line, "group", &v))
                return merge_entry(groups, group_idx, v);
        if (json_object_object_get_ex(line, "pool", &v))
                return merge_entry(pools, pool_idx, v);
        /* The daemon-wide settings: copied as they are (the reader checks their types). */
        static const char *const keys[] = { "max_parallel", "max_parallel_option", "draining" };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (json_object_object_get_ex(line, keys[i], &v)) {
                        json_object *copy = NULL;

                        if (json_object_deep_copy(v, &copy, NULL) < 0)
                                return -ENOMEM;
                        json_object_object_add(o, keys[i], copy);
                        known = true;
                }
        return known ? 0 : -EINVAL;
}

int controls_parse(const char *snapshot, const char *log, json_object **ret, unsigned *ret_skipped) {
        json_object *o, *groups, *pools, *group_idx = NULL, *pool_idx = NULL;
        unsigned skipped = 0;
        int r = 0;

        o = snapshot ? json_tokener_parse(snapshot) : json_object_new_object();
        if (!o || !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EBADMSG;
        }
        groups = ensure_array(o, "groups");
        pools = ensure_array(o, "pools");
        if (groups && pools) {
                group_idx = index_array(groups);
                pool_idx = index_array(pools);
        }
        if (!group_idx || !pool_idx) {
                r = -ENOMEM;
                goto finish;
        }
        for (const char *p = log; p && *p;) {
                const char *end = strchrnul(p, '\n');
                json_tokener *tok = json_tokener_new();
                json_object *line;

                if (!tok) {
                        r = -ENOMEM;
                        goto finish;
                }
                line = json_tokener_parse_ex(tok, p, (int) MIN((size_t) (end - p), (size_t) INT32_MAX));
                /* The whole line must be one object: a torn write leaves a prefix, which may parse. */
                if (!line || json_tokener_get_error(tok) != json_tokener_success ||
                    (size_t) json_tokener_get_parse_end(tok) != (size_t) (end - p))
                        skipped++;
                else {
                        int q = merge_line(o, groups, group_idx, pools, pool_idx, line);

                        if (q == -ENOMEM) {
                                json_object_put(line);
                                json_tokener_free(tok);
                                r = q;
                                goto finish;
                        }
                        if (q < 0)
                                skipped++;
                }
                json_object_put(line);
                json_tokener_free(tok);
                p = *end ? end + 1 : end;
        }
finish:
        json_object_put(group_idx);
        json_object_put(pool_idx);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        if (ret_skipped)
                *ret_skipped = skipped;
        return 0;
}
