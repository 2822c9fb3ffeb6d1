"""What every outbox consumer in workers/ shares: read a batch, handle each event, move the
cursor past what was handled (storage/outbox.py), nap when there is nothing, and keep going
after a failed batch (it comes again: handlers are idempotent)."""

from __future__ import annotations

import abc
import asyncio
import logging

from storage.outbox import Event, OutboxReader

log = logging.getLogger("shopbot.workers")


class OutboxConsumer(abc.ABC):
    reader: OutboxReader
    idle_seconds: float
    label: str  # for the log: "order notifications"

    @abc.abstractmethod
    async def handle(self, event: Event) -> object:
        """Does what one event calls for; must be idempotent (at-least-once delivery)."""

    async def run(self) -> None:
        """Until cancelled: each batch as it comes, a short nap when there is none."""
        while True:
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("%s: a batch failed; trying again", self.label)
                handled = 0
            if not handled:
                await asyncio.sleep(self.idle_seconds)

    async def run_once(self) -> int:
        """Handles the next batch; how many events it held."""
        async with self.reader.batch() as batch:
            for event in batch.events:
                await self.handle(event)
                batch.ack(event)
            return len(batch.events)
