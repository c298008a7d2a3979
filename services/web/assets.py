"""Static files under content-hashed names, so browsers may cache them for a year.

The bootstrap copies GOV.UK Frontend's built files into `static/govuk/` (see the Makefile);
our own files sit beside them. A page asks for `asset_url("govuk/govuk-frontend.min.css")`
and gets `/static/govuk/govuk-frontend.min.<hash>.css`: a new release changes the name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
GOVUK_DIR = STATIC_DIR / "govuk"
# Fonts and images are named by the stylesheet itself (url(/assets/...)).
GOVUK_ASSETS_DIR = GOVUK_DIR / "assets"
IMMUTABLE = "public, max-age=31536000, immutable"


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
