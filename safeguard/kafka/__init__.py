"""Kafka plumbing shared by every service: producer, consumer loop and topic creation."""
