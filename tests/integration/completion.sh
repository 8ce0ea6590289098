#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The bash completion of jobctl, run as bash runs it (COMP_WORDS/COMP_CWORD, then _jobctl) against a live
# daemon: verbs, each verb's options, values of options (states, signals, groups, runs), job IDs and
# names by state. And meson installs it (and the zsh one).
. "$(dirname "$0")/../helpers/lib.sh"
jobd_start

comp_file="$SRC_ROOT/src/jobctl/completion/jobctl.bash"
[[ -r "$comp_file" ]] || fail "no bash completion at $comp_file"
# The completion runs "jobctl": the one under test.
PATH="$(dirname "$JOBCTL"):$PATH"
unset -f jobctl
# shellcheck source=/dev/null
. "$comp_file"
complete -p jobctl | grep -q _jobctl || fail "the completion does not register _jobctl"

# comp WORD...: what completing the last word offers, sorted, one line.
comp() {
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _jobctl
        printf '%s\n' "${COMPREPLY[@]}" | sort | xargs
}

# Verbs: every verb of jobctl --help, and a prefix.
all=$(comp jobctl "")
for v in $(jobctl --help | awk '/^Commands:/ { c = 1; next } /^Options:/ { c = 0 } c && /^  [a-z]/ { print $1 }'); do
        assert_contains " $v " " $all " "verb $v is completed"
done
assert_eq "restart resume resume-group" "$(comp jobctl res)" "verbs starting with res"
assert_eq "run run-cancel run-pause run-resume run-retry run-status runs" "$(comp jobctl ru)" "verbs starting with ru"

# Options of a verb, from its --help; global options before the verb.
assert_eq "--state=" "$(comp jobctl list --st)" "list --st"
assert_contains "--no-legend" "$(comp jobctl list --no)" "list --no"
assert_eq "--exec=" "$(comp jobctl wait --ex)" "wait --ex"
assert_contains "--system" "$(comp jobctl --sy)" "global --sy"
assert_eq "" "$(comp jobctl status --st)" "status has no --state"

# Values of options, as bash splits them at '=' and as one word.
assert_eq "running" "$(comp jobctl list --state = ru)" "--state = ru"
assert_eq "--state=running" "$(comp jobctl list --state=ru | sed 's/^/--state=/')" "--state=ru"
assert_eq "failed" "$(comp jobctl list --result = fa)" "--result = fa"
assert_eq "KILL" "$(comp jobctl kill -s K)" "kill -s K"
assert_eq "short" "$(comp jobctl list --json = sh)" "--json = sh"

# Job IDs and names from the daemon, by what the verb can act on.
s=$(submit --name=compjob --group=gcomp -- sleep 60)
d=$(submit --name=donejob -- true)
wait_done "$d"
wait_state "$s" running
out=$(comp jobctl kill "")
assert_contains "$s" "$out" "kill offers the running job's ID"
assert_contains compjob "$out" "kill offers the running job's name"
assert_not_contains donejob "$out" "kill does not offer a done job"
assert_contains donejob "$(comp jobctl logs "")" "logs offers every job"
assert_not_contains compjob "$(comp jobctl resume "")" "resume offers only paused jobs"
assert_eq "gcomp" "$(comp jobctl pause-group gc)" "groups from the daemon"
assert_eq "gcomp" "$(comp jobctl list --group = gc)" "--group values from the daemon"
cat >"$TEST_TMP/c.json" <<'JSON'
{ "jobs": [ { "name": "x", "command": "true" } ] }
JSON
run=$(jobctl plan --json "$TEST_TMP/c.json" | jq -r .run) || fail "plan"
assert_contains "$run" "$(comp jobctl run-status "")" "run IDs from the daemon"
jobctl cancel "$s"
wait_done "$s"

# The zsh completion: it parses, and run outside the completion system (compadd and _describe stubbed to
# print what they are given) it offers verbs, a verb's options and job IDs from the daemon.
if command -v zsh >/dev/null; then
        zcomp_file="$SRC_ROOT/src/jobctl/completion/_jobctl"
        zsh -n "$zcomp_file" || fail "zsh -n $zcomp_file"
        # zcomp WORD...: what _jobctl offers for the last word, sorted, one line.
        zcomp() {
                zsh -f -c '
                        compadd() {
                                local arr
                                while (( $# )); do
                                        case $1 in
                                        -a) arr=$2; shift 2 ;;
                                        -S|-t|-X|-J) shift 2 ;;
                                        *) shift ;;
                                        esac
                                done
                                print -l -- ${(P)arr}
                        }
                        _describe() { print -l -- ${(P)4} }
                        _files() { }
                        _command_names() { }
                        words=("$@"); CURRENT=$#; PREFIX=${words[-1]}
                        source "$ZCOMP_FILE"' jobctl "$@" | sort | xargs
        }
        export ZCOMP_FILE="$zcomp_file"
        zall=$(zcomp jobctl "")
        for v in list submit wait watch kill set-priority; do
                assert_contains " $v " " $zall " "zsh: verb $v is completed"
        done
        zopts=$(zcomp jobctl watch --)
        assert_contains "--on-finish=" "$zopts" "zsh: watch's options from its --help"
        assert_contains "--label=" "$zopts" "zsh: watch's options from its --help"
        assert_contains "--exec=" "$(zcomp jobctl wait --)" "zsh: wait's options"
        z=$(submit --name=zshjob --hold -- true)
        assert_contains "$z" "$(zcomp jobctl release "")" "zsh: job IDs from the daemon"
        jobctl cancel "$z"
else
        note "no zsh: its completion is not exercised"
fi

# meson installs both completions.
build_root=$(cd "$(dirname "$JOBCTL")/../.." && pwd)
inst=$(meson introspect "$build_root" --installed 2>/dev/null) || skip "meson introspect --installed failed"
assert_contains "bash-completion/completions/jobctl" "$inst" "bash completion is installed"
assert_contains "zsh/site-functions/_jobctl" "$inst" "zsh completion is installed"
