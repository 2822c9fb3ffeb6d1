from __future__ import annotations

from agents.summary import extend_summary


def test_turns_are_condensed_and_clipped() -> None:
    out = extend_summary(
        "", [("customer", "  áo   thun\n đen  "), ("assistant", "x" * 300)], per_turn=20
    )
    assert out.splitlines() == ["Khách: áo thun đen", "Shop: " + "x" * 19 + "…"]


def test_oldest_lines_go_first_past_the_budget() -> None:
    summary = extend_summary("Khách: một\nShop: hai", [("customer", "ba")], max_chars=20)
    assert summary.splitlines() == ["Shop: hai", "Khách: ba"]
    assert len(summary) <= 20


def test_empty_turns_add_nothing() -> None:
    assert extend_summary("Khách: a", [("assistant", "  ")]) == "Khách: a"
