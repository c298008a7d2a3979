"""Welsh and English for the public pages: gettext catalogues, chosen per request.

The catalogues are standard gettext `.po` files under `translations/` (extracted with Babel,
see README). They are compiled in memory at start-up with Babel's `read_po`, so there is no
`.mo` to build, ship or keep in step: the `.po` in the repository is what the site speaks.

The language is a context variable set by each public page for its request; pages that never
set it (the staff pages) get English, the source text, unchanged.
"""

from __future__ import annotations

import gettext as stdlib_gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
DEFAULT = "en"
# English is the source language; every other one has a catalogue.
LANGUAGES = ("en", "cy")

language: ContextVar[str] = ContextVar("language", default=DEFAULT)


@cache
def catalogue(code: str) -> stdlib_gettext.NullTranslations:
    """The compiled catalogue for `code` (English: the source strings themselves)."""
    if code == DEFAULT:
        return stdlib_gettext.NullTranslations()
    po = TRANSLATIONS / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as source:
        parsed = read_po(source, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, parsed)
    compiled.seek(0)
    return stdlib_gettext.GNUTranslations(compiled)


def load_catalogues() -> None:
    """Compile every catalogue now, so a broken `.po` stops the site at start-up."""
    for code in LANGUAGES:
        catalogue(code)


def chosen(code: str | None) -> str:
    """`code` when it is a language we speak, else English."""
    return code if code in LANGUAGES else DEFAULT


def gettext(message: str) -> str:
    """`message` in this request's language."""
    return catalogue(language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form, by `n`, in this request's language."""
    return catalogue(language.get()).ngettext(singular, plural, n)


def install(env: Environment) -> None:
    """Jinja's i18n extension with callables that follow the request's language."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["current_language"] = language.get
