"""Tests of the notifications service."""
