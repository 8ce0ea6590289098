# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for jobctl(1): verbs, each verb's options (read from "jobctl VERB --help", so they never
# drift), job IDs and names, run IDs, group and pool names from the running daemon, signals, states and
# results. Installed by meson into bash-completion's completions folder.

__jobctl() {
        # The bus options given on the command line, so that completion asks the same daemon.
        local -a bus=()
        local w
        for w in "${COMP_WORDS[@]:-}"; do
                case "$w" in
                --user|--system|--address=*) bus+=("$w") ;;
                esac
        done
        command jobctl ${bus[@]+"${bus[@]}"} --no-ask-password "$@" 2>/dev/null
}

__jobctl_verbs() {
        command jobctl --help 2>/dev/null | awk '/^Commands:/ { c = 1; next } /^Options:/ { c = 0 }
                c && /^  [a-z]/ { print $1 }'
}

__jobctl_options() {  # VERB
        command jobctl "$1" --help 2>/dev/null | grep -oE -- '(^|[ ,])--[a-z][a-z-]*=?' | tr -d ' ,' | sort -u
}

__jobctl_jobs() {  # [--state=...]: IDs, then names (a name is completed where an ID is)
        __jobctl list --no-legend "$@" | awk '{ print $1; if ($2 != "-") print $2 }'
}

__jobctl_column1() {  # VERB: the first column of a table, without its header
        __jobctl "$1" | awk 'NR > 1 && $1 ~ /^[^ ]/ { print $1 }'
}

_jobctl() {
        local cur prev prev2 verb="" i words
        cur=${COMP_WORDS[COMP_CWORD]:-}
        prev=${COMP_WORDS[COMP_CWORD - 1]:-}
        prev2=""
        ((COMP_CWORD >= 2)) && prev2=${COMP_WORDS[COMP_CWORD - 2]:-}
        COMPREPLY=()

        # The verb: the first word that is not an option (nor the value of --address).
        for ((i = 1; i < COMP_CWORD; i++)); do
                case "${COMP_WORDS[i]}" in
                -*) ;;
                *) verb=${COMP_WORDS[i]}; break ;;
                esac
        done

        # "--opt=value": bash splits at '=' when it is in COMP_WORDBREAKS.
        local opt="" val=$cur
        if [[ "$cur" == --*=* ]]; then
                opt=${cur%%=*}
                val=${cur#*=}
        elif [[ "$cur" != -* && "$prev" == "=" && "$prev2" == --* ]]; then
                opt=$prev2
        elif [[ "$cur" == "=" && "$prev" == --* ]]; then
                opt=$prev
                val=""
        elif [[ "$prev" == -s || "$prev" == -n ]]; then
                opt=$prev
        fi
        if [[ -n "$opt" ]]; then
                case "$opt" in
                --state) words="waiting queued starting running paused stopping done" ;;
                --result) words="success failed killed timeout oom skipped cancelled lost" ;;
                --after-condition) words="success failure any" ;;
                --backend) words="local slurm" ;;
                --json) words="short pretty off" ;;
                -s|--signal) words="HUP INT QUIT KILL USR1 USR2 TERM CONT STOP TSTP" ;;
                --group) words=$(__jobctl_column1 groups) ;;
                --run) words=$(__jobctl_column1 runs) ;;
                --after) words=$(__jobctl list --no-legend | awk '{ print $1 }') ;;
                --owner) words=$(compgen -u) ;;
                --resource) words=$(__jobctl_column1 pools | sed 's/$/=/') ;;
                --cwd) mapfile -t COMPREPLY < <(compgen -d -- "$val"); return 0 ;;
                --output-directory) mapfile -t COMPREPLY < <(compgen -d -- "$val"); return 0 ;;
                --log-path) mapfile -t COMPREPLY < <(compgen -f -- "$val"); return 0 ;;
                *) return 0 ;;
                esac
                mapfile -t COMPREPLY < <(compgen -W "$words" -- "$val")
                return 0
        fi

        if [[ -z "$verb" ]]; then
                if [[ "$cur" == -* ]]; then
                        words=$(command jobctl --help 2>/dev/null | grep -oE -- '--[a-z][a-z-]*=?' | sort -u)
                else
                        words=$(__jobctl_verbs)
                fi
                mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
                return 0
        fi

        if [[ "$cur" == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$(__jobctl_options "$verb")" -- "$cur")
                # An option that takes a value gets no space after its '='.
                [[ "${COMPREPLY[0]:-}" == *= ]] && compopt -o nospace 2>/dev/null
                return 0
        fi

        case "$verb" in
        show|logs|wait|watch|remove|restart) words=$(__jobctl_jobs) ;;
        kill|pause) words=$(__jobctl_jobs --state=starting,running,paused,stopping) ;;
        resume) words=$(__jobctl_jobs --state=paused) ;;
        hold|set-priority) words=$(__jobctl_jobs --state=waiting,queued) ;;
        release) words=$(__jobctl_jobs --state=waiting) ;;
        cancel) words=$(__jobctl_jobs --state=waiting,queued,starting,running,paused,stopping) ;;
        run-status|run-cancel|run-pause|run-resume|run-retry) words=$(__jobctl_column1 runs) ;;
        group|pause-group|resume-group) words=$(__jobctl_column1 groups) ;;
        pool|slot-pool|release-slot) words=$(__jobctl_column1 pools) ;;
        plan) mapfile -t COMPREPLY < <(compgen -f -X '!*.json' -- "$cur"; compgen -d -- "$cur"); return 0 ;;
        submit|run) mapfile -t COMPREPLY < <(compgen -c -- "$cur"); return 0 ;;
        *) return 0 ;;
        esac
        mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
        return 0
}

complete -F _jobctl jobctl
