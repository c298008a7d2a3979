"""The shared package imports neither the workflows nor the services, even through a third module.

The contract is in pyproject.toml (`[tool.importlinter]`); import-linter reads every import
statement, those inside functions and under TYPE_CHECKING included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_safeguard_imports_neither_workflows_nor_services() -> None:
    # In its own process: import-linter configures logging with dictConfig, which would
    # disable every logger this test process already has (and other tests' log checks).
    linted = subprocess.run(  # noqa: S603 - our own interpreter's tool
        [str(Path(sys.executable).with_name("lint-imports")), "pyproject.toml", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linted.returncode == 0, linted.stdout + linted.stderr
