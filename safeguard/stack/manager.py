"""`Stack`: bring the selected components up, report on them and bring them down."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from safeguard.settings import Settings, StackPorts, get_settings
from safeguard.stack import process
from safeguard.stack.clamd import Clamd
from safeguard.stack.component import HOST, Component, ComponentStatus
from safeguard.stack.errors import StackError
from safeguard.stack.kafka import Kafka
from safeguard.stack.keycloak import Keycloak, keycloak_issuer
from safeguard.stack.postgres import DATABASE, USER, Postgres
from safeguard.stack.temporal import Temporal

COMPONENTS: dict[str, type[Component]] = {
    "postgres": Postgres,
    "kafka": Kafka,
    "temporal": Temporal,
    "keycloak": Keycloak,
    "clamd": Clamd,
}
ALL_COMPONENTS: tuple[str, ...] = tuple(COMPONENTS)
POLL_INTERVAL = 0.25
# Keycloak's first start (build, schema, realm import) takes minutes on a busy 2-core machine.
UP_TIMEOUT = 300.0

T = TypeVar("T")


class Stack:
    """The embedded local stack under one data directory."""

    def __init__(
        self,
        *,
        data_dir: Path,
        ports: StackPorts,
        components: Sequence[str] = ALL_COMPONENTS,
        settings: Settings | None = None,
    ) -> None:
        """`settings` supplies what components need beyond `ports` (default: the process's)."""
        unknown = sorted(set(components) - set(COMPONENTS))
        if unknown:
            known = ", ".join(COMPONENTS)
            raise StackError(f"unknown stack component(s) {', '.join(unknown)}; known: {known}")
        self.data_dir = data_dir.resolve()
        self.ports = ports
        self.settings = settings if settings is not None else get_settings()
        self.components: list[Component] = [
            COMPONENTS[name](data_dir=self.data_dir, ports=ports, settings=self.settings)
            for name in ALL_COMPONENTS
            if name in components
        ]

    @property
    def _lock_path(self) -> Path:
        return self.data_dir / "run" / "stack.lock"

    def postgres_dsn(self) -> str:
        """The DSN of the stack's database."""
        return f"postgresql://{USER}@{HOST}:{self.ports.postgres}/{DATABASE}"

    def kafka_bootstrap(self) -> str:
        """The bootstrap servers of the stack's broker."""
        return f"{HOST}:{self.ports.kafka}"

    def temporal_address(self) -> str:
        """The address of the stack's Temporal frontend."""
        return f"{HOST}:{self.ports.temporal}"

    def clamd_port(self) -> int:
        """The loopback port of the stack's virus scanner."""
        return self.ports.clamd

    def keycloak_issuer(self) -> str:
        """The issuer (`iss`) of the stack's Keycloak realm."""
        return keycloak_issuer(self.ports)

    # The `timeout` keywords are the documented API (a budget, not a cancellation scope).
    async def up(self, *, timeout: float = UP_TIMEOUT) -> list[ComponentStatus]:  # noqa: ASYNC109
        """Start what is not running and wait until every component is healthy."""
        deadline = time.monotonic() + timeout
        async with process.exclusive_lock(self._lock_path, wait=timeout):
            to_start = [c for c in self.components if _running_pid(c) is None]
            process.check_ports_free(
                {port: what for c in to_start for port, what in c.ports_needed().items()}
            )
            await _gather_or_raise(
                asyncio.wait_for(c.prepare(), _remaining(deadline)) for c in to_start
            )
            for component in to_start:
                _spawn(component)
            await _gather_or_raise(
                _wait_ready(c, deadline, budget=timeout) for c in self.components
            )
        return await self.status()

    async def down(self, *, timeout: float = 60.0) -> list[str]:  # noqa: ASYNC109
        """Stop the components `up` started (graceful, then SIGKILL); their data is kept."""
        async with process.exclusive_lock(self._lock_path, wait=timeout):
            running = [(c, pid) for c in self.components if (pid := _running_pid(c)) is not None]
            await _gather_or_raise(asyncio.to_thread(_stop, c, pid, timeout) for c, pid in running)
        return [c.name for c, _ in running]

    def exited(self) -> dict[str, str]:
        """The components whose process is not running, each with how it ended if we know.

        Asking reaps the ones that were our children, so none lingers as a zombie (PostgreSQL
        would take a zombie's pid in its lock file for a live server and refuse to start).
        """
        ended: dict[str, str] = {}
        for component in self.components:
            pid = process.read_pid(component.pid_path)
            if _running_pid(component) is not None:
                continue
            if pid is None:
                ended[component.name] = "is not running"
            else:
                ended[component.name] = process.describe_exit(process.exit_status(pid))
        return ended

    async def status(self) -> list[ComponentStatus]:
        """What runs, under which pid, and whether it answers its health check."""
        return list(await asyncio.gather(*(_status(c) for c in self.components)))


def _running_pid(component: Component) -> int | None:
    """The pid of the component's live process, dropping a pid file that is stale."""
    pid = process.read_pid(component.pid_path)
    if pid is None:
        return None
    if process.is_alive(pid) and process.cmdline_contains(pid, component.marker):
        return pid
    process.remove_pid(component.pid_path)
    return None


def _spawn(component: Component) -> None:
    """Start the component's process detached and record its pid."""
    component.log_path.parent.mkdir(parents=True, exist_ok=True)
    with component.log_path.open("a") as log:
        log.write(f"=== safeguard stack up: starting {component.name} at {_now()} ===\n")
    pid = process.spawn(
        component.argv(),
        log_path=component.log_path,
        cwd=component.home,
        env=component.environment(),
        run_as=component.run_as(),
    )
    process.write_pid(component.pid_path, pid)


async def _wait_ready(component: Component, deadline: float, *, budget: float) -> None:
    """Poll the component until it answers, failing fast if its process exits."""
    while True:
        pid = process.read_pid(component.pid_path)
        if pid is None or not process.is_alive(pid):
            process.remove_pid(component.pid_path)
            raise _failure(component, f"{component.name} failed to start")
        if await component.starting_probe():
            await component.after_start()
            return
        if time.monotonic() >= deadline:
            raise _failure(component, f"{component.name} was not healthy after {budget:.0f}s")
        await asyncio.sleep(POLL_INTERVAL)


def _stop(component: Component, pid: int, timeout: float) -> None:
    """Stop one component and forget its pid."""
    process.stop(pid, sig=component.stop_signal, timeout=timeout)
    process.remove_pid(component.pid_path)


async def _status(component: Component) -> ComponentStatus:
    pid = _running_pid(component)
    healthy = pid is not None and await component.probe()
    return ComponentStatus(
        name=component.name,
        pid=pid,
        running=pid is not None,
        healthy=healthy,
        endpoint=component.endpoint,
        log_path=component.log_path,
        detail=component.detail,
    )


def _failure(component: Component, what: str) -> StackError:
    """A StackError that points at the component's log and quotes its end."""
    log = component.log_path
    return StackError(f"{what}; see its log at {log}\n{process.log_tail(log)}")


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def _gather_or_raise(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Await all, then raise one StackError naming every failure (other errors propagate)."""
    results = await asyncio.gather(*awaitables, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors:
        if isinstance(error, TimeoutError):
            raise StackError("the stack did not come up in time (preparing took too long)")
        if not isinstance(error, StackError):
            raise error
    if errors:
        raise StackError("\n\n".join(str(e) for e in errors))
    return [r for r in results if not isinstance(r, BaseException)]
