"""Intake: partner agencies and the public submit referrals here."""
