"""The shared package imports neither the workflows nor the services, even through a third module.

The contract is in pyproject.toml (`[tool.importlinter]`); import-linter reads every import
statement, those inside functions and under TYPE_CHECKING included.
"""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_safeguard_imports_neither_workflows_nor_services() -> None:
    # Its report (which module imports which, and on which line) is in the captured output.
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True) == 0
