"""Finding a JDK of a given major version for the stack's JVM components (Kafka, Keycloak)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

from safeguard.stack.errors import StackError

# Where Debian (and Temurin's packages) install JDKs side by side.
JVM_ROOT = Path("/usr/lib/jvm")


def java_major(version_output: str) -> int | None:
    """The major version in `java -version` output ("1.8.0_392" is 8, "17.0.15" is 17)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def java_version(java: Path | str) -> tuple[int | None, str]:
    """The major version of the `java` executable, and its raw `-version` output."""
    try:
        out = subprocess.run(  # noqa: S603 - fixed argv
            [str(java), "-version"], capture_output=True, text=True, check=False, timeout=60
        )
    except OSError as exc:
        return None, str(exc)
    text = out.stderr + out.stdout
    return java_major(text), text.strip()


def home_version(java_home: Path) -> int | None:
    """The major version of the JDK at `java_home` (None if there is no java there)."""
    java = java_home / "bin" / "java"
    if not java.is_file():
        return None
    return java_version(java)[0]


def find_java_home(
    minimum: int, *, configured: Path | None, setting: str, needed_by: str, root: Path = JVM_ROOT
) -> Path:
    """A JDK home of Java `minimum`+: `configured`, else $JAVA_HOME, else the newest under `root`.

    `setting` names the environment variable that sets `configured`, for the error message.
    """
    if configured is not None:
        version = home_version(configured)
        if version is None or version < minimum:
            found = "no bin/java" if version is None else f"Java {version}"
            raise StackError(
                f"{setting}={configured} has {found}; {needed_by} needs Java {minimum} or newer"
            )
        return configured
    for home, version in _candidates(root):
        if version >= minimum:
            return home
    raise StackError(
        f"{needed_by} needs Java {minimum} or newer and none was found "
        f"(not $JAVA_HOME, nor any JDK under {root}). Install a JDK {minimum}+ "
        f"(e.g. Debian's openjdk-{minimum}-jdk-headless or Temurin) and set {setting} "
        "to its directory."
    )


def _candidates(root: Path) -> Iterator[tuple[Path, int]]:
    """$JAVA_HOME first, then every JDK under `root`, newest first."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        version = home_version(Path(java_home))
        if version is not None:
            yield Path(java_home), version
    found: list[tuple[int, Path]] = []
    if root.is_dir():
        for home in sorted(root.iterdir()):
            # Debian's versioned names are symlinks to the real directory: look at each once.
            if home.is_symlink():
                continue
            version = home_version(home)
            if version is not None:
                found.append((version, home))
    for version, home in sorted(found, reverse=True):
        yield home, version
