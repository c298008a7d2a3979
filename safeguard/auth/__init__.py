"""Partner client credentials (hashed API keys), per-client rate limits and service tokens."""
