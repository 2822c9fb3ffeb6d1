"""The button flow's answers to typed text: both languages, and the shop's own policy texts."""

from __future__ import annotations

import string

from agents.offline.answers import SENTENCES, say
from agents.offline.messages import MESSAGES
from core.shop_policies import DEFAULTS, policy_text


def test_every_sentence_exists_in_both_languages_with_the_same_placeholders() -> None:
    fmt = string.Formatter()
    for key, (vi, en) in SENTENCES.items():
        assert vi.strip(), key
        assert en.strip(), key
        assert {f for _, f, _, _ in fmt.parse(vi) if f} == {f for _, f, _, _ in fmt.parse(en) if f}
    # One catalogue or the other: a key never means two sentences.
    assert not set(SENTENCES) & set(MESSAGES)


def test_say_fills_the_placeholders_in_the_customers_language() -> None:
    assert say("vi", "qty_negative", max=99) == "Số lượng phải từ 1 đến 99. Bạn chọn lại nhé."
    assert say("en", "thanks").startswith("You're welcome")


def test_policy_texts_fall_back_from_english_to_the_shops_vietnamese_to_a_default() -> None:
    assert policy_text("opening_hours", "vi") == DEFAULTS["opening_hours"][0]
    assert policy_text("opening_hours", "en") == DEFAULTS["opening_hours"][1]
    assert policy_text("opening_hours", "vi", "9h – 18h", "9am – 6pm") == "9h – 18h"
    assert policy_text("opening_hours", "en", "9h – 18h", "9am – 6pm") == "9am – 6pm"
    # A shop that wrote only Vietnamese: its own words, not a default that may contradict it.
    assert policy_text("return_policy", "en", "Đổi trong 3 ngày.") == "Đổi trong 3 ngày."
    assert policy_text("delivery_time", "vi", "  ") == DEFAULTS["delivery_time"][0]
