"""Durable Temporal workflows, one package per flow."""
