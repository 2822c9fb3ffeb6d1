"""Button payloads that fit every platform: a long one is kept in the database under a token.

Today's payloads reach 200 characters (agents/offline/payloads.py) and Vietnamese text takes up
to three bytes a character, while Telegram's callback_data is 64 bytes. A payload that fits is
sent as it is; one that does not (or any, for a platform that shows payloads as text) is
replaced by ``~`` and a token derived from the payload (the same payload always gets the same
token, so rendering a menu twice writes nothing new).
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict

from bot.channels.base import Encoder
from storage.channels import load_payload, save_payload
from storage.database import Database

MARK = "~"
TOKEN_CHARS = 16
_CACHE = 4096


def token_for(payload: str) -> str:
    digest = hashlib.sha256(payload.encode()).digest()
    return MARK + base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]


class PayloadCodec(Encoder):
    def __init__(self, db: Database, limit_bytes: int, *, always: bool = False) -> None:
        self.db = db
        self.limit_bytes = limit_bytes
        self.always = always  # every payload becomes a token (Zalo sends it back as text)
        self._known: OrderedDict[str, str] = OrderedDict()  # token -> payload, saved

    async def encode(self, payload: str) -> str:
        fits = len(payload.encode()) <= self.limit_bytes and not payload.startswith(MARK)
        if fits and not self.always:
            return payload
        token = token_for(payload)
        if token not in self._known:
            await save_payload(self.db, token, payload)
            self._remember(token, payload)
        return token

    async def decode(self, data: str | None) -> str | None:
        """The payload behind ``data``; None for a token nobody issued."""
        if data is None or not data.startswith(MARK):
            return data
        found = self._known.get(data)
        if found is None:
            found = await load_payload(self.db, data)
            if found is not None:
                self._remember(data, found)
        return found

    def _remember(self, token: str, payload: str) -> None:
        self._known[token] = payload
        if len(self._known) > _CACHE:
            self._known.popitem(last=False)
