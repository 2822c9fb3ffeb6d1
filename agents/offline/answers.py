"""Sentences for what the button flow answers to typed text without an LLM: a quantity it
could not read, the shop's policies asked as questions, a product the shop does not sell.

Kept beside messages.py, in the same (Vietnamese, English) shape and checked by the same
kind of test, so the flow's main catalogue stays the checkout's to change.
"""

from __future__ import annotations

from agents.offline.messages import Lang

SENTENCES: dict[str, tuple[str, str]] = {
    # --- the quantity step -------------------------------------------------------------------
    "qty_not_understood": (
        "Mình chưa hiểu “{text}” là số lượng bao nhiêu. "
        "Bạn bấm nút bên dưới hoặc gõ số (ví dụ: 2, “hai”) nhé.",
        "I didn't get “{text}” as a quantity. Press a button below or type a number "
        "(e.g. 2 or “two”).",
    ),
    "qty_zero": (
        "Bạn chọn ít nhất 1 nhé. {item} hiện còn {available} sản phẩm.",
        "Please choose at least 1. {item}: {available} in stock.",
    ),
    "qty_negative": (
        "Số lượng phải từ 1 đến {max}. Bạn chọn lại nhé.",
        "The quantity must be from 1 to {max}. Please choose again.",
    ),
}


def say(lang: Lang, key: str, **values: object) -> str:
    """The sentence in the customer's language with its placeholders filled."""
    vi, en = SENTENCES[key]
    text = en if lang == "en" else vi
    return text.format(**values) if values else text
