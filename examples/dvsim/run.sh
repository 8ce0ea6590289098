#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run.sh BUILD_DIR [--dvsim=CHECKOUT]: the DVSim example on a private jobd (gone when the script exits).
# PYTHON picks the interpreter (one with DVSim's dependencies: pydantic 2, ...). Run as root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../private-jobd.sh"
private_jobd_start dvsim "${1:?usage: run.sh BUILD_DIR [--dvsim=CHECKOUT]}" --kill-grace=2s
shift
"${PYTHON:-python3}" "$here/regression.py" "$@"
