"""Notifications: everyone who must be told about a case is told."""
