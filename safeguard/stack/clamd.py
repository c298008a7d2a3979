"""ClamAV's scanning daemon (`clamd`, Debian's `clamav-daemon`) on a loopback TCP port.

The official signature databases come from `freshclam`, which needs the internet. Where none
is in the database directory, the stack writes a local one holding the EICAR test signature
only, so the daemon starts and the upload path is exercised end to end, and says so in the log
and the status: such a daemon finds the test file and nothing else.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from safeguard.stack.component import HOST, Component, port_open
from safeguard.stack.errors import StackError

# The 68-byte EICAR anti-virus test file (eicar.org): harmless, found by every scanner.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
LOCAL_DATABASE = "safeguard-local.hdb"
# Databases freshclam installs: any of them means the daemon has real signatures.
OFFICIAL_DATABASES = ("main.cvd", "main.cld", "daily.cvd", "daily.cld")
# Debian's freshclam keeps its downloads here; copied in when present.
SYSTEM_DATABASE_DIR = Path("/var/lib/clamav")
# Uploads are scanned whole over INSTREAM; the daemon's own cap must not be lower than ours.
STREAM_MAX = "512M"
LOCAL_ONLY_NOTE = "EICAR test signature only: no official databases (run freshclam)"


def clamd_binary() -> Path:
    """The `clamd` of Debian's clamav-daemon (on PATH or in /usr/sbin)."""
    found = shutil.which("clamd") or shutil.which("clamd", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        raise StackError(
            "clamd not found: install Debian's 'clamav-daemon' package (`make bootstrap` does)"
        )
    return Path(found)


def eicar_database_line() -> str:
    """An `.hdb` signature: the MD5 of the whole file, its size and a name."""
    digest = hashlib.md5(EICAR, usedforsecurity=False).hexdigest()
    return f"{digest}:{len(EICAR)}:Eicar-Test-Signature\n"


class Clamd(Component):
    """The virus scanner every upload passes through before it is stored."""

    name = "clamd"

    @property
    def database_dir(self) -> Path:
        """The daemon's own signature databases (never the system's, which it may not own)."""
        return self.home / "db"

    @property
    def config_path(self) -> Path:
        """The generated clamd.conf."""
        return self.home / "clamd.conf"

    @property
    def endpoint(self) -> str:
        """host:port of the clamd protocol."""
        return f"{HOST}:{self.ports.clamd}"

    @property
    def detail(self) -> str:
        """Says when the daemon knows only the EICAR test signature."""
        return LOCAL_ONLY_NOTE if self.local_only() else ""

    @property
    def marker(self) -> str:
        """The config file appears in the daemon's command line."""
        return str(self.config_path.resolve())

    def local_only(self) -> bool:
        """Whether the daemon runs on the stack's local EICAR database alone."""
        return not any((self.database_dir / name).exists() for name in OFFICIAL_DATABASES)

    def ports_needed(self) -> Mapping[int, str]:
        """The one TCP port of the clamd protocol."""
        return {self.ports.clamd: "clamd"}

    async def prepare(self) -> None:
        """Write the config and make sure there is a signature database to load."""
        clamd_binary()
        self.database_dir.mkdir(parents=True, exist_ok=True)
        self._copy_system_databases()
        local = self.database_dir / LOCAL_DATABASE
        if self.local_only():
            local.write_text(eicar_database_line())
            self._note(f"clamd: {LOCAL_ONLY_NOTE}; local database {local}")
        else:
            local.unlink(missing_ok=True)
        self.config_path.write_text(self._config())

    def _copy_system_databases(self) -> None:
        """freshclam's downloads, if this machine has any, so the daemon knows real malware."""
        for name in OFFICIAL_DATABASES + ("bytecode.cvd", "bytecode.cld"):
            source = SYSTEM_DATABASE_DIR / name
            target = self.database_dir / name
            if source.exists() and not target.exists():
                shutil.copy2(source, target)

    def _note(self, line: str) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a") as log:
            log.write(line + "\n")

    def _config(self) -> str:
        settings = {
            "Foreground": "yes",
            "TCPSocket": str(self.ports.clamd),
            "TCPAddr": HOST,
            "DatabaseDirectory": str(self.database_dir.resolve()),
            "PidFile": str((self.home / "clamd.pid").resolve()),
            # No LogFile: in the foreground it logs to stderr, which the stack keeps in its log.
            "LogTime": "yes",
            "StreamMaxLength": STREAM_MAX,
            "MaxFileSize": STREAM_MAX,
            "MaxScanSize": STREAM_MAX,
            # Refuse what cannot be scanned rather than pass it as clean.
            "AlertExceedsMax": "yes",
            "AlertEncrypted": "yes",
            "MaxThreads": "4",
            "ReadTimeout": "30",
        }
        return "".join(f"{key} {value}\n" for key, value in settings.items())

    def argv(self) -> Sequence[str]:
        """The daemon in the foreground on its generated config."""
        return [str(clamd_binary()), f"--config-file={self.config_path.resolve()}"]

    async def probe(self) -> bool:
        """The daemon answers PING with PONG."""
        if not await port_open(self.ports.clamd):
            return False
        try:
            async with asyncio.timeout(2.0):
                reader, writer = await asyncio.open_connection(HOST, self.ports.clamd)
                try:
                    writer.write(b"zPING\0")
                    await writer.drain()
                    answer = await reader.read(64)
                finally:
                    writer.close()
        except (OSError, TimeoutError):
            return False
        return answer.rstrip(b"\0\n") == b"PONG"
