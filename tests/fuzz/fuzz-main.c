/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without libFuzzer: runs LLVMFuzzerTestOneInput() once over each file named, so that the seed corpus
 * (and any crash a fuzzer found, once added to it) is replayed by the normal test suite. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++) {
                FILE *f = fopen(argv[i], "re");
                char *buf = NULL;
                size_t size = 0, n;
                char chunk[65536];

                if (!f) {
                        fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
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
                printf("%s: %zu bytes\n", argv[i], size);
                (void) LLVMFuzzerTestOneInput((const uint8_t *) buf, size);
                free(buf);
        }
        return EXIT_SUCCESS;
}
