"""Recognising a person referred before: normalised names and date of birth, blind-indexed."""

from __future__ import annotations

import datetime as dt
import unicodedata

from safeguard.fieldcrypt.blind_index import BlindIndex

_PURPOSE = "intake.person.v1"


def normalise_name(name: str) -> str:
    """Case, accents, spacing, hyphens and apostrophes removed: "O'Brien-Smith" → "obriensmith"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def match_text(*, given_names: str, family_name: str, date_of_birth: dt.date) -> str:
    """What two referrals of one person share: first given name, family name, date of birth.

    Only the first given name counts, because middle names are the part referrers most
    often leave out.
    """
    first = given_names.split()[0] if given_names.split() else given_names
    return "|".join((normalise_name(first), normalise_name(family_name), date_of_birth.isoformat()))


def person_key(
    index: BlindIndex, *, given_names: str, family_name: str, date_of_birth: dt.date
) -> bytes:
    """The match key: a keyed hash, so the index holds nothing a dictionary of names reverses."""
    text = match_text(given_names=given_names, family_name=family_name, date_of_birth=date_of_birth)
    return index.digest(_PURPOSE, text)
