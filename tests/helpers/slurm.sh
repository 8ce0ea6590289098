# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# A private one-node Slurm cluster for the tests and the bench, started and stopped by pid:
#
#     . "$SRCDIR/tests/helpers/slurm.sh"
#     slurm_cluster_start DIR [LICENSES]   # e.g. "simlic:2"; exports SLURM_CONF, SLURM_SHARED, SLURM_DIR
#     slurm_node_stop / slurm_node_start   # slurmd only (node failure)
#     slurm_cluster_stop                   # all three daemons, their cgroups, DIR's contents; trap-safe
#     slurm_jobd_conf FILE                 # appends a [Slurm] section for this cluster to FILE
#     slurm_job_field ID FIELD             # a field of `scontrol -o show job ID` (JobState, ExitCode, ...)
#     slurm_wait_job_state ID REGEX [SEC]  # bounded wait until JobState matches REGEX (default 30 s)
#
# Everything lives in DIR: slurm.conf + cgroup.conf, a munge key of its own and a munged on DIR/munge/
# (AuthInfo=socket=...), state, spool, logs, pid files, the shared folder (SLURM_SHARED). The node is
# "localhost" with the CPUs and RealMemory of this machine (slurmd -C), one default partition "debug",
# a pair of free TCP ports of its own. Nothing of the system's Slurm or munge (/etc/slurm, /etc/munge,
# /run/munge) is read or touched, so several clusters (parallel tests) can run at once.
#
# Process tracking (what the cluster does with a job's orphans):
#   - cgroup v1 hierarchies present (hybrid hosts: v2 at /sys/fs/cgroup/unified without controllers, the
#     v1 controllers beside it): ProctrackType=proctrack/cgroup + TaskPlugin=task/cgroup with
#     CgroupPlugin=cgroup/v1 and ConstrainRAMSpace (so --mem is enforced and OUT_OF_MEMORY happens).
#     Slurm's v1 plugin always builds its tree as <CgroupMountpoint>/<controller>/slurm/uid_U/job_J/...;
#     to keep it below a cgroup of the test's own, slurmd runs in a private mount namespace (unshare -m,
#     private propagation) where DIR/cgroup/<controller> is a bind mount of
#     <v1 mount>/<BASE>/ (BASE = lib.sh's $CG_NAME, or jobd-slurm-PID), and CgroupMountpoint=DIR/cgroup.
#     The bind mounts die with slurmd; the BASE cgroups are removed by slurm_cluster_stop (and by lib.sh's
#     cgroup cleanup/guardian, which know $CG_NAME). Every step runs in a freezer cgroup: on scancel,
#     timeout or the end of the batch script, slurmstepd signals every process of that cgroup, so a
#     daemonized child (double fork, reparented away from the job) is killed too: no orphan survives.
#   - no cgroup v1 freezer (pure cgroup v2 hosts): proctrack/linuxproc + task/none. Slurm 22.05's
#     cgroup/v2 plugin wants a systemd-delegated scope or builds system.slice/slurmstepd.scope at the root
#     of the hierarchy, and job cgroups below it, shared by every slurmd of the machine. slurmd still
#     loads that plugin at start (whatever the proctrack): it runs in a cgroup namespace rooted at the
#     holder cgroup (below), with cgroup2 remounted in its private mount namespace and IgnoreSystemd=yes,
#     so that whatever it creates is below the test's own cgroup. (Not exercised on the hybrid machine
#     this was written on: its slurmd refuses cgroup/v2 beside v1 hierarchies.) linuxproc tracks a job by
#     its process tree (parent pids): a child that daemonizes (reparented to init or a subreaper) is no
#     longer seen and survives scancel and the job's end: orphans leak there (the holder cgroup still
#     lets slurm_cluster_stop kill them).
#   SLURM_TEST_PROCTRACK=linuxproc forces the second choice (to see the difference).
#   SLURM_PROCTRACK is exported: "cgroup" or "linuxproc".
#
# Timeouts are short so that the tests are quick: SlurmdTimeout=5 (a stopped slurmd makes the node DOWN
# and its jobs NODE_FAIL within ~10-20 s), JobRequeue=0 (NODE_FAIL is final), MinJobAge=300 (finished
# jobs stay visible to slurm_load_jobs long enough for jobd's polling), KillWait=2, a 1 s scheduler
# interval, no accounting (sacct does not work: use scontrol show job). Memory is a consumable resource:
# --mem is enforced (OUT_OF_MEMORY, in cgroup mode), a job without it gets min(1 GiB, RealMemory/CPUs)
# per CPU. Slurm's time limits have a granularity of minutes (--time=1 is the shortest: 60 s).
#
# Needs root (slurmd runs jobs as their users), slurmctld, slurmd, the slurm client commands, munged.
# slurm_cluster_start returns 77 with the reason on stderr only when that is missing; any other failure
# to start is an error (status 1) with the daemons' logs printed. DIR's parents must be traversable by
# the users who submit jobs (DIR itself is made 0755).

SLURM_DIR=""
SLURM_CONF=""
SLURM_SHARED=""
SLURM_PROCTRACK=""
SLURM_MUNGED_PID=""
SLURM_CTLD_PID=""
SLURM_SLURMD_PID=""
SLURM_CG_BASE=""
SLURM_CG_HOLDER=""
SLURM_CG_V2NS=""
SLURM_CG_DIRS=()
SLURM_LICENSES=""

_slurm_log() {
        printf '[slurm %s] %s\n' "$(date +%T.%3N)" "$*" >&2
}

_slurm_now_ms() {
        local s
        s=$(date +%s%N)
        echo $((s / 1000000))
}

# _slurm_wait SECONDS WHAT CMD...: bounded poll; 1 at the deadline.
_slurm_wait() {
        local timeout=$1 what=$2 deadline
        shift 2
        deadline=$(($(_slurm_now_ms) + timeout * 1000))
        until "$@"; do
                if (($(_slurm_now_ms) > deadline)); then
                        _slurm_log "timed out after ${timeout}s waiting for: $what"
                        return 1
                fi
                sleep 0.1
        done
}

_slurm_alive() {  # PID: running and not a zombie
        local s
        [[ -n "$1" ]] || return 1
        { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
        s=${s##*) }
        [[ "${s%% *}" != Z && "${s%% *}" != X ]]
}

_slurm_dump_logs() {
        local f
        for f in "$SLURM_DIR"/log/*.log "$SLURM_DIR"/log/*.out; do
                [[ -s "$f" ]] || continue
                echo "----- $f (last 40 lines) -----" >&2
                tail -n 40 "$f" >&2
        done
        echo "------------------------------------" >&2
}

# A TCP port nobody listens on, with PORT+1 free too (listening sockets from /proc/net/tcp{,6}: state 0A).
_slurm_free_port_pair() {
        local p i used
        used=$(awk 'FNR > 1 && $4 == "0A" { n = split($2, a, ":"); print a[n] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
        for ((i = 0; i < 200; i++)); do
                p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
                if ! grep -qix "$(printf '%04X' "$p")" <<<"$used" && ! grep -qix "$(printf '%04X' $((p + 1)))" <<<"$used"; then
                        echo "$p"
                        return 0
                fi
        done
        return 1
}

_slurm_v1_mount() {  # CONTROLLER: mount point of the v1 hierarchy that has it
        awk -v c="$1" '{ for (i = 7; i <= NF; i++) if ($i == "-") {
                if ($(i+1) == "cgroup") { n = split($(i+3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }
                break } }' /proc/self/mountinfo
}

# Empties (SIGKILL, v1: what cgroup.procs lists) and removes a cgroup subtree, depth-first, bounded.
_slurm_cg_remove() {
        local top=$1 d pid deadline
        [[ -d "$top" ]] || return 0
        deadline=$(($(_slurm_now_ms) + 10000))
        while IFS= read -r d; do
                [[ ! -e "$d/cgroup.kill" ]] || echo 1 >"$d/cgroup.kill" 2>/dev/null || true
                # (cgroup files have no size: -s cannot tell whether one lists anything)
                while [[ -n "$(cat "$d/cgroup.procs" 2>/dev/null)" ]] && (($(_slurm_now_ms) < deadline)); do
                        while read -r pid; do
                                kill -KILL "$pid" 2>/dev/null || true
                        done <"$d/cgroup.procs"
                        sleep 0.05
                done
                until rmdir "$d" 2>/dev/null; do
                        [[ -d "$d" ]] || break
                        if (($(_slurm_now_ms) > deadline)); then
                                _slurm_log "cannot remove cgroup $d"
                                break
                        fi
                        sleep 0.05
                done
        done < <(find "$top" -depth -type d 2>/dev/null)
}

# Records a daemon for lib.sh's guardian (it stops it if the test shell dies without its EXIT trap).
_slurm_record() {
        if declare -F state_record >/dev/null && [[ -n "${TEST_TMP:-}" && -f "$TEST_TMP/harness.state" ]]; then
                state_record BG "$1"
        fi
}

# Stops one daemon of ours by pid: SIGTERM, SIGKILL after GRACE seconds.
_slurm_stop_pid() {
        local pid=$1 grace=$2 deadline
        [[ -n "$pid" ]] || return 0
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$(($(_slurm_now_ms) + grace * 1000))
        while _slurm_alive "$pid"; do
                if (($(_slurm_now_ms) > deadline)); then
                        _slurm_log "pid $pid did not exit within ${grace}s of SIGTERM, sending SIGKILL"
                        kill -KILL "$pid" 2>/dev/null || true
                        sleep 0.1
                        break
                fi
                sleep 0.05
        done
        wait "$pid" 2>/dev/null || true
}

_slurm_missing() {
        local b
        for b in munged slurmctld slurmd sbatch scontrol sinfo squeue scancel; do
                if ! command -v "$b" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$b" ]]; then
                        echo "$b"
                        return 0
                fi
        done
        return 1
}

_slurm_bin() {
        command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"
}

_slurm_node_state() {
        scontrol -o show node localhost 2>/dev/null | sed -n 's/.* State=\([^ ]*\).*/\1/p'
}

_slurm_node_idle() {
        [[ "$(_slurm_node_state)" == IDLE ]]
}

_slurm_v2_mount() {
        awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") { print $5; exit } break } }' \
                /proc/self/mountinfo
}

_slurm_ctld_up() {
        _slurm_alive "$SLURM_CTLD_PID" && scontrol ping 2>/dev/null | grep -q UP
}

_slurm_node_up() {
        _slurm_alive "$SLURM_SLURMD_PID" && _slurm_node_idle
}

_slurm_no_job_running() {
        [[ -z "$(squeue -h -t R,CG -o %i 2>/dev/null)" ]]
}

# Chooses the process tracking (see the top of this file) and prepares the cgroups of this cluster, all
# named BASE: one in each v1 hierarchy Slurm uses (cgroup mode), and the holder in cgroup v2,
# <v2 mount>/jobd-slurm/BASE, that slurmd is put into when it starts, so that it and everything it starts
# (slurmstepds, jobs, their orphans in linuxproc mode) can be found and killed at the end. The holder has
# no controllers: it only tracks. (lib.sh's cleanup and guardian find cgroups named $CG_NAME at any
# depth, so they clean these too if the test shell dies.)
_slurm_setup_cgroups() {
        local c m v2
        SLURM_CG_DIRS=()
        SLURM_CG_BASE=${CG_NAME:-jobd-slurm-$$}
        SLURM_CG_HOLDER=""
        SLURM_CG_V2NS=""
        v2=$(_slurm_v2_mount)
        if [[ -n "$v2" && -w "$v2" ]] && mkdir -p "$v2/jobd-slurm/$SLURM_CG_BASE" 2>/dev/null; then
                SLURM_CG_HOLDER="$v2/jobd-slurm/$SLURM_CG_BASE"
                SLURM_CG_DIRS+=("$SLURM_CG_HOLDER")
        fi
        if [[ "${SLURM_TEST_PROCTRACK:-}" != linuxproc && -n "$(_slurm_v1_mount freezer)" ]]; then
                for c in freezer memory; do
                        m=$(_slurm_v1_mount "$c")
                        [[ -n "$m" ]] || continue
                        mkdir -p "$m/$SLURM_CG_BASE" "$SLURM_DIR/cgroup/$c"
                        SLURM_CG_DIRS+=("$m/$SLURM_CG_BASE")
                done
                SLURM_PROCTRACK=cgroup
                cat >"$SLURM_DIR/cgroup.conf" <<-EOF
		CgroupPlugin=cgroup/v1
		CgroupMountpoint=$SLURM_DIR/cgroup
		CgroupAutomount=no
		ConstrainCores=no
		ConstrainDevices=no
		ConstrainRAMSpace=yes
		ConstrainSwapSpace=no
		EOF
        else
                SLURM_PROCTRACK=linuxproc
                if [[ -n "$SLURM_CG_HOLDER" && "$(_slurm_v2_mount)" == /sys/fs/cgroup ]]; then
                        # Pure v2: slurmd loads cgroup/v2 whatever the proctrack, and that plugin sets up its
                        # own tree (system.slice/slurmstepd.scope) at the root of the hierarchy it sees. It
                        # sees a cgroup namespace rooted at the holder (_slurm_start_slurmd), and is told not
                        # to ask systemd for a scope (which would be outside the test's cgroup).
                        SLURM_CG_V2NS=1
                        printf 'CgroupPlugin=cgroup/v2\nIgnoreSystemd=yes\n' >"$SLURM_DIR/cgroup.conf"
                else
                        echo "CgroupPlugin=autodetect" >"$SLURM_DIR/cgroup.conf"
                fi
        fi
}

_slurm_write_conf() {
        local port=$1 hw cpus mem defmem
        # CPUs, sockets, cores, threads, RealMemory as slurmd sees them (NodeName/UpTime dropped).
        hw=$("$(_slurm_bin slurmd)" -C 2>/dev/null | head -n 1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')
        [[ -n "$hw" ]] || hw="CPUs=$(nproc) RealMemory=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)"
        cpus=$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$hw")
        mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
        defmem=$((mem / (cpus > 0 ? cpus : 1)))
        ((defmem <= 1024)) || defmem=1024
        {
                echo "# written by tests/helpers/slurm.sh: a private one-node cluster"
                echo "ClusterName=jobdtest"
                echo "SlurmctldHost=localhost"
                echo "SlurmctldPort=$port"
                echo "SlurmdPort=$((port + 1))"
                echo "SlurmUser=root"
                echo "SlurmdUser=root"
                echo "AuthType=auth/munge"
                echo "CredType=cred/munge"
                echo "AuthInfo=socket=$SLURM_DIR/munge/munge.socket"
                echo "StateSaveLocation=$SLURM_DIR/state"
                echo "SlurmdSpoolDir=$SLURM_DIR/spool"
                echo "SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid"
                echo "SlurmdPidFile=$SLURM_DIR/run/slurmd.pid"
                echo "SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log"
                echo "SlurmdLogFile=$SLURM_DIR/log/slurmd.log"
                echo "SlurmctldDebug=info"
                echo "SlurmdDebug=info"
                echo "TmpFS=$SLURM_DIR/tmp"
                echo "MailProg=/bin/true"
                echo "MpiDefault=none"
                if [[ "$SLURM_PROCTRACK" == cgroup ]]; then
                        echo "ProctrackType=proctrack/cgroup"
                        echo "TaskPlugin=task/cgroup"
                else
                        echo "ProctrackType=proctrack/linuxproc"
                        echo "TaskPlugin=task/none"
                fi
                echo "JobAcctGatherType=jobacct_gather/none"
                echo "AccountingStorageType=accounting_storage/none"
                echo "JobCompType=jobcomp/none"
                echo "SchedulerType=sched/backfill"
                echo "SchedulerParameters=sched_interval=1,bf_interval=1,sched_min_interval=100"
                echo "SelectType=select/cons_tres"
                # Memory is allocated (CR_CPU_Memory), so that --mem is the job's cgroup limit (alloc=0 would
                # mean the whole node); a job without --mem gets DefMemPerCPU per CPU.
                echo "SelectTypeParameters=CR_CPU_Memory"
                echo "DefMemPerCPU=$defmem"
                echo "SlurmdParameters=config_overrides"
                echo "SlurmdTimeout=5"
                echo "SlurmctldTimeout=10"
                echo "MessageTimeout=5"
                echo "KillWait=2"
                echo "MinJobAge=300"
                echo "JobRequeue=0"
                echo "ReturnToService=2"
                echo "InactiveLimit=0"
                echo "MaxJobCount=20000"
                echo "MaxArraySize=10001"
                [[ -z "$SLURM_LICENSES" ]] || echo "Licenses=$SLURM_LICENSES"
                echo "NodeName=localhost NodeAddr=127.0.0.1 $hw State=UNKNOWN"
                echo "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP"
        } >"$SLURM_CONF"
}

_slurm_start_munged() {
        local key="$SLURM_DIR/munge/munge.key"
        if command -v mungekey >/dev/null 2>&1 || [[ -x /usr/sbin/mungekey ]]; then
                "$(_slurm_bin mungekey)" --create --keyfile="$key" >/dev/null 2>&1 || true
        fi
        if [[ ! -s "$key" ]]; then
                dd if=/dev/urandom of="$key" bs=1024 count=1 status=none
        fi
        chmod 0600 "$key"
        "$(_slurm_bin munged)" --foreground --force \
                --socket="$SLURM_DIR/munge/munge.socket" --key-file="$key" \
                --pid-file="$SLURM_DIR/run/munged.pid" --log-file="$SLURM_DIR/log/munged.log" \
                --seed-file="$SLURM_DIR/munge/munged.seed" </dev/null >>"$SLURM_DIR/log/munged.out" 2>&1 9>&- &
        SLURM_MUNGED_PID=$!
        _slurm_record "$SLURM_MUNGED_PID"
        _slurm_wait 10 "munged's socket" test -S "$SLURM_DIR/munge/munge.socket" || return 1
}

_slurm_start_slurmd() {
        local c pre=""
        # Into the holder cgroup first (only this shell moves: nothing else of the machine).
        [[ -z "$SLURM_CG_HOLDER" ]] || pre+="echo \$\$ >'$SLURM_CG_HOLDER/cgroup.procs' && "
        if [[ "$SLURM_PROCTRACK" == cgroup ]]; then
                # The bind mounts exist only in slurmd's own mount namespace (and its slurmstepds').
                for c in "$SLURM_DIR"/cgroup/*; do
                        pre+="mount --bind '$(_slurm_v1_mount "${c##*/}")/$SLURM_CG_BASE' '$c' && "
                done
        fi
        if [[ -n "$SLURM_CG_V2NS" ]]; then
                # A cgroup namespace made after the move into the holder has the holder as its root; the
                # cgroup2 mounted in the private mount namespace shows that root as /sys/fs/cgroup.
                sh -c "${pre}exec unshare --mount --propagation private --cgroup -- \
                        sh -c 'umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec $(_slurm_bin slurmd) -D'" \
                        </dev/null >>"$SLURM_DIR/log/slurmd.out" 2>&1 9>&- &
        else
                unshare --mount --propagation private -- \
                        sh -c "${pre}exec '$(_slurm_bin slurmd)' -D" </dev/null >>"$SLURM_DIR/log/slurmd.out" 2>&1 9>&- &
        fi
        SLURM_SLURMD_PID=$!
        _slurm_record "$SLURM_SLURMD_PID"
}

# slurm_cluster_start DIR [LICENSES]
slurm_cluster_start() {
        local dir=$1 missing port
        SLURM_LICENSES=${2:-}
        if missing=$(_slurm_missing); then
                echo "Slurm cannot start here: $missing is not installed (.ci/deps installs slurmctld slurmd slurm-client munge)" >&2
                return 77
        fi
        if [[ $(id -u) != 0 ]]; then
                echo "Slurm cannot start here: a private slurmd must run as root (it runs jobs as their users)" >&2
                return 77
        fi
        command -v unshare >/dev/null || { echo "Slurm cannot start here: unshare (util-linux) is missing" >&2; return 77; }

        mkdir -p "$dir"
        SLURM_DIR=$(cd "$dir" && pwd)
        SLURM_CONF="$SLURM_DIR/slurm.conf"
        SLURM_SHARED="$SLURM_DIR/shared"
        export SLURM_DIR SLURM_CONF SLURM_SHARED
        mkdir -p "$SLURM_DIR"/{munge,state,spool,log,run,tmp,shared,cgroup}
        chmod 0755 "$SLURM_DIR" "$SLURM_DIR/munge" "$SLURM_SHARED"
        chmod 1777 "$SLURM_DIR/tmp"
        # Stopped by lib.sh's cleanup first thing (before it removes the test cgroups and $TEST_TMP).
        if declare -p CLEANUP_HOOKS >/dev/null 2>&1 && [[ " ${CLEANUP_HOOKS[*]} " != *" slurm_cluster_stop "* ]]; then
                CLEANUP_HOOKS+=(slurm_cluster_stop)
        fi

        _slurm_setup_cgroups
        port=$(_slurm_free_port_pair) || { echo "no free TCP port pair for Slurm" >&2; return 1; }
        _slurm_write_conf "$port"
        export SLURM_PROCTRACK

        if ! _slurm_start_munged; then
                _slurm_dump_logs
                return 1
        fi
        "$(_slurm_bin slurmctld)" -D -i </dev/null >>"$SLURM_DIR/log/slurmctld.out" 2>&1 9>&- &
        SLURM_CTLD_PID=$!
        _slurm_record "$SLURM_CTLD_PID"
        if ! _slurm_wait 30 "slurmctld to answer (scontrol ping)" _slurm_ctld_up; then
                _slurm_dump_logs
                return 1
        fi
        _slurm_start_slurmd
        if ! _slurm_wait 30 "node localhost to be idle" _slurm_node_up; then
                _slurm_log "node state: $(_slurm_node_state)"
                _slurm_dump_logs
                return 1
        fi
        _slurm_log "cluster up in $SLURM_DIR (ports $port/$((port + 1)), proctrack/$SLURM_PROCTRACK)"
}

# slurm_node_stop: stops slurmd (SIGKILL: a node failure, not a clean shutdown; its jobs' slurmstepds go
# on until slurmctld declares the node DOWN and the jobs NODE_FAIL, then they are killed when it returns).
slurm_node_stop() {
        [[ -n "$SLURM_SLURMD_PID" ]] || return 0
        kill -KILL "$SLURM_SLURMD_PID" 2>/dev/null || true
        wait "$SLURM_SLURMD_PID" 2>/dev/null || true
        SLURM_SLURMD_PID=""
}

# slurm_node_start: starts slurmd again and waits until the node is back (ReturnToService=2 makes a DOWN
# node usable when it registers).
slurm_node_start() {
        _slurm_start_slurmd
        if ! _slurm_wait 60 "node localhost to be idle again" _slurm_node_up; then
                _slurm_log "node state: $(_slurm_node_state)"
                _slurm_dump_logs
                return 1
        fi
}

# slurm_cluster_stop: every job is cancelled, the daemons stop (slurmd, slurmctld, munged, by pid), the
# slurmstepds left are killed through their cgroups, the cgroups and DIR's contents are removed.
# Safe to call twice and from an EXIT trap (also after a failed start).
slurm_cluster_stop() {
        local d
        [[ -n "$SLURM_DIR" ]] || return 0
        set +e
        if _slurm_alive "$SLURM_CTLD_PID" && _slurm_alive "$SLURM_SLURMD_PID"; then
                scancel --full --quiet --partition=debug 2>/dev/null
                _slurm_wait 15 "the cancelled jobs to end" _slurm_no_job_running
        fi
        _slurm_stop_pid "$SLURM_SLURMD_PID" 10
        SLURM_SLURMD_PID=""
        _slurm_stop_pid "$SLURM_CTLD_PID" 10
        SLURM_CTLD_PID=""
        _slurm_stop_pid "$SLURM_MUNGED_PID" 5
        SLURM_MUNGED_PID=""
        for d in "${SLURM_CG_DIRS[@]}"; do
                _slurm_cg_remove "$d"
        done
        SLURM_CG_DIRS=()
        [[ -z "$SLURM_CG_HOLDER" ]] || rmdir "${SLURM_CG_HOLDER%/*}" 2>/dev/null
        SLURM_CG_HOLDER=""
        if [[ "${JOBD_TEST_KEEP:-0}" != 1 ]]; then
                rm -rf "$SLURM_DIR"
        fi
        SLURM_DIR=""
        return 0
}

# slurm_jobd_conf FILE: appends a [Slurm] section for this cluster to FILE.
slurm_jobd_conf() {
        cat >>"$1" <<-EOF

	[Slurm]
	Config=$SLURM_CONF
	Partition=debug
	SharedDirectory=$SLURM_SHARED
	PollIntervalSec=0.5
	EOF
}

# slurm_job_field ID FIELD: one field of `scontrol -o show job ID` (e.g. JobState, ExitCode, EndTime),
# empty if the job is unknown. (No accounting here: sacct does not work on this cluster.)
slurm_job_field() {
        scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# slurm_wait_job_state ID ERE [SECONDS]: waits (bounded, default 30 s) until the job's JobState matches
# ^(ERE)$; 1 with the last state on stderr at the deadline.
slurm_wait_job_state() {
        local id=$1 re=$2 timeout=${3:-30} deadline st
        deadline=$(($(_slurm_now_ms) + timeout * 1000))
        while :; do
                st=$(slurm_job_field "$id" JobState)
                [[ "$st" =~ ^($re)$ ]] && return 0
                if (($(_slurm_now_ms) > deadline)); then
                        _slurm_log "job $id: state '$st' after ${timeout}s, waited for /^($re)\$/"
                        return 1
                fi
                sleep 0.2
        done
}

# The jobd scenario tests' shared start (after lib.sh). slurm_require_backend: skips when this jobd was
# built without libslurm. slurm_test_cluster [LICENSES]: starts the cluster (skips only when Slurm
# cannot start at all) and lets jobs share the node's CPUs (2 in CI), so they do not queue for CPUs.
slurm_require_backend() {
        grep -q '^#define HAVE_SLURM 1' "${JOBD_BUILD_ROOT:-/nonexistent}/config.h" 2>/dev/null ||
                skip "this jobd was built without the Slurm backend (no libslurm)"
}

slurm_test_cluster() {
        local rc=0
        slurm_cluster_start "$TEST_TMP/slurm" "$@" || rc=$?
        [[ $rc == 0 ]] || { [[ $rc == 77 ]] && skip "Slurm cannot start (see above)"; fail "the cluster did not start (logs above)"; }
        scontrol update PartitionName=debug OverSubscribe=FORCE:8 || fail "cannot let jobs share the node's CPUs"
}
