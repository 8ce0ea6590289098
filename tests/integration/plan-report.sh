#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Reports, history and comparison (issue 11 items 3 and 4): two "nights" of the same plan name. The JUnit
# report is parsed (structure of the common schema, counts a GitLab-style consumer derives, failure
# message and log lines, skipped), report.json has every field, summary.md the counts per group, the
# failures, the slowest jobs and the comparison; `jobctl compare` finds the new failure, the fix, the still
# failing, the flaky, the new and removed jobs and the slower one. Run.Retry() keeps the first pass apart
# (FirstResultCounts, Job.FirstResult), across a restart. KeepRuns= keeps the newest runs of a name with
# their jobs while --keep-finished would forget them, and forgets the older runs. `jobctl wait --progress`
# names the jobs and prints where each stands once.
. "$(dirname "$0")/../helpers/lib.sh"
. "$(dirname "$0")/../helpers/plans.sh"
setup
cat >"$TEST_TMP/jobd.conf" <<'CONF'
[Runs]
KeepRuns=2
CONF
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"

night="$TEST_TMP/night"
out1="$TEST_TMP/out1"
out2="$TEST_TMP/out2"
mkdir -p "$out1" "$out2"
# Each job's command: passes or fails depending on the night (1 or 2).
on() {  # NIGHT-WHERE-IT-FAILS...: a shell command failing on those nights, after a telling line
        local cond=""
        for n in "$@"; do cond+="[ \$(cat $night) = $n ] && { echo 'check mismatch at line 42'; exit 3; }; "; done
        echo "echo starting; $cond echo done"
}
flaky="c=$TEST_TMP/flaky.\$(cat $night); if [ ! -e \$c ]; then touch \$c; echo 'first try broke'; exit 1; fi"
plan() {  # FILE NIGHT
        local extra slow=0.05
        if [[ "$2" == 1 ]]; then
                extra='{ "name": "removed_one", "group": "unit", "command": ["true"] },'
        else
                extra='{ "name": "new_one", "group": "unit", "command": ["true"] },'
                slow=1.2
        fi
        cat >"$1" <<JSON
{
  "name": "nightly",
  "jobs": [
    { "name": "build", "group": "build", "command": ["true"] },
    { "name": "pass_a", "group": "sim", "command": ["sh", "-c", "$(on)"], "after": ["build"] },
    { "name": "breaks_later", "group": "sim", "command": ["sh", "-c", "$(on 2)"], "after": ["build"] },
    { "name": "fixme", "group": "sim", "command": ["sh", "-c", "$(on 1)"], "after": ["build"] },
    { "name": "still_bad", "group": "sim", "command": ["sh", "-c", "$(on 1 2)"], "after": ["build"] },
    { "name": "after_bad", "group": "sim", "command": ["true"], "after": ["still_bad"] },
    { "name": "flaky", "group": "sim", "retries": 1, "command": ["sh", "-c", "$flaky"] },
    { "name": "slow", "group": "unit", "command": ["sleep", "$slow"] },
    $extra
    { "name": "plain", "command": ["true"] }
  ]
}
JSON
}

# --- night 1, piped: one line per job event, with the job's name ---
echo 1 >"$night"
touch "$TEST_TMP/flaky.1"   # not flaky the first night
plan "$TEST_TMP/n1.json" 1
run_rc rc env JOBCTL_STATUS_INTERVAL_SEC=1 "$JOBCTL" plan --wait "$TEST_TMP/n1.json"
assert_eq 1 "$rc" "exit status of plan --wait with failures ($RUN_ERR)"
run1=$(sed -n 's/^Run \([0-9]*\) (nightly): .* submitted.*/\1/p' <<<"$RUN_OUT")
assert_match '^[0-9]+$' "$run1" "run id from plan --wait"
assert_contains "Run $run1 (nightly) finished: failed (7 success, 2 failed, 1 skipped)." "$RUN_OUT" \
        "the end of plan --wait"
assert_match "job +[0-9]+ +fixme +done failed: exit code 3" "$RUN_OUT" "a line naming the failed job"
assert_match "job +[0-9]+ +pass_a +running" "$RUN_OUT" "a line naming a job that started"
assert_match "Run $run1: 0 queued, 0 running, 7 passed, 2 failed, 0 killed, 1 skipped of 10" "$RUN_OUT" \
        "the final summary line"
# No state twice: each job is seen "done" once.
assert_eq 1 "$(grep -c ' fixme .*done' <<<"$RUN_OUT")" "lines saying fixme is done"
assert_eq 1 "$(grep -c ' pass_a .*running' <<<"$RUN_OUT")" "lines saying pass_a runs"
# No output root on this branch's runs: nothing written, and --write without a folder says so.
expect_rc 2 "report --write without an output root" jobctl report "$run1" --write
assert_contains "no output root" "$RUN_ERR" "message of report --write without an output root"

jobctl report "$run1" --write="$out1" || fail "jobctl report --write=$out1 failed"
expect_rc 1 "compare without an earlier run of the name" jobctl compare "$run1"
assert_contains "no earlier run of the same name" "$RUN_ERR" "message of compare without an earlier run"
expect_rc 3 "report of a run that does not exist" jobctl report 9999
for f in report.xml report.json summary.md; do assert_file_exists "$out1/$f"; done
assert_eq "" "$(find "$out1" -name '.*tmp')" "temporary files left behind"

# The JUnit: structure of the common schema, what a GitLab-style consumer counts, messages and logs.
python3 - "$out1/report.xml" >"$TEST_TMP/junit.out" <<'PY' || fail "report.xml: $(cat "$TEST_TMP/junit.out")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
status = {}
for ts in root.findall("testsuite"):
    for a in ("name", "tests", "failures", "errors", "skipped", "time", "timestamp"):
        assert a in ts.attrib, (ts.attrib, a)
    cases = ts.findall("testcase")
    assert int(ts.get("tests")) == len(cases), ts.attrib
    for tc in cases:
        for a in ("classname", "name", "time"):
            assert a in tc.attrib, tc.attrib
        float(tc.get("time"))
        kids = [c.tag for c in tc]
        assert set(kids) <= {"properties", "failure", "error", "skipped", "system-out", "system-err"}, kids
        # GitLab: failure -> failed, error -> error, skipped -> skipped, else success
        st = "failed" if tc.find("failure") is not None else "error" if tc.find("error") is not None \
            else "skipped" if tc.find("skipped") is not None else "success"
        status[tc.get("classname") + ":" + tc.get("name")] = (st, tc)
    assert int(ts.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
    assert int(ts.get("skipped")) == sum(1 for c in cases if c.find("skipped") is not None)
counts = {}
for st, _ in status.values():
    counts[st] = counts.get(st, 0) + 1
print("counts", sorted(counts.items()))
st, tc = status["nightly.sim:fixme"]
assert st == "failed", st
f = tc.find("failure")
print("message", f.get("message"))
assert "check mismatch at line 42" in f.text, f.text
assert "exit code 3" in f.text, f.text
st, tc = status["nightly.sim:after_bad"]
assert st == "skipped", st
print("skipped", tc.find("skipped").get("message"))
props = {p.get("name"): p.get("value") for p in status["nightly.sim:pass_a"][1].find("properties")}
assert props["attempts"] == "1", props
assert "nightly:plain" in status, list(status)
print("suites", sorted(ts.get("name") for ts in root.findall("testsuite")))
PY
junit=$(cat "$TEST_TMP/junit.out")
assert_contains "counts [('failed', 2), ('skipped', 1), ('success', 7)]" "$junit" "JUnit counts as a consumer sees them"
assert_contains "message failed (exit code 3)" "$junit" "failure message (no Reason: the exit code)"
assert_contains "suites ['build', 'nightly', 'sim', 'unit']" "$junit" "one testsuite per group, the run's for none"
if command -v xmllint >/dev/null; then
        xmllint --noout "$out1/report.xml" || fail "xmllint rejects report.xml"
fi
assert_eq "$(jobctl report "$run1" --format=junit)" "$(cat "$out1/report.xml")" "report --format=junit is report.xml"

# report.json: every field of every job.
j='.jobs[] | select(.name == "fixme")'
assert_eq failed "$(jq -r "$j.result" "$out1/report.json")" "result in report.json"
assert_eq 3 "$(jq -r "$j.exit_code" "$out1/report.json")" "exit code in report.json"
assert_eq 1 "$(jq -r "$j.attempts | length" "$out1/report.json")" "attempts in report.json"
for k in name group result first_result exit_code exit_signal reason attempts start_usec finish_usec \
         duration_sec resources slots log_path cpu_usage_nsec memory_peak_bytes; do
        assert_eq true "$(jq "$j | has(\"$k\")" "$out1/report.json")" "report.json has $k"
done
assert_eq 10 "$(jq '.jobs | length' "$out1/report.json")" "jobs in report.json"
assert_eq null "$(jq '.comparison' "$out1/report.json")" "no comparison for the first night"

md=$(cat "$out1/summary.md")
assert_contains "| sim | 6 | 3 | 2 | 0 | 1 |" "$md" "counts of group sim in summary.md"
assert_contains "## Failures" "$md" "failures in summary.md"
assert_match "\*\*sim/fixme\*\* \(job [0-9]+\): failed, exit code 3" "$md" "a failure in summary.md"
assert_contains "> check mismatch at line 42" "$md" "the quoted line of a failure"
assert_contains "## Slowest jobs" "$md" "slowest jobs in summary.md"

# --- night 2, in a pseudo-terminal: the table redrawn in place, the new failures above it ---
echo 2 >"$night"
plan "$TEST_TMP/n2.json" 2
python3 - "$JOBCTL" "$TEST_TMP/n2.json" >"$TEST_TMP/tty.out" <<'PY' || fail "plan --wait in a pty: $(cat "$TEST_TMP/tty.out")"
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "plan", "--wait", sys.argv[2]])
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(data.decode("utf-8", "replace"))
print("\nEXIT", os.waitstatus_to_exitcode(status))
PY
tty=$(cat "$TEST_TMP/tty.out")
run2=$(sed -n 's/^Run \([0-9]*\) (nightly): .* submitted.*/\1/p' <<<"$tty" | tr -d '\r')
assert_match '^[0-9]+$' "$run2" "run id of night 2"
assert_contains "EXIT 1" "$tty" "exit status of plan --wait in a pty"
assert_contains "Run $run2 (nightly) finished: failed (7 success, 2 failed, 1 skipped)." "$tty" \
        "the end of plan --wait in a pty"
assert_contains $'\e[J' "$tty" "the table is redrawn in place (cursor up, clear)"
assert_match "GROUP +queued +running +passed +failed +killed +skipped +elapsed +ETA" "$tty" "the table's header"
assert_match "FAILED job [0-9]+ breaks_later: exit code 3" "$tty" "a new failure named above the table"
assert_match "sim +0 +0 +3 +2 +0 +1" "$tty" "the final row of group sim"
assert_not_contains "job $((run2)) pass_a running" "$tty" "no event lines on a terminal"

# --- compare: night 2 against night 1 (the previous run of the name) ---
cmp=$(jobctl --json=short compare "$run2") || fail "jobctl compare $run2 failed"
names() { jq -c "[.$1[].name] | sort" <<<"$cmp"; }
assert_eq '["sim/breaks_later"]' "$(names new_failures)" "new failures"
assert_eq '["sim/fixme"]' "$(names fixed)" "fixed"
assert_eq '["sim/still_bad"]' "$(names still_failing)" "still failing"
assert_eq '["sim/flaky"]' "$(names flaky)" "flaky (failed, then passed on its retry)"
assert_eq '["unit/new_one"]' "$(names new)" "new jobs"
assert_eq '["unit/removed_one"]' "$(names removed)" "removed jobs"
assert_eq '["unit/slow"]' "$(names slower)" "jobs that took more than twice as long"
assert_eq "$run1" "$(jq .other <<<"$cmp")" "compared with the previous run of the name"
assert_eq '[]' "$(jobctl --json=short compare "$run2" --factor=100 | jq -c '.slower')" "--factor=100"
assert_eq "$(jobctl --json=short compare "$run2" "$run1" | jq -c .)" "$(jq -c . <<<"$cmp")" "compare with the run named"
expect_rc 2 "compare --factor=0.5" jobctl compare "$run2" --factor=0.5
text=$(jobctl compare "$run2")
assert_contains "1 new failure, 1 fixed, 1 still failing, 1 flaky" "$text" "compare's text"
md=$(jobctl report "$run2")
assert_contains "## Compared with run $run1" "$md" "summary.md compares with the previous night"
assert_contains "1 new failure," "$md" "the number of new failures in summary.md"
assert_match "sim/breaks\\\\_later \(job [0-9]+\): failed, was success" "$md" "the new failure in summary.md"
assert_eq '["sim/breaks_later"]' "$(jobctl report "$run2" --format=json | jq -c '[.comparison.new_failures[].name]')" \
        "the comparison in report.json"
assert_eq 1 "$(jobctl report "$run2" --format=json | jq '[.jobs[] | select(.flaky)] | length')" "flaky jobs in report.json"

# --- Retry: the first pass stays as it was, across a restart ---
assert_eq 2 "$(run_count "$run2" FirstResultCounts failed)" "failed in the first pass"
echo 3 >"$night"   # nothing fails on night 3
jobctl run-retry "$run2" >/dev/null || fail "run-retry failed"
wait_run_done "$run2" 30
assert_eq 0 "$(run_count "$run2" ResultCounts failed)" "failed after the retry"
assert_eq 2 "$(run_count "$run2" FirstResultCounts failed)" "failed in the first pass, after the retry"
assert_eq 1 "$(run_count "$run2" FirstResultCounts skipped)" "skipped in the first pass, after the retry"
still=$(run_job_id "$run2" still_bad)
assert_eq success "$(job_prop "$still" Result)" "Result of a job fixed by the retry"
assert_eq failed "$(job_prop "$still" FirstResult)" "FirstResult of a job fixed by the retry"
assert_contains "First pass: 7 success, 2 failed, 1 skipped (before run-retry)" "$(jobctl run-status "$run2")" \
        "run-status shows the first pass"
cmp=$(jobctl --json=short compare "$run2")
assert_contains '"sim/still_bad"' "$(jq -c '[.flaky[].name]' <<<"$cmp")" "a job that passed on the run's retry is flaky"
jobd_crash
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf"
assert_eq 2 "$(run_count "$run2" FirstResultCounts failed)" "first-pass failures after a restart"
assert_eq failed "$(job_prop "$still" FirstResult)" "FirstResult after a restart"
assert_eq 0 "$(run_count "$run2" ResultCounts failed)" "failures after a restart"

# --- run-status --watch, piped: a line per job event with its name, summary lines, the exit status ---
gate="$TEST_TMP/gate"
cat >"$TEST_TMP/w.json" <<JSON
{ "name": "watchme", "jobs": [
  { "name": "gatekeeper", "group": "g", "command": ["sh", "-c", "while [ ! -e $gate ]; do sleep 0.05; done"] },
  { "name": "after_gate", "group": "g", "command": ["sh", "-c", "exit 3"], "after": ["gatekeeper"] } ] }
JSON
wr=$(plan_submit "$TEST_TMP/w.json")
wait_state "$(run_job_id "$wr" gatekeeper)" running
JOBCTL_STATUS_INTERVAL_SEC=1 bg_start bash -c "\"\$0\" run-status --watch $wr >$TEST_TMP/watch.out 2>&1; echo \$? >$TEST_TMP/watch.rc" "$JOBCTL"
wait_until 10 "run-status --watch to print the first summary" grep -q "^Run $wr: " "$TEST_TMP/watch.out"
sleep 1.2   # a periodic summary line while nothing happens
touch "$gate"
wait_until 20 "run-status --watch to return" test -s "$TEST_TMP/watch.rc"
watch=$(cat "$TEST_TMP/watch.out")
assert_eq 1 "$(cat "$TEST_TMP/watch.rc")" "exit status of run-status --watch for a failed run ($watch)"
assert_match "job +[0-9]+ +gatekeeper +done success" "$watch" "the gatekeeper's end, by name"
assert_match "job +[0-9]+ +after_gate +done failed: exit code 3" "$watch" "the failure, by name"
assert_int "$(grep -c "^Run $wr: " <<<"$watch")" -ge 3 "summary lines (first, periodic, last)"
assert_contains "Run $wr: 0 queued, 0 running, 1 passed, 1 failed, 0 killed, 0 skipped of 2" "$watch" "the last summary"
assert_not_contains "gatekeeper                   running" "$watch" "the state it had when the watch began, again"
expect_rc 2 "run-status --watch --json" jobctl --json run-status --watch "$wr"

# --- the table on a narrow terminal with many groups: cut to its width, at most 20 rows of groups ---
{
        echo '{ "name": "many", "jobs": ['
        for i in $(seq 25); do
                printf '{ "name": "j%s", "group": "a-rather-long-group-name-%s", "command": ["true"] }%s\n' \
                        "$i" "$i" "$( ((i < 25)) && echo , )"
        done
        echo '] }'
} >"$TEST_TMP/many.json"
mr=$(plan_submit "$TEST_TMP/many.json")
wait_run_done "$mr"
python3 - "$JOBCTL" "$mr" >"$TEST_TMP/narrow.out" <<'PY' || fail "run-status --watch in a narrow pty: $(cat "$TEST_TMP/narrow.out")"
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 50, 0, 0))
    os.execv(sys.argv[1], [sys.argv[1], "run-status", "--watch", sys.argv[2]])
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(data.decode("utf-8", "replace").replace("\r", ""))
print("EXIT", os.waitstatus_to_exitcode(status))
PY
narrow=$(cat "$TEST_TMP/narrow.out")
assert_contains "EXIT 0" "$narrow" "exit status of run-status --watch of a run that succeeded"
assert_match "\+6 more +0 +0 +6 +0 +0" "$narrow" "the groups beyond 19, summed up in one row"
assert_match "all +0 +0 +25 +0 +0" "$narrow" "the row of all jobs"
longest=$(sed 's/\x1b\[[0-9]*[AJ]//g' "$TEST_TMP/narrow.out" | grep -v '^EXIT' | awk '{ print length }' | sort -n | tail -1)
assert_int "$longest" -le 49 "longest line on a terminal of 50 columns"

# --- jobctl wait --progress: lines carry the job's name; where a job stands is printed once ---
quick=$(submit --name=quick-one true)
slowj=$(submit --name=slow-one sleep 1)
wait_done "$quick"
run_rc rc jobctl wait --progress "$quick" "$slowj"
assert_eq 0 "$rc" "exit status of wait --progress ($RUN_ERR)"
assert_eq 1 "$(grep -c "job $quick .*quick-one  *done" <<<"$RUN_OUT")" "lines for the job done before the wait"
assert_eq 1 "$(grep -c "job $slowj .*slow-one  *running" <<<"$RUN_OUT")" "lines for the running job's state"
assert_eq 1 "$(grep -c "job $slowj .*slow-one  *done" <<<"$RUN_OUT")" "lines for the running job's end"

# --- KeepRuns=2 with --keep-finished=1: the newest two runs of a name keep their jobs ---
jobd_crash
jobd_start --max-parallel=4 --config="$TEST_TMP/jobd.conf" --keep-finished=1
cat >"$TEST_TMP/k.json" <<'JSON'
{ "name": "kept", "jobs": [ { "name": "a", "command": ["true"] }, { "name": "b", "command": ["true"] } ] }
JSON
k1=$(plan_submit "$TEST_TMP/k.json"); wait_run_done "$k1"
k2=$(plan_submit "$TEST_TMP/k.json"); wait_run_done "$k2"
k3=$(plan_submit "$TEST_TMP/k.json"); wait_run_done "$k3"
o=$(plan_submit "$TEST_TMP/k.json" --name=other); wait_run_done "$o"
wait_until 10 "run $k1 to be forgotten (beyond KeepRuns=2)" \
        bash -c "! \"$JOBCTL\" run-status $k1 >/dev/null 2>&1"
for k in "$k2" "$k3"; do
        n=$(bctl --json=short call org.jobd1 "$(run_path "$k")" org.jobd1.Run ListJobs | jq '.data[0] | length')
        assert_eq 2 "$n" "jobs of kept run $k (KeepRuns=2, --keep-finished=1)"
done
assert_eq '[]' "$(jobctl --json=short compare "$k3" | jq -c '.new + .removed')" "compare of two kept runs"
