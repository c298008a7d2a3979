"""The operations guide names metrics the code exports and commands the CLI has."""

from __future__ import annotations

import re
import shlex

from prometheus_client import REGISTRY

import safeguard.metrics  # noqa: F401 - registers the metrics
from tests.deploy.code import check_command
from tests.deploy.files import DEPLOY

GUIDE = (DEPLOY / "OPERATIONS.md").read_text()


def _exported() -> set[str]:
    return {
        sample
        for metric in REGISTRY.collect()
        for sample in (metric.name, f"{metric.name}_total", *(s.name for s in metric.samples))
    }


def test_every_metric_named_is_one_the_code_exports() -> None:
    named = set(re.findall(r"`(safeguard_\w+)`", GUIDE))
    assert named
    assert named <= _exported(), named - _exported()


def test_every_metric_the_code_exports_is_in_the_guide() -> None:
    ours = {m.name for m in REGISTRY.collect() if m.name.startswith("safeguard_")}
    assert all(re.search(rf"`{name}(_total)?`", GUIDE) for name in ours), ours


def test_every_safeguard_command_named_parses() -> None:
    commands = set(re.findall(r"`(safeguard [^`]+)`", GUIDE))
    assert len(commands) >= 4
    for command in commands:
        check_command(shlex.split(command))
