"""What each service's OpenAPI promises about errors, headers and rules, read from the document.

Schemathesis (test_schemathesis.py) checks answers against the documents; these check what no
answer shows: an error media type never sent, a problem type left unnamed, a rule unwritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from safeguard.problem_types import DOCUMENTED, type_uri
from safeguard.settings import Settings
from services.assessment.app import create_app as assessment_app
from services.audit.app import create_app as audit_app
from services.codec.app import create_app as codec_app
from services.intake.app import create_app as intake_app
from services.notifications.app import create_app as notifications_app
from services.panel.app import create_app as panel_app
from services.statistics.app import create_app as statistics_app
from tests.openapi.apps import SERVICES

PROBLEM = "application/problem+json"


@cache
def _openapi(service: str) -> dict[str, Any]:
    settings = Settings(environment="test")
    factories = {
        "assessment": lambda: assessment_app(settings, consume=False),
        "panel": lambda: panel_app(settings, consume=False),
        "audit": lambda: audit_app(settings),
        "notifications": lambda: notifications_app(settings),
        "codec": lambda: codec_app(settings),
        "intake": lambda: intake_app(settings),
        "statistics": lambda: statistics_app(settings, consume=False),
    }
    document: dict[str, Any] = factories[service]().openapi()
    return document


def _errors(document: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    yield method, path, status, response


@pytest.mark.parametrize("service", SERVICES)
def test_every_error_is_documented_as_a_problem_and_only_as_one(service: str) -> None:
    """Before: FastAPI documented `application/json` beside the problem (never sent) on every
    error a route named with a model, and the 503 of readiness."""
    document = _openapi(service)
    for method, path, status, response in _errors(document):
        assert list(response["content"]) == [PROBLEM], (method, path, status)
        schema = str(response["content"][PROBLEM]["schema"])
        assert "#/components/schemas/" in schema, (method, path, status)
    assert "HTTPValidationError" not in str(document)


@pytest.mark.parametrize("service", SERVICES)
def test_problem_types_are_uris_documented_once(service: str) -> None:
    problem = _openapi(service)["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status"]
    told = problem["properties"]["type"]
    assert told["format"] == "uri" and "default" not in told
    for title in DOCUMENTED:
        assert told["description"].count(f"`{type_uri(title)}` ({title})") == 1, title
    assert "about:blank" not in str(_openapi(service))


def test_the_referral_forms_rules_are_written_down() -> None:
    schemas = _openapi("intake")["components"]["schemas"]
    referrer = schemas["Referrer"]
    assert "email address or a phone number" in referrer["description"]
    assert [branch["required"] for branch in referrer["anyOf"]] == [["email"], ["phone"]]
    assert "125 years" in schemas["Person"]["properties"]["date_of_birth"]["description"]
    # One-line fields refuse line breaks (they were documented as free text, which allows them).
    name = referrer["properties"]["name"]["pattern"]
    assert "\\u0000-\\u001F" in name and "\\s" in name
    description = schemas["Concern"]["properties"]["description"]["pattern"]
    assert "\\u000B\\u000C" in description


@pytest.mark.parametrize(
    ("service", "method", "path", "header"),
    [
        ("assessment", "post", "/v1/tasks/{task_id}/assign", "if-match"),
        ("assessment", "get", "/v1/cases/{reference}", "x-purpose"),
        ("panel", "get", "/v1/cases/{reference}", "x-purpose"),
        ("audit", "get", "/v1/cases/{reference}/history", "x-purpose"),
    ],
)
def test_required_headers_say_their_format(
    service: str, method: str, path: str, header: str
) -> None:
    operation = _openapi(service)["paths"][path][method]
    found = next(p for p in operation["parameters"] if p["name"].lower() == header)
    assert found["required"] is True
    assert found["schema"]["pattern"] and found["description"]
