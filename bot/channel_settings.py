"""The chat channels' settings (Telegram, Messenger, Zalo OA), part of ``bot.settings.Settings``.

A channel whose settings are all absent is off (its webhook answers 404). One given without the
others stops the start with a line naming the first missing variable: a half-configured channel
would otherwise fail on the first customer message, not at deployment.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings

ChannelKey = Literal["telegram", "messenger", "zalo"]

# What each channel needs, all together.
REQUIRED: dict[ChannelKey, tuple[str, ...]] = {
    "telegram": ("telegram_customer_token",),
    "messenger": ("messenger_page_token", "messenger_app_secret", "messenger_verify_token"),
    "zalo": ("zalo_app_id", "zalo_oa_secret_key", "zalo_app_secret", "zalo_refresh_token"),
}
# Given alone these mean the channel was meant to be on.
OPTIONAL: dict[ChannelKey, tuple[str, ...]] = {
    "telegram": ("telegram_webhook_secret",),
    "messenger": (),
    "zalo": (),
}


class ChannelSettings(BaseSettings):
    # `shopbot serve` runs the workers (order notifications) in-process unless told not to
    # (`serve --no-workers`, with `shopbot worker` running them on their own).
    run_workers: bool = True
    # Where the platforms reach this server (https://shop.example); without it Telegram
    # uses long polling, the easy local start.
    public_url: str | None = None

    telegram_customer_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str | None = None  # another Bot API host: a local server, a fake
    # The staff bot (bot/staff/telegram_bot.py): its own token, its own webhook secret, and
    # optionally a staff group that gets the order cards instead of each linked staff member.
    telegram_staff_token: SecretStr | None = None
    telegram_staff_webhook_secret: SecretStr | None = None
    telegram_staff_chat_id: int | None = None

    messenger_page_token: SecretStr | None = None
    messenger_app_secret: SecretStr | None = None
    messenger_verify_token: SecretStr | None = None
    messenger_api_base: str = "https://graph.facebook.com/v25.0"

    zalo_app_id: str | None = None
    zalo_oa_secret_key: SecretStr | None = None
    zalo_app_secret: SecretStr | None = None
    zalo_refresh_token: SecretStr | None = None
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"

    @field_validator(
        "public_url",
        "telegram_customer_token",
        "telegram_webhook_secret",
        "telegram_api_base",
        "telegram_staff_token",
        "telegram_staff_webhook_secret",
        "telegram_staff_chat_id",
        "messenger_page_token",
        "messenger_app_secret",
        "messenger_verify_token",
        "zalo_app_id",
        "zalo_oa_secret_key",
        "zalo_app_secret",
        "zalo_refresh_token",
        mode="before",
    )
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("public_url", "telegram_api_base", "messenger_api_base", "zalo_api_base")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _whole_channels(self) -> ChannelSettings:
        for channel, required in REQUIRED.items():
            given = [f for f in (*required, *OPTIONAL[channel]) if getattr(self, f) is not None]
            missing = [f for f in required if getattr(self, f) is None]
            if given and missing:
                names = ", ".join(f"SHOPBOT_{f.upper()}" for f in required)
                raise ValueError(
                    f"SHOPBOT_{missing[0].upper()}: the {channel} channel needs {names} together"
                )
        if (
            self.public_url
            and self.telegram_customer_token is not None
            and self.telegram_webhook_secret is None
        ):
            raise ValueError(
                "SHOPBOT_TELEGRAM_WEBHOOK_SECRET: with SHOPBOT_PUBLIC_URL Telegram uses a "
                "webhook, which needs a secret token (1-256 of A-Z a-z 0-9 _ -)"
            )
        self._whole_staff_bot()
        return self

    def _whole_staff_bot(self) -> None:
        """The staff bot: its extras need its token; with a public URL, a webhook secret."""
        extras = (self.telegram_staff_webhook_secret, self.telegram_staff_chat_id)
        if self.telegram_staff_token is None:
            if any(x is not None for x in extras):
                raise ValueError(
                    "SHOPBOT_TELEGRAM_STAFF_TOKEN: the staff bot's other settings are given "
                    "without its token"
                )
            return
        if self.public_url and self.telegram_staff_webhook_secret is None:
            raise ValueError(
                "SHOPBOT_TELEGRAM_STAFF_WEBHOOK_SECRET: with SHOPBOT_PUBLIC_URL the staff bot "
                "uses a webhook, which needs a secret token (1-256 of A-Z a-z 0-9 _ -)"
            )

    def channel_on(self, channel: ChannelKey) -> bool:
        return all(getattr(self, f) is not None for f in REQUIRED[channel])

    def channels_on(self) -> list[ChannelKey]:
        return [c for c in REQUIRED if self.channel_on(c)]
