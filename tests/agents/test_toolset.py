"""What the customer agent offers the model: customer-safe registry tools, compactly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agents.llm import LLMConfig, LLMResponder
from agents.llm.toolset import EXPOSED, customer_tools
from core.errors import InvalidInput
from core.roles import Role
from tools import build_registry
from tools.registry import Registry
from tools.runner import ToolRunner

PROMPT_BUDGET = 6_000  # characters of system prompt + tool schemas per model call


@pytest.fixture(scope="module")
def reg() -> Registry:
    return build_registry()


def test_only_customer_safe_registry_tools_are_offered(reg: Registry) -> None:
    offered = customer_tools(reg)
    assert offered
    for at in offered:
        assert at.tool.allows(Role.CUSTOMER)
        assert reg.get(at.name) is at.tool
    staff_only = {t.name for t in reg.all() if not t.customer_safe}
    assert not staff_only & {at.name for at in offered}


def test_a_staff_tool_in_the_table_is_still_not_offered(reg: Registry) -> None:
    table = {**EXPOSED, "adjust_stock": EXPOSED["get_product"]}
    assert "adjust_stock" not in {at.name for at in customer_tools(reg, table)}


def test_offered_arguments_are_a_subset_of_the_registry_model(reg: Registry) -> None:
    for at in customer_tools(reg):
        registry_fields = at.tool.input_model.model_fields
        assert set(at.args_model.model_fields) <= set(registry_fields)


def test_arguments_that_are_not_offered_are_refused(reg: Registry) -> None:
    at = next(a for a in customer_tools(reg) if a.name == "list_orders")
    with pytest.raises(InvalidInput, match="Unknown argument 'customer_id'") as exc:
        at.validate({"customer_id": 2, "limit": 5}, {})
    assert exc.value.code == "unknown_field"
    assert at.validate({"limit": 5}, {}).limit == 5  # type: ignore[attr-defined]


def test_a_misspelt_nested_argument_is_refused_with_its_path(reg: Registry) -> None:
    at = next(a for a in customer_tools(reg) if a.name == "quote_order")
    with pytest.raises(InvalidInput) as exc:
        at.validate({"lines": [{"sku": "AT01-DEN-M", "quantity": 1, "qty": 2}]}, {})
    assert (exc.value.code, exc.value.field) == ("unknown_field", "lines.0.qty")


def test_place_order_takes_the_buyer_and_lines_never_a_quote_token_or_channel(
    reg: Registry,
) -> None:
    """The agent's place_order only proposes a card; what runs is the quote the card was
    rendered from, so the model has no token to pick and no channel to choose."""
    at = next(a for a in customer_tools(reg) if a.name == "place_order")
    assert at.tool.needs_confirmation
    details = {"buyer_name": "Lan", "buyer_phone": "0901234567", "address": {"line": "12 Lê Lợi"}}
    with pytest.raises(ValidationError, match="lines"):
        at.validate(details, {})
    for extra in ({"quote_token": "abc"}, {"channel": "shopee"}):
        with pytest.raises(InvalidInput, match="Unknown argument"):
            at.validate({**details, "lines": [{"sku": "A", "quantity": 1}], **extra}, {})


@pytest.mark.parametrize("language", ["vi", "en"])
def test_system_prompt_and_tool_schemas_fit_the_budget(reg: Registry, language: str) -> None:
    agent = LLMResponder(LLMConfig(), ToolRunner(None, reg))  # type: ignore[arg-type]
    size = agent.prompt_size(language)  # type: ignore[arg-type]
    assert size["total"] <= PROMPT_BUDGET, size
