"""Process settings from SHOPBOT_* environment variables (and a ``.env`` file).

Only the composition root (``bot.container.load_settings``) reads them, once at start; nothing
reads the environment at import time. A bad value fails at start with the variable's name, so a
typo in deployment shows up as one clear line, not as a failure on the first order.
"""

from __future__ import annotations

import ipaddress
import zoneinfo
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from bot.channel_settings import ChannelSettings
from core.errors import InvalidInput
from core.vietqr import bank_account
from storage.database import normalise_url

ENV_PREFIX = "SHOPBOT_"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
Language = Literal["vi", "en"]


class SettingsError(Exception):
    """A setting could not be used; the message names the environment variable at fault."""


class Settings(ChannelSettings, BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        # Names that start with SHOPBOT_ but are not settings (e.g. SHOPBOT_TEST_POSTGRES_URL)
        # are ignored rather than refused.
    )

    database_url: str = Field(
        default="sqlite:///./var/shopbot.db",
        description="sqlite:///path or postgresql://user@host:port/db",
    )
    # SQLite: how long a write waits (asynchronously) for another process's lock before it is
    # refused as `database_busy` (HTTP 503 with Retry-After).
    db_lock_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Request bodies larger than this are refused with 413 before they are read whole.
    max_body_bytes: int = Field(default=1_000_000, ge=1_000, le=1_000_000_000)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    shop_name: str = Field(default="Shopbot Demo", min_length=1, max_length=200)
    prices_include_vat: bool = True
    hold_minutes: int = Field(default=15, ge=1, le=24 * 60)
    hold_max_units_per_customer: int = Field(default=50, ge=0, le=1_000_000)
    hold_share_percent: int = Field(default=100, ge=0, le=100)
    # Web chat messages one network address may send per minute, all its sessions together (0:
    # no limit). Offices and mobile networks put many customers behind one address: generous.
    web_chat_per_address_per_minute: int = Field(default=120, ge=0, le=100_000)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or
    # networks, comma-separated ("127.0.0.1", "10.0.0.0/8, ::1"; "*" for any, only where
    # nothing but the proxy can reach the app). Empty: none, the connecting address is the
    # client's (what the per-address chat limit counts).
    trusted_proxies: str = Field(default="", max_length=2000)
    # Uploaded product images and their thumbnails (served under /media/).
    media_dir: str = Field(default="./var/media", min_length=1, max_length=1000)
    # Order look-ups by number and phone (a shopper on another device): attempts per caller per
    # hour, and failed attempts per phone per hour (guessing numbers for a known phone).
    order_lookup_per_hour: int = Field(default=10, ge=1, le=10_000)
    shipping_fee: int = Field(default=30_000, ge=0)
    free_shipping_from: int | None = Field(default=500_000, ge=0)
    timezone: str = "Asia/Ho_Chi_Minh"
    # Where customers paying by bank transfer send money (shown in chat with a VietQR code).
    # All three of BIN, number and holder, or none: then staff send the details themselves.
    bank_bin: str | None = None  # the bank's 6-digit NAPAS BIN, e.g. 970436 (Vietcombank)
    bank_name: str = Field(default="", max_length=60)
    bank_account_number: str | None = None
    bank_account_name: str | None = Field(default=None, max_length=60)
    # The shop's answers to shoppers' questions in the button flow, in Vietnamese and (_EN)
    # English. Empty: a typical default (core/shop_policies.py); no _EN: the Vietnamese.
    delivery_time: str = Field(default="", max_length=300)
    delivery_time_en: str = Field(default="", max_length=300)
    opening_hours: str = Field(default="", max_length=300)
    opening_hours_en: str = Field(default="", max_length=300)
    return_policy: str = Field(default="", max_length=1000)
    return_policy_en: str = Field(default="", max_length=1000)
    default_language: Language = "vi"
    # A customer waiting for a person this long with no answer is told once they are not
    # forgotten (workers/handoff_reminders.py; 0: never).
    handoff_reminder_minutes: int = Field(default=10, ge=0, le=7 * 24 * 60)
    log_level: LogLevel = "INFO"

    # The LLM used by the chat agents (OpenAI-compatible endpoint).
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("SHOPBOT_LLM_API_KEY", "OPENAI_API_KEY", "llm_api_key"),
    )
    llm_model: str = "gpt-4o-mini"
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    # Per model call; a turn may take up to three (retries, tool steps) before the offline flow
    # takes over, so keep it short enough for a person waiting in a chat.
    llm_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    # A customer waits at most this long for an answer: the LLM agent gets it less a second,
    # then the button flow answers.
    turn_budget_seconds: float = Field(default=12.0, ge=2, le=120)
    # Chat turns (and platform sends) one process runs at once, over all platforms: turns
    # mostly wait for the model, so this is how many customers are answered in parallel. Lower
    # it to respect a model endpoint's concurrency limit.
    chat_concurrency: int = Field(default=64, ge=1, le=10_000)

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        normalise_url(value)  # raises ValueError naming the scheme
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}'") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        for entry in proxy_list(value):
            if entry == "*":  # any proxy: only where nothing else can reach the app
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"'{entry}' is not an IP address or network") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _whole_bank_account(self) -> Settings:
        # Errors name their variable themselves (describe_error): there is no single field.
        given = {
            "bank_bin": self.bank_bin,
            "bank_account_number": self.bank_account_number,
            "bank_account_name": self.bank_account_name,
        }
        if any(given.values()):
            missing = [env_name(k) for k, v in given.items() if not v]
            if missing:
                raise ValueError(
                    f"{missing[0]}: a bank account needs SHOPBOT_BANK_BIN, "
                    "SHOPBOT_BANK_ACCOUNT_NUMBER and SHOPBOT_BANK_ACCOUNT_NAME together"
                )
            try:
                bank_account(
                    self.bank_bin, self.bank_account_number, self.bank_account_name, self.bank_name
                )
            except InvalidInput as exc:
                raise ValueError(f"{env_name(exc.field or 'bank_bin')}: {exc.message}") from None
        return self

    @field_validator(
        "free_shipping_from",
        "llm_base_url",
        "bank_bin",
        "bank_account_number",
        "bank_account_name",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # SHOPBOT_FREE_SHIPPING_FROM= (empty) means "never free", as does "none".
        if isinstance(value, str) and value.strip().lower() in ("", "none", "null"):
            return None
        return value

    @property
    def is_sqlite(self) -> bool:
        return normalise_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def safe_database_url(self) -> str:
        """The URL with its password masked: fit for logs and error messages."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def safe_dict(self) -> dict[str, Any]:
        """For logs and diagnostics: secrets stay masked, the database URL loses its password."""
        out = self.model_dump()
        out["database_url"] = self.safe_database_url
        out["llm_api_key"] = "**********" if self.llm_api_key else None
        for key, value in out.items():  # the channels' tokens and secrets
            if isinstance(getattr(self, key, None), SecretStr):
                out[key] = "**********" if value else None
        return out

    def __repr_args__(self) -> Any:
        # A PostgreSQL URL may carry a password; repr() (tracebacks, debuggers) must not show it.
        for key, value in super().__repr_args__():
            yield key, (self.safe_database_url if key == "database_url" else value)


def proxy_list(value: str) -> list[str]:
    """SHOPBOT_TRUSTED_PROXIES as a list (blanks dropped)."""
    return [p.strip() for p in value.split(",") if p.strip()]


def env_name(field: str) -> str:
    """The environment variable that sets a field (the first alias for aliased fields)."""
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        first = info.validation_alias.choices[0]
        if isinstance(first, str):
            return first
    return f"{ENV_PREFIX}{field.upper()}"


def describe_error(exc: ValidationError) -> str:
    """One line per bad setting, each starting with its variable name; never the bad value for
    secrets (pydantic does not echo input in these messages)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        loc = err.get("loc")
        if not loc and msg.startswith(ENV_PREFIX):  # a check across settings names its own
            lines.append(msg)
            continue
        field = str((loc or ("?",))[0])
        name = field if field.isupper() else env_name(field)
        lines.append(f"{name}: {msg}")
    return "\n".join(lines)


def load(**overrides: Any) -> Settings:
    """Builds Settings or raises ``SettingsError`` naming every bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None
