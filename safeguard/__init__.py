"""Shared code for the safeguard services and workers: settings, database, Kafka, events."""
