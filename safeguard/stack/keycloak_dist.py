"""Keycloak's distribution: the zip from Maven Central, unpacked and built once per user.

`kc.sh build` bakes the build-time options in (Quarkus "augmentation", ~20 s); every data dir then
runs the same cached build with `start --optimized`, so a warm start skips that step.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from safeguard.stack.errors import StackError
from safeguard.stack.maven import mvn_path, run_maven
from safeguard.stack.process import log_tail

DEPLOY_DIR = Path(__file__).resolve().parents[2] / "deploy" / "keycloak"
POM = DEPLOY_DIR / "pom.xml"
WHAT = "Keycloak's distribution"
# Build-time options; a different set is a different cached build (its hash is in the name).
BUILD_OPTIONS = ("--db=dev-file", "--health-enabled=true")
BUILT_MARKER = ".safeguard-built"
BUILD_TIMEOUT = 900.0
JVM_ENV = {
    "JAVA_OPTS_APPEND": " ".join(
        (
            # Java 24+ refuses JBoss Threads' thread-local reset unless java.lang is opened to it.
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            # The client compiler alone: a development server starts in about half the time
            # and takes about a third less memory; its peak throughput is not needed here.
            "-XX:TieredStopAtLevel=1",
        )
    )
}


def keycloak_version() -> str:
    """The Keycloak version pinned in deploy/keycloak/pom.xml."""
    match = re.search(r"<keycloak\.version>([^<]+)</keycloak\.version>", POM.read_text())
    if match is None:
        raise StackError(f"{POM} does not pin <keycloak.version>")
    return match.group(1).strip()


def cache_root() -> Path:
    """The per-user cache of the stack ($XDG_CACHE_HOME/safeguard, else ~/.cache/safeguard)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "safeguard"


def distribution_dir() -> Path:
    """Where this version, built with BUILD_OPTIONS, lives in the per-user cache."""
    version = keycloak_version()
    key = hashlib.sha256("\0".join((version, *BUILD_OPTIONS)).encode()).hexdigest()[:12]
    return cache_root() / f"keycloak-{version}-{key}"


def fetch_keycloak_zip(*, local_repo: Path | None = None) -> Path:
    """Have Maven put the pinned zip in its repository (once) and return the zip's path."""
    # Remembered per version: `make` fetches on every run, and Maven takes seconds to say "done".
    known = cache_root() / f"keycloak-{keycloak_version()}.zip-path"
    if local_repo is None and known.is_file() and Path(known.read_text().strip()).is_file():
        return Path(known.read_text().strip())
    zip_path = _resolve_with_maven(local_repo)
    if local_repo is None:
        known.parent.mkdir(parents=True, exist_ok=True)
        known.write_text(f"{zip_path}\n")
    return zip_path


def _resolve_with_maven(local_repo: Path | None) -> Path:
    mvn = mvn_path(what=WHAT)
    with tempfile.TemporaryDirectory(prefix="safeguard-keycloak-") as tmp:
        out = Path(tmp) / "path.txt"
        argv = [mvn, "-B", "-q", "-f", str(POM), "dependency:build-classpath"]
        argv.append(f"-Dmdep.outputFile={out}")
        if local_repo is not None:
            argv.append(f"-Dmaven.repo.local={local_repo.resolve()}")
        run_maven(argv, what=WHAT)
        zip_path = Path(out.read_text().strip())
    if zip_path.suffix != ".zip" or not zip_path.is_file():
        raise StackError(f"Maven resolved {zip_path}, not Keycloak's zip, from {POM}")
    return zip_path


def keycloak_env(java_home: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """Our environment for kc.sh, with `java_home` and `extra` and without outside config."""
    # Keycloak reads every KC_* (and QUARKUS_*) variable as configuration and kc.sh honours
    # JAVA_OPTS*: a developer's shell must not silently reconfigure the stack's Keycloak.
    ignored = ("KC_", "QUARKUS_", "JAVA_OPTS")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ignored)}
    env["JAVA_HOME"] = str(java_home)
    env.update(JVM_ENV)
    env.update(extra)
    return env


def ensure_distribution(*, java_home: Path, log_path: Path) -> Path:
    """The built distribution, unpacked and built first if this user has none (blocking)."""
    dist = distribution_dir()
    if (dist / BUILT_MARKER).exists():
        return dist
    dist.parent.mkdir(parents=True, exist_ok=True)
    # A blocking flock, held by this thread: two data dirs starting at once build it once.
    with (dist.parent / f"{dist.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (dist / BUILT_MARKER).exists():
                _unpack_and_build(dist, java_home=java_home, log_path=log_path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return dist


def _unpack_and_build(dist: Path, *, java_home: Path, log_path: Path) -> None:
    zip_path = fetch_keycloak_zip()
    # Whatever is there lacks the marker: an interrupted unpack or build.
    shutil.rmtree(dist, ignore_errors=True)
    _unpack(zip_path, dist)
    _build(dist, java_home=java_home, log_path=log_path)
    (dist / BUILT_MARKER).write_text(f"{datetime.now(UTC).isoformat()} {' '.join(BUILD_OPTIONS)}\n")


def _unpack(zip_path: Path, dest: Path) -> None:
    """Extract the zip's single top directory's contents into `dest`, keeping file modes."""
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            parts = PurePosixPath(info.filename).parts[1:]
            if not parts:
                continue
            if ".." in parts or PurePosixPath(info.filename).is_absolute():
                raise StackError(f"{zip_path} holds an unsafe path: {info.filename}")
            target = dest.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out)
            # zipfile drops Unix modes; kc.sh must stay executable.
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)


def _build(dist: Path, *, java_home: Path, log_path: Path) -> None:
    argv = [str(dist / "bin" / "kc.sh"), "build", *BUILD_OPTIONS]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("a") as log:
        log.write(f"=== safeguard stack: {' '.join(argv)} (once per user and version) ===\n")
        log.flush()
        try:
            result = subprocess.run(  # noqa: S603 - fixed argv
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=dist,
                env=keycloak_env(java_home, {}),
                check=False,
                timeout=BUILD_TIMEOUT,
            )
        except subprocess.TimeoutExpired as exc:
            raise StackError(f"`kc.sh build` took over {BUILD_TIMEOUT:.0f}s") from exc
    if result.returncode != 0:
        raise StackError(f"`kc.sh build` failed; see its log at {log_path}\n{log_tail(log_path)}")
