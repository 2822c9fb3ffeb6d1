"""Did the customer's latest message say yes (or ask to cancel)? A deliberately simple check.

The model decides when to call place_order and cancel_order; this code decides whether it may.
A confirmation is a short message that contains a yes-word and no negation or question:
"ok chốt đơn", "có", "đồng ý", "xác nhận", "yes, confirm". "ok nhưng đổi size L", "có ship tỉnh
không?" and "chưa, để mình xem" are not. Words are matched with their accents and in the common
unaccented spellings, but not by folding everything: "đúng" (right) and "đừng" (don't) both fold
to "dung", and unaccented "da" (dạ) is also "da" (leather), so it is not a yes-word.
"""

from __future__ import annotations

import re
import unicodedata

YES_WORDS = frozenset(
    {
        # Vietnamese, with and without accents
        "có",
        "co",
        "ok",
        "oke",
        "okay",
        "okie",
        "oki",
        "ừ",
        "ừm",
        "uh",
        "vâng",
        "vang",
        "dạ",
        "được",
        "duoc",
        "đc",
        "dc",
        "chốt",
        "chot",
        "đúng",
        "ừa",
        # English
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "confirm",
        "confirmed",
    }
)
YES_PHRASES = (
    "đồng ý",
    "dong y",
    "xác nhận",
    "xac nhan",
    "đặt luôn",
    "dat luon",
    "lên đơn",
    "len don",
    "đặt đi",
    "dat di",
    "go ahead",
    "place it",
    "place the order",
    "sounds good",
)
NO_WORDS = frozenset(
    {
        "không",
        "khong",
        "ko",
        "k",
        "hông",
        "hong",
        "chưa",
        "chua",
        "đừng",
        "thôi",
        "thoi",
        "khoan",
        "đợi",
        "doi",
        "hủy",
        "huỷ",
        "huy",
        "nhưng",
        "nhung",
        "đổi",
        "sửa",
        "sua",
        "no",
        "not",
        "don't",
        "dont",
        "nope",
        "wait",
        "cancel",
        "but",
        "change",
    }
)
CANCEL_WORDS = frozenset({"hủy", "huỷ", "huy", "cancel", "cancelled", "canceled"})
CANCEL_PHRASES = (
    "không lấy nữa",
    "khong lay nua",
    "không mua nữa",
    "khong mua nua",
    "bỏ đơn",
    "bo don",
    "không đặt nữa",
    "khong dat nua",
    "don't want",
    "call off",
)
# A confirmation is short; a long message carries something else to act on first.
MAX_CONFIRMATION_WORDS = 12
_WORD = re.compile(r"[\w']+", re.UNICODE)


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().replace("’", "'").split())


def words(text: str) -> list[str]:
    return _WORD.findall(_normal(text))


def is_confirmation(text: str) -> bool:
    """True for a short yes without negation, question or a change of mind."""
    norm = _normal(text)
    found = words(norm)
    if not found or len(found) > MAX_CONFIRMATION_WORDS or "?" in norm:
        return False
    if any(w in NO_WORDS for w in found):
        return False
    return any(w in YES_WORDS for w in found) or any(p in norm for p in YES_PHRASES)


def asks_to_cancel(text: str) -> bool:
    norm = _normal(text)
    return any(w in CANCEL_WORDS for w in words(norm)) or any(p in norm for p in CANCEL_PHRASES)
