"""Journeys through every service, driven over HTTP only."""
