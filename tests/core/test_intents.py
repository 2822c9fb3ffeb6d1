"""core.intents.classify over a labelled corpus of what shoppers type (tests/core/
intent_corpus.py): every question is recognised and every product query stays a search."""

from __future__ import annotations

import pytest

from core.intents import Intent, classify, normalise
from tests.core.intent_corpus import LABELLED, SEARCHES

CASES = [(label, text) for label, texts in LABELLED.items() for text in texts]


def test_the_corpus_is_a_few_hundred_messages_of_every_intent() -> None:
    assert set(LABELLED) == {i.value for i in Intent}
    assert len(CASES) + len(SEARCHES) >= 400
    assert all(len(texts) >= 20 for texts in LABELLED.values())


@pytest.mark.parametrize(("label", "text"), CASES)
def test_a_question_is_recognised(label: str, text: str) -> None:
    assert classify(text) == Intent(label)


@pytest.mark.parametrize("text", SEARCHES)
def test_a_product_query_stays_a_search(text: str) -> None:
    assert classify(text) is None


def test_teen_code_and_accents_normalise_alike() -> None:
    assert normalise("Phí ship bn vậy ad?") == " phi ship bao nhieu vay shop "
    assert normalise("đc ko") == normalise("dc k") == " duoc khong "
    # "đợi" (wait) and "đôi" (a pair) do not fold onto "đổi" (exchange).
    assert classify("đợi hàng lâu quá") == Intent.ORDER_STATUS
    assert classify("tất 5 đôi") is None


def test_small_talk_only_when_the_message_is_nothing_else() -> None:
    assert classify("chào shop") == Intent.GREETING
    assert classify("chào shop, cho mình xem áo thun đen") is None
    assert classify("ok cảm ơn shop") == Intent.THANKS
    assert classify("cảm ơn, cho mình xem quần jean") is None
    assert classify("ok") is None
    assert classify("") is None


def test_a_question_wins_over_product_words_around_it() -> None:
    assert classify("áo thun này đổi size được không") == Intent.RETURN_POLICY
    assert classify("quần jean ship mất bao lâu") == Intent.SHIPPING_TIME
    assert classify("ship cho mình 2 cái áo thun") is None
