"""What `safeguard run` tells a newcomer once everything is up."""

from __future__ import annotations

import pytest

from safeguard.cli.run import _print_sign_in
from safeguard.settings import Settings


def test_the_sign_in_note_says_why_the_inbox_is_empty(capsys: pytest.CaptureFixture[str]) -> None:
    _print_sign_in(Settings(environment="test"))
    printed = capsys.readouterr().out
    assert "sign in as officer-17" in printed
    assert "My tasks stays empty until a referral arrives" in printed
    assert "docs/quick-start.md" in printed and "Triage" in printed
