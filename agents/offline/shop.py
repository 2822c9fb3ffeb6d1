"""The flow's only door to the shop: tool calls through the runner, as the customer.

Nothing in the offline flow reads or writes domain tables; it calls the same tools, with the
same permission checks and audit rows, as the LLM agent and the staff surfaces. The typed
methods only save the handlers from casting results.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from pydantic import BaseModel

from core.roles import Actor
from tools.catalog import ListCategoriesOut, ProductOut, SearchProductsOut
from tools.config import ToolConfig
from tools.customers import CustomerOut
from tools.order_models import OrderOut
from tools.orders import ListOrdersOut, QuoteOut
from tools.payments import PaymentDetailsOut
from tools.pending import Proposal
from tools.returns import ReturnOut
from tools.runner import ToolRunner

M = TypeVar("M", bound=BaseModel)


class ShopTools:
    def __init__(
        self,
        runner: ToolRunner,
        actor: Actor,
        *,
        surface: str = "chat",
        conversation_id: int | None = None,
    ) -> None:
        self.runner = runner
        self.actor = actor
        self.surface = surface[:20]
        self.conversation_id = conversation_id

    async def call(self, name: str, **args: Any) -> BaseModel:
        return await self.runner.call(name, args, self.actor, surface=self.surface)

    async def propose(self, name: str, **args: Any) -> Proposal:
        """A confirmation card for a tool that moves stock or money (place_order,
        cancel_order): it runs only when the customer confirms the card."""
        return await self.runner.propose(
            name, args, self.actor, conversation_id=self.conversation_id, surface=self.surface
        )

    async def _typed(self, model: type[M], name: str, **args: Any) -> M:
        return cast(M, await self.call(name, **args))

    @property
    def config(self) -> ToolConfig:
        """What the shop told its tools: policies the flow answers questions with."""
        return self.runner.config

    @property
    def timezone(self) -> str:
        return self.runner.config.timezone

    async def list_categories(self) -> ListCategoriesOut:
        return await self._typed(ListCategoriesOut, "list_categories")

    async def search_products(self, **args: Any) -> SearchProductsOut:
        return await self._typed(SearchProductsOut, "search_products", **args)

    async def get_product(self, **args: Any) -> ProductOut:
        return await self._typed(ProductOut, "get_product", **args)

    async def get_customer(self) -> CustomerOut:
        return await self._typed(CustomerOut, "get_customer")

    async def quote_order(self, **args: Any) -> QuoteOut:
        return await self._typed(QuoteOut, "quote_order", **args)

    async def place_order(self, **args: Any) -> OrderOut:
        return await self._typed(OrderOut, "place_order", **args)

    async def list_orders(self, **args: Any) -> ListOrdersOut:
        return await self._typed(ListOrdersOut, "list_orders", **args)

    async def get_order(self, **args: Any) -> OrderOut:
        return await self._typed(OrderOut, "get_order", **args)

    async def cancel_order(self, **args: Any) -> OrderOut:
        return await self._typed(OrderOut, "cancel_order", **args)

    async def get_payment_details(self, **args: Any) -> PaymentDetailsOut:
        return await self._typed(PaymentDetailsOut, "get_payment_details", **args)

    async def create_return(self, **args: Any) -> ReturnOut:
        return await self._typed(ReturnOut, "create_return", **args)
