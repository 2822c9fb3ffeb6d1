"""What a tool implementation receives: the transaction, the actor and the shop's config."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from core.errors import PermissionDenied
from core.roles import Actor
from storage.database import Tx
from storage.outbox import NewEvent
from tools.config import ToolConfig


@dataclasses.dataclass
class ToolContext:
    tx: Tx
    actor: Actor
    config: ToolConfig
    # Outbox rows collected during the call, written in one batch before commit.
    pending_events: list[NewEvent] = dataclasses.field(default_factory=list)
    # Variants whose available stock grew during the call (a receipt, an adjustment, a
    # cancelled order's release, a restock): the runner offers that stock to orders waiting
    # for it before commit (tools.reservations.serve_waiting_orders).
    freed_variants: set[int] = dataclasses.field(default_factory=set)
    # Variants whose stock rows this transaction holds locked (tools.stock_ops: the global
    # lock order is checked against it).
    locked_variants: set[int] = dataclasses.field(default_factory=set)
    # The locked rows as this transaction last read or changed them (with holds counted for a
    # caller without a quote), per variant read whole: lock_levels answers from it instead of
    # reading again. Nobody else can change locked rows; apply_moves keeps it current, and
    # writing holds empties it.
    stock_snapshot: dict[int, dict[tuple[int, int], Any]] = dataclasses.field(default_factory=dict)
    # Freed variants whose waiting orders could not be served here without waiting for a lock
    # out of order: the runner serves them in a fresh transaction right after commit.
    deferred_waiting: set[int] = dataclasses.field(default_factory=set)

    @property
    def now(self) -> datetime:
        return self.tx.now

    def customer_id(self) -> int | None:
        """The customer this call is bound to, or None for staff and system."""
        return self.actor.customer_id if self.actor.is_customer else None

    def require_customer_scope(self, owner_id: int | None) -> None:
        """Customers see only their own records; the error does not say whether it exists."""
        if self.actor.is_customer and owner_id != self.actor.customer_id:
            raise PermissionDenied("That record does not belong to you.", code="not_yours")

    def emit(self, topic: str, key: str, payload: dict[str, Any]) -> None:
        self.pending_events.append({"topic": topic, "key": key, "payload": payload})

    def take_events(self) -> list[NewEvent]:
        """The queued outbox rows, handed over once to be written."""
        events, self.pending_events = self.pending_events, []
        return events
