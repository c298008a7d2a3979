"""One module of pages per area of work."""
