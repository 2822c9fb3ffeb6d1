"""What every handler gets (the turn's context) and gives back (an outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.offline.messages import Lang, t
from agents.offline.shop import ShopTools
from agents.offline.state import FlowState
from agents.types import Reply


@dataclass(frozen=True)
class FlowContext:
    shop: ShopTools
    lang: Lang
    conversation_id: int
    channel: str
    shop_name: str

    def t(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)


@dataclass
class Outcome:
    """The replies of one turn and the state to keep. ``handoff``: the customer asked for a
    person (the conversation service hands the chat over). ``language``: switch to it."""

    state: FlowState
    replies: list[Reply] = field(default_factory=list)
    handoff: bool = False
    language: Lang | None = None
