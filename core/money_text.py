"""Amounts of money (đồng) as people write them in Vietnamese and English chat.

Used to check what a model says against what tools returned, so the parser errs on the side of
*finding* money: "250.000đ", "đ250.000", "1,000 VND", "250k", "250 nghìn", "1tr2", "1,2 triệu",
"1.2m", "2 triệu", "1 củ", "1 triệu rưỡi". Numbers that are not money are left alone: sizes and
heights ("size 42", "cao 1m6"), quantities ("2 cái", "x2"), percentages ("10%"), phone numbers,
order numbers ("DH000123"), dates and years.

A number with no currency word counts as money only when it is written with thousands groups
("300.000") or follows a money word ("tổng", "phí ship", "total"...), is at least 1.000, and is
not followed by some other noun ("1.000 khách", "1,200 reviews").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from core.text import fold


@dataclass(frozen=True, slots=True)
class MoneyMention:
    amount: int  # đồng
    start: int
    end: int
    text: str


_NUMBER = re.compile(
    r"(?<![\w.,/:#])(?P<pre>(?:₫|vnđ|vnd|đ)\s?)?(?P<num>\d+(?:[.,]\d+)*)(?![\w%]*[/:]\d)",
)
# "1 200 000 ₫" (groups of three split by spaces) when a currency follows; "0901 234 567" stays.
_SPACE_GROUPED = re.compile(
    r"(?<![\w.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?=\s?(?:₫|vnđ|vnd|đồng|dong|đ)(?![^\W\d_]))"
)
_GROUP_SPACE = re.compile(r"[ \u00a0\u202f]")
# Multipliers, longest spelling first. "m" (million) is checked separately (metres look alike).
_UNITS: tuple[tuple[str, int], ...] = (
    ("nghìn đồng", 1_000),
    ("ngàn đồng", 1_000),
    ("triệu đồng", 1_000_000),
    ("nghìn", 1_000),
    ("ngàn", 1_000),
    ("nghin", 1_000),
    ("ngan", 1_000),
    ("triệu", 1_000_000),
    ("trieu", 1_000_000),
    ("tỷ", 1_000_000_000),
    ("tỉ", 1_000_000_000),
    ("tr", 1_000_000),
    ("củ", 1_000_000),
    ("cu", 1_000_000),
    ("k", 1_000),
    ("m", 1_000_000),
)
_CURRENCY = re.compile(r"\s?(?:₫|vnđ|vnd|đồng|dong|đ|d)(?![^\W\d_])")
_UNIT_AT = re.compile(
    r"\s?(?P<unit>" + "|".join(re.escape(u) for u, _ in _UNITS) + r")(?![^\W\d_])"
)
_MAJOR_TAIL = re.compile(
    r"\s?(?P<tail>\d{1,3})(?![\d%]|[.,]\d)(?!\s?(?:nghìn|ngàn|nghin|ngan|k)\b)"
)
_MINOR_AFTER_MAJOR = re.compile(r"\s?(?P<num>\d{1,3})\s?(?:nghìn|ngàn|nghin|ngan|k)(?![^\W\d_])")
_HALF = re.compile(r"\s(?:rưỡi|ruoi)(?![^\W\d_])")
_RANGE_TO = re.compile(r"(?:[-–~]|\s(?:đến|den|tới|toi|to)\s)(?P<num>\d+(?:[.,]\d+)*)")
_STOPS = frozenset(".,!?;:)(=+-x×/")
_WORD = re.compile(r"[^\W\d_]+|\d+|%")


# Folded words that make a bare number money when they come shortly before it.
def _words_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_MONEY_CUES = _words_set(
    "gia tong phi ship tien thanh toan cod giam chiet khau tam tinh thu ho tra coc "
    "total price prices fee fees shipping cost costs pay paying discount subtotal vat thue "
    "off save only chi amount due balance"
)
# Folded words right before a bare number that say it is something else.
_NOT_MONEY_BEFORE = _words_set(
    "size sz ma so don order no nam year model code sku dh cao nang dai rong sdt phone "
    "hotline zalo tel mobile cm kg lan times ngay day days thang month"
)
_PHONE_CUES = _words_set("sdt phone hotline zalo tel mobile dien thoai goi call")
# Folded words that may follow an amount without making it a count of something.
_FILLERS = _words_set(
    "nhe nha nhe a ah thoi luon ban shop anh chi em va and la do nhen nghen roi "
    "only total in vat incl including excluded inclusive for per moi cho each o at "
    "tong bao gom gom chua da cong thi con nua"
)
# Words before a number with "m" that mean metres, not millions.
_LENGTH_CUES = _words_set("cao dai rong chieu tall long length wide width height vai day")


def money_mentions(text: str) -> list[MoneyMention]:
    """Every amount of đồng the text states, in order."""
    text = unicodedata.normalize("NFC", text).lower()
    text = _SPACE_GROUPED.sub(lambda m: _GROUP_SPACE.sub(".", m.group()), text)  # same length
    out: list[MoneyMention] = []
    pos = 0
    while (match := _NUMBER.search(text, pos)) is not None:
        mention = _mention_at(text, match)
        pos = match.end()
        if mention is not None:
            out.append(mention)
            pos = max(pos, mention.end)
    return sorted(out + _spelled_mentions(text), key=lambda m: m.start)


def _mention_at(text: str, match: re.Match[str]) -> MoneyMention | None:
    start, end = match.start(), match.end()
    value = _number(match["num"])
    if value is None:
        return None
    prefixed = bool(match["pre"])
    multiplier, end = _multiplier(text, end, _words_before(text, match.start("num")))
    if multiplier is None:
        if prefixed:
            multiplier = 1
        else:
            currency = _CURRENCY.match(text, end)
            if currency is not None:
                multiplier, end = 1, currency.end()
                if currency.group().strip() == "d" and value < 1000:
                    return None  # "3d", "7d": not a price
    amount: Decimal
    if multiplier is None:
        before = _words_before(text, match.start("num"))
        ranged = _range_multiplier(text, end, value, before)
        if ranged is not None:
            amount = value * ranged
        elif _bare_is_money(text, match, value):
            amount = value
        else:
            return None
    else:
        amount = value * multiplier
        if multiplier >= 1_000_000:
            amount, end = _major_tail(text, end, amount, multiplier)
        currency = _CURRENCY.match(text, end)
        if currency is not None and multiplier > 1:
            end = currency.end()
    if amount != amount.to_integral_value():
        return None
    return MoneyMention(int(amount), start, end, text[start:end])


def _number(raw: str) -> Decimal | None:
    """ "1.250.000" and "1,250,000" group thousands; "1,2" and "1.25" are decimals."""
    parts = re.split(r"[.,]", raw)
    seps = re.findall(r"[.,]", raw)
    try:
        if len(parts) == 1:
            return Decimal(raw)
        if len(set(seps)) == 2:  # "1.234,5": the last separator is the decimal point
            whole, frac = re.split(r"[.,](?=\d+$)", raw)
            return Decimal(re.sub(r"[.,]", "", whole) + "." + frac)
        if 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:]):
            return Decimal("".join(parts))
        if len(parts) == 2:
            return Decimal(parts[0] + "." + parts[1])
    except InvalidOperation:
        return None
    return None


def _multiplier(text: str, pos: int, before: list[str]) -> tuple[int | None, int]:
    unit = _UNIT_AT.match(text, pos)
    if unit is None:
        return None, pos
    name = unit["unit"]
    if name == "m" and not _million_m(text, unit.end(), before):
        return None, pos
    if name in {"cu", "củ"} and not _bare_unit_word(text, unit.end()):
        return None, pos  # "3 củ hành" is vegetables
    if name == "k" and text[pos : unit.start("unit")] and not _bare_unit_word(text, unit.end()):
        return None, pos  # "2 k có" (teen-code "không"), not "2 k"
    return dict(_UNITS)[name], unit.end()


def _million_m(text: str, pos: int, before: list[str]) -> bool:
    """ "1.2m" is 1.200.000₫ unless it is a length: "cao 1m6", "dài 1.5m", "2m vải"."""
    if pos < len(text) and text[pos].isdigit():
        return False
    if any(w in _LENGTH_CUES for w in before[-3:]):
        return False
    after = _words_after(text, pos)
    return not (after and after[0] in _LENGTH_CUES)


def _bare_unit_word(text: str, pos: int) -> bool:
    """A unit word stands alone when what follows is punctuation, the end or a filler word."""
    after = _words_after(text, pos)
    return not after or after[0] in _FILLERS or not after[0].isalpha() or after[0] == "ruoi"


def _major_tail(text: str, pos: int, amount: Decimal, multiplier: int) -> tuple[Decimal, int]:
    """ "1tr2" = 1.200.000, "1 triệu 250 nghìn", "1 triệu rưỡi" = 1.500.000."""
    minor = _MINOR_AFTER_MAJOR.match(text, pos)
    if minor is not None:
        return amount + int(minor["num"]) * (multiplier // 1000), minor.end()
    half = _HALF.match(text, pos)
    if half is not None:
        return amount + Decimal(multiplier) / 2, half.end()
    tail = _MAJOR_TAIL.match(text, pos)
    if tail is not None and (tail.group()[0].isdigit() or _bare_unit_word(text, tail.end())):
        digits = tail["tail"]
        return amount + Decimal("0." + digits) * multiplier, tail.end()
    return amount, pos


def _range_multiplier(text: str, pos: int, value: Decimal, before: list[str]) -> int | None:
    """ "150-200k", "1 đến 2 triệu": the first number takes the second one's unit, when the two
    read as a range (ascending, within a factor of 5; "size 40-250k" is not one)."""
    to = _RANGE_TO.match(text, pos)
    if to is None or (before and before[-1] in _NOT_MONEY_BEFORE):
        return None
    second = _number(to["num"])
    multiplier, _ = _multiplier(text, to.end(), before)
    if multiplier is None and _CURRENCY.match(text, to.end()) is not None:
        multiplier = 1
    if multiplier is None or second is None or not 0 < value < second <= 5 * value:
        return None
    return multiplier


def _bare_is_money(text: str, match: re.Match[str], value: Decimal) -> bool:
    raw = match["num"]
    if value < 1000 or value != value.to_integral_value():
        return False
    if raw.startswith("0") or (len(raw) >= 9 and raw.isdigit()):
        return False  # phone numbers and zero-padded numbers
    before = _words_before(text, match.start())
    if before and (before[-1] in _NOT_MONEY_BEFORE or before[-1].isdigit()):
        return False
    if any(w in _PHONE_CUES for w in before[-4:]):
        return False
    after = _words_after(text, match.end())
    if after and after[0] == "%":
        return False
    if after and after[0].isalpha() and after[0] not in _FILLERS and after[0] not in _MONEY_CUES:
        return False  # "1.000 khách", "1,200 reviews"
    grouped = bool(re.search(r"[.,]", raw))
    return grouped or any(w in _MONEY_CUES for w in before[-4:])


def _words_before(text: str, pos: int) -> list[str]:
    line_start = text.rfind("\n", 0, pos) + 1
    return _WORD.findall(fold(text[max(line_start, pos - 60) : pos]))


def _words_after(text: str, pos: int) -> list[str]:
    line_end = text.find("\n", pos)
    chunk = text[pos : line_end if line_end >= 0 else len(text)][:40]
    stripped = chunk.lstrip()
    first = stripped[:1]
    if first in _STOPS and (first != "x" or not stripped[1:2].isalpha()):
        return []
    return _WORD.findall(fold(chunk))


# Amounts spelled out in Vietnamese words: "một nghìn đồng", "hai trăm năm mươi nghìn".
_DIGIT_WORDS = {
    "khong": 0, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5,
    "sau": 6, "bay": 7, "tam": 8, "chin": 9,
}  # fmt: skip
_SPELLED_UNITS = {"nghin": 1_000, "ngan": 1_000, "trieu": 1_000_000, "ty": 1_000_000_000}
_SPELLED_WORDS = frozenset({*_DIGIT_WORDS, *_SPELLED_UNITS, "muoi", "tram", "linh", "le", "dong"})
_LETTERS = re.compile(r"[^\W\d_]+")
# Every word of a text is folded to look for number words; chat uses few distinct words.
_fold_word = functools.lru_cache(maxsize=4096)(fold)


def _spelled_mentions(text: str) -> list[MoneyMention]:
    """Runs of number words that end in a unit ("nghìn", "triệu", "đồng") and are not followed
    by a noun ("hai triệu lượt xem" is not money)."""
    runs: list[list[tuple[str, re.Match[str]]]] = [[]]
    for word in _LETTERS.finditer(text):
        folded = _fold_word(word.group())
        # "chờ một tý" (a moment) is not a billion
        if folded not in _SPELLED_WORDS or (folded == "ty" and word.group() not in {"tỷ", "tỉ"}):
            if runs[-1]:
                runs.append([])
            continue
        run = runs[-1]
        if run and text[run[-1][1].end() : word.start()] != " ":
            runs.append(run := [])
        run.append((folded, word))
    return [m for m in map(functools.partial(_spelled, text), runs) if m is not None]


def _spelled(text: str, run: list[tuple[str, re.Match[str]]]) -> MoneyMention | None:
    run = run[_spelled_start(run) :]
    if not run:
        return None
    words = [w for w, _ in run]
    while words and words[-1] not in _SPELLED_UNITS and words[-1] != "dong":
        words.pop()  # "năm trăm nghìn ba" ends at "nghìn"
    if not any(w in _DIGIT_WORDS or w == "muoi" for w in words):
        return None
    if not any(w in _SPELLED_UNITS or w == "dong" for w in words):
        return None
    start, end = run[0][1].start(), run[len(words) - 1][1].end()
    if words[-1] != "dong" and not _bare_unit_word(text, end):
        return None
    total = group = small = 0
    for w in words:  # "một trăm hai mươi lăm nghìn": 1 -> 100, 2 -> 20, 5, x 1000
        if w in _DIGIT_WORDS:
            small += _DIGIT_WORDS[w]
        elif w == "muoi":
            small = (small or 1) * 10
        elif w == "tram":
            group += (small or 1) * 100
            small = 0
        elif w in _SPELLED_UNITS:
            total += (group + small or 1) * _SPELLED_UNITS[w]
            group = small = 0
    total += group + small
    return MoneyMention(total, start, end, text[start:end])


def _spelled_start(run: list[tuple[str, re.Match[str]]]) -> int:
    """Where a well-formed number begins: "từ năm trăm nghìn" (from 500.000) starts at "năm",
    since "tư" (four) and "lăm" (five) only follow "mươi", and two digits never follow each
    other."""
    start = 0
    for i, (word, _) in enumerate(run):
        previous = run[i - 1][0] if i > start else ""
        if word in {"tu", "lam"} and previous != "muoi":
            start = i + 1
        elif word in _DIGIT_WORDS and previous in _DIGIT_WORDS:
            start = i
    return start
