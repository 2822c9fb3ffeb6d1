"""The reply check: model text that states unknown amounts, pastes the prompt or tool errors, or
claims an action that did not happen is refused; ordinary sales talk passes (a labelled corpus
in tests/agents/data/reply_corpus.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents.llm.prompting import system_prompt
from agents.llm.reply_check import Evidence, amount_allowed, amounts_of, check_reply
from core.money_text import money_mentions
from tests.factories import BANK

PROMPTS = (
    system_prompt("vi", BANK, handoff_tool="request_handoff"),
    system_prompt("en", BANK, handoff_tool="request_handoff"),
)
# What a quote for 2 × 250.000₫ with a 50.000₫ discount and 30.000₫ shipping returns.
QUOTE = {
    "lines": [{"sku": "AT01-DEN-M", "quantity": 2, "unit_price": 250_000, "vat_rate": 8}],
    "subtotal": 500_000,
    "discount": 50_000,
    "vat_total": 37_037,
    "shipping_fee": 30_000,
    "total": 480_000,
}
PRODUCTS = {
    "variants": [
        {"sku": "AT01-DEN-M", "price": 250_000, "available": 12},
        {"sku": "HD01-XAM-L", "price": 320_000, "available": 3},
        {"sku": "QS01-BE-M", "price": 180_000, "available": 5},
        {"sku": "AK01-DEN-L", "price": 1_200_000, "available": 2},
    ]
}
ORDER = {"number": "DH000123", "status": "shipping", "total": 480_000, "paid": 480_000}
SCENARIOS: dict[str, tuple[list[dict[str, Any]], set[str]]] = {
    "none": ([], set()),
    "browse": ([PRODUCTS], {"search_products", "get_product"}),
    "quote": ([PRODUCTS, QUOTE], {"quote_order"}),
    "proposed": ([QUOTE], {"quote_order", "propose:place_order"}),
    "order_lookup": ([ORDER], {"get_order"}),
    "placed": ([QUOTE, ORDER], {"place_order"}),
    "cancelled": ([ORDER], {"get_order", "cancel_order"}),
    "refunded": ([ORDER], {"refund_payment"}),
}
CORPUS = json.loads((Path(__file__).parent / "data" / "reply_corpus.json").read_text("utf-8"))


def evidence(name: str) -> Evidence:
    results, succeeded = SCENARIOS[name]
    amounts: set[int] = set()
    for result in results:
        amounts |= amounts_of(result)
    return Evidence(frozenset(amounts), frozenset(succeeded), PROMPTS)


def _language(text: str) -> str:
    return "vi" if any(ch in text for ch in "ăâđêôơưạảấầẩẫậắằẳẵặ") else "en"


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS["good"]) >= 60
    assert len(CORPUS["bad"]) >= 60


@pytest.mark.parametrize("case", CORPUS["good"], ids=lambda c: c["text"][:50])
def test_ordinary_sales_talk_passes(case: dict[str, str]) -> None:
    verdict = check_reply(case["text"], evidence(case["evidence"]), _language(case["text"]))
    assert verdict.ok, verdict


@pytest.mark.parametrize("case", CORPUS["bad"], ids=lambda c: c["text"][:50])
def test_a_bad_reply_is_refused_for_its_reason(case: dict[str, str]) -> None:
    verdict = check_reply(case["text"], evidence(case["evidence"]), _language(case["text"]))
    assert not verdict.ok
    assert verdict.reason == case["expect"], verdict
    assert verdict.snippet


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.000đ", 1_000),
        ("1.000 đ", 1_000),
        ("1,000 VND", 1_000),
        ("250k", 250_000),
        ("250K", 250_000),
        ("250 nghìn", 250_000),
        ("250 ngàn", 250_000),
        ("1tr2", 1_200_000),
        ("1,2 triệu", 1_200_000),
        ("1.2m", 1_200_000),
        ("2 triệu", 2_000_000),
        ("1 củ", 1_000_000),
        ("đ250.000", 250_000),
        ("₫250.000", 250_000),
        ("250.000₫", 250_000),
        ("250.000 VNĐ", 250_000),
        ("250.000 vnđ", 250_000),
        ("250,000 dong", 250_000),
        ("250.000 đồng", 250_000),
        ("1 triệu rưỡi", 1_500_000),
        ("1 triệu 250 nghìn", 1_250_000),
        ("1tr250k", 1_250_000),
        ("2.5k", 2_500),
        ("Tổng: 300.000", 300_000),
        ("tổng 300000 nhé", 300_000),
        ("VND 250,000", 250_000),
        ("1 200 000 ₫", 1_200_000),
        ("1\u202f200\u202f000\u00a0₫", 1_200_000),
        ("một nghìn đồng", 1_000),
        ("bốn trăm tám mươi nghìn đồng", 480_000),
        ("hai mươi lăm nghìn", 25_000),
        ("một triệu hai trăm nghìn", 1_200_000),
        ("một trăm linh năm nghìn", 105_000),
        ("đơn từ năm trăm nghìn", 500_000),
    ],
)
def test_money_is_read_as_people_write_it(text: str, amount: int) -> None:
    assert [m.amount for m in money_mentions(text)] == [amount]


@pytest.mark.parametrize(
    "text",
    [
        "size 42",
        "2 cái",
        "x2",
        "SĐT 0901234567",
        "0901 234 567",
        "0901.234.567",
        "DH000123",
        "mã đơn 123456",
        "năm 2024",
        "10%",
        "8% VAT",
        "cao 1m6 nặng 55kg",
        "dài 1.5m",
        "sale 12.12",
        "giao 12/12/2026 lúc 14:30",
        "1.000 khách đã mua",
        "over 1,200 reviews",
        "3 củ hành",
        "2-3 ngày",
        "size 38-42",
        "chờ một tý nhé",
        "doi 1 ty nhe",
        "hai triệu lượt xem",
        "hàng nghìn khách",
    ],
)
def test_numbers_that_are_not_money_are_left_alone(text: str) -> None:
    assert money_mentions(text) == []


def test_a_range_takes_the_unit_of_its_upper_end() -> None:
    assert [m.amount for m in money_mentions("150-200k")] == [150_000, 200_000]
    assert [m.amount for m in money_mentions("Size 40 - 250k")] == [250_000]


def test_arithmetic_is_allowed_only_from_amounts_and_quantities_the_text_shows() -> None:
    known = {250_000, 30_000}
    assert amount_allowed(280_000, known, shown={250_000, 30_000})  # goods + shipping
    assert amount_allowed(750_000, known, shown={250_000}, quantities={3})  # 3 × 250.000
    assert not amount_allowed(280_000, known, shown={250_000})  # the shipping fee is not shown
    assert not amount_allowed(750_000, known, shown={250_000})  # no quantity shown
    assert not amount_allowed(220_000, known, shown=known)  # a difference: a fake discount
    assert not amount_allowed(2_750_000, known, shown=known, quantities={11})
    ok = "Lấy 3 áo: 3 x 250.000đ = 750.000đ."
    assert check_reply(ok, evidence("browse"), "vi").ok
    made_up = "Tổng 750.000đ nhé."
    assert check_reply(made_up, evidence("browse"), "vi").reason == "unknown_amount"


def test_amounts_of_reads_money_keys_at_any_depth_and_skips_rates_and_counts() -> None:
    result = {
        "order": {"total": 480_000, "vat_rate": 8, "item_count": 2, "discount_code": 7},
        "lines": [{"unit_price": 250_000, "quantity": 2}],
        "fees": [30_000, 5_000],
        "price_text": "1.200.000₫",
        "paid": False,
        "cod_amount": 480_000.0,
        "paid_at": "2026-12-07T10:00:00+07:00",
        "private_note": "giảm 100k cho khách quen",
        "postcode": 700_000,
        "shippingFee": 35_000,
        "prices": [99_000],
    }
    assert amounts_of(result) == {480_000, 250_000, 30_000, 5_000, 1_200_000, 35_000, 99_000}


def test_policy_amounts_in_the_system_prompt_are_evidence() -> None:
    assert check_reply("Miễn phí giao hàng cho đơn từ 500.000₫.", evidence("none"), "vi").ok


def test_the_whole_system_prompt_is_a_leak() -> None:
    for prompt in PROMPTS:
        verdict = check_reply(prompt, evidence("quote"), "vi")
        assert (verdict.ok, verdict.reason) == (False, "prompt_leak")


RULES = [
    line.split(" ", 1)[1]
    for prompt in PROMPTS
    for line in prompt.splitlines()
    if line[:1].isdigit() or line.startswith(("Safety:", "An toàn:"))
]


# Rule 4 is what the model is told to ask the customer for, nearly word for word.
ASK_FOR_ADDRESS = ("Đặt hàng cần họ tên", "An order needs name, phone")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r[:40])
def test_a_rule_of_the_prompt_pasted_without_its_number_is_a_leak(rule: str) -> None:
    words = rule.split()[:12]
    verdict = check_reply("Okay:  " + "  ".join(words).upper(), evidence("none"), "en")
    expected = "ok" if rule.startswith(ASK_FOR_ADDRESS) else "prompt_leak"
    assert verdict.reason == expected, (words, verdict)


def test_a_claim_is_true_when_its_tool_succeeded_this_turn() -> None:
    text = "Your order has been placed."
    assert check_reply(text, evidence("placed"), "en").ok
    assert check_reply(text, evidence("proposed"), "en").reason == "false_claim"


def test_a_changed_prompt_is_checked_against_its_own_policies() -> None:
    """The prompt-derived facts are cached by the prompt's text: a shop that changes its
    shipping fee gets the new fee allowed and the old one refused, never the cached one."""
    old = BANK.model_copy(update={"shipping_fee": 30_000, "free_shipping_from": None})
    new = BANK.model_copy(update={"shipping_fee": 45_000, "free_shipping_from": None})
    reply = "Phí ship {} nhé."
    for shop, allowed, refused in ((old, "30.000₫", "45.000₫"), (new, "45.000₫", "30.000₫")):
        prompts = (system_prompt("vi", shop, handoff_tool="request_handoff"),)
        facts = Evidence(frozenset(), frozenset(), prompts)
        assert check_reply(reply.format(allowed), facts, "vi").ok
        verdict = check_reply(reply.format(refused), facts, "vi")
        assert (verdict.reason, verdict.snippet) == ("unknown_amount", refused)


def test_a_leak_is_judged_against_the_prompts_of_this_call() -> None:
    vi, en = PROMPTS
    pasted = en.splitlines()[0]
    assert check_reply(pasted, Evidence(frozenset(), frozenset(), (en,)), "en").reason == (
        "prompt_leak"
    )
    assert check_reply(pasted, Evidence(frozenset(), frozenset(), (vi,)), "en").ok
