"""Detached processes: spawning, pid files, liveness, stopping, port checks and log tails."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from safeguard.stack.errors import StackError

LOG_TAIL_LINES = 20

# Children spawned by this Python process. Keeping the Popen objects alive lets us reap them
# (no zombies while a long-lived process such as pytest runs `up` then `down`) and keeps their
# finalizers from warning that a subprocess is "still running", which it is, by design.
_children: dict[int, subprocess.Popen[bytes]] = {}
# How our children that have been reaped ended (their return codes), until someone asks.
_ended: dict[int, int] = {}


@dataclass(frozen=True)
class RunAs:
    """An unprivileged account to run a process as (used for postgres when we are root)."""

    uid: int
    gid: int
    home: str


def spawn(
    argv: Sequence[str],
    *,
    log_path: Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    run_as: RunAs | None = None,
) -> int:
    """Start `argv` detached from our session, output appended to `log_path`; return its pid."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    child_env = dict(os.environ if env is None else env)
    with log_path.open("ab") as log:
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is built by the launcher, not a shell
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=child_env,
                # A new session: the process outlives the CLI and ^C in the terminal skips it.
                start_new_session=True,
                close_fds=True,
                user=run_as.uid if run_as else None,
                group=run_as.gid if run_as else None,
                # Drop root's supplementary groups too, not only the uid and gid.
                extra_groups=[] if run_as else None,
            )
        except OSError as exc:
            raise StackError(f"could not start {argv[0]}: {exc.strerror or exc}") from exc
    _children[proc.pid] = proc
    return proc.pid


def is_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie counts as dead; our own zombies are reaped)."""
    child = _children.get(pid)
    if child is not None:
        returncode = child.poll()
        if returncode is None:
            return True
        del _children[pid]
        _ended[pid] = returncode
        return False
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def exit_status(pid: int) -> int | None:
    """How our reaped child `pid` ended (a negative number is the signal), asked once."""
    return _ended.pop(pid, None)


def describe_exit(returncode: int | None) -> str:
    """'exit code 1' or 'killed by signal SIGKILL' (asyncio and Popen report signals < 0)."""
    if returncode is None:
        return "exited (how, we cannot tell: it was not our child)"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = str(-returncode)
        return f"was killed by signal {name}"
    return f"exited with code {returncode}"


def cmdline_contains(pid: int, marker: str) -> bool:
    """Whether process `pid` has `marker` in its command line (guards against reused pids)."""
    try:
        return marker in " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


def read_pid(pid_path: Path) -> int | None:
    """The pid recorded in `pid_path`, or None if there is no readable pid file."""
    try:
        return int(pid_path.read_text().strip())
    except (OSError, ValueError):
        return None


def write_pid(pid_path: Path, pid: int) -> None:
    """Record `pid` in `pid_path`, atomically so a concurrent reader never sees half a file."""
    pid_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = pid_path.with_suffix(".tmp")
    tmp.write_text(f"{pid}\n")
    tmp.replace(pid_path)


def remove_pid(pid_path: Path) -> None:
    """Forget a pid file (missing is fine)."""
    pid_path.unlink(missing_ok=True)


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for `pid` to exit; True if it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_alive(pid):
            return True
        time.sleep(0.1)
    return not is_alive(pid)


def stop(pid: int, *, sig: signal.Signals, timeout: float) -> None:
    """Send `sig` to `pid`, wait `timeout` seconds, then SIGKILL its whole process group."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    if wait_exit(pid, timeout):
        return
    # The process leads its own session and group (start_new_session), so killing the group
    # also takes down any helper it forked (postgres backends, for instance).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not wait_exit(pid, 10.0):
        raise StackError(f"process {pid} did not exit even after SIGKILL")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could bind `host:port` right now (as a server would, with SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Servers set SO_REUSEADDR, so a port only in TIME_WAIT is free for them and for us.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def port_holder(port: int) -> str:
    """Describe the process listening on `port`, e.g. "pid 123 (java)", as far as we may see."""
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.Error:
        conns = []
    for conn in conns:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                break
            try:
                name = psutil.Process(conn.pid).name()
            except psutil.Error:
                name = "?"
            return f"pid {conn.pid} ({name})"
    # Without privileges Linux hides other users' sockets' owners.
    return "another process"


def check_ports_free(ports: Mapping[int, str]) -> None:
    """Raise StackError naming the port, its user and its holder if any port is taken."""
    for port, what in ports.items():
        if not port_is_free(port):
            raise StackError(f"port {port} for {what} is taken by {port_holder(port)}")


@contextlib.asynccontextmanager
async def exclusive_lock(lock_path: Path, *, wait: float) -> AsyncIterator[None]:
    """Hold an flock on `lock_path`, waiting up to `wait` seconds for another holder to finish.

    Two `up`s on one data dir (two terminals, two test workers) then run one after the other:
    the second finds everything running instead of starting a second copy.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    with lock_path.open("a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StackError(
                        f"another `safeguard stack` command holds {lock_path}; try again later"
                    ) from None
                await asyncio.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file, or a note that it is empty or missing."""
    try:
        with log_path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            text = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log written)"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else "(log is empty)"


def tree_rss(pid: int) -> int:
    """Resident memory in bytes of `pid` and all its descendants (0 if it is gone)."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total
