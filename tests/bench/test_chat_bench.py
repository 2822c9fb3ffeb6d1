"""`shopbot bench chat` end to end with tiny numbers: a real server process, a fake LLM
process, five customers. Checks that the report holds sane numbers and that nothing is left
behind (child processes, the temporary directory)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.chat import ChatBenchConfig, percentile, run_cli
from bot.cli import app

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


def _children() -> list[str]:
    """Command lines of this process's live children."""
    me = os.getpid()
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid == me:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):
            continue
    return found


def _bench_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("shopbot-bench-chat-*"))


def test_five_customers_one_message_each(capsys: pytest.CaptureFixture[str]) -> None:
    dirs_before = _bench_dirs()
    result = run_cli(
        customers=5, messages=1, llm_latency=0.05, think_min=0.0, think_max=0.1, quiet=True
    )

    assert result.messages_sent == result.messages_ok == result.llm_answered == 5
    assert result.errors == 0
    assert result.failures == {}
    assert result.llm_calls == 5
    assert result.calls_verified
    assert result.messages_per_second > 0
    assert result.duration_s > 0
    # Client-measured latency includes the model's 50 ms; what is left is ours (and positive).
    assert 50 < result.latency_p50_ms <= result.latency_p99_ms < 30_000
    assert 0 < result.added_p50_ms <= result.added_p99_ms <= result.added_max_ms
    assert result.server_cpu_s > 0
    assert result.server_peak_rss_mb >= result.server_idle_rss_mb > 10
    assert "CPUs" in result.machine
    assert result.fake_overhead_ms >= 0

    out = capsys.readouterr().out
    assert "shopbot bench chat --customers 5 --messages 1 --llm-latency 0.05" in out
    assert "p99" in out
    assert "VmHWM" in out
    assert _children() == []  # the server and the fake LLM were stopped and reaped
    assert _bench_dirs() <= dirs_before  # and the temporary directory removed


def test_the_command_is_there_and_bad_numbers_are_refused() -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["bench", "chat", "--help"])
    assert shown.exit_code == 0
    assert "--customers" in shown.output
    assert "--think-max" in shown.output
    refused = runner.invoke(app, ["bench", "chat", "--think-min", "5", "--think-max", "1"])
    assert refused.exit_code == 2
    assert "think_min" in refused.output
    assert _children() == []


def test_offered_load_and_percentiles() -> None:
    config = ChatBenchConfig(customers=500, think_min=1, think_max=3, llm_latency=0.3)
    assert config.offered_per_second == pytest.approx(500 / 2.3)
    assert "--think-min 1 --think-max 3" in config.command
    assert percentile([], 99) == 0.0
    assert percentile([5.0], 99) == 5.0
    assert percentile([float(i) for i in range(1, 101)], 50) == pytest.approx(50.5)
    assert percentile([float(i) for i in range(1, 101)], 99) == pytest.approx(99.01)
