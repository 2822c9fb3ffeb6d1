"""Claims in a model's text that an action happened ("đã đặt hàng thành công", "I've cancelled
your order"), and which tools must have succeeded in this turn for the claim to be true.

Patterns are written on folded text (lower case, no diacritics: "đã hủy" and "da huy" alike).
Questions, negations and future or conditional sentences are not claims: "bạn có muốn đặt
không?", "shop chưa hủy đơn", "sau khi bạn xác nhận, đơn sẽ được đặt", "I can cancel it if you
confirm".

Placing, cancelling, refunding and editing an order are claims about what the model did, so they
need that very tool in this turn (in the card design place_order and cancel_order never run in a
model's turn, so such a claim is always false there). Shipping, delivery and payment are also
order *status*, which the model may report after looking the order up this turn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text import fold

_LOOKUP = frozenset({"get_order", "list_orders"})
_ORDER_SUBJECT = r"\b(?:order|it)\b[^.!?\n]{0,40}?"
_DON = r"\bdon(?! gia| vi)(?: hang)?\b"  # "đơn" (order), not "đơn giá" (unit price), "đơn vị"
_PASSIVE = r"(?:\s(?:has been|have been|had been|was|were|is now|is|got)|'s been|'s)\s+"
_PASSIVE_DONE = r"(?:\s(?:has been|have been|had been|was|were|got)|'s been)\s+"
_NOT_AN_ORDER = (
    r"(?! (?:the |that |this |your |a |an )?(?:old |previous |new )?(?:quote|hold|reserv))"
)
_DONE_BY = r"\b(?:i|we|i've|we've|i have|we have|i just|we just|the shop has|shop has|the shop)\s+"
_ADVERB = r"(?:just\s+|successfully\s+|now\s+|already\s+)?"


@dataclass(frozen=True, slots=True)
class ActionClaim:
    action: str
    tools: frozenset[str]  # any of these succeeding this turn makes the claim true
    patterns: tuple[re.Pattern[str], ...]


def _claim(action: str, tools: set[str], *patterns: str) -> ActionClaim:
    return ActionClaim(action, frozenset(tools), tuple(re.compile(p) for p in patterns))


CLAIMS: tuple[ActionClaim, ...] = (
    _claim(
        "place_order",
        {"place_order", "create_order"},
        r"\bda dat (?:hang|don)\b",
        r"\bdat (?:hang|don)(?: hang)? thanh cong\b",
        _DON + r"[^.!?\n]{0,40}?\bda (?:duoc )?(?:dat|tao|len|chot|ghi nhan|xong|hoan tat)\b",
        _DON + r"[^.!?\n]{0,40}?\bda (?:duoc )?xac nhan\b(?! chua)",
        r"\b(?:len|dat|chot|tao) don (?:xong|thanh cong)\b",
        r"\b(?:len|dat|chot|tao|xac nhan) don\b[^.!?\n]{0,25}?\broi\b",
        r"\b(?:i|we)\b[^.!?\n]{0,25}?\bplaced (?:the|your|an?) order\b",
        r"\b(?:purchase|checkout|order)\b[^.!?\n]{0,20}?\bis (?:now )?complete(?:d)?\b",
        r"\bda (?:len|chot|tao|ghi nhan|nhan|nhan duoc) don\b",
        _ORDER_SUBJECT + _PASSIVE + _ADVERB + r"(?:placed|created|submitted|booked)\b",
        r"\border\b[^.!?\n]{0,30}?" + _PASSIVE + _ADVERB + r"confirmed\b",
        _DONE_BY + _ADVERB + r"(?:placed|created|submitted|booked)\b" + _NOT_AN_ORDER,
        r"\b(?:successfully placed|order placed|order confirmed)\b",
        r"\bthank(?:s| you) for placing\b",
    ),
    _claim(
        "cancel_order",
        {"cancel_order"},
        r"\bda (?:duoc |bi )?huy\b(?! (?:bao gia|ma|voucher|giu hang))",
        r"\bhuy (?:don )?(?:hang )?thanh cong\b",
        r"\bhuy don\b[^.!?\n]{0,25}?\broi\b",
        _ORDER_SUBJECT + _PASSIVE + _ADVERB + r"cancel+ed\b",
        _DONE_BY + _ADVERB + r"cancel+ed\b" + _NOT_AN_ORDER,
        r"\b(?:successfully cancel+ed|order cancel+ed)\b",
        r"\bcancel+ation (?:is|was|has been) (?:successful|complete|completed|done|confirmed)\b",
    ),
    _claim(
        "refund",
        {"refund_payment", "refund_return"},
        r"\bda (?:duoc )?hoan (?:lai )?tien\b",
        r"\bhoan tien thanh cong\b",
        r"\bda hoan (?:lai )?(?:\d|cho|tien|ve)",
        r"\btien\b[^.!?\n]{0,20}?\bda (?:duoc )?hoan\b",
        r"\brefunded\b",
        r"\brefund" + _PASSIVE + r"(?:issued|processed|made|sent|completed)\b",
        _DONE_BY + _ADVERB + r"(?:issued|processed|sent) (?:a|the|your) refund\b",
    ),
    _claim(
        "update_order",
        {"update_order"},
        r"\bda (?:cap nhat|sua|doi) (?:lai )?(?:don|dia chi|thong tin|so dien thoai|sdt)\b",
        r"\bcap nhat (?:don )?thanh cong\b",
        r"\border\b[^.!?\n]{0,30}?" + _PASSIVE + _ADVERB + r"(?:updated|changed|modified)\b",
        _DONE_BY + _ADVERB + r"(?:updated|changed|modified) (?:your|the) (?:order|address|phone)\b",
    ),
    _claim(
        "ship_order",
        {"set_order_status"} | _LOOKUP,
        r"\bda (?:duoc )?giao\b(?! dich| tiep)",
        r"\bda (?:duoc )?gui (?:hang|di|don)\b",
        r"\bdang tren duong (?:giao|den|toi|ve)\b",
        r"\b(?:order|package|parcel)\b[^.!?\n]{0,20}?\b(?:is|'s) on (?:its|the) way\b",
        _PASSIVE_DONE + _ADVERB + r"(?:shipped|delivered|dispatched)\b",
        _DONE_BY + _ADVERB + r"(?:shipped|delivered|dispatched)\b",
    ),
    _claim(
        "payment",
        {"record_payment"} | _LOOKUP,
        r"\bda nhan (?:duoc )?(?:tien|thanh toan|chuyen khoan|khoan)\b",
        r"\bda thanh toan\b",
        r"\bthanh toan thanh cong\b",
        r"\bpayment" + _PASSIVE_DONE + _ADVERB + r"(?:received|confirmed|successful|completed)\b",
        _DONE_BY + _ADVERB + r"received (?:your )?(?:payment|transfer|money)\b",
    ),
)

# Before a claim in its sentence, or anywhere in its clause: not something that happened.
_NOT_DONE = re.compile(
    r"\b(?:se|sau khi|khi ban|khi nao|neu|co the|muon|sap|ngay khi|can ban|de shop|de minh|"
    r"de em|vui long|will|'ll|can|could|would|once|after you|if|when you|as soon as|shall|"
    r"going to|want|need|until|unless|about to|to be)\b"
)
_NEGATION = re.compile(
    r"\b(?:chua|khong|ko|chang|dau co|not|never|n't|haven't|hasn't|wasn't|isn't|didn't)\b"
    r"[^.!?\n,]{0,25}$"
)
_QUESTION_END = re.compile(r"(?:\?|\b(?:khong|chua|ko|k|hong|nhi|chu|ha)\b)\s*[.!]*\s*$")
# A clause about a quote or a voucher is not about an order ("báo giá cũ đã hủy").
_OTHER_SUBJECT = re.compile(r"\b(?:bao gia|quote|voucher|ma giam gia|coupon|giu hang|hold)\b")
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:nhung|but|and|va)\b")


def false_claim(text: str, succeeded: frozenset[str]) -> str | None:
    """The first sentence that claims an action no tool of this turn did, or None."""
    folded = fold(text.replace("’", "'"))
    for sentence in _SENTENCE.findall(folded):
        if _QUESTION_END.search(sentence):
            continue
        for claim in CLAIMS:
            if claim.tools & succeeded:
                continue
            for pattern in claim.patterns:
                for match in pattern.finditer(sentence):
                    if _is_claim(sentence, match):
                        return str(sentence).strip()
    return None


def _is_claim(sentence: str, match: re.Match[str]) -> bool:
    before = sentence[: match.start()]
    if _NOT_DONE.search(before) or _NEGATION.search(before):
        return False
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(before)]
    clause_start = breaks[-1] if breaks else 0
    rest = _CLAUSE_BREAK.search(sentence, match.end())
    clause = sentence[clause_start : rest.start() if rest else len(sentence)]
    if _OTHER_SUBJECT.search(sentence, clause_start, match.start()):
        return False
    return _NOT_DONE.search(clause) is None
