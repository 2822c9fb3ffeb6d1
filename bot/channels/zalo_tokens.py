"""Zalo OA access tokens: refreshed with the refresh token before they expire, kept encrypted.

Zalo's refresh token is single use: every refresh returns a new one that replaces it, so it
must survive restarts (the one in ``SHOPBOT_ZALO_REFRESH_TOKEN`` only starts the chain). Both
tokens are stored in ``channel_secrets`` sealed with AES-GCM under a key derived (HKDF-SHA256)
from the app secret: a copy of the database alone does not give them away.

The server and every ``shopbot worker`` send to the OA, so the refresh is claimed through the
database (``take_secret_lease``): one process spends the refresh token, the others wait for
the token it stores and use that. Two workers refreshing at once lost a reply in the channel
bench: the second one's refresh token had just been spent ("Invalid refresh token").
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.channels.base import ChannelError, RetryLater
from storage.channels import drop_secret_lease, load_secret, save_secret, take_secret_lease
from storage.database import Database

SECRET_NAME = "zalo_oa_tokens"
REFRESH_MARGIN = timedelta(minutes=30)  # refresh this long before expiry
NONCE = 12
LEASE_SECONDS = 30.0  # a refresh (one HTTP call) takes far less; a dead holder is passed over
WAIT_SECONDS = 10.0  # how long a process waits for another's refresh before the send retries
WAIT_STEP = 0.1


def token_key(app_secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"shopbot/zalo-oa", info=b"tokens"
    ).derive(app_secret.encode())


def seal(key: bytes, data: dict[str, str]) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, json.dumps(data).encode(), SECRET_NAME.encode())


def unseal(key: bytes, blob: bytes) -> dict[str, str]:
    try:
        plain = AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], SECRET_NAME.encode())
    except InvalidTag:
        raise ChannelError("stored Zalo tokens do not open with this app secret") from None
    return dict(json.loads(plain))


class ZaloTokens:
    def __init__(
        self,
        db: Database,
        http: httpx.AsyncClient,
        *,
        oauth_base: str,
        app_id: str,
        app_secret: str,
        first_refresh_token: str,
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.db = db
        self.http = http
        self.oauth_base = oauth_base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.first_refresh_token = first_refresh_token
        self.margin = margin
        self.key = token_key(app_secret)
        self._lock = asyncio.Lock()
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"  # this process, in the lease
        self._access: str | None = None
        self._expires: datetime | None = None

    async def access_token(self, *, force: bool = False) -> str:
        """A valid access token. ``force``: Zalo refused the one in hand, so a newer one is
        needed (another process's, or a refresh)."""
        async with self._lock:  # one refresh at a time in this process
            if not force and self._fresh():
                assert self._access is not None
                return self._access
            rejected = self._access if force else None
            deadline = time.monotonic() + WAIT_SECONDS
            while True:
                refresh = await self._load()
                if self._fresh() and self._access != rejected:
                    assert self._access is not None
                    return self._access
                if await take_secret_lease(self.db, SECRET_NAME, self.owner, LEASE_SECONDS):
                    try:
                        refresh = await self._load()  # another may have finished meanwhile
                        if self._fresh() and self._access != rejected:
                            assert self._access is not None
                            return self._access
                        return await self._refresh(refresh)
                    finally:
                        await drop_secret_lease(self.db, SECRET_NAME, self.owner)
                if time.monotonic() >= deadline:
                    raise RetryLater(1.0, "zalo token being refreshed by another process")
                await asyncio.sleep(WAIT_STEP)

    async def _load(self) -> str:
        """Reads the stored tokens into this process; returns the refresh token to spend."""
        stored = await load_secret(self.db, SECRET_NAME)
        if stored is None:
            return self.first_refresh_token
        tokens = unseal(self.key, stored[0])
        self._access, self._expires = tokens.get("access_token"), stored[1]
        return tokens.get("refresh_token") or self.first_refresh_token

    def _fresh(self) -> bool:
        return (
            self._access is not None
            and self._expires is not None
            and datetime.now(UTC) < self._expires - self.margin
        )

    async def _refresh(self, refresh_token: str) -> str:
        try:
            resp = await self.http.post(
                f"{self.oauth_base}/v4/oa/access_token",
                headers={"secret_key": self.app_secret},
                data={
                    "app_id": self.app_id,
                    "refresh_token": refresh_token,
                    "grant_type": "refresh_token",
                },
            )
        except httpx.TransportError as exc:
            raise RetryLater(0.0, f"zalo oauth unreachable: {type(exc).__name__}") from None
        if resp.status_code >= 500:
            raise RetryLater(0.0, f"zalo oauth {resp.status_code}")
        data = resp.json() if resp.content else {}
        access, new_refresh = data.get("access_token"), data.get("refresh_token")
        if not access or not new_refresh:
            raise ChannelError(
                f"zalo refused the refresh token ({data.get('error')}): "
                f"{str(data.get('error_name') or data.get('error_description') or '')[:200]}"
            )
        expires = datetime.now(UTC) + timedelta(seconds=int(data.get("expires_in") or 3600))
        await save_secret(
            self.db,
            SECRET_NAME,
            seal(self.key, {"access_token": access, "refresh_token": new_refresh}),
            expires,
        )
        self._access, self._expires = str(access), expires
        return self._access
