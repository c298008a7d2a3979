"""Every dependency of the assessment API is a coroutine: FastAPI runs a plain `def` in a
worker thread, a thread hop per request (three on each inbox page) for work that needs none."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from safeguard.settings import Settings
from services.assessment.app import create_app


def _routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _routes(route.original_router.routes)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        call = dependency.call
        # A security scheme is an object whose __call__ is the dependency.
        yield call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
        yield from _calls(dependency)


def test_no_dependency_runs_in_a_worker_thread() -> None:
    app = create_app(Settings(environment="test"))
    threaded = {
        f"{call.__module__}.{call.__qualname__}"
        for route in _routes(list(app.routes))
        for call in _calls(route.dependant)
        if not inspect.iscoroutinefunction(call)
    }
    assert threaded == set()
