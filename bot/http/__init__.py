"""The HTTP API: every tool of the registry as a typed endpoint (``bot.http.app.create_app``)."""
