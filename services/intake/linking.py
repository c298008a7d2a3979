"""Recognising a person referred before: normalised names and date of birth."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata


def normalise_name(name: str) -> str:
    """Case, accents, spacing, hyphens and apostrophes removed: "O'Brien-Smith" → "obriensmith"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def person_key(*, given_names: str, family_name: str, date_of_birth: dt.date) -> bytes:
    """The match key: first given name, family name and date of birth, hashed.

    Only the first given name counts, because middle names are the part referrers most
    often leave out. Hashed so the index holds no readable names.
    """
    first = given_names.split()[0] if given_names.split() else given_names
    text = "|".join((normalise_name(first), normalise_name(family_name), date_of_birth.isoformat()))
    return hashlib.sha256(text.encode()).digest()
