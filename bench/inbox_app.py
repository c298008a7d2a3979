"""The assessment service as bench/inbox serves it: the read model only, no Kafka consumer."""

from __future__ import annotations

from fastapi import FastAPI

from safeguard.settings import get_settings
from services.assessment.app import create_app as assessment_app


def create_app() -> FastAPI:
    """`uvicorn --factory inbox_app:create_app`, configured by the environment."""
    return assessment_app(get_settings(), consume=False)
