/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jobd-bus.h"
#include "macro.h"
#include "parse-util.h"

const sd_bus_error_map jobd_bus_error_map[] = {
        SD_BUS_ERROR_MAP(JOBD_ERROR_INVALID_SPEC, EINVAL),
        SD_BUS_ERROR_MAP(JOBD_ERROR_NO_SUCH_JOB, ENOENT),
        SD_BUS_ERROR_MAP(JOBD_ERROR_ACCESS_DENIED, EACCES),
        SD_BUS_ERROR_MAP(JOBD_ERROR_DEPENDENCY_CYCLE, ELOOP),
        SD_BUS_ERROR_MAP(JOBD_ERROR_QUOTA_EXCEEDED, EDQUOT),
        SD_BUS_ERROR_MAP(JOBD_ERROR_NOT_RUNNING, ESRCH),
        SD_BUS_ERROR_MAP(JOBD_ERROR_NO_SUCH_RUN, ENOENT),
        SD_BUS_ERROR_MAP(JOBD_ERROR_NO_SUCH_SLOT, ENXIO),
        SD_BUS_ERROR_MAP(JOBD_ERROR_STATE_FULL, EROFS),
        SD_BUS_ERROR_MAP(JOBD_ERROR_TOO_LARGE, E2BIG),
        SD_BUS_ERROR_MAP(JOBD_ERROR_CGROUP_GONE, EIDRM),
        SD_BUS_ERROR_MAP(JOBD_ERROR_BUSY, EBUSY),
        SD_BUS_ERROR_MAP_END
};

int jobd_job_path(uint64_t id, char **ret) {
        if (asprintf(ret, JOBD_JOB_PATH_PREFIX "/%llu", (unsigned long long) id) < 0)
                return -ENOMEM;
        return 0;
}

int jobd_job_path_parse(const char *path, uint64_t *ret) {
        const char *p;
        uint64_t id;

        if (!path || !strneq(path, JOBD_JOB_PATH_PREFIX "/", strlen(JOBD_JOB_PATH_PREFIX "/")))
                return -EINVAL;
        p = path + strlen(JOBD_JOB_PATH_PREFIX "/");
        if (p[0] == '0' || safe_atou64(p, &id) < 0 || id == 0)
                return -EINVAL;
        *ret = id;
        return 0;
}

int jobd_run_path(uint64_t id, char **ret) {
        if (asprintf(ret, JOBD_RUN_PATH_PREFIX "/%llu", (unsigned long long) id) < 0)
                return -ENOMEM;
        return 0;
}

int jobd_run_path_parse(const char *path, uint64_t *ret) {
        const char *p;
        uint64_t id;

        if (!path || !strneq(path, JOBD_RUN_PATH_PREFIX "/", strlen(JOBD_RUN_PATH_PREFIX "/")))
                return -EINVAL;
        p = path + strlen(JOBD_RUN_PATH_PREFIX "/");
        if (p[0] == '0' || safe_atou64(p, &id) < 0 || id == 0)
                return -EINVAL;
        *ret = id;
        return 0;
}

int bus_append_strv_entry(sd_bus_message *m, const char *key, char **l) {
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, l);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}
