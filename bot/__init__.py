"""The surfaces around the tool registry: settings, the composition root, the CLI and HTTP API."""
