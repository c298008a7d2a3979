"""Server spans, request metrics and `/metrics` for every FastAPI service (added by `build_app`)."""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import FastAPI, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.trace import Span
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safeguard.metrics import HTTP_REQUESTS, HTTP_SECONDS

# Set for a service run with several worker processes: where each keeps its metrics.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# Probes and scrapes would drown the traces that matter.
_UNTRACED = "health/live,health/ready,metrics"
# The caller's address is personal data when the caller is a member of the public.
_CLIENT_ADDRESS_ATTRIBUTES = (
    "client.address",
    "net.peer.ip",
    "http.client_ip",
    "net.sock.peer.addr",
)


def _drop_client_address(span: Span, scope: dict[str, Any]) -> None:
    if span.is_recording():
        for name in _CLIENT_ADDRESS_ATTRIBUTES:
            span.set_attribute(name, "redacted")


class RequestMetrics:
    """Counts and times each request by its route template (never the concrete path)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self._app = app
        self._service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, recording its status and duration."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, record_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            HTTP_REQUESTS.labels(self._service, method, route, str(status)).inc()
            HTTP_SECONDS.labels(self._service, method, route).observe(time.perf_counter() - started)


async def metrics() -> Response:
    """Prometheus metrics of this service: of all its worker processes, when it has several."""
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)


def _registry() -> CollectorRegistry:
    # A scrape reaches one worker process of several; each keeps its metrics in files there.
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def instrument_app(app: FastAPI, *, service: str) -> None:
    """Server spans (W3C context from the caller), request metrics and the `/metrics` route."""
    FastAPIInstrumentor.instrument_app(
        app,
        excluded_urls=_UNTRACED,
        server_request_hook=_drop_client_address,
        # One span per request: the ASGI receive/send spans add nothing a reader needs.
        exclude_spans=["receive", "send"],
    )
    app.add_middleware(RequestMetrics, service=service)
    app.add_api_route("/metrics", metrics, include_in_schema=False)
