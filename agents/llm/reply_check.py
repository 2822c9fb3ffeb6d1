"""What the model says is checked before the customer sees it (issue 11).

The responder keeps what this turn's tools returned (amounts in đồng, the tools that succeeded)
and asks ``check_reply`` whether the model's text may be sent as is. A refused text is replaced
by the code's card or a neutral line; the verdict's reason and snippet go to the log only.

Refused, in this order:

* ``tool_error_json``: raw tool-error JSON or internals (``{"error": ...``, ``"code":``, role
  lists, tracebacks, exception or error-code names).
* ``prompt_leak``: the system prompt or a long run of it. A run of 8+ consecutive words shared
  with a system prompt (case, accents and spacing ignored) is a leak when it carries the prompt's
  own vocabulary (rules, tools, "the customer", "never", "briefly and kindly"...). The prompt
  also holds what the model is meant to tell customers (the shop's policies, the address fields
  to ask for, the items of a summary); a run of such plain words is a leak only from 20 words
  on, so "Phí giao hàng 30.000₫, miễn phí cho đơn từ 500.000₫" passes. Also the prompt's
  headings ("Rules:", "Quy tắc:"), the first words of a numbered rule, and identifiers such as
  ``quote_token`` or tool names.
* ``false_claim``: a claim that an action happened that no tool did in this turn (see
  ``agents.llm.reply_claims``).
* ``unknown_amount``: an amount of money (see ``core.money_text``) that is not allowed.

The amount rule: an amount is allowed when it is in ``evidence.amounts`` or in a system prompt
(shop policies such as the shipping fee are rendered into it by code). Arithmetic the model does
in front of the customer is allowed when its parts are shown: the sum of two allowed amounts
that the text also states, or an allowed amount that the text states times a quantity (2 to 10)
that the text states ("2 x 150.000đ = 300.000đ"). Nothing else is derived: a difference or a
percentage of an allowed amount is how a made-up discount would look, and an unstated multiple
of a small amount (9 x a 50.000đ discount) would let almost any round number through.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Iterable

from agents.llm.reply_claims import false_claim
from core.money_text import money_mentions
from core.text import fold, tokens

# Words of a key that hold money ("unit_price", "shippingFee", "vat_total", "amount_due"):
# whole words, so "private_note" is not "vat" and "postcode" is not "cod".
_MONEY_KEY_WORDS = frozenset(
    {"price", "total", "amount", "fee", "discount", "cod", "due", "subtotal", "vat", "paid"}
)
# Words of a key that make it a rate, a count, a date or an identifier ("vat_rate", "paid_at").
_NOT_MONEY_KEY_WORDS = frozenset(
    {"rate", "percent", "pct", "code", "count", "quantity", "qty", "id", "items", "at", "date"}
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SMALL_QUANTITIES = range(2, 11)
# A small whole number standing alone: a quantity ("2 x", "× 3", "2 cái").
_QUANTITY = re.compile(r"(?<![\w.,/:])(\d{1,2})(?![\w.,%/:]*\d)")
_LEAK_RUN = 8
_LONG_LEAK_RUN = 20
# Folded words that belong to a prompt's instructions, not to what a shop tells a customer.
# (Not "assistant" / "trợ lý": "I'm the chat sales assistant of shop X" is a fair greeting.)
_PROMPT_VOCABULARY = frozenset(
    (
        "tool", "tools", "call", "calls", "rules", "rule", "instructions", "never", "only",
        "role", "customer", "customers", "ignore", "reveal", "guess", "invent", "staff",
        "token", "tokens", "available", "summary", "agrees", "short", "answer", "english",
        "briefly", "kindly", "sold", "skus", "several", "pick", "say", "whatever", "complains",
        "arguments", "error", "unclear", "yourself",
        "khach", "cong cu", "quy tac", "huong dan", "tiet lo", "tu doan", "bia", "nhan vien",
        "tom tat", "menh lenh", "du lieu", "khong bao gio", "doi vai", "tra loi", "ngan gon",
        "than thien", "xung", "ket qua", "sku", "tu chon", "noi ro", "goi y", "hoi gop", "goi",
        "vd", "bao gia lai", "khieu nai", "tham so", "giai thich", "lap lai", "y nguyen",
        "chua ro", "tu viet", "an toan", "chi lay",
    )
)  # fmt: skip
_HEADING = re.compile(r"^\s*([^\W\d_][^:\n]{0,24}):\s*$", re.MULTILINE)
_NUMBERED = re.compile(r"^\s*\d+\.\s+(.*)$", re.MULTILINE)
_IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
_INTERNALS = re.compile(
    r"\{\s*[\"'][A-Za-z_]+[\"']\s*:"
    r"|[\"'](?:error|code|message|field|roles|detail)[\"']\s*:"
    r"|\btraceback\b|\bfile \"[^\"]+\", line \d+"
    r"|\b(?:invalid_input|permission_denied|not_found|insufficient_stock|illegal_transition"
    r"|unauthenticated|domain_error|quote_token|idempotency_key|conversation_id)\b",
    re.IGNORECASE,
)
_INTERNAL_NAMES = re.compile(
    r"\b(?:InvalidInput|PermissionDenied|NotFound|Unauthenticated|InsufficientStock"
    r"|IllegalTransition|DomainError|[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception))\b"
)


@dataclasses.dataclass(frozen=True)
class Evidence:
    amounts: frozenset[int]  # đồng amounts tools returned in this conversation, and on cards shown
    succeeded: frozenset[str]  # tools that succeeded in THIS turn; a proposed card: "propose:..."
    system_prompts: tuple[str, ...]  # the system prompt texts (vi, en)


@dataclasses.dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # "ok", "unknown_amount", "prompt_leak", "tool_error_json", "false_claim"
    snippet: str = ""


OK = Verdict(True, "ok")


def amounts_of(result: object) -> set[int]:
    """Money amounts in a tool result (JSON-like): integers under money keys, at any depth."""
    out: set[int] = set()
    if isinstance(result, dict):
        for key, value in result.items():
            if _is_money_key(str(key)):
                out |= _money_values(value)
            else:
                out |= amounts_of(value)
    elif isinstance(result, list | tuple):
        for value in result:
            out |= amounts_of(value)
    return out


def _is_money_key(key: str) -> bool:
    words = {w.removesuffix("s") for w in re.split(r"[^a-z]+", _CAMEL.sub("_", key).lower())}
    return bool(words & _MONEY_KEY_WORDS) and not words & _NOT_MONEY_KEY_WORDS


def _money_values(value: object) -> set[int]:
    if isinstance(value, bool):
        return set()
    if isinstance(value, int):
        return {value}
    if isinstance(value, float) and value.is_integer():
        return {int(value)}
    if isinstance(value, str):
        return {m.amount for m in money_mentions(value)}
    if isinstance(value, list | tuple):
        return set().union(*(_money_values(v) for v in value)) if value else set()
    return amounts_of(value)


def check_reply(text: str, evidence: Evidence, language: str) -> Verdict:
    """Whether the model's text may go to the customer as is (``language``: "vi" or "en"; the
    checks read both languages, as models mix them)."""
    del language
    internals = _INTERNALS.search(text) or _INTERNAL_NAMES.search(text)
    if internals is not None:
        return Verdict(False, "tool_error_json", _around(text, internals.start()))
    leak = prompt_leak(text, evidence.system_prompts)
    if leak is not None:
        return Verdict(False, "prompt_leak", leak)
    claim = false_claim(text, evidence.succeeded)
    if claim is not None:
        return Verdict(False, "false_claim", claim)
    allowed = set(evidence.amounts)
    for prompt in evidence.system_prompts:
        allowed |= _prompt_facts(prompt).amounts
    mentions = money_mentions(text)
    shown = {m.amount for m in mentions} & allowed
    quantities = {int(q) for q in _QUANTITY.findall(text)}
    for mention in mentions:
        if not amount_allowed(mention.amount, allowed, shown=shown, quantities=quantities):
            return Verdict(False, "unknown_amount", mention.text)
    return OK


def amount_allowed(
    amount: int,
    allowed: Iterable[int],
    *,
    shown: Iterable[int] = (),
    quantities: Iterable[int] = (),
) -> bool:
    """In evidence; or worked out in the text itself from amounts in evidence that the text also
    states: the sum of two of them ("250.000đ + ship 30.000đ = 280.000đ") or one of them times a
    quantity from 2 to 10 that the text also states ("2 x 150.000đ = 300.000đ")."""
    if amount in set(allowed):
        return True
    parts = set(shown)
    if any(amount - a in parts for a in parts):
        return True
    return any(
        amount % q == 0 and amount // q in parts for q in set(quantities) & set(_SMALL_QUANTITIES)
    )


@dataclasses.dataclass(frozen=True)
class _PromptFacts:
    """What the checks look for of one system prompt. Worked out once per prompt text (a
    process has a few fixed prompts): per turn it was most of the checks' CPU."""

    identifiers: tuple[str, ...]  # in the prompt's order, so the first found is reported
    headings: tuple[str, ...]
    numbered_openings: tuple[str, ...]
    grams: frozenset[tuple[str, ...]]  # every run of _LEAK_RUN words (folded)
    amounts: frozenset[int]  # the money the prompt states (policies rendered into it)


@functools.lru_cache(maxsize=32)
def _prompt_facts(prompt: str) -> _PromptFacts:
    """Keyed by the prompt's text itself, so a changed prompt (new shop policy) is worked out
    anew and never answered from an old one's facts."""
    words = tokens(prompt)
    return _PromptFacts(
        identifiers=tuple(dict.fromkeys(_IDENTIFIER.findall(prompt))),
        headings=tuple(dict.fromkeys(fold(h) + ":" for h in _HEADING.findall(prompt))),
        numbered_openings=tuple(dict.fromkeys(_numbered_openings(prompt))),
        grams=frozenset(tuple(words[i : i + _LEAK_RUN]) for i in range(len(words))),
        amounts=frozenset(m.amount for m in money_mentions(prompt)),
    )


def prompt_leak(text: str, prompts: Iterable[str]) -> str | None:
    """The pasted part of a system prompt, or None."""
    words = tokens(text)
    lowered = text.lower()
    folded_lines = [fold(line) for line in text.splitlines()]
    numbered = [m.group(1) for m in map(_NUMBERED.match, folded_lines) if m]
    for prompt in prompts:
        facts = _prompt_facts(prompt)
        for identifier in facts.identifiers:
            if identifier in lowered:
                return identifier
        for heading in facts.headings:
            if any(line.startswith(heading) for line in folded_lines):
                return heading
        for rule in facts.numbered_openings:
            if any(line.startswith(rule) for line in numbered):
                return rule
        run = _shared_run(words, facts.grams)
        if run is not None:
            return " ".join(run)
    return None


def _numbered_openings(prompt: str) -> list[str]:
    """The first five words of each numbered rule (folded)."""
    out = []
    for rule in _NUMBERED.findall(prompt):
        words = fold(rule).split()
        if len(words) >= 5:
            out.append(" ".join(words[:5]))
    return out


def _shared_run(words: list[str], grams: frozenset[tuple[str, ...]]) -> list[str] | None:
    """The first run of the text's words that is also in the prompt and reads as a leak."""
    i = 0
    while i <= len(words) - _LEAK_RUN:
        if tuple(words[i : i + _LEAK_RUN]) not in grams:
            i += 1
            continue
        end = i + _LEAK_RUN
        while end < len(words) and tuple(words[end - _LEAK_RUN + 1 : end + 1]) in grams:
            end += 1
        run = words[i:end]
        if len(run) >= _LONG_LEAK_RUN or _PROMPT_VOCABULARY & _phrases(run):
            return run
        i = end
    return None


def _phrases(run: list[str]) -> set[str]:
    """The run's words, pairs and triples of words ("cong cu", "khong bao gio")."""
    pairs = {" ".join(p) for p in itertools.pairwise(run)}
    triples = {" ".join(run[i : i + 3]) for i in range(len(run) - 2)}
    return set(run) | pairs | triples


def _around(text: str, pos: int, width: int = 60) -> str:
    return text[max(0, pos - 10) : pos + width]
