"""Temporal's codec-server protocol over the project's payload codec, for the Temporal Web UI."""
