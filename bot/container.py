"""The composition root: the one place that reads settings and wires the object graph.

Every surface (CLI, HTTP, later the chat channels and agents) gets its database, registry and
runner from a ``Container``, so they all run the same tools with the same shop configuration.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.settings import Settings, SettingsError, load
from storage.database import Database
from tools import build_registry
from tools.config import ToolConfig
from tools.registry import Registry
from tools.runner import ToolRunner

__all__ = ["Container", "SettingsError", "configure_logging", "load_settings", "tool_config"]


def load_settings(**overrides: Any) -> Settings:
    """Reads SHOPBOT_* (and ``.env``) once; raises ``SettingsError`` naming bad variables."""
    return load(**overrides)


def tool_config(settings: Settings) -> ToolConfig:
    """What the tools may know about the shop (never secrets or infrastructure)."""
    return ToolConfig(
        shop_name=settings.shop_name,
        prices_include_vat=settings.prices_include_vat,
        hold_minutes=settings.hold_minutes,
        hold_max_units_per_customer=settings.hold_max_units_per_customer,
        hold_share_percent=settings.hold_share_percent,
        shipping_fee=settings.shipping_fee,
        free_shipping_from=settings.free_shipping_from,
        timezone=settings.timezone,
        order_lookup_per_hour=settings.order_lookup_per_hour,
        media_dir=settings.media_dir,
        bank_bin=settings.bank_bin,
        bank_name=settings.bank_name,
        bank_account_number=settings.bank_account_number,
        bank_account_name=settings.bank_account_name,
        delivery_time=settings.delivery_time,
        delivery_time_en=settings.delivery_time_en,
        opening_hours=settings.opening_hours,
        opening_hours_en=settings.opening_hours_en,
        return_policy=settings.return_policy,
        return_policy_en=settings.return_policy_en,
    )


@dataclass
class Container:
    settings: Settings
    db: Database
    registry: Registry
    config: ToolConfig
    runner: ToolRunner

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        db: Database | None = None,
        registry: Registry | None = None,
    ) -> Container:
        """Builds the graph. ``db``/``registry`` may be passed in by tests that already have one."""
        database = db or Database(
            settings.database_url, lock_timeout=settings.db_lock_timeout_seconds
        )
        reg = registry or build_registry()
        config = tool_config(settings)
        return cls(
            settings=settings,
            db=database,
            registry=reg,
            config=config,
            runner=ToolRunner(database, reg, config),
        )

    async def aclose(self) -> None:
        await self.runner.aclose()
        await self.db.dispose()


class _NoTraceback(logging.Formatter):
    """Surfaces print one line per problem; tracebacks only when the log level is DEBUG."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        saved = record.exc_info
        record.exc_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info = saved


def configure_logging(level: str, *, tracebacks: bool) -> None:
    """Stderr logging for the process. The server keeps tracebacks in its log (operators need
    them); the CLI drops them unless the level is DEBUG, because its stderr is read by people."""
    handler = logging.StreamHandler()
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    keep = tracebacks or level == "DEBUG"
    handler.setFormatter(logging.Formatter(fmt) if keep else _NoTraceback(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic narrates every plugin and revision at INFO; that is noise outside debugging.
    logging.getLogger("alembic").setLevel(level if level == "DEBUG" else "WARNING")
