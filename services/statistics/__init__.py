"""The statistics service: the release's read model, tables and downloads (aggregates only)."""
