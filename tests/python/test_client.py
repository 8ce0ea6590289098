# SPDX-License-Identifier: LGPL-2.1-or-later
"""The jobd Python client against a live private jobd: every call, errors, signals, fd passing, follow."""
import asyncio
import os
import signal
import time

import pytest
from conftest import run
from dbus_next import Message, MessageType
from dbus_next.aio import MessageBus

import jobd
from jobd import Spec


async def _client() -> jobd.Client:
    return await jobd.connect()


def test_connect_from_environment_and_manager_properties():
    async def t():
        async with await jobd.connect() as c:
            p = await c.manager_properties()
            assert p["Version"]
            assert p["Backend"] in ("cgroupfs", "systemd")
            assert c.owner and c.owner.startswith(":")
        # An explicit address works the same.
        async with await jobd.connect(os.environ["JOBD_BUS_ADDRESS"]) as c:
            assert (await c.manager_properties())["MaxParallel"] == 0
    run(t())


def test_submit_every_key_typed(tmp_path):
    async def t():
        async with await _client() as c:
            dep = await c.submit(["true"])
            await dep.wait()
            await c.set_pool("pyt-lic", 2)
            spec = Spec(["sh", "-c", 'echo "$FOO"; pwd'], name="every-key", working_directory=str(tmp_path),
                        environment={"FOO": "bar", "PATH": os.environ["PATH"]}, priority=7, timeout=90,
                        after=[dep.id], after_condition="any", group="pyt-grp", resources={"pyt-lic": 1},
                        retries=2, retry_on=["timeout", "3"], retry_delay=0.25,
                        system_call_filter=["~socket"], jobserver=True, jobserver_style="fifo",
                        backend="local")
            job = await c.submit(spec)
            res = await job.wait()
            assert res.success, res
            p = await job.properties()
            assert p["Name"] == "every-key"
            assert p["WorkingDirectory"] == str(tmp_path)
            # A finished job outside a run gives its Environment back (org.jobd1(5)); the log below shows
            # that FOO reached the job.
            assert p["Environment"] == []
            assert p["Priority"] == 7
            assert p["TimeoutUSec"] == 90_000_000
            assert p["After"] == [dep.id] and p["AfterCondition"] == "any"
            assert p["Group"] == "pyt-grp" and p["Resources"] == {"pyt-lic": 1}
            assert p["Retries"] == 2 and set(p["RetryOn"]) == {"timeout", "3"} and p["RetryDelayUSec"] == 250_000
            assert p["SystemCallFilter"] == ["~socket"]
            assert p["Jobserver"] is True and p["JobserverStyle"] == "fifo"
            assert p["Backend"] == "local" and p["SlurmJobId"] == 0
            assert (await job.read_log()).decode() == f"bar\n{tmp_path}\n"
            # Backend "slurm" on a daemon without [Slurm] is refused, saying so.
            with pytest.raises(jobd.InvalidSpec, match="Slurm is not configured"):
                await c.submit(Spec(["true"], backend="slurm"))
            # Resource limits: accepted where the controller is available, else refused by name.
            for key, kw in (("MemoryMax", {"memory_max": 64 << 20}), ("TasksMax", {"tasks_max": 64}),
                            ("CPUWeight", {"cpu_weight": 50})):
                try:
                    r = await (await c.submit(["true"], **kw)).wait()
                    assert r.success
                except jobd.InvalidSpec as e:
                    assert key in str(e)
    run(t())


def test_results_by_signal():
    async def t():
        async with await _client() as c:
            ok = await c.submit(["true"])
            bad = await c.submit(["sh", "-c", "exit 3"])
            sig = await c.submit(["sh", "-c", "kill -9 $$"])
            slow = await c.submit(["sleep", "30"], timeout=0.5)
            skipped = await c.submit(["true"], after=[bad.id])
            missing = await c.submit(["/nonexistent/program"])
            r = {x.id: x for x in await c.wait_all([ok.id, bad.id, sig.id, slow.id, skipped.id, missing.id])}
            assert r[ok.id].result == "success" and r[ok.id].exit_code == 0
            assert r[bad.id].result == "failed" and r[bad.id].exit_code == 3
            assert r[sig.id].result == "killed" and r[sig.id].exit_signal == signal.SIGKILL
            assert r[slow.id].result == "timeout"
            assert r[skipped.id].result == "skipped" and str(bad.id) in r[skipped.id].reason
            assert r[missing.id].result == "failed" and r[missing.id].exit_code == 127
            assert r[missing.id].reason
    run(t())


def test_wait_uses_signals_not_polling():
    """While the job runs, wait() makes no call: a read of its state before (none for a job submitted on
    this connection: its end cannot be missed), the details after."""
    async def t():
        async with await _client() as c, await _client() as other:
            own = await c.submit(["sleep", "1.5"])
            job = await other.submit(["sleep", "1.5"])
            calls = []
            orig = c._call

            async def counting(*a, **kw):
                calls.append((a[3], a[4] if len(a) > 4 else "", time.monotonic()))
                return await orig(*a, **kw)

            c._call = counting
            t0 = time.monotonic()
            own_res, res = await asyncio.gather(c.wait(own.id), c.wait(job.id))
            assert own_res.success and res.success and time.monotonic() - t0 > 1
            assert [m for m, _, _ in calls].count("Get") == len(calls) == 1 + 3 + 3, calls
            # Nothing was read while the jobs ran: the first read, then only the details at the end.
            assert sum(1 for _, _, at in calls if at - t0 < 1) == 1, calls
            # A job that ended before anyone waited: no read at all but the details.
            quick = await c.submit(["true"])
            await asyncio.sleep(0.5)
            calls.clear()
            assert (await c.wait(quick.id, details=False)).success
            assert calls == [], calls
    run(t())


def test_signals_only_from_the_owner_of_org_jobd1():
    """A JobChanged "done" sent by another connection straight to the client does not end a wait."""
    async def t():
        async with await _client() as c:
            job = await c.submit(["sleep", "2"])
            forger = await MessageBus(bus_address=os.environ["JOBD_BUS_ADDRESS"]).connect()
            waiter = asyncio.ensure_future(job.wait())
            await asyncio.sleep(0.2)
            await forger.send(Message.new_signal("/org/jobd1", "org.jobd1.Manager", "JobChanged", "toss",
                                                 [job.id, job.path, "done", "success"]))
            forged = Message(destination=c._bus.unique_name, path="/org/jobd1",
                             interface="org.jobd1.Manager", member="JobChanged", signature="toss",
                             body=[job.id, job.path, "done", "failed"],
                             message_type=MessageType.SIGNAL)
            await forger.send(forged)
            await asyncio.sleep(0.5)
            assert not waiter.done(), "a forged signal ended the wait"
            assert (await job.properties())["State"] == "running"
            res = await waiter
            assert res.success
            forger.disconnect()
    run(t())


def test_errors_map_to_exceptions():
    async def t():
        async with await _client() as c:
            with pytest.raises(jobd.NoSuchJob) as e:
                await c.get_job(10**9)
            assert e.value.name == "org.jobd1.Error.NoSuchJob" and isinstance(e.value, jobd.JobdError)
            with pytest.raises(jobd.InvalidSpec, match="WorkingDirectory"):
                await c.submit(["true"], working_directory="relative")
            with pytest.raises(jobd.InvalidSpec):
                await c.submit(Spec([]))
            done = await c.submit(["true"])
            await done.wait()
            with pytest.raises(jobd.NotRunning):
                await done.kill(15)
            with pytest.raises(jobd.NotRunning):
                await c.cancel(done.id)
            with pytest.raises(jobd.NoSuchRun):
                await c.get_run(10**9)
            with pytest.raises(jobd.NoSuchSlot):
                await c.release_slot("pyt-no-pool", "x")
            with pytest.raises(jobd.DependencyCycle):
                await c.submit_plan([Spec(["true"], name="a", after=["b"]), Spec(["true"], name="b", after=["a"])])
            with pytest.raises(jobd.BusError):
                await c._call("org.jobd1", "/org/jobd1", "org.jobd1.Manager", "NoSuchMethod")
    run(t())


def test_fd_passing_stdin_stdout_stderr(tmp_path):
    async def t():
        async with await _client() as c:
            inp = tmp_path / "in"
            inp.write_text("from-stdin\n")
            out = open(tmp_path / "out", "wb")
            err_r, err_w = os.pipe()
            with open(inp, "rb") as fin:
                job = await c.submit(["sh", "-c", "cat; echo to-err >&2"], stdin=fin, stdout=out, stderr=err_w)
            out.close()
            os.close(err_w)
            assert (await job.wait()).success
            assert (tmp_path / "out").read_text() == "from-stdin\n"
            assert os.read(err_r, 100) == b"to-err\n"
            os.close(err_r)
            assert await job.read_log() == b""
    run(t())


def test_open_log_and_follow():
    async def t():
        async with await _client() as c:
            job = await c.submit(["sh", "-c", "for i in 1 2 3 4; do echo line$i; sleep 0.2; done; echo end"])
            fd = await job.open_log()
            assert isinstance(fd, int) and fd > 2
            os.close(fd)
            got = b""
            async for chunk in job.follow_log():
                got += chunk
            assert got == b"line1\nline2\nline3\nline4\nend\n"
            assert (await job.properties())["State"] == "done"
            # Following a job that is already done gives its log and ends.
            got = b"".join([d async for d in job.follow_log()])
            assert got.endswith(b"end\n")
    run(t())


def test_kill_cancel_pause_resume():
    async def t():
        async with await _client() as c:
            a = await c.submit(["sleep", "30"])
            b = await c.submit(["sleep", "30"])
            q = await c.submit(["sleep", "30"], after=[a.id])
            for j in (a, b):
                while (await j.properties())["State"] != "running":
                    await asyncio.sleep(0.05)
            await a.pause()
            assert (await a.properties())["State"] == "paused"
            await c.resume(a.id)
            assert (await a.properties())["State"] == "running"
            await c.pause(b.id)
            await b.resume()
            await c.cancel(q.id)
            assert (await q.wait()).result == "cancelled"
            await c.kill(a.id, signal.SIGKILL)
            await b.cancel()
            ra, rb = await c.wait_all([a.id, b.id])
            assert ra.result == "killed" and ra.exit_signal == signal.SIGKILL
            assert rb.result == "cancelled"
    run(t())


def test_plans_and_runs():
    async def t():
        async with await _client() as c:
            run_ = await c.submit_plan([Spec(["true"], name="build"), Spec(["true"], name="test", after=["build"])],
                                       name="pyt-plan", max_parallel=1,
                                       defaults=Spec([], environment={"X": "1"}, group="pyt-plan"))
            assert len(run_.jobs) == 2
            res = await run_.wait()
            assert res.result == "success" and res.result_counts["success"] == 2
            assert [j.name for j in await run_.list_jobs()] == ["build", "test"]
            p = await run_.properties()
            assert p["Name"] == "pyt-plan" and p["JobCount"] == 2 and p["MaxParallel"] == 1
            assert "X=1" in (await run_.jobs[1].properties())["Environment"]
            assert any(r.id == run_.id and r.state == "done" for r in await c.list_runs())
            assert (await c.get_run(run_.id)).path == run_.path
            assert await run_.retry("all") == 2
            assert (await run_.wait()).result == "success"
            long = await c.submit_plan([Spec(["sleep", "30"], name="s")])
            await long.pause()
            await long.resume()
            await long.cancel()
            assert (await long.wait()).result == "cancelled"
            jobs = {j.id: j for j in await c.list_jobs()}
            assert jobs[long.jobs[0].id].result == "cancelled"
    run(t())


def test_groups_pools_drain():
    async def t():
        async with await _client() as c:
            await c.set_group_limit("pyt-g", 1)
            await c.pause_group("pyt-g")
            groups = {g[0]: g for g in await c.list_groups()}
            assert groups["pyt-g"][1] == 1 and groups["pyt-g"][4] is True
            await c.resume_group("pyt-g")
            await c.set_slot_pool("pyt-slots", ["a", "b"], 3)
            pools = {p[0]: p for p in await c.list_pools()}
            assert pools["pyt-slots"][1] is True and [s[0] for s in pools["pyt-slots"][4]] == ["a", "b"]
            assert await c.release_slot("pyt-slots", "a") is False
            await c.drain()
            assert (await c.manager_properties())["Draining"] is True
            await c.resume_all()
            assert (await c.manager_properties())["Draining"] is False
            await c.set_max_parallel(0)
    run(t())


def test_closing_ends_waits():
    async def t():
        c = await _client()
        job = await c.submit(["sleep", "30"])
        waiter = asyncio.ensure_future(job.wait())
        await asyncio.sleep(0.2)
        await c.close()
        with pytest.raises(jobd.DaemonGone):
            await waiter
        async with await _client() as c2:
            await c2.cancel(job.id)
            assert (await c2.wait(job.id)).result == "cancelled"
    run(t())


def test_new_owner_rereads_pending_jobs():
    """Signals of a former owner are ignored; when org.jobd1 gets an owner again (NameOwnerChanged),
    the jobs still waited for are read again, so an end missed meanwhile is not waited for forever."""
    async def t():
        async with await _client() as c:
            real = c.owner
            c._owner = ":0.0-former"  # as if jobd had restarted: the live daemon's signals are ignored now
            job = await c.submit(["sleep", "0.3"])
            waiter = asyncio.ensure_future(job.wait())
            await asyncio.sleep(1)
            assert not waiter.done()
            noc = Message.new_signal("/org/freedesktop/DBus", "org.freedesktop.DBus", "NameOwnerChanged",
                                     "sss", ["org.jobd1", ":0.0-former", real])
            noc.sender = "org.freedesktop.DBus"
            c._on_message(noc)
            assert c.owner == real
            assert (await asyncio.wait_for(waiter, 5)).success
    run(t())


def test_labels_hold_filtered_listing_and_remove():
    async def t():
        async with await _client() as c:
            from dbus_next import Variant
            a = await c.submit(Spec(["true"], name="pyt-lab", labels=["pyt-x", "pyt-y"]))
            await a.wait()
            assert (await a.properties())["Labels"] == ["pyt-x", "pyt-y"]
            h = await c.submit(Spec(["true"], labels=["pyt-x"], hold=True))
            p = await h.properties()
            assert p["Held"] is True and p["State"] == "waiting"
            rows, nxt = await c.list_jobs_filtered({"Label": Variant("s", "pyt-x")}, 0, 1)
            assert [r.id for r in rows] == [a.id] and nxt == a.id
            rows, nxt = await c.list_jobs_filtered({"Label": Variant("s", "pyt-x")}, nxt, 1)
            assert [r.id for r in rows] == [h.id] and nxt == 0
            with pytest.raises(jobd.BusError, match="Colour"):
                await c.list_jobs_filtered({"Colour": Variant("s", "red")})
            with pytest.raises(jobd.Busy):
                await c.remove_job(h.id)
            await c.cancel(h.id)
            await h.wait()
            await c.remove_job(h.id)
            with pytest.raises(jobd.NoSuchJob):
                await c.get_job(h.id)
            later = await c.submit(Spec(["true"], not_before=time.time() + 3600))
            assert (await later.properties())["NotBeforeUSec"] > time.time() * 1e6
            await c.cancel(later.id)

    run(t())


def test_patterns_output_folders_and_run_options(tmp_path):
    async def t():
        async with await _client() as c:
            job = await c.submit(Spec(["sh", "-c", "echo 'UVM_ERROR x'"], fail_patterns=["UVM_ERROR"],
                                      pass_patterns=["never"], log_path=str(tmp_path / "a" / "t.log")))
            res = await job.wait()
            p = await job.properties()
            assert p["Result"] == "failed" and p["ExitCode"] == 0, p
            assert p["Reason"] == 'FailPatterns: "UVM_ERROR" matched line 1: UVM_ERROR x'
            assert p["FailPatterns"] == ["UVM_ERROR"] and p["PassPatterns"] == ["never"]
            assert p["LogPath"] == str(tmp_path / "a" / "t.log")
            assert (tmp_path / "a" / "t.log").read_text() == "UVM_ERROR x\n"
            assert not res.success
            job = await c.submit(Spec(["true"], output_directory=str(tmp_path / "o")))
            await job.wait()
            assert (await job.properties())["OutputDirectory"] == str(tmp_path / "o")
            run_ = await c.submit_plan([Spec(["sleep", "30"], name="s")], name="pyt-timeout", timeout=0.5,
                                       output_root=str(tmp_path / "root"))
            rp = await c.run_properties(run_.id)
            assert rp["TimeoutUSec"] == 500_000 and rp["OutputRoot"] == str(tmp_path / "root")
            result = await c.wait_run(run_.id)
            assert (await c.run_properties(run_.id))["Result"] == "timeout", result
    run(t())
