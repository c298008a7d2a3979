"""Every problem the code can answer with has its type documented (safeguard/problem_types.py),
and every answer carries that type, a URI naming the problem, never `about:blank`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from safeguard.errors import ProblemError, install_problem_handlers
from safeguard.problem_types import DOCUMENTED, TYPE_BASE, type_uri

ROOT = Path(__file__).resolve().parents[1]
# The title is the second argument of these (status first), or the first of CredentialError's.
_TITLED = {"ProblemError": 1, "Problem": 1, "HTTPException": 1, "CredentialError": 0}


def _sources() -> Iterator[Path]:
    for tree in ("safeguard", "services"):
        for path in (ROOT / tree).rglob("*.py"):
            # The web pages answer HTML, not problems.
            if "services/web" not in path.as_posix():
                yield path


def _constants(module: ast.Module) -> dict[str, list[str]]:
    """Module-level names bound to a string, or to a dict of strings (its values)."""
    found: dict[str, list[str]] = {}
    for node in module.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        values = value.values if isinstance(value, ast.Dict) else [value]
        strings = [
            v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        ]
        for target in targets:
            if isinstance(target, ast.Name) and strings:
                found[target.id] = strings
    return found


def _title_argument(call: ast.Call) -> ast.expr | None:
    name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
    if name not in _TITLED:
        return None
    keyword = next((k.value for k in call.keywords if k.arg == "title"), None)
    position = _TITLED[name]
    return keyword or (call.args[position] if len(call.args) > position else None)


def _titles(path: Path) -> Iterator[str]:
    module = ast.parse(path.read_text())
    constants = _constants(module)
    for node in ast.walk(module):
        if not isinstance(node, ast.Call) or (title := _title_argument(node)) is None:
            continue
        if isinstance(title, ast.Constant) and isinstance(title.value, str):
            yield title.value
        elif isinstance(title, ast.Name) and title.id in constants:
            yield from constants[title.id]
        elif isinstance(title, ast.Subscript) and isinstance(title.value, ast.Name):
            yield from constants.get(title.value.id, [])


def test_every_title_the_code_answers_with_is_documented() -> None:
    raised = {title: path for path in _sources() for title in _titles(path)}
    assert len(raised) > 40  # the scan finds the problems (it once found none)
    undocumented = {t: str(p.relative_to(ROOT)) for t, p in raised.items() if t not in DOCUMENTED}
    assert not undocumented, "add each to safeguard/problem_types.py"


def test_each_type_names_one_problem() -> None:
    uris = [type_uri(title) for title in DOCUMENTED]
    assert len(set(uris)) == len(uris)
    assert all(uri.startswith(TYPE_BASE) and " " not in uri for uri in uris)


async def test_an_answer_carries_its_problems_type() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/cases/{reference}")
    async def unknown(reference: str) -> None:
        raise ProblemError(404, "Unknown case", "No case with that reference.")

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        unknown_case = (await http.get("/cases/PRV-1")).json()
        no_route = (await http.get("/nowhere")).json()
    assert unknown_case["type"] == TYPE_BASE + "unknown-case"
    assert no_route["type"] == TYPE_BASE + "not-found"
