#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The nightly-regression units (issue 4) in a real, contained systemd user manager. The user variant of
# jobd-plan@.service, as shipped (units/user/jobd-plan@.service.in) but with ExecStart= on the built jobctl
# and the test's private bus instead of "@bindir@/jobctl --user", runs %E/jobd/plans/%i.json with
# `jobctl plan --wait`: `systemctl --user start jobd-plan@nightly.service` returns once the plan has run,
# its jobs ran in order, each in its own scope, with their results and logs, and the unit succeeded; a plan
# with a failing job fails its unit; two nights of a plan with fail/pass patterns and an output_root leave
# report.xml, report.json, summary.md (comparing with the night before) and passing/ failed/ links;
# jobd-plan@nightly.timer, enabled and started, is in list-timers.
JOBD_TEST_BACKEND=systemd
. "$(dirname "$0")/../helpers/lib.sh"
command -v jq >/dev/null || skip "jq is not installed"
jobd_start --max-parallel=4

units=$(cd "$(dirname "$0")/../../units" && pwd)
udir="$XDG_CONFIG_HOME/systemd/user"
plans="$XDG_CONFIG_HOME/jobd/plans"
out="$TEST_TMP/plan-out"
mkdir -p "$udir" "$plans" "$out"

# The shipped user unit, with only the client swapped: the line must still be the documented one.
tmpl="$units/user/jobd-plan@.service.in"
exec_line='ExecStart=@bindir@/jobctl --user plan --wait %E/jobd/plans/%i.json'
grep -qxF "$exec_line" "$tmpl" || fail "$tmpl: no line '$exec_line'"
sed "s|^ExecStart=@bindir@/jobctl --user |ExecStart=$JOBCTL --address=$BUS |" "$tmpl" >"$udir/jobd-plan@.service"
! grep -qE '@[a-z_]+@' "$udir/jobd-plan@.service" ||
        fail "a placeholder is left in the test's jobd-plan@.service: $(grep -E '@[a-z_]+@' "$udir/jobd-plan@.service")"
cp "$units/jobd-plan@.timer" "$udir/"
# Test only: jobctl's report to a file (there is no journal in the contained manager).
for plan in nightly broken; do
        mkdir -p "$udir/jobd-plan@$plan.service.d"
        printf '[Service]\nStandardOutput=file:%s\nStandardError=inherit\n' "$TEST_TMP/$plan.report" \
                >"$udir/jobd-plan@$plan.service.d/report.conf"
done
systemctl --user daemon-reload
assert_eq oneshot "$(systemctl --user show -P Type jobd-plan@nightly.service)" "Type of jobd-plan@nightly.service"
assert_eq "jobd regression plan nightly" "$(systemctl --user show -P Description jobd-plan@nightly.service)" \
        "Description of jobd-plan@nightly.service"

# build, then two tests after it; each leaves a line in the log and its name in the order file.
cat >"$plans/nightly.json" <<EOF
{
  "name": "nightly",
  "defaults": { "env": { "OUT": "$out" }, "timeout": "60s" },
  "jobs": [
    { "name": "build", "command": ["sh", "-c", "echo building; echo build >>\"\$OUT/order\""] },
    { "name": "test-a", "command": "echo test-a passed; echo test-a >>\"\$OUT/order\"", "after": ["build"] },
    { "name": "test-b", "command": ["sh", "-c", "echo test-b passed; echo test-b >>\"\$OUT/order\""],
      "after": ["build"] }
  ]
}
EOF

expect_rc 0 "systemctl --user start jobd-plan@nightly.service" \
        timeout -k 5 60 systemctl --user start jobd-plan@nightly.service
assert_eq success "$(systemctl --user show -P Result jobd-plan@nightly.service)" "Result of the plan's unit"
assert_eq 0 "$(systemctl --user show -P ExecMainStatus jobd-plan@nightly.service)" "jobctl's exit status"
assert_eq inactive "$(systemctl --user show -P ActiveState jobd-plan@nightly.service)" \
        "ActiveState of the oneshot unit once done"
report=$(cat "$TEST_TMP/nightly.report")
assert_match "Run [0-9]+ \(nightly\) finished: success" "$report" "jobctl's report in the unit's output"

# The jobs: all three ran, build first, each in its own scope, with its output in its log.
assert_eq build "$(head -n 1 "$out/order")" "the first job of the plan"
assert_eq "build test-a test-b" "$(sort "$out/order" | tr '\n' ' ' | sed 's/ $//')" "the jobs that ran"
runs=$(jobctl runs --json=short)
assert_eq 1 "$(jq '[.[] | select(.name == "nightly")] | length' <<<"$runs")" "runs named nightly: $runs"
assert_eq '"success" 3 3' "$(jq -r '.[] | select(.name == "nightly") | "\"\(.result)\" \(.jobs) \(.done)"' <<<"$runs")" \
        "result, jobs and done of the run"
list=$(jobctl list --json=short)
for name in build test-a test-b; do
        id=$(jq -r --arg n "$name" '[.[] | select(.name == $n)][0].id // empty' <<<"$list")
        [[ -n "$id" ]] || fail "job $name is not listed: $list"
        assert_eq success "$(job_prop "$id" Result)" "Result of job $name"
        assert_eq "jobd-$id.scope" "$(job_prop "$id" Unit)" "Unit of job $name"
        word=$([[ $name == build ]] && echo building || echo "$name passed")
        assert_contains "$word" "$(jobctl logs "$id")" "log of job $name"
done

# A plan whose job fails: the unit fails, and jobctl's report names the job.
cat >"$plans/broken.json" <<EOF
{ "name": "broken", "jobs": [ { "name": "bad", "command": ["sh", "-c", "echo about to fail; exit 3"] } ] }
EOF
expect_rc 1 "systemctl --user start jobd-plan@broken.service (a job fails)" \
        timeout -k 5 60 systemctl --user start jobd-plan@broken.service
assert_eq failed "$(systemctl --user show -P ActiveState jobd-plan@broken.service)" "ActiveState of a failed plan"
assert_eq exit-code "$(systemctl --user show -P Result jobd-plan@broken.service)" "Result of a failed plan's unit"
assert_contains bad "$(cat "$TEST_TMP/broken.report")" "the failed job in jobctl's report"

# Two nights of a regression with pass/fail patterns and an output root, from the unit: each leaves
# report.xml, report.json and summary.md in the output root (written by `jobctl plan --wait`), the second
# one's summary compares it with the first night, and passing/ and failed/ link the jobs' folders.
# Night 1: sim-a prints UVM_ERROR and exits 0 (failed by the pattern), sim-b passes; night 2 the other way.
regress="$TEST_TMP/regress-out"
mkdir -p "$udir/jobd-plan@regress.service.d"
printf '[Service]\nStandardOutput=file:%s\nStandardError=inherit\n' "$TEST_TMP/regress.report" \
        >"$udir/jobd-plan@regress.service.d/report.conf"
systemctl --user daemon-reload
cat >"$plans/regress.json" <<EOF
{
  "name": "regress",
  "output_root": "$regress",
  "defaults": { "env": { "OUT": "$out" }, "timeout": "60s",
                "fail_patterns": ["UVM_(ERROR|FATAL)"], "pass_patterns": ["TEST PASSED"] },
  "jobs": [
    { "name": "sim-a", "command": ["sh", "-c", "echo sim-a start; if [ -e \"\$OUT/break-a\" ]; then echo 'UVM_ERROR @ 42ns: sim-a scoreboard mismatch'; fi; echo TEST PASSED"] },
    { "name": "sim-b", "command": ["sh", "-c", "echo sim-b start; if [ -e \"\$OUT/break-b\" ]; then echo 'UVM_ERROR @ 7ns: sim-b bad parity'; fi; echo TEST PASSED"] }
  ]
}
EOF
for night in 1 2; do
        if [[ $night == 1 ]]; then touch "$out/break-a"; rm -f "$out/break-b"
        else rm -f "$out/break-a"; touch "$out/break-b"; fi
        expect_rc 1 "systemctl --user start jobd-plan@regress.service (night $night: a sim fails by pattern)" \
                timeout -k 5 60 systemctl --user start jobd-plan@regress.service
        for f in report.xml report.json summary.md; do
                [[ -s "$regress/$f" ]] || fail "night $night: no $regress/$f: $(ls -la "$regress" 2>&1)"
        done
        bad=$([[ $night == 1 ]] && echo sim-a || echo sim-b)
        good=$([[ $night == 1 ]] && echo sim-b || echo sim-a)
        # JUnit: two tests, one failure whose message quotes the matched line; a parser reads it.
        junit=$(python3 - "$regress/report.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
fails = [(c.get("name"), f.get("message")) for c in cases for f in c.findall("failure")]
print(len(cases), len(fails), *[f"{n}|{m}" for n, m in fails], sep="\n")
PYEOF
) || fail "night $night: report.xml does not parse: $(cat "$regress/report.xml")"
        assert_eq 2 "$(sed -n 1p <<<"$junit")" "night $night: testcases in report.xml"
        assert_eq 1 "$(sed -n 2p <<<"$junit")" "night $night: failures in report.xml"
        assert_match "^$bad\|.*UVM_ERROR @ [0-9]+ns: $bad" "$(sed -n 3p <<<"$junit")" \
                "night $night: the failure and its message (the matched line)"
        assert_eq failed "$(jq -r --arg n "$bad" '.jobs[] | select(.name == $n) | .result' "$regress/report.json")" \
                "night $night: $bad in report.json"
        assert_eq success "$(jq -r --arg n "$good" '.jobs[] | select(.name == $n) | .result' "$regress/report.json")" \
                "night $night: $good in report.json"
        # The folders of links: the failed job's folder in failed/, the other's in passing/.
        [[ -L "$regress/failed/$bad" && ! -e "$regress/passing/$bad" ]] ||
                fail "night $night: $bad is not (only) in failed/: $(ls -lR "$regress" 2>&1)"
        [[ -L "$regress/passing/$good" && ! -e "$regress/failed/$good" ]] ||
                fail "night $night: $good is not (only) in passing/: $(ls -lR "$regress" 2>&1)"
        assert_contains "UVM_ERROR" "$(cat "$regress/failed/$bad/job.log")" "night $night: $bad's log in its folder"
done
summary=$(cat "$regress/summary.md")
assert_match "## Compared with run [0-9]+" "$summary" "the second night's summary.md compares it with the first"
assert_contains "1 new failure, 1 fixed" "$summary" "the comparison's counts"
assert_match "New failures[^#]*sim-b" "$(tr '\n' ' ' <<<"$summary")" "sim-b among the new failures"
assert_match "Fixed[^#]*sim-a" "$(tr '\n' ' ' <<<"$summary")" "sim-a among the fixed"
assert_eq '"failed" 2' "$(jq -r '"\"\(.run.result)\" \(.jobs | length)"' "$regress/report.json")" \
        "the run in report.json"

# The timer: enabled (timers.target wants it) and started, it is listed with the service it starts.
expect_rc 0 "systemctl --user enable --now jobd-plan@nightly.timer" \
        systemctl --user enable --now jobd-plan@nightly.timer
assert_eq enabled "$(systemctl --user is-enabled jobd-plan@nightly.timer)" "is-enabled of the timer"
assert_eq active "$(systemctl --user show -P ActiveState jobd-plan@nightly.timer)" "ActiveState of the timer"
timers=$(systemctl --user list-timers --all --no-legend --no-pager 'jobd-plan@*')
assert_match "jobd-plan@nightly\.timer +jobd-plan@nightly\.service" "$timers" "list-timers"
assert_contains "OnCalendar=*-*-* 02:00:00" "$(systemctl --user show -P TimersCalendar jobd-plan@nightly.timer)" \
        "the timer's calendar"
systemctl --user disable --now jobd-plan@nightly.timer
daemon_still_ok
