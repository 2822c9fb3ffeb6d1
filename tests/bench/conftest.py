"""The fake OpenAI server fixtures for the hot-path tests (the bench runs its own, in a
process of its own)."""

from tests.fakes.openai_server import fake_openai, openai_server  # noqa: F401 (fixtures)
