"""Tests of the event backbone: contracts, outbox relay, consumers, dead letters."""
