"""The running summary of turns that left the agent's history window.

Deterministic and free: older turns are condensed line by line (long messages clipped) and the
oldest lines dropped past a size budget. A summary written by the LLM would cost a model call
per compaction; this keeps what the agent most needs (what was asked, chosen and given: names,
phones, addresses, products) within a bounded prompt.
"""

from __future__ import annotations

from collections.abc import Iterable

LABELS = {"customer": "Khách", "assistant": "Shop", "staff": "Nhân viên", "system": "Hệ thống"}


def extend_summary(
    summary: str,
    turns: Iterable[tuple[str, str]],
    *,
    max_chars: int = 1_500,
    per_turn: int = 160,
) -> str:
    lines = [line for line in summary.splitlines() if line.strip()]
    for role, text in turns:
        clean = " ".join(text.split())
        if not clean:
            continue
        if len(clean) > per_turn:
            clean = clean[: per_turn - 1] + "…"
        lines.append(f"{LABELS.get(role, role)}: {clean}")
    total = sum(len(line) + 1 for line in lines)
    while lines and total > max_chars:
        total -= len(lines.pop(0)) + 1
    return "\n".join(lines)
