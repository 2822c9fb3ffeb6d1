"""Customers on the fake platforms: they write and press buttons like a person would, and
read what the fake server received for their chat."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import httpx

from bot.channels.hub import ChannelHub
from bot.channels.messenger import messenger_signature
from bot.channels.zalo import zalo_signature
from tests.fakes.platform import FakePlatform, Sent

ORDER_NUMBER = re.compile(r"DH\d{6}")
_ids = itertools.count(1)


class PlatformUser:
    """What every platform's customer does; subclasses say how an update looks."""

    def __init__(self, fake: FakePlatform, client: httpx.AsyncClient, hub: ChannelHub) -> None:
        self.fake = fake
        self.client = client
        self.hub = hub
        self.mark = 0  # what the chat had before the last action

    @property
    def chat(self) -> str:
        raise NotImplementedError

    def text_update(self, text: str) -> tuple[dict[str, Any], dict[str, str]]:
        raise NotImplementedError

    def press_update(self, button: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        raise NotImplementedError

    def buttons(self, sent: Sent) -> list[dict[str, Any]]:
        raise NotImplementedError

    async def deliver(self, update: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        raise NotImplementedError

    async def _act(self, update: dict[str, Any], headers: dict[str, str]) -> list[Sent]:
        self.mark = len(self.fake.sent[self.chat])
        resp = await self.deliver(update, headers)
        assert resp.status_code == 200, resp.text
        await self.hub.drain()
        return self.replies

    async def say(self, text: str) -> list[Sent]:
        return await self._act(*self.text_update(text))

    async def press(self, title: str, *, on: str | None = None) -> list[Sent]:
        """Presses the newest button called ``title`` (on the message mentioning ``on``)."""
        for sent in reversed(self.replies or self.fake.sent[self.chat]):
            if on is not None and on not in str(sent.body):
                continue
            for b in self.buttons(sent):
                if b["title"] == title or (
                    b["title"].endswith("…") and title.startswith(b["title"][:-1])
                ):
                    return await self._act(*self.press_update(b))
        raise AssertionError(f"no button {title!r} in {self.titles()}")

    @property
    def replies(self) -> list[Sent]:
        return self.fake.sent[self.chat][self.mark :]

    @property
    def text(self) -> str:
        return "\n".join(self.fake.texts(self.chat)[self.mark :])

    def titles(self) -> list[str]:
        return [b["title"] for s in self.replies for b in self.buttons(s)]


async def buy_one_tee(user: PlatformUser) -> str:
    """The web tests' shortest purchase, on a platform, by buttons and typing (no LLM)."""
    await to_the_phone_question(user)
    await user.say("0987654321")
    return await finish_after_the_phone(user)


async def to_the_phone_question(user: PlatformUser) -> None:
    """A white tee in the cart, checkout begun and the name given: the phone is asked next."""
    await user.say("ao thun")
    await user.press("Xem", on="Áo thun cotton basic")
    await user.press("Trắng")
    await user.press("1")
    await user.press("Đặt hàng")
    await user.say("Trần Thị Bình")


async def finish_after_the_phone(user: PlatformUser) -> str:
    """The address, cash on delivery and the confirmation: the new order's number."""
    await user.say("8 Hai Bà Trưng, Phường Tràng Tiền, Quận Hoàn Kiếm, Hà Nội")
    await user.press("Đúng rồi")
    await user.press("Tiền mặt khi nhận (COD)")
    await user.press("Xác nhận đặt hàng")
    found = ORDER_NUMBER.search(user.text)
    assert found, user.text
    return found.group(0)


class TelegramUser(PlatformUser):
    def __init__(self, *args: Any, user_id: int | None = None, secret: str = "") -> None:
        super().__init__(*args)
        self.user_id = user_id or 7_000_000 + next(_ids)
        self.secret = secret
        self.first_name = "Bình"

    @property
    def chat(self) -> str:
        return str(self.user_id)

    def _who(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name}

    def message(self, **fields: Any) -> dict[str, Any]:
        fake = self.fake
        assert hasattr(fake, "next_update_id")
        uid = fake.next_update_id()
        return {
            "update_id": uid,
            "message": {
                "message_id": uid,
                "date": 1_700_000_000,
                "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
                "from": self._who(),
                **fields,
            },
        }

    def headers(self) -> dict[str, str]:
        return {"X-Telegram-Bot-Api-Secret-Token": self.secret}

    def text_update(self, text: str) -> tuple[dict[str, Any], dict[str, str]]:
        return self.message(text=text), self.headers()

    def press_update(self, button: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        fake = self.fake
        assert hasattr(fake, "next_update_id")
        uid = fake.next_update_id()
        update = {
            "update_id": uid,
            "callback_query": {
                "id": f"cq{uid}",
                "from": self._who(),
                "chat_instance": "ci",
                "data": button["payload"],
                "message": {
                    "message_id": 1,
                    "date": 1_700_000_000,
                    "chat": {"id": self.user_id, "type": "private"},
                },
            },
        }
        return update, self.headers()

    def buttons(self, sent: Sent) -> list[dict[str, Any]]:
        markup = sent.body.get("reply_markup") or {}
        return [
            {"title": b["text"], "payload": b["callback_data"]}
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    async def deliver(self, update: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        return await self.client.post("/webhooks/telegram/customer", json=update, headers=headers)


class MessengerUser(PlatformUser):
    """A Messenger customer: its deliveries are signed with the app secret, as Meta's are."""

    def __init__(self, *args: Any, app_secret: str, psid: str | None = None) -> None:
        super().__init__(*args)
        self.psid = psid or f"{9_000_000 + next(_ids)}"
        self.app_secret = app_secret
        self._n = 0

    @property
    def chat(self) -> str:
        return self.psid

    def envelope(self, event: dict[str, Any]) -> dict[str, Any]:
        self._n += 1
        return {
            "object": "page",
            "entry": [
                {
                    "id": "PAGE_ID",
                    "time": 1_700_000_000_000 + self._n,
                    "messaging": [
                        {
                            "sender": {"id": self.psid},
                            "recipient": {"id": "PAGE_ID"},
                            "timestamp": 1_700_000_000_000 + self._n,
                            **event,
                        }
                    ],
                }
            ],
        }

    def _mid(self) -> str:
        return f"mid.{self.psid}.{next(_ids)}"

    def text_update(self, text: str) -> tuple[dict[str, Any], dict[str, str]]:
        return self.envelope({"message": {"mid": self._mid(), "text": text}}), {}

    def press_update(self, button: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        if button["kind"] == "quick":
            event = {
                "message": {
                    "mid": self._mid(),
                    "text": button["title"],
                    "quick_reply": {"payload": button["payload"]},
                }
            }
        else:
            event = {
                "postback": {
                    "mid": self._mid(),
                    "title": button["title"],
                    "payload": button["payload"],
                }
            }
        return self.envelope(event), {}

    def buttons(self, sent: Sent) -> list[dict[str, Any]]:
        msg = sent.body.get("message") or {}
        out = [
            {"title": q["title"], "payload": q["payload"], "kind": "quick"}
            for q in msg.get("quick_replies") or []
        ]
        payload = (msg.get("attachment") or {}).get("payload") or {}
        for element in payload.get("elements") or []:
            out.extend(
                {"title": b["title"], "payload": b["payload"], "kind": "postback", "on": element}
                for b in element.get("buttons") or []
            )
        return out

    def raw(self, update: dict[str, Any]) -> bytes:
        return json.dumps(update, ensure_ascii=True, separators=(",", ":")).encode()

    async def deliver(self, update: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        fake = self.fake
        assert hasattr(fake, "user_wrote")
        fake.user_wrote(self.psid)
        raw = self.raw(update)
        signed = {
            "X-Hub-Signature-256": messenger_signature(self.app_secret, raw),
            "Content-Type": "application/json",
            **headers,
        }
        return await self.client.post("/webhooks/messenger", content=raw, headers=signed)


class ZaloUser(PlatformUser):
    """A Zalo customer: events signed as Zalo signs them; a button press is the button's
    payload sent back as text (oa.query.hide)."""

    def __init__(self, *args: Any, app_id: str, oa_secret_key: str) -> None:
        super().__init__(*args)
        self.user_id = f"{2_468_000_000 + next(_ids)}"
        self.app_id = app_id
        self.oa_secret_key = oa_secret_key

    @property
    def chat(self) -> str:
        return self.user_id

    def event(self, text: str) -> dict[str, Any]:
        return {
            "app_id": self.app_id,
            "event_name": "user_send_text",
            "sender": {"id": self.user_id},
            "recipient": {"id": "388613280878808645"},
            "user_id_by_app": "552177279717587730",
            "message": {"text": text, "msg_id": f"zm{next(_ids)}"},
            "timestamp": str(1_700_000_000_000 + next(_ids)),
        }

    def text_update(self, text: str) -> tuple[dict[str, Any], dict[str, str]]:
        return self.event(text), {}

    def press_update(self, button: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        return self.event(button["payload"]), {}

    def buttons(self, sent: Sent) -> list[dict[str, Any]]:
        payload = ((sent.body.get("message") or {}).get("attachment") or {}).get("payload") or {}
        out = [{"title": b["title"], "payload": b["payload"]} for b in payload.get("buttons") or []]
        for e in payload.get("elements") or []:
            action = e.get("default_action") or {}
            if action.get("payload"):
                # tapping a list element runs its default action: the card's first button
                out.append({"title": "Xem", "payload": action["payload"], "on": e["title"]})
        return out

    def raw(self, update: dict[str, Any]) -> bytes:
        return json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()

    async def deliver(self, update: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        fake = self.fake
        assert hasattr(fake, "user_wrote")
        fake.user_wrote(self.user_id)
        raw = self.raw(update)
        signed = {
            "X-ZEvent-Signature": zalo_signature(
                self.app_id, raw, update["timestamp"], self.oa_secret_key
            ),
            "Content-Type": "application/json",
            **headers,
        }
        return await self.client.post("/webhooks/zalo", content=raw, headers=signed)
