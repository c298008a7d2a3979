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
Temporal's codec-server protocol (`POST /codec/decode`) over the AES-GCM payload codec, so the
Temporal Web UI can show decrypted payloads to auditors. There is no `/codec/encode`: the UI's
write actions are off, so it never encodes.

* **Authentication**: a staff bearer token, passed on by the Web UI
  (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`).
* **Roles**: `auditor` only (auditors read workflow histories); every other role is refused.
* **Scope**: every payload is bound to its workflow when encrypted, so each is attributed to
  its case; a case outside the auditor's areas (a token without areas covers all), unknown to
  the audit store, or a payload bound to no case, refuses the whole request with 403.
* **Police-only fields** (deconfliction, database checks) are left out for every role but
  the police.
* **Access log**: every decode writes one row per case to the access log and the audit log.
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
