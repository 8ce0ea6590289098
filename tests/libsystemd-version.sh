#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libsystemd-version.sh MIN BINARY...: every libsystemd symbol the binaries use is in LIBSYSTEMD_MIN or an
# older version, so that the "libsystemd >= MIN" of meson.build is the true minimum (a build against an
# older libsystemd fails to link, or a binary built here fails to start on a host that has one).
set -eu -o pipefail
min=$1
shift
command -v objdump >/dev/null || { echo "SKIP: no objdump (binutils)" >&2; exit 77; }
bad=0
for b in "$@"; do
        # "0000000000000000      DF *UND*  0000000000000000 (LIBSYSTEMD_250) sd_event_add_inotify_fd"
        while read -r v sym; do
                if ((v > min)); then
                        echo "$(basename "$b"): $sym is in LIBSYSTEMD_$v, newer than the $min meson.build asks for" >&2
                        bad=1
                fi
        done < <(objdump -T "$b" | sed -n 's/.*(LIBSYSTEMD_\([0-9]*\)) *\(sd_[A-Za-z0-9_]*\).*/\1 \2/p' | sort -u)
done
exit "$bad"
