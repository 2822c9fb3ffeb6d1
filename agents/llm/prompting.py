"""The customer agent's prompts with the shop's policies filled in, and its canned replies."""

from __future__ import annotations

from typing import Literal

from core.money import format_vnd
from core.shop_policies import Policy, policy_text
from prompts import render
from tools.config import ToolConfig

Language = Literal["vi", "en"]
QUOTE = '"' * 3  # the fence around quoted conversation data in a prompt


def money(amount: int, language: Language) -> str:
    return format_vnd(amount) if language == "vi" else f"{amount:,} VND"


def system_prompt(language: Language, shop: ToolConfig, *, handoff_tool: str) -> str:
    """The instructions of the customer agent, with the shop's name and policies."""
    fee = money(shop.shipping_fee, language)
    if shop.free_shipping_from is not None:
        shipping = render(
            "policy_shipping_free_from",
            language,
            fee=fee,
            free_from=money(shop.free_shipping_from, language),
        )
    else:
        shipping = render("policy_shipping_flat", language, fee=fee)
    vat = render(
        "policy_vat_included" if shop.prices_include_vat else "policy_vat_excluded", language
    )
    # Bank transfer is offered only when the shop set an account the customer can be sent.
    payment = render("policy_payment_cod_or_bank" if shop.bank else "policy_payment_cod", language)
    return render(
        "customer_agent",
        language,
        shop_name=shop.shop_name,
        shipping_policy=shipping,
        vat_policy=vat,
        payment_policy=payment,
        hold_minutes=shop.hold_minutes,
        handoff_tool=handoff_tool,
        delivery_time=_policy("delivery_time", language, shop),
        opening_hours=_policy("opening_hours", language, shop),
        return_policy=_policy("return_policy", language, shop),
    )


def _policy(name: Policy, language: Language, shop: ToolConfig) -> str:
    """The shop's own words (the same the button flow answers with), without a final stop."""
    text = policy_text(name, language, getattr(shop, name), getattr(shop, f"{name}_en"))
    return text.rstrip(". ")


def earlier_conversation(summary: str, language: Language) -> str:
    """The summary of turns that left the history window, as a quoted user-role message: it
    was written from customer text, so it is conversation data, never an instruction."""
    quoted = summary.strip().replace(QUOTE, "'")
    return render("earlier_conversation", language, summary=quoted)


def neutral_reply(language: Language) -> str:
    """What the customer sees instead of a model text that failed the reply check."""
    return render("neutral_reply", language)
