"""Running Maven to put the stack's JVM artifacts (Kafka's jars, Keycloak's zip) in ~/.m2."""

from __future__ import annotations

import shutil
import subprocess

from safeguard.stack.errors import StackError

# Downloading an artifact and its dependencies the first time can take minutes on a slow network.
MAVEN_TIMEOUT = 900.0


def mvn_path(*, what: str) -> str:
    """The `mvn` on PATH; `what` says what it would fetch, for the error message."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(f"mvn not found on PATH: install Maven (it fetches {what})")
    return mvn


def run_maven(argv: list[str], *, what: str) -> None:
    """Run Maven quietly; a failure or a timeout becomes a StackError quoting its output."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv
            argv, capture_output=True, text=True, check=False, timeout=MAVEN_TIMEOUT
        )
    except subprocess.TimeoutExpired as exc:
        raise StackError(f"Maven took over {MAVEN_TIMEOUT:.0f}s to fetch {what}") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise StackError(f"Maven could not fetch {what} ({' '.join(argv)}):\n{tail}")
