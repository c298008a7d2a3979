"""Rendering: one Jinja environment with GOV.UK Frontend's macros, and the page context."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader

from services.web.assets import AssetManifest
from services.web.forms import FormErrors
from services.web.i18n import install as install_i18n
from services.web.i18n import load_catalogues
from services.web.navigation import navigation
from services.web.sessions import Session

TEMPLATES = Path(__file__).resolve().parent / "templates"
LONDON = ZoneInfo("Europe/London")


def govuk_date(value: str | datetime | None, with_time: bool = False) -> str:
    """GOV.UK style dates: 4 June 2026, or 4 June 2026 at 2:05pm (UK time)."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(LONDON)
    text = f"{local.day} {local:%B %Y}"
    if with_time:
        hour = local.hour % 12 or 12
        text += f" at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    return text


def _label(code: str | None) -> str:
    """A code as words: GATEWAY_ASSESSMENT -> Gateway assessment."""
    if not code:
        return ""
    words = str(code).replace("_", " ").lower()
    return words[:1].upper() + words[1:]


def _option(option: list[str], selected: str) -> dict[str, Any]:
    """A radio item for a (value, text) option."""
    value, text = option
    return {"value": value, "text": text, "checked": value == selected}


def _select_option(option: str | list[str], selected: str, words: bool = False) -> dict[str, Any]:
    """A select item for a value (shown as words when asked) or a (value, text) pair."""
    value, text = (
        (option, _label(option) if words else option) if isinstance(option, str) else option
    )
    return {"value": value, "text": text, "selected": value == selected}


def build_templates(manifest: AssetManifest) -> Jinja2Templates:
    """Our templates first, GOV.UK Frontend's macros under `govuk_frontend_jinja/`."""
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        extensions=["jinja2.ext.do"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Public pages speak English or Welsh (`services/web/i18n.py`); staff pages stay English.
    load_catalogues()
    install_i18n(env)
    env.globals["asset_url"] = manifest.url
    env.globals["navigation"] = navigation
    env.filters["govuk_date"] = govuk_date
    env.filters["label"] = _label
    env.filters["field_option"] = _option
    env.filters["select_option"] = _select_option
    return Jinja2Templates(env=env)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page with what every page needs: nonce, CSRF token, user, one-time banner."""
    session: Session | None = getattr(request.state, "session", None)
    flash, error = None, None
    if session is not None and (session.data.flash or session.data.flash_error):
        flash, session.data.flash = session.data.flash, None
        error, session.data.flash_error = session.data.flash_error, None
        session.mark()
    if error and not context.get("errors"):
        context["errors"] = FormErrors({"": error})
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        template,
        {
            "cspNonce": request.state.csp_nonce,
            "csrf_token": session.data.csrf_token if session else "",
            "user": session.data.user if session else None,
            "flash": flash,
            **context,
        },
        status_code=status_code,
    )
