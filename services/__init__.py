"""The HTTP services. None imports another; shared code lives in `safeguard`."""
