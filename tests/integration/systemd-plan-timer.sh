#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The nightly-regression units (issue 4) in a real, contained systemd user manager. The user variant of
# jobd-plan@.service, as shipped (units/user/jobd-plan@.service.in) but with ExecStart= on the built jobctl
# and the test's private bus instead of "@bindir@/jobctl --user", runs %E/jobd/plans/%i.json with
# `jobctl plan --wait`: `systemctl --user start jobd-plan@nightly.service` returns once the plan has run,
# its jobs ran in order, each in its own scope, with their results and logs, and the unit succeeded; a plan
# with a failing job fails its unit; jobd-plan@nightly.timer, enabled and started, is in list-timers.
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
