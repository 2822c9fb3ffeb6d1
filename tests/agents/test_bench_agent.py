"""bench.agent still runs its scripted order and reports 5 model calls per placed order."""

from __future__ import annotations

from bench.agent import report, run


async def test_bench_agent_places_its_order_in_five_model_calls() -> None:
    result = await run(1)
    assert result["llm_calls_per_order"] == 5
    assert result["prompt_vi"]["total"] <= 10_000
    assert "LLM calls per placed order" in report(result)
