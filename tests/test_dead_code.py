"""Nothing public in the shared package is left unused.

A function nobody calls still reads as a promise (`telemetry.flush_spans` said spans were
flushed before a command read them; nothing called it). Each public top-level function and
class of `safeguard/` must be named somewhere besides its own definition; a decorated one is
registered by its decorator (a command, a route) and counts as used."""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).parent.parent
CODE = ("safeguard", "services", "workflows", "tests", "bench")


def _public_definitions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return [
        node.name
        for node in tree.body
        if isinstance(node, kinds) and not node.name.startswith("_") and not node.decorator_list
    ]


def test_every_public_definition_in_the_shared_package_is_used() -> None:
    this = Path(__file__).resolve()
    sources = [p for d in CODE for p in (ROOT / d).rglob("*.py") if p.resolve() != this]
    named = Counter(word for p in sources for word in re.findall(r"\w+", p.read_text()))
    unused = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "safeguard").rglob("*.py"))
        for name in _public_definitions(path)
        if named[name] < 2
    ]
    assert unused == []
