"""Every dependency of the intake and assessment APIs is a coroutine (or an async generator, which
FastAPI enters as a context manager on the event loop): FastAPI runs a plain `def` in a worker
thread, a thread hop per request for work that needs none (the pool, the field keys; three on
each inbox page)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from safeguard.settings import Settings
from services.assessment.app import create_app as assessment_app
from services.intake.app import create_app as intake_app


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


@pytest.mark.parametrize("create_app", [intake_app, assessment_app], ids=["intake", "assessment"])
def test_no_dependency_runs_in_a_worker_thread(create_app: Callable[[Settings], FastAPI]) -> None:
    app = create_app(Settings(environment="test"))
    threaded = {
        f"{call.__module__}.{call.__qualname__}"
        for route in _routes(list(app.routes))
        for call in _calls(route.dependant)
        if not (inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call))
    }
    assert threaded == set()
