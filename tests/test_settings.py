"""Settings: defaults, every bad value named by its variable, secrets never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.container import Container, load_settings, tool_config
from bot.settings import Settings, SettingsError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No SHOPBOT_*/OPENAI_* from the machine, and no .env from the checkout."""
    for name in list(os.environ):
        if name.startswith("SHOPBOT_") or name == "OPENAI_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults() -> None:
    s = load_settings()
    assert s.database_url == "sqlite:///./var/shopbot.db"
    assert (s.host, s.port) == ("127.0.0.1", 8080)
    assert s.hold_minutes == 15
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert s.default_language == "vi"
    assert s.llm_api_key is None


def test_environment_overrides_and_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_PORT", "9000")
    monkeypatch.setenv("SHOPBOT_PRICES_INCLUDE_VAT", "false")
    monkeypatch.setenv("SHOPBOT_FREE_SHIPPING_FROM", "")
    monkeypatch.setenv("SHOPBOT_LOG_LEVEL", "debug")
    s = load_settings()
    assert s.port == 9000
    assert s.prices_include_vat is False
    assert s.free_shipping_from is None  # empty means "never free"
    assert s.log_level == "DEBUG"


def test_bad_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_PORT", "abc")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("SHOPBOT_PORT: ")


def test_unsupported_database_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", "mysql://root@localhost/shop")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("SHOPBOT_DATABASE_URL: ")
    assert "mysql" in str(err.value)


def test_every_bad_variable_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_HOLD_MINUTES", "0")
    monkeypatch.setenv("SHOPBOT_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("SHOPBOT_DEFAULT_LANGUAGE", "fr")
    with pytest.raises(SettingsError) as err:
        load_settings()
    names = {line.split(":", 1)[0] for line in str(err.value).splitlines()}
    assert names == {"SHOPBOT_HOLD_MINUTES", "SHOPBOT_TIMEZONE", "SHOPBOT_DEFAULT_LANGUAGE"}


def test_postgres_url_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", "postgresql://shop@db.internal:5432/shop")
    assert load_settings().is_sqlite is False


def test_dotenv_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SHOPBOT_SHOP_NAME=Tiệm Nhà Mây\nSHOPBOT_PORT=8181\n")
    monkeypatch.setenv("SHOPBOT_PORT", "8282")
    s = load_settings()
    assert s.shop_name == "Tiệm Nhà Mây"
    assert s.port == 8282


def test_openai_api_key_is_honoured_and_ours_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai")
    key = load_settings().llm_api_key
    assert key is not None
    assert key.get_secret_value() == "sk-from-openai"
    monkeypatch.setenv("SHOPBOT_LLM_API_KEY", "sk-ours")
    key = load_settings().llm_api_key
    assert key is not None
    assert key.get_secret_value() == "sk-ours"


def test_secrets_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_LLM_API_KEY", "sk-very-secret")
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", "postgresql://shop:hunter2@db/shop")
    s = load_settings()
    for text in (repr(s), str(s), str(s.safe_dict())):
        assert "sk-very-secret" not in text
        assert "hunter2" not in text
    assert s.database_url.endswith("hunter2@db/shop")  # still usable by the database


def test_bad_secret_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_LLM_TEMPERATURE", "hot")
    monkeypatch.setenv("SHOPBOT_DATABASE_URL", "oracle://u:hunter2@db/x")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "SHOPBOT_LLM_TEMPERATURE" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_tool_config_comes_from_settings() -> None:
    s = load_settings(
        shop_name="Mây",
        hold_minutes=30,
        shipping_fee=25_000,
        free_shipping_from=None,
        prices_include_vat=False,
    )
    cfg = tool_config(s)
    assert (cfg.shop_name, cfg.hold_minutes, cfg.shipping_fee) == ("Mây", 30, 25_000)
    assert cfg.free_shipping_from is None
    assert cfg.prices_include_vat is False


async def test_container_wires_one_runner(tmp_path: Path) -> None:
    c = Container.create(Settings(database_url=f"sqlite:///{tmp_path}/c.db", hold_minutes=20))
    try:
        assert c.runner.db is c.db
        assert c.runner.registry is c.registry
        assert c.runner.config.hold_minutes == 20
        assert "add_staff" in c.registry
    finally:
        await c.aclose()


def test_nothing_reads_settings_at_import(tmp_path: Path) -> None:
    """A broken environment must not break imports (tests, tooling); only start-up fails."""
    env = {**os.environ, "SHOPBOT_PORT": "abc", "SHOPBOT_DATABASE_URL": "mysql://x/y"}
    code = "import bot.cli, bot.container, bot.http.app, bot.demo_data, bot.settings"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_bank_account_is_whole_and_well_formed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPBOT_BANK_BIN", "970436")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("SHOPBOT_BANK_ACCOUNT_NUMBER: ")
    monkeypatch.setenv("SHOPBOT_BANK_ACCOUNT_NUMBER", "0071-000")
    monkeypatch.setenv("SHOPBOT_BANK_ACCOUNT_NAME", "CONG TY TNHH AO DEP")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value).startswith("SHOPBOT_BANK_ACCOUNT_NUMBER: An account number")
    monkeypatch.setenv("SHOPBOT_BANK_ACCOUNT_NUMBER", " 0071000123456 ")  # as pasted
    account = tool_config(load_settings()).bank
    assert account is not None
    assert (account.bin, account.account_number) == ("970436", "0071000123456")
    for name in ("SHOPBOT_BANK_BIN", "SHOPBOT_BANK_ACCOUNT_NUMBER", "SHOPBOT_BANK_ACCOUNT_NAME"):
        monkeypatch.setenv(name, "")  # empty is unset
    assert tool_config(load_settings()).bank is None
