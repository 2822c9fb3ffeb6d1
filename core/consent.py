"""Placeholder until the consent classifier lands (branch consent): the same API, strict."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from enum import StrEnum


class Verdict(StrEnum):
    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


@dataclasses.dataclass(frozen=True)
class Reading:
    verdict: Verdict
    reason: str


_YES = frozenset({"có", "ok", "oke", "okay", "yes", "đồng ý", "xác nhận", "chốt", "confirm"})
_NO = frozenset({"không", "ko", "no", "đừng", "thôi", "chưa", "khoan", "huỷ", "hủy", "not"})


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", unicodedata.normalize("NFC", text).lower()))


def read_reply(text: str) -> Reading:
    n = _norm(text)
    if n in _YES and "?" not in text:
        return Reading(Verdict.YES, "yes")
    if n.split() and n.split()[0] in _NO:
        return Reading(Verdict.NO, "no")
    return Reading(Verdict.UNSURE, "no_signal")


def read_cancel_request(text: str) -> Reading:
    n = _norm(text)
    if "đừng" in n or "dont" in n or "don't" in n:
        return Reading(Verdict.NO, "negation")
    if "?" in text:
        return Reading(Verdict.UNSURE, "question")
    if "hủy" in n or "huỷ" in n or "cancel" in n:
        return Reading(Verdict.YES, "yes")
    return Reading(Verdict.UNSURE, "no_signal")
