#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# With max-parallel 1, queued jobs start by Priority (higher first), ties in submit order: checked through
# StartUSec order, and through the order in which the jobs wrote to a shared file.
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start --max-parallel=1

release="$TEST_TMP/release"
order="$TEST_TMP/order"
blocker=$(submit -- sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done' "$release")
wait_state "$blocker" running

declare -A ids
for spec in a:0 b:5 c:5 d:10 e:0 f:-3 g:10; do
        name=${spec%%:*}; prio=${spec#*:}
        ids[$name]=$(submit --name="q-$name" --priority="$prio" -- sh -c 'echo "$1" >> "$0"' "$order" "$name")
        assert_eq "$prio" "$(job_prop "${ids[$name]}" Priority)" "Priority of job $name"
done
assert_eq 7 "$(mgr_prop JobsQueued)" "JobsQueued"
touch "$release"
for name in a b c d e f g; do
        wait_done "${ids[$name]}" 30
        assert_eq success "$(job_prop "${ids[$name]}" Result)" "Result of job $name"
done

assert_eq "d g b c a e f" "$(tr '\n' ' ' <"$order" | sed 's/ $//')" "order in which the jobs ran"
prev=0
for name in d g b c a e f; do
        st=$(job_prop "${ids[$name]}" StartUSec)
        assert_int "$st" -gt "$prev" "StartUSec of job $name after the previous one"
        prev=$st
done
