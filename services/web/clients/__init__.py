"""One small client per back-end API, called with the signed-in person's own token."""
