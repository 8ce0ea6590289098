# SPDX-License-Identifier: LGPL-2.1-or-later
"""jobd.dvsim.JobdRuntimeBackend against a live jobd, with DVSim's real classes when ``import dvsim``
works, else with the stand-in of tests/python/standin (see conftest.py)."""
import asyncio
import os
import shlex
import sys
import time
from pathlib import Path

import pytest
from conftest import REAL_DVSIM, pid_alive, run
from dvsim.job.data import JobSpec
from dvsim.job.status import JobStatus
from dvsim.runtime.registry import BackendType, backend_registry, register_backend

import jobd
from jobd.dvsim import JobdJobHandle, JobdRuntimeBackend


def make_spec(tmp_path: Path, name: str, cmd: str, **overrides) -> JobSpec:
    """A JobSpec with every field DVSim's model requires."""
    fields = dict(name=name, full_name=name, qual_name=name, cmd=cmd, odir=tmp_path / name / "out",
                  log_path=tmp_path / name / "log.txt", exports={}, weight=1, timeout_mins=None,
                  interactive=False, dry_run=False, renew_odir=False, pass_patterns=[], fail_patterns=[],
                  pre_launch=lambda: None, post_finish=lambda _s: None, job_type="mock_type",
                  target="run", backend=None, resources=None, seed=None, dependencies=[],
                  needs_all_dependencies_passing=True)
    if REAL_DVSIM:
        from dvsim.job.data import WorkspaceConfig
        from dvsim.report.data import IPMeta, ToolMeta

        fields.update(block=IPMeta(name="ip", variant=None, commit="c", commit_short="c", branch="b", url="u",
                                   revision_info=None),
                      tool=ToolMeta(name="tool", version="1"),
                      workspace_cfg=WorkspaceConfig(timestamp="t", project_root=tmp_path,
                                                    scratch_root=tmp_path, scratch_path=tmp_path))
    fields.update(overrides)
    return JobSpec(**fields)


def py(program: str) -> str:
    return f"{shlex.quote(sys.executable)} -c {shlex.quote(program)}"


class Collector:
    def __init__(self, backend: JobdRuntimeBackend) -> None:
        self.events = {}
        self.changed = asyncio.Event()
        backend.attach_completion_callback(self.on_complete)

    async def on_complete(self, events) -> None:
        for e in events:
            assert e.spec.id not in self.events, f"{e.spec.id} completed twice"
            self.events[e.spec.id] = e
        self.changed.set()

    async def wait_for(self, n: int) -> None:
        while len(self.events) < n:
            self.changed.clear()
            await self.changed.wait()


def test_pass_fail_exports_log(tmp_path):
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        specs = [
            make_spec(tmp_path, "ok", py("print(''.join(map(chr, [83, 69, 78, 84])))")),
            make_spec(tmp_path, "exit3", "sh -c 'echo oops; exit 3'"),
            make_spec(tmp_path, "env", "sh -c 'echo \"V=$MY_EXPORT\"; test \"$MY_EXPORT\" = \"a b\"'",
                      exports={"MY_EXPORT": "a b", "NOT A NAME": "dropped", "BAD=NAME": "dropped"}),
            make_spec(tmp_path, "failpat", "echo UVM_ERROR here", fail_patterns=["UVM_ERROR"]),
            make_spec(tmp_path, "passpat", "echo nothing", pass_patterns=["TEST PASSED"]),
            make_spec(tmp_path, "passes", "echo TEST PASSED", pass_patterns=["TEST PASSED"]),
            make_spec(tmp_path, "noprog", "/nonexistent/tool --x"),
        ]
        handles = await be.submit_many(specs)
        assert set(handles) == {s.id for s in specs}
        assert all(isinstance(h, JobdJobHandle) for h in handles.values())
        await col.wait_for(len(specs))
        ev = col.events
        assert ev["ok"].status == JobStatus.PASSED and ev["ok"].reason is None
        log = specs[0].log_path.read_text()
        assert log.startswith("[Executing]:\n") and "SENT\n" in log
        assert ev["exit3"].status == JobStatus.FAILED and "non-zero exit code: 3" in ev["exit3"].reason.message
        assert "oops" in specs[1].log_path.read_text()
        assert ev["env"].status == JobStatus.PASSED and "V=a b" in specs[2].log_path.read_text()
        assert ev["failpat"].status == JobStatus.FAILED and "UVM_ERROR" in ev["failpat"].reason.message
        assert ev["passpat"].status == JobStatus.FAILED and "pass patterns missing" in ev["passpat"].reason.message
        assert ev["passes"].status == JobStatus.PASSED
        assert ev["noprog"].status == JobStatus.KILLED
        assert ev["noprog"].reason.message.startswith("Failed to launch job")
        await be.close()
    run(t())


def test_timeout_and_weight(tmp_path):
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        spec = make_spec(tmp_path, "slow", "sleep 60", timeout_mins=1 / 60, weight=5)
        handles = await be.submit_many([spec])
        async with await jobd.connect() as c:
            assert (await c.job_properties(handles["slow"].jobd_id))["Priority"] == 5
            assert (await c.job_properties(handles["slow"].jobd_id))["TimeoutUSec"] == 1_000_000
        await col.wait_for(1)
        e = col.events["slow"]
        assert e.status == JobStatus.KILLED and "timed out" in e.reason.message
        assert any("result timeout" in line for line in e.reason.context)
        await be.close()
    run(t())


def test_kill_many_leaves_no_orphan(tmp_path):
    """A job whose daemonized grandchild ignores SIGTERM and holds the output: the kill completes and
    no process of it is left."""
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        pidfile = tmp_path / "orphan.pid"
        cmd = ("sh -c '(trap \"\" TERM; setsid sh -c \"trap \\\"\\\" TERM; echo \\$\\$ > " + str(pidfile)
               + "; exec sleep 300\" &) ; trap \"\" TERM; sleep 300'")
        spec = make_spec(tmp_path, "hang", cmd)
        handles = await be.submit_many([spec])
        while not pidfile.exists() or not pidfile.read_text().strip():
            await asyncio.sleep(0.05)
        orphan = int(pidfile.read_text())
        assert pid_alive(orphan)
        t0 = time.monotonic()
        await be.kill_many(handles.values())
        await col.wait_for(1)
        assert time.monotonic() - t0 < 10
        e = col.events["hang"]
        assert e.status == JobStatus.KILLED and e.reason.message.startswith("Job killed")
        assert not pid_alive(orphan), f"orphan {orphan} survived the kill"
        # Killing a job that is done already is no error.
        await be.kill_many(handles.values())
        await be.close()
    run(t())


def test_daemonized_child_does_not_hold_the_job(tmp_path):
    """A job that exits leaving a daemonized child on its output completes at once, and the child is
    gone (DVSim's local backend waits for the output pipe to close: such a job never completes)."""
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        pidfile = tmp_path / "child.pid"
        child = f"trap '' TERM; echo $$ > {pidfile}; exec sleep 300"
        script = f"(setsid sh -c {shlex.quote(child)} &); while [ ! -s {pidfile} ]; do sleep 0.01; done; echo bye"
        await be.submit_many([make_spec(tmp_path, "leaver", f"sh -c {shlex.quote(script)}")])
        await asyncio.wait_for(col.wait_for(1), 10)
        assert col.events["leaver"].status == JobStatus.PASSED
        assert not pid_alive(int(pidfile.read_text()))
        await be.close()
    run(t())


def test_interactive_is_refused(tmp_path):
    async def t():
        be = JobdRuntimeBackend()
        Collector(be)
        with pytest.raises(RuntimeError, match="Interactive"):
            await be.submit_many([make_spec(tmp_path, "ok", "true"),
                                  make_spec(tmp_path, "i", "true", interactive=True)])
        ok_log = str(tmp_path / "ok" / "log.txt")
        open_files = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                open_files.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass
        assert ok_log not in open_files, "a prepared job's log descriptor leaked"
        await be.close()
    run(t())


def test_max_parallelism_group(tmp_path):
    async def t():
        be = JobdRuntimeBackend(max_parallelism=2)
        col = Collector(be)
        specs = [make_spec(tmp_path, f"p{i}", "sleep 0.3") for i in range(5)]
        handles = await be.submit_many(specs)
        async with await jobd.connect() as c:
            group = (await c.job_properties(handles["p0"].jobd_id))["Group"]
            assert group == f"dvsim-{os.getpid()}"
            groups = {g[0]: g for g in await c.list_groups()}
            assert groups[group][1] == 2 and groups[group][2] <= 2
            await col.wait_for(5)
            assert all(e.status == JobStatus.PASSED for e in col.events.values())
            await be.close()
            groups = {g[0]: g for g in await c.list_groups()}
            assert group not in groups or groups[group][1] == 0
    run(t())


def test_many_jobs_one_batch(tmp_path):
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        specs = [make_spec(tmp_path, f"j{i}", f"echo {i}") for i in range(100)]
        handles = await be.submit_many(specs)
        assert len(handles) == 100
        await col.wait_for(100)
        assert all(e.status == JobStatus.PASSED for e in col.events.values())
        await be.close()
    run(t(), timeout=120)


def test_registered_by_name(tmp_path):
    name = BackendType("jobd")
    if name in backend_registry:
        pytest.skip("a jobd backend is registered already")
    register_backend(name, "jobd.dvsim.JobdRuntimeBackend")
    try:
        be = backend_registry.create(name)
        assert isinstance(be, JobdRuntimeBackend) and be.name == "jobd"
    finally:
        backend_registry._registry.pop(name, None) if hasattr(backend_registry, "_registry") \
            else backend_registry.pop(name, None)


@pytest.mark.skipif(not REAL_DVSIM, reason="DVSim is not installed: the scheduler test needs the real one")
def test_real_dvsim_scheduler(tmp_path):
    from dvsim.scheduler.core import Scheduler

    async def t():
        specs = [make_spec(tmp_path, f"s{i}", "true" if i % 3 else "false") for i in range(12)]
        be = JobdRuntimeBackend()
        results = await Scheduler(specs, {"jobd": be}, "jobd").run()
        by = {r.name: r.status for r in results}
        assert sum(s == JobStatus.FAILED for s in by.values()) == 4
        assert sum(s == JobStatus.PASSED for s in by.values()) == 8
    run(t(), timeout=120)


@pytest.mark.skipif(os.environ.get("JOBD_TEST_SLURM") == "1", reason="this daemon has a [Slurm] section")
def test_slurm_backend_is_sent_as_backend_key(tmp_path):
    """JobSpec.backend "slurm" becomes the Backend key (with the log as LogPath, no descriptors): this
    daemon has no [Slurm], so jobd refuses it, naming why; the other jobs run on the default backend.
    (tests/integration/slurm-*.sh run cluster jobs end to end.)"""
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        specs = [make_spec(tmp_path, "sim", "true", backend="slurm"),
                 make_spec(tmp_path, "build", "true", backend="jobd")]
        await be.submit_many(specs)
        await col.wait_for(2)
        e = col.events["sim"]
        assert e.status == JobStatus.KILLED and "Slurm is not configured" in e.reason.message, e.reason
        assert col.events["build"].status == JobStatus.PASSED
        await be.close()
    run(t())


@pytest.mark.skipif(os.environ.get("JOBD_TEST_SLURM") != "1",
                    reason="needs the one-node Slurm cluster (meson test python-dvsim-slurm)")
def test_slurm_jobs_on_the_cluster(tmp_path):
    """JobSpec.backend "slurm" runs on the cluster (Backend slurm, a SlurmJobId), its output appended to
    DVSim's log after the preamble, judged by DVSim's patterns; exit codes as for local jobs; a job with
    another backend runs locally beside them."""
    async def t():
        be = JobdRuntimeBackend()
        col = Collector(be)
        specs = [
            make_spec(tmp_path, "sim-ok", "echo TEST PASSED", backend="slurm", pass_patterns=["TEST PASSED"]),
            make_spec(tmp_path, "sim-uvm", "sh -c 'echo UVM_ERROR here'", backend="slurm",
                      fail_patterns=["UVM_ERROR"]),
            make_spec(tmp_path, "sim-exit3", "sh -c 'exit 3'", backend="slurm"),
            make_spec(tmp_path, "build", "true"),
        ]
        handles = await be.submit_many(specs)
        await col.wait_for(len(specs))
        ev = col.events
        assert ev["sim-ok"].status == JobStatus.PASSED, ev["sim-ok"].reason
        log = specs[0].log_path.read_text()
        assert log.startswith("[Executing]:\n") and "TEST PASSED\n" in log, log
        assert ev["sim-uvm"].status == JobStatus.FAILED and "UVM_ERROR" in ev["sim-uvm"].reason.message
        assert ev["sim-exit3"].status == JobStatus.FAILED
        assert "non-zero exit code: 3" in ev["sim-exit3"].reason.message
        assert ev["build"].status == JobStatus.PASSED
        async with await jobd.connect() as c:
            p = await c.job_properties(handles["sim-ok"].jobd_id)
            assert p["Backend"] == "slurm" and p["SlurmJobId"] > 0
            assert p["LogPath"] == str(specs[0].log_path)
            p = await c.job_properties(handles["build"].jobd_id)
            assert p["Backend"] == "local" and p["SlurmJobId"] == 0
        await be.close()
    run(t(), timeout=120)
