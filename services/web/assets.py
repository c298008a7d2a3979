"""Static files under content-hashed names, so browsers may cache them for a year.

The bootstrap copies GOV.UK Frontend's built files into `static/govuk/` (see the Makefile);
our own files sit beside them. A page asks for `asset_url("govuk/govuk-frontend.min.css")`
and gets `/static/govuk/govuk-frontend.min.<hash>.css`: a new release changes the name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent / "static"
GOVUK_DIR = STATIC_DIR / "govuk"
# Fonts and images are named by the stylesheet itself (url(/assets/...)).
GOVUK_ASSETS_DIR = GOVUK_DIR / "assets"
IMMUTABLE = "public, max-age=31536000, immutable"
# GOV.UK Frontend names its fonts by hash; its images keep their names across releases.
FONTS_CACHE = IMMUTABLE
IMAGES_CACHE = "public, max-age=86400"


class AssetsMissingError(RuntimeError):
    """GOV.UK Frontend's files were never copied in."""


def _hashed_name(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    # govuk-frontend.min.css -> govuk-frontend.min.<hash>.css
    head, _, ext = path.name.rpartition(".")
    return f"{head}.{digest}.{ext}"


@dataclass
class AssetManifest:
    """Logical names to hashed URLs, and hashed paths back to files."""

    urls: dict[str, str] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def url(self, name: str) -> str:
        """The cache-busting URL of `name` (a path under static/)."""
        return self.urls[name]


def build_manifest(names: tuple[str, ...]) -> AssetManifest:
    """Hash each named static file once, at start-up."""
    manifest = AssetManifest()
    for name in names:
        path = STATIC_DIR / name
        if not path.is_file():
            raise AssetsMissingError(
                f"{path} is missing: run `make bootstrap` (npm ci copies GOV.UK Frontend)"
            )
        hashed = str(Path(name).parent / _hashed_name(path)).removeprefix("./")
        manifest.urls[name] = f"/static/{hashed}"
        manifest.files[hashed] = path
    return manifest


class GovukAssets(StaticFiles):
    """GOV.UK Frontend's fonts and images, with caching headers (StaticFiles sends none)."""

    def file_response(self, full_path: PathLike[str] | str, *args: Any, **kwargs: Any) -> Response:
        """The file, cached for a year if hashed (fonts), a day otherwise."""
        response = super().file_response(full_path, *args, **kwargs)
        hashed = Path(full_path).parent.name == "fonts"
        response.headers["cache-control"] = FONTS_CACHE if hashed else IMAGES_CACHE
        return response


class CompressAssets:
    """Gzip static files only: pages carry the CSRF token beside text a visitor can choose
    (filters, a searched reference), and compressing both together would let an observer of
    response sizes guess the token (BREACH)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=1000)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        static = scope["type"] == "http" and scope["path"].startswith(("/static/", "/assets/"))
        await (self.gzip if static else self.app)(scope, receive, send)
