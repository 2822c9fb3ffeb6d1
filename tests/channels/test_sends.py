"""The channel layer's records of what it sends, and the pace it sends at."""

from __future__ import annotations

import time

from bot.channels.pacing import Pacer
from storage.channels import claim_send, record_sends, record_sends_claiming_first
from storage.database import Database


def _items(n: int) -> list[tuple[str, dict[str, object]]]:
    return [
        (f"in:7:{i}", {"method": "sendMessage", "params": {"text": f"tin {i}"}}) for i in range(n)
    ]


async def test_a_reply_is_recorded_with_its_first_message_claimed_once(db: Database) -> None:
    rows, first = await record_sends_claiming_first(db, "telegram", "42", _items(5))
    assert [r.key for r in rows] == [f"in:7:{i}" for i in range(5)]
    assert [r.body["params"]["text"] for r in rows] == [f"tin {i}" for i in range(5)]
    assert first is not None
    assert (first.id, first.state, first.attempts) == (rows[0].id, "sending", 1)
    assert [r.state for r in rows[1:]] == ["pending"] * 4
    assert not await claim_send(db, first.id)  # claimed already
    # recorded again (the same message handled twice): the same rows, nothing claimed anew
    again, claimed = await record_sends_claiming_first(db, "telegram", "42", _items(5))
    assert claimed is None
    assert [r.id for r in again] == [r.id for r in rows]
    assert [r.id for r in await record_sends(db, "telegram", "42", _items(3))] == [
        r.id for r in rows[:3]
    ]


async def test_a_slot_taken_at_once_is_paced_like_one_waited_for() -> None:
    per_chat = Pacer(per_chat_interval=0.05, per_second=0.0)
    assert per_chat.try_take("a")
    assert not per_chat.try_take("a")  # within the chat's interval
    assert per_chat.try_take("b")
    started = time.monotonic()
    await per_chat.wait("a")
    assert time.monotonic() - started >= 0.04
    overall = Pacer(per_chat_interval=0.0, per_second=1.0)
    assert overall.try_take("a")
    assert not overall.try_take("b")  # the platform's rate for all chats is used up


async def test_the_overall_limit_is_a_count_per_window_not_a_spacing() -> None:
    """Three sends per 0.2 s: a burst of three goes at once (no spacing between chats), the
    fourth waits until the first leaves the window, and no window ever holds more than three."""
    pacer = Pacer(per_chat_interval=0.0, per_second=15.0, window=0.2)
    started = time.monotonic()
    assert [pacer.try_take(c) for c in "abcd"] == [True, True, True, False]
    sent: list[float] = [started] * 3
    for chat in "defgh":
        await pacer.wait(chat)
        sent.append(time.monotonic())
    assert sent[3] - started >= 0.19  # waited for the first send to leave the window
    for i in range(len(sent) - 3):  # any four sends in a row span at least the window
        assert sent[i + 3] - sent[i] >= 0.19
