"""The LLM customer sales agent (a LangChain chat model on an OpenAI-compatible endpoint,
in a tool-calling loop of our own: agents.llm.loop).

Build it with ``build_customer_responder(LLMConfig.from_settings(settings), runner)`` in the
composition root; it implements ``agents.types.Responder``.
"""

from agents.llm.breaker import CircuitBreaker
from agents.llm.config import LLMConfig
from agents.llm.responder import LLMResponder, build_customer_responder

__all__ = [
    "CircuitBreaker",
    "LLMConfig",
    "LLMResponder",
    "build_customer_responder",
]
