"""Tests of the panel service."""
