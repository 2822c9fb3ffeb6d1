"""Customer and staff agents: the LLM sales agent and the deterministic offline flow."""
