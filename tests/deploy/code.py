"""What the code says a deployment must provide: settings, routes, commands, services."""

from __future__ import annotations

import base64
import importlib
import importlib.util
import inspect
import json
import os
import re
import secrets
import shlex
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, get_args
from unittest import mock

import typer.main
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, PostgresDsn, SecretStr
from starlette.routing import BaseRoute

from safeguard.auth.service_identity import ServiceClient
from safeguard.auth.staff import development_signing_key, public_key_set
from safeguard.cli.main import app as cli_app
from safeguard.settings import Settings
from services.web.config import web_config

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "SAFEGUARD_"
LOOPBACK = re.compile(r"\b(127\.0\.0\.1|localhost|::1)\b")
SERVICE_MODULE = re.compile(r"^services\.(?P<name>\w+)\.app:create_app$")


def _nested(annotation: Any) -> type[BaseModel] | None:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _variables(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, Any]]:
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        yield variable, field.annotation
        nested = _nested(field.annotation)
        if nested is not None:
            yield from _variables(nested, f"{variable}__")


# Read by a library rather than Settings, and documented in docs/operators/deploy.md.
LIBRARY_VARIABLES: dict[str, Any] = {"PROMETHEUS_MULTIPROC_DIR": str}


def known_variables() -> dict[str, Any]:
    """Every variable Settings reads, with its field's type (nested models with `__`), and
    the few a library reads."""
    return dict(_variables(Settings, PREFIX)) | LIBRARY_VARIABLES


def uvicorn_workers(argv: list[str]) -> int:
    """How many worker processes a `uvicorn ...` command starts."""
    workers: int | None = uvicorn.main.make_context("uvicorn", argv[1:]).params["workers"]
    return workers or 1


def _types(annotation: Any) -> set[Any]:
    return {annotation, *get_args(annotation)}


def is_secret(variable: str) -> bool:
    """A variable whose value must come from a secret: a secret field, or a DSN (password)."""
    annotation = known_variables()[variable]
    kinds = _types(annotation) | {arg for kind in _types(annotation) for arg in get_args(kind)}
    return SecretStr in kinds or PostgresDsn in kinds


def stand_in(variable: str, env: Mapping[str, str], tmp: Path) -> str:
    """A well-formed value for a secret the deployment takes from elsewhere (never a real one)."""
    if variable == "SAFEGUARD_PAYLOAD_KEYS":
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        return json.dumps({env.get("SAFEGUARD_PAYLOAD_ACTIVE_KEY", "active"): key})
    if variable == "SAFEGUARD_STAFF_JWKS":
        return json.dumps(public_key_set(development_signing_key(tmp)))
    if variable == "SAFEGUARD_WEB__SESSION_KEY":
        return base64.b64encode(secrets.token_bytes(32)).decode()
    if variable == "SAFEGUARD_DATABASE_URL":
        return "postgresql://safeguard:stand-in@db.invalid:5432/safeguard"
    return secrets.token_urlsafe(32)


def settings_from(env: Mapping[str, str]) -> Settings:
    """Settings exactly as a process with only this environment would build them."""
    with mock.patch.dict(os.environ, dict(env), clear=True):
        return Settings()


def endpoints(settings: Settings) -> dict[str, str]:
    """Every address the processes would connect to: Settings' resolving methods (which fall
    back to the embedded stack on loopback) and nested string fields whose default is local."""
    found = {
        name: getattr(settings, name)()
        for name, function in inspect.getmembers(Settings, inspect.isfunction)
        if not name.startswith("_")
        and function.__qualname__.startswith("Settings.")
        and list(inspect.signature(function).parameters) == ["self"]
        and inspect.signature(function).return_annotation in ("str", str)
    }
    for name, field in Settings.model_fields.items():
        nested = _nested(field.annotation)
        if nested is None:
            continue
        for sub, sub_field in nested.model_fields.items():
            default = sub_field.default
            if isinstance(default, str) and LOOPBACK.search(default):
                found[f"{name}.{sub}"] = getattr(getattr(settings, name), sub)
    return found


def web_addresses(settings: Settings) -> dict[str, str]:
    """Where the web front end sends people and requests: the issuer, its own public URL and
    each API. Fails as the app would when a production setting is missing or a placeholder."""
    config = web_config(settings)
    return {"issuer": config.issuer, "public_url": config.public_url} | {
        f"api.{name}": url for name, url in config.api_urls.items()
    }


def talks_to_the_issuer(service: str) -> bool:
    """Whether a service fetches from the staff issuer: it checks staff or service tokens (keys
    by discovery), signs staff in, or gets its own service tokens there."""
    app = (ROOT / "services" / service / "app.py").read_text()
    code = "".join(path.read_text() for path in (ROOT / "services" / service).glob("*.py"))
    checks_service_tokens = "require_permission(" in code
    return (
        "staff=True" in app
        or "OidcClient(" in app
        or checks_service_tokens
        or bool(calling_client(service))
    )


def calling_client(service: str) -> ServiceClient | None:
    """The client a service calls others' internal APIs as (its app's token source), if any."""
    app = (ROOT / "services" / service / "app.py").read_text()
    found = re.search(r"service_tokens\(settings, ServiceClient\.(\w+)\)", app)
    return ServiceClient[found.group(1)] if found else None


@cache
def service_app(name: str) -> FastAPI:
    """The app a container of `services.<name>.app:create_app` serves (not started)."""
    module = importlib.import_module(f"services.{name}.app")
    app: FastAPI = module.create_app(Settings(environment="test"))
    return app


def routes(name: str) -> set[str]:
    """The paths the service answers (every method), included routers' routes among them."""
    return set(_paths(service_app(name).routes, ""))


def _paths(found: list[BaseRoute], prefix: str) -> Iterator[str]:
    for route in found:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield prefix + path
        included = getattr(route, "original_router", None)
        if included is not None:
            # FastAPI includes a router lazily, keeping it and the prefix it was included with.
            yield from _paths(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]


def check_command(argv: list[str]) -> str | None:
    """Parse a container's command as its program would; return what it runs, or fail.

    `safeguard ...` goes through the CLI's click tree, `uvicorn ...` through uvicorn's own
    options (and names a service), `python -m M` must name an importable entry module.
    """
    program, *args = argv
    if program == "safeguard":
        _parse_cli(args)
        return None
    if program == "uvicorn":
        context = uvicorn.main.make_context("uvicorn", list(args))
        target = context.params["app"]
        assert context.params["factory"], f"{target}: create_app is a factory; pass --factory"
        match = SERVICE_MODULE.match(target)
        assert match, f"{target} is not a service's app factory"
        return match.group("name")
    if program == "python" and args[:1] == ["-m"]:
        spec = importlib.util.find_spec(args[1])
        assert spec is not None and spec.origin, f"no module {args[1]}"
        assert '__name__ == "__main__"' in Path(spec.origin).read_text(), args[1]
        return None
    if program == "sh" and args[:1] == ["-c"]:
        for step in args[1].split("&&"):
            check_command(shlex.split(step))
        return None
    raise AssertionError(f"unexpected command {argv}")


def _parse_cli(args: list[str]) -> None:
    # Typer carries its own copy of click, so the tree is walked by what it does, not by class.
    command: Any = typer.main.get_command(cli_app)
    context = command.context_class(command, info_name="safeguard")
    rest = list(args)
    while hasattr(command, "resolve_command"):
        # Fails (a UsageError) on a command the CLI does not have.
        name, command, rest = command.resolve_command(context, rest)
        context = command.context_class(command, info_name=name, parent=context)
    # Parses the options and arguments (a UsageError on an unknown one) without running.
    command.make_context(context.info_name, rest, parent=context.parent)


def python_url(argv: list[str]) -> tuple[int, str]:
    """The port and path a `python -c "...urlopen('http://127.0.0.1:PORT/PATH')"` check asks."""
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"]*)", " ".join(argv))
    assert match, f"no loopback URL in {argv}"
    return int(match.group(1)), match.group(2)
