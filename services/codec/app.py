"""The codec service's FastAPI app: the Web UI's browser calls it to show decrypted payloads."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from safeguard.lifespan import service_lifespan
from safeguard.settings import Settings, get_settings
from safeguard.temporal import codec_for
from safeguard.web import build_app
from services.codec.routes import router

DESCRIPTION = """\
Temporal's codec-server protocol (`POST /codec/decode`, `POST /codec/encode`) over the
AES-GCM payload codec, so the Temporal Web UI can show decrypted payloads to staff allowed to
read cases.

* **Authentication**: a staff bearer token, passed on by the Web UI
  (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`).
* **Roles**: `auditor`, `prevent_officer` and `channel_chair`; every other role, `operator`
  included, is refused.
* **Access log**: every decode is recorded in the access log and the audit chain.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own settings."""
    settings = settings or get_settings()
    app = build_app(
        title="Temporal payload codec",
        description=DESCRIPTION,
        settings=settings,
        # The pool is for the access log; staff tokens are verified with the configured JWKS.
        lifespan=service_lifespan(settings, staff=True),
        routers=[router],
    )
    app.state.codec = codec_for(settings)
    # The UI calls from the user's browser, so its origin needs CORS; the Authorization and
    # X-Namespace headers make every call a preflighted one.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.codec_cors_origins,
        allow_methods=["POST"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
    )
    return app
