#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# MemoryMax: a job allocating beyond its limit ends with result oom. Where the host has no memory
# controller (neither in cgroup v2 nor as a v1 hierarchy) a MemoryMax spec must be refused with InvalidSpec.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

if ! controller_available memory; then
        expect_bus_error org.jobd1.Error.InvalidSpec "error for MemoryMax without a memory controller" \
                call -- org.jobd1 /org/jobd1 org.jobd1.Manager Submit 'a{sv}' 2 Argv as 1 true MemoryMax t 67108864
        assert_contains MemoryMax "$BUS_ERR_MSG" "the InvalidSpec message names MemoryMax"
        exit 0
fi
if swapon --show=NAME --noheadings 2>/dev/null | grep -q .; then
        note "swap is on: the job may swap instead of being OOM-killed"
fi

# Touches 1 GiB, 1 MiB at a time, under a 64 MiB limit.
hog='b = []
for i in range(1024):
    b.append(b"x" * (1 << 20))
print("survived")'
py=$(command -v /usr/bin/python3 || command -v python3)
id=$(submit --memory-max=64M -- "$py" -c "$hog")
wait_done "$id" 30
assert_eq oom "$(job_prop "$id" Result)" "Result of a job allocating 1 GiB under MemoryMax=64M (Reason: $(job_prop "$id" Reason))"
assert_not_contains survived "$(cat "$STATE_DIR/logs/$(id -u)/$id.log" 2>/dev/null)" "log of the OOM-killed job"
peak=$(job_prop "$id" MemoryPeakBytes)
assert_int "$peak" -gt $((16 << 20)) "MemoryPeakBytes of a job that filled its 64M limit"
assert_int "$peak" -le $((80 << 20)) "MemoryPeakBytes of a job limited to 64M"

# Under the limit the same kind of job succeeds.
small='b = [b"x" * (1 << 20) for i in range(16)]
print("fine")'
id=$(submit --memory-max=256M -- "$py" -c "$small")
wait_done "$id" 30
assert_eq success "$(job_prop "$id" Result)" "Result of a job using 16 MiB under MemoryMax=256M"
assert_contains fine "$(cat "$STATE_DIR/logs/$(id -u)/$id.log")" "log of the job under its limit"
