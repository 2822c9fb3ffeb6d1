"""A test client that behaves like the chat page, and small database probes for the tests."""

from __future__ import annotations

import re
import secrets
from typing import Any

import httpx
from sqlalchemy import func, select

from storage.database import Database
from storage.models import Conversation, Order, OutboxEvent

ORDER_NUMBER = re.compile(r"DH\d{6}")


class WebChat:
    def __init__(self, client: httpx.AsyncClient, session_id: str | None = None) -> None:
        self.client = client
        self.session_id = session_id or secrets.token_urlsafe(18)
        self.replies: list[dict[str, Any]] = []
        self.mode = "bot"
        self._n = 0

    async def send(
        self,
        *,
        text: str | None = None,
        payload: str | None = None,
        message_id: str | None = None,
    ) -> list[dict[str, Any]]:
        self._n += 1
        body: dict[str, Any] = {
            "session_id": self.session_id,
            "message_id": message_id or f"m{self._n}-{secrets.token_hex(4)}",
        }
        if text is not None:
            body["text"] = text
        if payload is not None:
            body["payload"] = payload
        resp = await self.client.post("/api/chat/messages", json=body)
        assert resp.status_code == 200, resp.text
        data = resp.json()
        self.mode = data["mode"]
        self.replies = data["replies"]
        return self.replies

    async def say(self, text: str) -> list[dict[str, Any]]:
        return await self.send(text=text)

    def find(self, title: str) -> dict[str, Any]:
        for reply in self.replies:
            for b in reply["buttons"]:
                if b["title"] == title:
                    return dict(b)
            for card in reply["cards"]:
                for b in card["buttons"]:
                    if b["title"] == title:
                        return dict(b)
        raise AssertionError(f"no button {title!r} in {self.titles()}")

    async def press(self, title: str) -> list[dict[str, Any]]:
        b = self.find(title)
        return await self.send(text=b["title"], payload=b["payload"])

    async def press_card(self, product_title: str, button_title: str) -> list[dict[str, Any]]:
        for reply in self.replies:
            for card in reply["cards"]:
                if card["title"] == product_title:
                    b = next(x for x in card["buttons"] if x["title"] == button_title)
                    return await self.send(text=b["title"], payload=b["payload"])
        raise AssertionError(f"no card {product_title!r}")

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    def titles(self) -> list[str]:
        return [b["title"] for r in self.replies for b in r["buttons"]]

    def cards(self) -> list[dict[str, Any]]:
        return [c for r in self.replies for c in r["cards"]]


async def to_review(chat: WebChat, payment: str = "Tiền mặt khi nhận (COD)") -> None:
    """From anywhere to the order card of one white tee (the details typed the first time,
    the saved ones after)."""
    await chat.send(payload="start")
    await chat.say("ao thun")
    await chat.press_card("Áo thun cotton basic", "Xem")
    await chat.press("Trắng")  # only M exists in white: chosen automatically
    await chat.press("1")
    await chat.press("Đặt hàng")
    if "Dùng thông tin này" in chat.titles():
        await chat.press("Dùng thông tin này")
    else:
        await chat.say("Trần Thị Bình")
        await chat.say("0987654321")
        await chat.say("8 Hai Bà Trưng, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội")
        await chat.press("Đúng rồi")
    await chat.press(payment)


async def buy_one_tee(chat: WebChat, payment: str = "Tiền mặt khi nhận (COD)") -> str:
    """The shortest purchase by buttons and typing; returns the order number."""
    await to_review(chat, payment)
    await chat.press("Xác nhận đặt hàng")
    found = ORDER_NUMBER.search(chat.text)
    assert found, chat.text
    return found.group(0)


async def order_count(db: Database) -> int:
    async with db.transaction(write=False) as tx:
        return int(await tx.session.scalar(select(func.count()).select_from(Order)) or 0)


async def conversation_of(db: Database, session_id: str) -> Conversation:
    async with db.transaction(write=False) as tx:
        return (
            await tx.session.execute(select(Conversation).where(Conversation.chat_id == session_id))
        ).scalar_one()


async def outbox_topics(db: Database) -> list[str]:
    async with db.transaction(write=False) as tx:
        return list(
            (await tx.session.execute(select(OutboxEvent.topic).order_by(OutboxEvent.id))).scalars()
        )
