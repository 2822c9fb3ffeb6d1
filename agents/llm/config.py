"""What the LLM agent needs to know: the endpoint and the guard rails around it.

Built by the composition root from Settings (``LLMConfig.from_settings``); the agent never reads
the environment itself. Only ``llm_*`` settings feed it, read structurally so ``agents`` does not
import ``bot`` (dependencies point inward).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import SecretStr


class LLMSettings(Protocol):
    """The slice of ``bot.settings.Settings`` this package reads."""

    @property
    def llm_base_url(self) -> str | None: ...
    @property
    def llm_api_key(self) -> SecretStr | None: ...
    @property
    def llm_model(self) -> str: ...
    @property
    def llm_temperature(self) -> float: ...
    @property
    def llm_timeout_seconds(self) -> float: ...
    @property
    def turn_budget_seconds(self) -> float: ...


# A key for OpenAI-compatible servers that need none (Ollama, llama.cpp, vLLM without auth):
# the openai client refuses to start without one.
NO_KEY = "not-needed"
# What the turn budget keeps back for the button flow's answer after the agent gave up.
FALLBACK_RESERVE_SECONDS = 1.0


@dataclass(frozen=True)
class LLMConfig:
    base_url: str | None = None
    api_key: str | None = None
    model: str = "gpt-4o-mini"
    temperature: float = 0.2
    timeout_seconds: float = 60.0
    # Model calls per customer message: a full order turn needs 4 (search, product, quote,
    # answer); more than this is a loop, and the offline flow answers instead.
    max_model_calls: int = 6
    # Attempts per model call for transient errors (timeout, 5xx, 429, connection).
    max_attempts: int = 2
    backoff_initial_seconds: float = 0.5
    backoff_max_seconds: float = 4.0
    # The customer's whole turn, model calls, tools and retries included: each model call gets
    # what is left of it (at most timeout_seconds), and past it the button flow answers.
    turn_budget_seconds: float = 12.0
    # Circuit breaker: this many failed turns in a row open it for the cool-down.
    breaker_failures: int = 3
    breaker_cooldown_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        """An endpoint to talk to: a key (OpenAI itself) or a base URL (a local server)."""
        return bool(self.api_key) or bool(self.base_url)

    @property
    def effective_api_key(self) -> str:
        return self.api_key or NO_KEY

    @property
    def turn_deadline(self) -> float:
        """Seconds the agent may take; the rest of the budget is the button flow's, which
        answers when the agent cannot (it needs well under a second)."""
        return max(self.turn_budget_seconds - FALLBACK_RESERVE_SECONDS, 0.5)

    @classmethod
    def from_settings(cls, settings: LLMSettings, **overrides: object) -> LLMConfig:
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
        values: dict[str, object] = {
            "base_url": settings.llm_base_url,
            "api_key": key or None,
            "model": settings.llm_model,
            "temperature": settings.llm_temperature,
            "timeout_seconds": settings.llm_timeout_seconds,
            "turn_budget_seconds": settings.turn_budget_seconds,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        # Tracebacks and logs must not show the key.
        key = "***" if self.api_key else None
        return (
            f"LLMConfig(base_url={self.base_url!r}, api_key={key}, model={self.model!r}, "
            f"timeout_seconds={self.timeout_seconds})"
        )
