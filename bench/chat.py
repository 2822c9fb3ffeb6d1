"""`shopbot bench chat`: many customers chatting at once through the real web chat API.

What is measured is what a shop would run: the real server (``python -m bot.cli serve``, one
uvicorn process) on a fresh SQLite database holding the demo catalogue (loaded through the
tools), the LLM customer agent wired by ``create_app`` from ``SHOPBOT_LLM_BASE_URL``, talking
over HTTP to the fake OpenAI-compatible server of the test suite in a process of its own (so
its work never shares our interpreter lock), which answers every completion with one text
after ``llm_latency`` seconds. The customers are coroutines in this process: each sends
``messages`` Vietnamese questions to ``POST /api/chat/messages`` with a think time drawn from
``[think_min, think_max]`` before each one (the first included, so arrivals are spread).

The number that matters is the time our code adds to a message beyond the model's own time:
client-measured latency minus ``llm_latency`` per LLM call. A plain question is one model call
(the agent answers text and stops); the fake's request count over the run checks that. Also
reported: throughput, the server's CPU per message and its peak resident memory (VmHWM), the
machine and the exact command. All traffic stays on 127.0.0.1; the child processes and the
temporary directory are removed on the way out, failures included. Linux only (/proc).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import gc
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
FAKE_MODULE = "tests.fakes.openai_server"
API_KEY = "sk-bench-fake"
REPLY = "Dạ, shop còn hàng ạ. Bạn cho shop xin size và màu bạn muốn nhé!"
# Free-text questions a shop's customers type; none is a menu command or a button payload.
QUESTIONS = (
    "Shop ơi áo thun còn size M không ạ?",
    "Quần jean này giá bao nhiêu vậy shop?",
    "Giao hàng ra Hà Nội mất mấy ngày ạ?",
    "Shop có ship COD không?",
    "Áo polo có màu xanh navy không shop?",
    "Mình cao 1m65 nặng 55kg thì mặc size gì ạ?",
    "Váy hoa nhí còn hàng không shop?",
    "Đơn trên 500 nghìn có được miễn phí vận chuyển không?",
    "Son môi màu đỏ cam còn không ạ?",
    "Cho mình hỏi chất liệu áo sơ mi là gì?",
    "Giày sneaker trắng size 38 còn không shop?",
    "Shop có đổi size được không nếu mặc không vừa?",
)
STARTUP_SECONDS = 60.0  # per child process
REQUEST_SECONDS = 30.0  # one chat request, client side
CLIENT_SHARD = 25  # customers (connections) per httpx client


@dataclasses.dataclass(frozen=True)
class ChatBenchConfig:
    customers: int = 500
    messages: int = 3
    llm_latency: float = 0.3
    # Between an answer and the next question: reading the reply and typing a question on a
    # phone (30-60 characters of Vietnamese with diacritics) takes a person 10-30 s. 1-3 s is
    # a stress test: the offered load is then far above one server process's capacity.
    think_min: float = 10.0
    think_max: float = 30.0
    seed: int = 7
    server_log_level: str = "INFO"

    def __post_init__(self) -> None:
        if self.customers < 1 or self.messages < 1:
            raise ValueError("customers and messages must be at least 1")
        if self.llm_latency < 0 or self.think_min < 0 or self.think_max < self.think_min:
            raise ValueError("need 0 <= llm_latency and 0 <= think_min <= think_max")

    @property
    def offered_per_second(self) -> float:
        """Messages per second the customers would send if every answer took exactly the
        model's time: each customer loops think -> send -> wait."""
        cycle = (self.think_min + self.think_max) / 2 + self.llm_latency
        return self.customers / cycle if cycle > 0 else math.inf

    @property
    def command(self) -> str:
        return (
            f"shopbot bench chat --customers {self.customers} --messages {self.messages} "
            f"--llm-latency {self.llm_latency:g} --think-min {self.think_min:g} "
            f"--think-max {self.think_max:g} --seed {self.seed}"
        )

    @property
    def deadline(self) -> float:
        """Seconds the load phase may take at most: every customer's think times and each of
        their requests timing out, plus slack. Past it the bench fails rather than hangs."""
        return self.messages * (self.think_max + REQUEST_SECONDS) + 60.0


@dataclasses.dataclass(frozen=True)
class Sample:
    """One customer message as the client saw it."""

    sent_at: float  # perf_counter
    seconds: float
    status: int  # 0: no HTTP answer (connection error, timeout)
    llm_answered: bool  # the reply is the fake model's text (not the offline fallback)
    error: str = ""  # why it failed: "HTTP 500", "ReadTimeout"...


@dataclasses.dataclass(frozen=True)
class ChatBenchResult:
    config: ChatBenchConfig
    messages_sent: int
    messages_ok: int
    llm_answered: int
    duration_s: float
    llm_calls: int
    latency_p50_ms: float
    latency_p99_ms: float
    added_p50_ms: float
    added_p99_ms: float
    added_max_ms: float
    server_cpu_s: float
    fake_cpu_s: float
    client_cpu_s: float
    server_idle_rss_mb: float
    server_peak_rss_mb: float
    machine: str
    failures: dict[str, int] = dataclasses.field(default_factory=dict)  # kind -> count
    fake_overhead_ms: float = 0.0  # the fake's own time per call beyond llm_latency (mean)

    @property
    def errors(self) -> int:
        return self.messages_sent - self.messages_ok

    @property
    def messages_per_second(self) -> float:
        return self.messages_ok / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def llm_calls_per_message(self) -> float:
        return self.llm_calls / self.messages_ok if self.messages_ok else 0.0

    @property
    def calls_verified(self) -> bool:
        """One model call per message, as the added-time arithmetic assumes."""
        return self.llm_calls == self.messages_ok == self.llm_answered

    @property
    def server_cpu_ms_per_message(self) -> float:
        return 1000 * self.server_cpu_s / self.messages_ok if self.messages_ok else 0.0

    @property
    def target_met(self) -> bool:
        return self.errors == 0 and self.calls_verified and self.added_p99_ms < 50.0

    def report(self) -> str:
        c = self.config
        verified = "verified" if self.calls_verified else "NOT VERIFIED"
        return "\n".join(
            [
                f"Chat load: {c.customers} customers x {c.messages} messages through "
                f"POST /api/chat/messages (uvicorn, SQLite, demo catalogue)",
                f"  fake LLM {c.llm_latency * 1000:.0f} ms per call (own process); think time "
                f"uniform {c.think_min:g}-{c.think_max:g} s; offered load "
                f"~{c.offered_per_second:.0f} msg/s",
                f"  messages:            {self.messages_ok}/{self.messages_sent} ok, "
                f"{self.llm_answered} answered by the LLM, {self.errors} failed"
                + (f" {self.failures}" if self.failures else ""),
                f"  throughput:          {self.messages_per_second:.1f} msg/s over "
                f"{self.duration_s:.1f} s",
                f"  LLM calls/message:   {self.llm_calls_per_message:.2f} "
                f"({self.llm_calls} calls, {verified})",
                f"  latency (client):    p50 {self.latency_p50_ms:.0f} ms, "
                f"p99 {self.latency_p99_ms:.0f} ms",
                f"  added by our side:   p50 {self.added_p50_ms:.1f} ms, "
                f"p99 {self.added_p99_ms:.1f} ms, max {self.added_max_ms:.1f} ms "
                f"(target p99 < 50 ms: {'met' if self.target_met else 'NOT met'}; includes "
                f"the fake LLM's own {self.fake_overhead_ms:.1f} ms per call)",
                f"  server CPU:          {self.server_cpu_s:.1f} s "
                f"({self.server_cpu_ms_per_message:.1f} ms per message); fake LLM "
                f"{self.fake_cpu_s:.1f} s; client {self.client_cpu_s:.1f} s",
                f"  server memory:       peak {self.server_peak_rss_mb:.0f} MB "
                f"(VmHWM; {self.server_idle_rss_mb:.0f} MB after warm-up)",
                f"  machine:             {self.machine}",
                f"  command:             {c.command}",
            ]
        )


# ---------------------------------------------------------------------------- measurements


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def peak_rss_mb(pid: int) -> float:
    """The process's high-water resident set (VmHWM), in MB."""
    return _status_kb(pid, "VmHWM") / 1024


def _status_kb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return float(line.split()[1])
    raise LookupError(f"{key} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- child processes


def _death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the child get SIGTERM when the bench dies, even by SIGKILL
    (Linux's PR_SET_PDEATHSIG). The C function is looked up here, in the parent: the child runs
    only the call between fork and exec, which takes no lock another thread could hold."""
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def set_death_signal() -> None:
        prctl(pr_set_pdeathsig, sigterm)

    return set_death_signal


def child_env(**settings: str) -> dict[str, str]:
    """This environment without any shopbot or OpenAI setting or proxy (the children talk to
    127.0.0.1 only), plus ``settings`` and the checkout on the import path."""
    drop = ("SHOPBOT_", "OPENAI_")
    proxies = {"http_proxy", "https_proxy", "all_proxy"}
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(drop) and k.lower() not in proxies
    }
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(settings)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Children:
    """The processes this bench started, stopped in reverse order however the bench ends."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self._preexec = _death_signal()

    def start(
        self, args: list[str], *, env: dict[str, str], cwd: Path, log: IO[bytes], stdout: Any
    ) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=log,
            preexec_fn=self._preexec,
        )
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


@contextlib.contextmanager
def workspace(prefix: str = "shopbot-bench-chat-") -> Iterator[tuple[Path, Children]]:
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    children = Children()
    try:
        yield tmp, children
    finally:
        try:
            children.stop_all()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


async def start_ready(
    children: Children, tmp: Path, name: str, args: list[str], *, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Starts ``python args...`` (a fake server) and waits for its ``READY <what>`` line;
    returns the process and what follows READY (its URL). Its stderr goes to ``name``.log."""
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        proc = children.start(
            [sys.executable, *args],
            env=env or child_env(),
            cwd=tmp,
            log=out,
            stdout=subprocess.PIPE,
        )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), STARTUP_SECONDS)
    except TimeoutError:
        line = b""
    text = line.decode().strip()
    if not text.startswith("READY "):
        raise RuntimeError(f"{name} did not start:\n{_tail(log)}")
    return proc, text.removeprefix("READY ")


async def start_fake_llm(
    children: Children, tmp: Path, latency: float
) -> tuple[subprocess.Popen[bytes], str]:
    """The fake OpenAI server answering every completion with REPLY after ``latency`` s."""
    args = ["-m", FAKE_MODULE, "--latency", str(latency), "--api-key", API_KEY, "--reply", REPLY]
    return await start_ready(children, tmp, "fake-llm", args)


def _start_server(
    children: Children, tmp: Path, db_url: str, llm_url: str, port: int, log_level: str
) -> subprocess.Popen[bytes]:
    env = child_env(
        SHOPBOT_DATABASE_URL=db_url,
        SHOPBOT_HOST="127.0.0.1",
        SHOPBOT_PORT=str(port),
        SHOPBOT_LLM_BASE_URL=llm_url,
        SHOPBOT_LLM_API_KEY=API_KEY,
        SHOPBOT_LLM_MODEL="bench-model",
        SHOPBOT_LOG_LEVEL=log_level,
        SHOPBOT_SHOP_NAME="Shop Bench",
        # 500 customers from one load generator share one address, which real ones do not.
        SHOPBOT_WEB_CHAT_PER_ADDRESS_PER_MINUTE="0",
    )
    with (tmp / "server.log").open("wb") as out:
        return children.start(
            [sys.executable, "-m", "bot.cli", "serve"],
            env=env,
            cwd=tmp,
            log=out,
            stdout=out,
        )


@contextlib.contextmanager
def _quiet_collector() -> Iterator[None]:
    """The client's own heap (SQLAlchemy, the tools, the catalogue it loaded) frozen for the
    load phase: a full collection in the load generator stalls every customer coroutine and
    shows up as server latency (measured: 110 ms pauses)."""
    frozen_before = gc.get_freeze_count() > 0  # someone else's freeze stays as it is
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


def _shards(customers: int) -> list[int]:
    """Connections per client: customers are spread over clients of CLIENT_SHARD connections
    each, because one httpx pool scans all its connections for every request and response, and
    a single 500-connection pool costs the client more CPU than the server spends."""
    count = math.ceil(customers / CLIENT_SHARD)
    return [math.ceil(customers / count)] * count


def _client(port: int, connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        limits=httpx.Limits(
            max_connections=connections + 2, max_keepalive_connections=connections + 2
        ),
        timeout=REQUEST_SECONDS,
        trust_env=False,  # never a proxy: 127.0.0.1 only
    )


async def _wait_ready(client: httpx.AsyncClient, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{_tail(log)}")
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/api/chat/config", timeout=2)).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {STARTUP_SECONDS:.0f} s:\n{_tail(log)}")


async def load_catalogue(db_url: str) -> None:
    """The demo shop through the tools, as ``shopbot demo-data`` would load it."""
    from bot.demo_data import load_demo_data
    from storage.database import Database
    from tools import build_registry
    from tools.runner import ToolRunner

    db = Database(db_url)
    try:
        await load_demo_data(ToolRunner(db, build_registry()))
    finally:
        await db.dispose()


async def fake_llm_stats(client: httpx.AsyncClient, llm_url: str) -> tuple[int, float]:
    """Completions the fake served so far, and the seconds it spent on them in all."""
    stats = (await client.get(llm_url.removesuffix("/v1") + "/_fake/stats")).json()
    if stats["problems"] or stats["rejected"]:
        raise RuntimeError(f"the fake LLM refused requests: {stats}")
    return int(stats["served"]), float(stats["handling_seconds"])


# ------------------------------------------------------------------------------ customers


async def _customer(
    client: httpx.AsyncClient, index: int, config: ChatBenchConfig, out: list[Sample]
) -> None:
    rng = random.Random(config.seed * 1_000_003 + index)
    session = f"bench-{index:05d}-{secrets.token_hex(6)}"
    for n in range(config.messages):
        await asyncio.sleep(rng.uniform(config.think_min, config.think_max))
        text = QUESTIONS[(index + n) % len(QUESTIONS)]
        body = {"session_id": session, "message_id": f"m{n}", "text": text}
        started = time.perf_counter()
        error = ""
        try:
            resp = await client.post("/api/chat/messages", json=body)
            status = resp.status_code
            replies = resp.json().get("replies", []) if status == 200 else []
            if status != 200:
                error = f"HTTP {status}"
        except httpx.HTTPError as exc:
            status, replies, error = 0, [], type(exc).__name__
        elapsed = time.perf_counter() - started
        answered = any(r.get("text") == REPLY for r in replies)
        out.append(Sample(started, elapsed, status, answered, error))


async def _warm_up(client: httpx.AsyncClient) -> None:
    """A few messages before measuring: first-use costs (lazy imports, connections to the
    LLM, SQLite's page cache) are not what 500 customers see."""
    session = f"bench-warmup-{secrets.token_hex(6)}"
    for n, text in enumerate(QUESTIONS[:3]):
        body = {"session_id": session, "message_id": f"w{n}", "text": text}
        resp = await client.post("/api/chat/messages", json=body)
        if resp.status_code != 200 or resp.json()["replies"][0]["text"] != REPLY:
            raise RuntimeError(f"warm-up message not answered by the LLM: {resp.text[:300]}")


# ---------------------------------------------------------------------------------- the run


async def run(
    config: ChatBenchConfig, *, progress: Callable[[str], None] | None = None
) -> ChatBenchResult:
    say = progress or (lambda _msg: None)
    with workspace() as (tmp, children):
        db_url = f"sqlite:///{tmp / 'bench.db'}"
        from storage.migrate import upgrade_async

        await upgrade_async(db_url)
        say("starting the fake LLM and the server; loading the demo catalogue")
        fake, llm_url = await start_fake_llm(children, tmp, config.llm_latency)
        port = free_port()
        server = _start_server(children, tmp, db_url, llm_url, port, config.server_log_level)
        await load_catalogue(db_url)  # while the server imports
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(_client(port, size))
                for size in _shards(config.customers)
            ]
            client = clients[0]
            await _wait_ready(client, server, tmp / "server.log")
            await _warm_up(client)
            served_before, handling_before = await fake_llm_stats(client, llm_url)
            idle_rss = peak_rss_mb(server.pid)
            cpu_before = (cpu_seconds(server.pid), cpu_seconds(fake.pid), time.process_time())
            say(
                f"{config.customers} customers x {config.messages} messages "
                f"(offered ~{config.offered_per_second:.0f} msg/s)"
            )
            samples: list[Sample] = []
            started = time.perf_counter()
            with _quiet_collector():
                async with asyncio.timeout(config.deadline):
                    await asyncio.gather(
                        *(
                            _customer(clients[i % len(clients)], i, config, samples)
                            for i in range(config.customers)
                        )
                    )
            wall = time.perf_counter() - started
            server_cpu = cpu_seconds(server.pid) - cpu_before[0]
            fake_cpu = cpu_seconds(fake.pid) - cpu_before[1]
            client_cpu = time.process_time() - cpu_before[2]
            peak_rss = peak_rss_mb(server.pid)
            served_after, handling_after = await fake_llm_stats(client, llm_url)
    llm_calls = served_after - served_before
    fake_overhead_ms = (
        1000 * ((handling_after - handling_before) / llm_calls - config.llm_latency)
        if llm_calls
        else 0.0
    )
    return _result(
        config,
        samples,
        wall,
        llm_calls,
        server_cpu,
        fake_cpu,
        client_cpu,
        idle_rss,
        peak_rss,
        fake_overhead_ms,
    )


def _result(
    config: ChatBenchConfig,
    samples: list[Sample],
    wall: float,
    llm_calls: int,
    server_cpu: float,
    fake_cpu: float,
    client_cpu: float,
    idle_rss: float,
    peak_rss: float,
    fake_overhead_ms: float = 0.0,
) -> ChatBenchResult:
    ok = [s for s in samples if s.status == 200]
    latencies = [1000 * s.seconds for s in ok]
    # One model call per message (checked by calls_verified): what is left is ours.
    added = [ms - 1000 * config.llm_latency for ms in latencies]
    # From the first message sent to the last answer (every customer thinks first).
    active = (
        max(s.sent_at + s.seconds for s in samples) - min(s.sent_at for s in samples)
        if samples
        else wall
    )
    return ChatBenchResult(
        config=config,
        messages_sent=len(samples),
        messages_ok=len(ok),
        llm_answered=sum(s.llm_answered for s in ok),
        duration_s=active,
        llm_calls=llm_calls,
        latency_p50_ms=percentile(latencies, 50),
        latency_p99_ms=percentile(latencies, 99),
        added_p50_ms=percentile(added, 50),
        added_p99_ms=percentile(added, 99),
        added_max_ms=max(added, default=0.0),
        server_cpu_s=server_cpu,
        fake_cpu_s=fake_cpu,
        client_cpu_s=client_cpu,
        server_idle_rss_mb=idle_rss,
        server_peak_rss_mb=peak_rss,
        machine=machine(),
        failures=dict(Counter(s.error for s in samples if s.status != 200)),
        fake_overhead_ms=fake_overhead_ms,
    )


@contextlib.contextmanager
def _terminate_like_interrupt() -> Iterator[None]:
    """SIGTERM (a CI job cancelled, ``kill``) stops the bench the way Ctrl-C does, so the
    child processes are stopped and the temporary directory removed on the way out. Python's
    default for SIGTERM is to die on the spot; the children would still go (they get SIGTERM
    when the bench dies) but the directory would stay."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_cli(
    customers: int = 500,
    messages: int = 3,
    llm_latency: float = 0.3,
    think_min: float = 10.0,
    think_max: float = 30.0,
    seed: int = 7,
    server_log_level: str = "INFO",
    *,
    quiet: bool = False,
) -> ChatBenchResult:
    """Runs the bench and prints its report (progress on stderr unless ``quiet``)."""
    config = ChatBenchConfig(
        customers=customers,
        messages=messages,
        llm_latency=llm_latency,
        think_min=think_min,
        think_max=think_max,
        seed=seed,
        server_log_level=server_log_level,
    )

    def progress(msg: str) -> None:
        if not quiet:
            print(f"bench chat: {msg}", file=sys.stderr, flush=True)

    with _terminate_like_interrupt():
        result = asyncio.run(run(config, progress=progress))
    print(result.report())
    return result


if __name__ == "__main__":
    run_cli(
        customers=int(os.environ.get("CUSTOMERS", "500")),
        messages=int(os.environ.get("MESSAGES", "3")),
    )
