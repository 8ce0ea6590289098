/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without libFuzzer: runs LLVMFuzzerTestOneInput() once over each file named (each file of a folder
 * named), so that the seed corpus (and any crash a fuzzer found, once added to it) is replayed by the
 * normal test suite. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        {
                FILE *f = fopen(path, "re");
                char *buf = NULL;
                size_t size = 0, n;
                char chunk[65536];

                if (!f) {
                        fprintf(stderr, "%s: %s\n", path, strerror(errno));
                        return EXIT_FAILURE;
                }
                while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
                        char *t = realloc(buf, size + n);

                        if (!t) {
                                fclose(f);
                                free(buf);
                                return EXIT_FAILURE;
                        }
                        buf = t;
                        memcpy(buf + size, chunk, n);
                        size += n;
                }
                fclose(f);
                printf("%s: %zu bytes\n", path, size);
                (void) LLVMFuzzerTestOneInput((const uint8_t *) buf, size);
                free(buf);
        }
        return EXIT_SUCCESS;
}

static int compare(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                struct dirent **e;
                int n = scandir(argv[i], &e, NULL, compare);

                if (n < 0) {
                        if (errno != ENOTDIR)
                                return EXIT_FAILURE;
                        if (run_file(argv[i]) != EXIT_SUCCESS)
                                return EXIT_FAILURE;
                        continue;
                }
                for (int k = 0; k < n; k++) {
                        char path[4096];
                        int r = EXIT_SUCCESS;

                        if (e[k]->d_name[0] != '.') {
                                snprintf(path, sizeof(path), "%s/%s", argv[i], e[k]->d_name);
                                r = run_file(path);
                        }
                        free(e[k]);
                        if (r != EXIT_SUCCESS)
                                return EXIT_FAILURE;
                }
                free(e);
        }
        return EXIT_SUCCESS;
}
