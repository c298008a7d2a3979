"""The `safeguard` command-line tool."""
