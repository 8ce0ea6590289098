/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job-filter.h"
#include "macro.h"
#include "strv.h"

void job_filter_done(JobFilter *f) {
        free(f->group);
        free(f->label);
        *f = (JobFilter) {};
}

int job_filter_add_state(JobFilter *f, const char *s) {
        JobState st = job_state_from_string(s);

        if (st < 0)
                return -EINVAL;
        f->states |= 1U << st;
        return 0;
}

int job_filter_add_result(JobFilter *f, const char *s) {
        JobResult r = job_result_from_string(s);

        if (r < 0)
                return -EINVAL;
        f->results |= 1U << r;
        return 0;
}

bool job_filter_match(const JobFilter *f, const JobFilterItem *i) {
        if (f->min_id > 0 && i->id < f->min_id)
                return false;
        if (f->max_id > 0 && i->id > f->max_id)
                return false;
        if (f->owner_set && i->owner != f->owner)
                return false;
        if (f->run_set && i->run != f->run)
                return false;
        if (f->states != 0 && (i->state < 0 || i->state >= _JOB_STATE_MAX || !(f->states & (1U << i->state))))
                return false;
        if (f->results != 0 &&
            (i->result < 0 || i->result >= _JOB_RESULT_MAX || !(f->results & (1U << i->result))))
                return false;
        if (f->group && !streq(f->group, strempty(i->group)))
                return false;
        if (f->label && !strv_contains(i->labels, f->label))
                return false;
        if (f->submitted_after > 0 && i->submit_usec <= f->submitted_after)
                return false;
        return true;
}

uint32_t job_filter_limit(uint32_t limit) {
        if (limit == 0)
                return JOB_FILTER_LIMIT_DEFAULT;
        return MIN(limit, JOB_FILTER_LIMIT_MAX);
}

void job_filter_id_range(const JobFilter *f, uint64_t after, uint64_t *ret_first, uint64_t *ret_end) {
        uint64_t first = after == UINT64_MAX ? UINT64_MAX : after + 1;

        *ret_first = MAX(first, f->min_id);
        *ret_end = f->max_id == 0 || f->max_id == UINT64_MAX ? UINT64_MAX : f->max_id + 1;
}
