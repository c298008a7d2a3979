"""`safeguard run`'s supervisor: a child that dies comes back; one that keeps dying stops it all."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import psutil

from safeguard.cli.restarts import RestartPolicy
from safeguard.cli.run import _wait_for_stop
from safeguard.cli.supervisor import Child, Supervisor
from safeguard.cli.watchdog import StackWatchdog
from safeguard.settings import StackPorts
from safeguard.stack import Stack
from safeguard.stack.process import read_pid

SLEEPER = Child("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"])
QUICK = RestartPolicy(first_delay=0.05, max_delay=0.2, limit=3, window=60.0)


async def _until(condition: object, *, within: float = 10.0) -> None:
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_a_killed_child_is_restarted_and_the_signal_reported(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(
        [SLEEPER], env=dict(os.environ), policy=QUICK, pid_dir=tmp_path, report=said.append
    )
    await supervisor.start()
    try:
        first = supervisor.pid("sleeper")
        assert first is not None
        assert read_pid(tmp_path / "sleeper.pid") == first
        os.kill(first, signal.SIGKILL)
        await _until(lambda: supervisor.pid("sleeper") != first)
        second = supervisor.pid("sleeper")
        assert second is not None and psutil.pid_exists(second)
        assert read_pid(tmp_path / "sleeper.pid") == second
        assert said[0] == "sleeper was killed by signal SIGKILL; restarting it in 0s"
        assert said[1] == f"sleeper restarted as pid {second}"
        assert not supervisor.gave_up.is_set()
    finally:
        await supervisor.stop(grace=5)
    assert not psutil.pid_exists(second) or psutil.Process(second).status() == "zombie"
    assert not (tmp_path / "sleeper.pid").exists()


async def test_a_child_that_keeps_dying_makes_it_give_up_saying_why(tmp_path: Path) -> None:
    failing = Child("failing", [sys.executable, "-c", "raise SystemExit(3)"])
    said: list[str] = []
    supervisor = Supervisor(
        [SLEEPER, failing], env=dict(os.environ), policy=QUICK, report=said.append
    )
    await supervisor.start()
    try:
        await asyncio.wait_for(supervisor.gave_up.wait(), 20)
        assert supervisor.failed == (
            "failing exited with code 3; not restarting: it exited 4 times within 60s"
        )
        assert said.count("failing exited with code 3; restarting it in 0s") == 3
        sleeper = supervisor.pid("sleeper")
        assert sleeper is not None and psutil.pid_exists(sleeper)
    finally:
        await supervisor.stop(grace=5)


async def test_stop_ends_every_child_even_one_waiting_to_restart(tmp_path: Path) -> None:
    slow = RestartPolicy(first_delay=30.0)
    supervisor = Supervisor([SLEEPER], env=dict(os.environ), policy=slow, report=lambda _: None)
    await supervisor.start()
    pid = supervisor.pid("sleeper")
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.3)
    # Waiting 30 s to restart; stop must not wait for it, nor restart it afterwards.
    await asyncio.wait_for(supervisor.stop(grace=5), 3)
    assert supervisor.pid("sleeper") == pid


async def test_a_child_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    stubborn = Child(
        "stubborn",
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print('ready', flush=True); time.sleep(120)",
        ],
    )
    supervisor = Supervisor([stubborn], env=dict(os.environ), report=lambda _: None)
    await supervisor.start()
    pid = supervisor.pid("stubborn")
    assert pid is not None
    await asyncio.sleep(0.5)
    await asyncio.wait_for(supervisor.stop(grace=0.5), 5)
    assert not psutil.pid_exists(pid)


async def test_safeguard_run_stops_saying_why_when_a_child_keeps_dying(tmp_path: Path) -> None:
    failing = Child("failing", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = Supervisor([failing], env=dict(os.environ), policy=QUICK, report=lambda _: None)
    nothing = Stack(data_dir=tmp_path, ports=StackPorts(), components=())
    watchdog = StackWatchdog(nothing, report=lambda _: None)
    await supervisor.start()
    try:
        why = await asyncio.wait_for(_wait_for_stop(supervisor, watchdog), 20)
    finally:
        await supervisor.stop(grace=5)
    assert why == "failing exited with code 3; not restarting: it exited 4 times within 60s"
