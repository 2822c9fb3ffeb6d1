"""Reading a typed answer to a confirmation card, and a typed request to cancel an order.

A "yes" here places or cancels an order, so it is decided by rules a test can pin down, not by
the LLM. The rules lean to UNSURE: the flows then ask again with buttons, which costs the person
one tap, whereas a wrong YES moves stock and money they never agreed to move.

How a message is read:
1. Whole-text checks: empty, long, injection-like (role words, brackets, key=value), a "?",
   hesitation ("...").
2. Tokens on NFC-lower-cased text with the diacritics kept (core/consent_words.py). A word typed
   with diacritics must match exactly; a word typed without them matches a lexicon word by its
   folded spelling unless that spelling is ambiguous: "dung" is đúng (right) and đừng (don't),
   "da" is dạ, đã and da (leather). An ambiguous token explains nothing, so the message is UNSURE.
3. Tokens are grouped, longest phrase first, into kinds (agreement, negator, refusal, deferral,
   question, change, hedge, filler...).
4. Negation scope: a negator governs the next agreement (or cancel) word of its clause ("không
   ok", "đừng hủy"); a không/chưa ending a clause after other words is the question particle
   ("ok không", "có ship tỉnh không").
5. Every token must be explained: YES only when what is left is agreement and filler, with no
   refusal, deferral, question, condition or unknown word beside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import StrEnum

from core.consent_words import TAILS, Item, Kind, items, text_flags


class Verdict(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


@dataclasses.dataclass(frozen=True)
class Reading:
    """The verdict and a short reason code ("yes", "no", "negation", "later", "question",
    "condition", "hedge", "ambiguous", "mixed", "injection", "long", "no_signal", and for a
    cancel request "keep" and "past")."""

    verdict: Verdict
    reason: str


def _unsure(reason: str) -> Reading:
    return Reading(Verdict.UNSURE, reason)


# Kinds that say nothing by themselves and never break a yes.
_QUIET = frozenset({Kind.FILLER})
# Kinds that never carry a refusal or a yes but may stand beside a refusal ("không cần đâu").
_SOFT = frozenset({Kind.FILLER, Kind.NEUTRAL})
# Kinds that end a clause's reading as a question when a không/chưa follows them.
_NOT_ASKING = frozenset(
    {Kind.FILLER, Kind.NEGATE, Kind.REFUSE, Kind.ENOUGH, Kind.CANCEL, Kind.LATER}
)


def _asks(found: list[Item]) -> bool:
    """A question word, or a không/chưa that ends a clause after something it can ask about:
    "ok không", "được ko", "chốt chưa"; but not "không", "thôi không" or "không không"."""
    if any(it.kind is Kind.ASK for it in found):
        return True
    for clause in {it.clause for it in found}:
        words = [it for it in found if it.clause == clause and it.kind not in _QUIET]
        if len(words) < 2 or words[-1].kind is not Kind.NEGATE or words[-1].norm not in TAILS:
            continue
        if any(it.kind not in _NOT_ASKING for it in words[:-1]):
            return True
    return False


def _scope(
    found: list[Item], negators: Iterable[Kind], targets: Iterable[Kind], skip: Iterable[Kind]
) -> tuple[set[int], set[int]]:
    """Which items a negator governs: the next target of its clause, skipping `skip` kinds.
    Returns (governed target indexes, negator indexes that governed something)."""
    negators, targets, skip = set(negators), set(targets), set(skip)
    governed: set[int] = set()
    used: set[int] = set()
    for i, neg in enumerate(found):
        if neg.kind not in negators:
            continue
        for j in range(i + 1, len(found)):
            nxt = found[j]
            if nxt.clause != neg.clause:
                break
            if nxt.kind in targets:
                governed.add(j)
                used.add(i)
                break
            if nxt.kind not in skip:
                break
    return governed, used


def _early(text: str) -> Reading | None:
    flag = text_flags(text)
    return None if flag is None else _unsure(flag)


def read_reply(text: str) -> Reading:
    """A typed answer to a confirmation card ("Confirm this order?").

    YES only for plain agreement, now: "ok", "chốt đơn nha shop", "dạ vâng", "yes please".
    NO for refusals, negated agreement and plain deferrals: "không", "k", "thôi", "chưa ok",
    "để sau", "not yet". UNSURE for the rest, including a yes with a deferral ("ok để mình hỏi
    vợ đã"), a question, a condition or change, a hedge, an ambiguous unaccented word, injection.
    """
    early = _early(text)
    if early is not None:
        return early
    found = items(text)
    kinds = {it.kind for it in found}
    if Kind.ROLE in kinds:
        return _unsure("injection")
    if _asks(found):
        return _unsure("question")
    for kind, reason in (
        (Kind.CHANGE, "condition"),
        (Kind.HEDGE, "hedge"),
        (Kind.AMBIGUOUS, "ambiguous"),
    ):
        if kind in kinds:
            return _unsure(reason)
    refusals = {Kind.REFUSE, Kind.ENOUGH, Kind.CANCEL, Kind.LATER}
    governed, used = _scope(found, [Kind.NEGATE], {Kind.AGREE} | refusals, _SOFT | {Kind.NEGATE})
    if any(found[j].kind in refusals for j in governed):
        return _unsure("negation")  # "đừng hủy", "không để sau": a double negative
    agree = any(it.kind is Kind.AGREE and i not in governed for i, it in enumerate(found))
    negated = bool(governed)
    plain_no = (
        any(
            (it.kind is Kind.NEGATE and i not in used) or it.kind in {Kind.REFUSE, Kind.ENOUGH}
            for i, it in enumerate(found)
        )
        or Kind.CANCEL in kinds
    )
    later = Kind.LATER in kinds
    unknown = kinds & {Kind.UNKNOWN, Kind.REF, Kind.KEEP, Kind.BECAUSE}
    if agree and later:
        return _unsure("later")
    if agree and (negated or plain_no):
        return _unsure("mixed")
    if unknown:
        return _unsure("mixed" if agree or negated or plain_no or later else "no_signal")
    if agree:
        return _unsure("mixed") if Kind.NEUTRAL in kinds else Reading(Verdict.YES, "yes")
    if negated:
        return Reading(Verdict.NO, "negation")
    if plain_no:
        return Reading(Verdict.NO, "no")
    if later:
        return Reading(Verdict.NO, "later")
    return _unsure("no_signal")


def _without_reason(found: list[Item]) -> list[Item]:
    """Drops a trailing reason ("... vì shop giao chậm", "because ..."): why someone cancels
    does not change that they ask to. Kept when the reason itself speaks of cancelling,
    keeping, conditions or later, so "hủy vì ... à thôi đừng hủy" is still read whole."""
    for i, it in enumerate(found):
        if it.kind is Kind.BECAUSE:
            rest = {r.kind for r in found[i + 1 :]}
            risky = {Kind.CANCEL, Kind.KEEP, Kind.CHANGE, Kind.LATER, Kind.ROLE, Kind.AMBIGUOUS}
            return found if rest & risky else found[:i]
    return found


# "rồi" (already) turns a cancel into a report of one.
_DONE = frozenset({"rồi", "r"})
_CANCEL_OK = frozenset({Kind.FILLER, Kind.NEUTRAL, Kind.AGREE, Kind.ENOUGH, Kind.REF})


def read_cancel_request(text: str) -> Reading:
    """Does this message ask to cancel the order? YES only for a plain request: "huỷ đơn giúp
    mình", "cancel my order", "huy don", "thôi hủy đi". NO when it asks not to cancel or to
    keep the order: "đừng hủy đơn của mình nhé", "don't cancel", "không hủy nữa", "khoan hủy
    đã", "giữ đơn nhé". UNSURE otherwise: questions ("hủy được không?", "làm sao để hủy?"),
    conditions, hedges, deferrals, mixed or unrelated messages.
    """
    early = _early(text)
    if early is not None:
        return early
    found = _without_reason(items(text))
    kinds = {it.kind for it in found}
    if Kind.ROLE in kinds:
        return _unsure("injection")
    if _asks(found):
        return _unsure("question")
    # Here "khoan", "wait", "dừng", "khỏi" hold a cancellation back as "không" does.
    governed, _ = _scope(
        found,
        [Kind.NEGATE, Kind.REFUSE],
        [Kind.CANCEL],
        _SOFT | {Kind.NEGATE, Kind.REFUSE, Kind.ENOUGH},
    )
    if governed:
        return Reading(Verdict.NO, "negation")
    for kind, reason in (
        (Kind.CHANGE, "condition"),
        (Kind.HEDGE, "hedge"),
        (Kind.AMBIGUOUS, "ambiguous"),
        (Kind.LATER, "later"),
    ):
        if kind in kinds:
            return _unsure(reason)
    cancel = Kind.CANCEL in kinds
    if any(it.norm in _DONE for it in found):
        return _unsure("past")  # "shop hủy đơn mình rồi" reports, it does not ask
    if Kind.KEEP in kinds:
        return _unsure("mixed") if cancel else Reading(Verdict.NO, "keep")
    if not cancel:
        return _unsure("no_signal")
    if kinds - _CANCEL_OK - {Kind.CANCEL}:
        return _unsure("mixed")
    return Reading(Verdict.YES, "yes")


__all__ = ["Reading", "Verdict", "read_cancel_request", "read_reply"]
