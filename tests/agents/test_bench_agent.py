"""bench.agent still runs its scripted order: three model calls, then the customer confirms
the card without one (issue 11: at most 4 per placed order)."""

from __future__ import annotations

from bench.agent import report, run


async def test_bench_agent_places_its_order_in_three_model_calls() -> None:
    result = await run(1)
    assert result["llm_calls_per_order"] == 3
    assert result["prompt_vi"]["total"] <= 6_000
    assert "LLM calls per placed order" in report(result)
