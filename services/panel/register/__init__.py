"""The register of approved intervention providers that support plans choose from."""
