"""The words of core/consent.py: phrase tables by kind, and a tokenizer that keeps diacritics.

Phrases are written with their diacritics. A token typed with diacritics must match a word
exactly; a token typed without any matches the word's folded spelling (core.text.fold), unless
that spelling is ambiguous. Ambiguity is derived from the tables (two written words of different
kinds that fold alike: đúng/đừng/dừng -> "dung", dạ/đã -> "da") plus a few look-alikes of
common words outside them (vàng -> "vang", "on"). So "dong y" reads as "đồng ý", but a bare
"dung" reads as nothing, and the message is UNSURE.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from enum import StrEnum

from core.text import fold


class Kind(StrEnum):
    AGREE = "agree"  # ok, có, vâng, đồng ý, chốt, đặt luôn, yes, confirm
    NEGATE = "negate"  # không, ko, k, chưa, đừng, not, don't: governs the next agreement
    REFUSE = "refuse"  # khoan, dừng, stop, wait, nope: a no by itself
    ENOUGH = "enough"  # thôi: a no to a card, but "thôi hủy đi" still asks to cancel
    CANCEL = "cancel"  # hủy, cancel
    KEEP = "keep"  # giữ đơn, keep my order
    LATER = "later"  # để sau, mai, báo lại sau, hỏi vợ đã, not now
    ASK = "ask"  # sao, gì, bao nhiêu, what, how, can
    CHANGE = "change"  # nhưng, nếu, đổi, size, if, but, free ship
    HEDGE = "hedge"  # có lẽ, chắc, maybe, không biết, không sao
    ROLE = "role"  # system, admin, assistant, prompt: text that plays a role, not a person
    BECAUSE = "because"  # vì, because: a reason follows
    FILLER = "filler"  # shop, ạ, nha, nhé, luôn, đi, mình, please, thanks, đơn
    NEUTRAL = "neutral"  # nữa, cần, muốn, để, vợ: fits a refusal, never makes a yes
    REF = "ref"  # an order number, "1024", "dh1024"
    AMBIGUOUS = "ambiguous"  # an unaccented token with several readings
    UNKNOWN = "unknown"


# One phrase per line-item, "|"-separated; teen-code spellings are listed as typed.
_TABLE: dict[Kind, str] = {
    Kind.AGREE: """
        ok | oke | okê | okie | oki | okey | okay | okela | oke la | okla | ô kê | ô cê | oce |
        có | ừ | ừa | ừm | ờ | ờm | uk | ukm | uh | uhm | um hm | vâng | dạ vâng |
        đồng ý | nhất trí | xác nhận | chốt | chốt đơn | lên đơn | đặt | đặt luôn | đặt hàng |
        đặt đơn | lấy | mua | order | ship | gửi | giao | được | đc | dc | đúng | đúng rồi |
        đúng vậy | chuẩn | chuẩn rồi | ổn | ổn rồi | yes | yeah | yep | yup | ya | sure |
        confirm | confirmed | agree | agreed | go ahead | proceed | place | sounds good |
        looks good | lgtm | correct | alright | all right | deal""",
    Kind.NEGATE: """
        không | ko | k | kg | kh | khg | khum | khôm | hok | hông | hem | hổng | chẳng | chả |
        chưa | chx | đừng | đừng có | không có | ko có | k có | đâu có | no | not | don't |
        dont | do not | never""",
    Kind.REFUSE: """
        khoan | khoan đã | từ từ | dừng | dừng lại | khỏi | khỏi đi | bỏ qua | stop | wait |
        hold on | nope | nah | no thanks""",
    Kind.ENOUGH: "thôi | thui",
    Kind.CANCEL: "hủy | hủy bỏ | cancel | bỏ đơn",
    Kind.KEEP: "giữ | giữ đơn | giữ lại | vẫn lấy | vẫn mua | keep",
    Kind.LATER: """
        để sau | để mai | để hôm khác | để lúc khác | để bữa khác | sau | sau nhé | lát nữa |
        tí nữa | chút nữa | mai | ngày mai | hôm khác | lúc khác | khi khác | bữa khác |
        dịp khác | để khi khác |
        tuần sau | tháng sau | báo lại | báo lại sau | báo sau | nhắn lại | nhắn lại sau |
        nhắn sau | liên hệ lại | liên hệ sau | hỏi | hỏi lại | hỏi ý | nghĩ | nghĩ thêm |
        suy nghĩ | suy nghĩ thêm | suy nghĩ lại | cân nhắc | tính sau | tính lại | xem lại |
        coi lại | bàn | đã | later | not now | not yet | next time | another time | tomorrow |
        think | think about it | ask""",
    Kind.ASK: """
        sao | thì sao | thế nào | như nào | ra sao | làm sao | gì | j | nào | ở đâu |
        bao nhiêu | mấy | khi nào | lúc nào | bao giờ | hả | hở | à | nhỉ | chứ | hay | hay là |
        what | how | why | when | where | which | who | can | could | would | is | are | does |
        or""",
    Kind.CHANGE: """
        nhưng | nhưng mà | mà | nếu | nếu mà | thì | miễn | miễn là | với điều kiện | trừ |
        trừ khi | ngoại trừ | có gì | đổi | thay | thay đổi | sửa | chỉnh | thêm | bớt | size |
        màu | giảm | giảm giá | free ship | freeship | miễn phí | voucher | mã | if | but |
        unless | only if | except | instead | change | switch | edit | add | remove | discount |
        color | colour""",
    Kind.HEDGE: """
        có lẽ | có thể | chắc | chắc là | hình như | có vẻ | tạm | cũng | để xem | xem sao |
        hmm | hm | um | biết | bít | vấn đề | không sao | ko sao | k sao | tùy | maybe |
        perhaps | probably | not sure | i guess | guess | idk | dunno | know | whatever |
        problem | worries | kind of | sort of""",
    Kind.ROLE: """
        system | sys | assistant | admin | administrator | developer | root | user | bot |
        tool | function | prompt | instruction | instructions | ignore | override | jailbreak |
        model | ai | gpt | chatgpt | openai | hệ thống | quản trị | quản trị viên | lệnh |
        true | false | null""",
    Kind.BECAUSE: "vì | tại | tại vì | bởi vì | do | because",
    Kind.FILLER: """
        ạ | a | nha | nhá | nhé | nhe | nghe | nghen | nhen | nè | ơi | đi | luôn | lun | liền |
        ngay | rồi | r | vậy | z | v | thế | đó | đấy | shop | sốp | sh | ad | em | e | anh | chị |
        c | mình | tớ | tui | tôi | bạn | cậu | bác | dạ | hihi | haha | hehe | hì | hí | cho |
        giúp | giùm | dùm | hộ | với | của | cái | này | đơn | đơn hàng | hàng | lắm | nhiều |
        quá | please | pls | plz | thanks | thank | thank you | ty | thx | tks | cảm ơn | cám ơn |
        it | the | my | this | that | now | i | to | for | me | you""",
    Kind.NEUTRAL: """
        nữa | cần | muốn | để | đâu | lại | vội | vợ | chồng | ba | bố | má | sếp | want | need |
        wife | husband""",
}
# "do" is BECAUSE in Vietnamese ("do ship chậm"); the English "do not" is a NEGATE phrase and
# wins as the longer match.

# Spellings that fold like a table word but are also common words outside the tables.
# vàng (yellow, gold); English "on"; da (leather); dùng (use); hồng (pink).
_LOOKALIKES = frozenset({"vang", "on", "da", "dung", "hong"})
# A không/chưa at the end of a clause after other words is a question particle.
TAILS = frozenset({"không", "ko", "k", "kg", "kh", "khg", "khum", "hok", "hông", "hem", "chưa"})

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'"})
# The tone mark of oa/oe/uy on the first vowel ("huỷ" -> "hủy", "hoà" -> "hòa"), so both
# ways of typing match; in "quý" the u belongs to "qu" and stays.
_OLD_TONE = re.compile(r"(?<!q)([ou])([àáảãạèéẻẽẹỳýỷỹỵ])")
_TONE_BASE = {"à": "a", "á": "a", "ả": "a", "ã": "a", "ạ": "a", "è": "e", "é": "e", "ẻ": "e"}
_TONE_BASE |= {"ẽ": "e", "ẹ": "e", "ỳ": "y", "ý": "y", "ỷ": "y", "ỹ": "y", "ỵ": "y"}
_TONE_MARK = {"à": "\u0300", "á": "\u0301", "ả": "\u0309", "ã": "\u0303", "ạ": "\u0323"}
_TONE_MARK |= {"è": "\u0300", "é": "\u0301", "ẻ": "\u0309", "ẽ": "\u0303", "ẹ": "\u0323"}
_TONE_MARK |= {"ỳ": "\u0300", "ý": "\u0301", "ỷ": "\u0309", "ỹ": "\u0303", "ỵ": "\u0323"}

_EMOTICON = re.compile(r"(?<!\w)(?:[:;=]['-]?[()\[\]dpov3*|/\\]+|\^\^|<3+|\(:)", re.IGNORECASE)
_STRUCTURE = re.compile(r"[\[\]{}<>=|`\\/:_*@]")
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[?!.,;]")
_BREAKS = frozenset({"!", ".", ",", ";"})
_REF = re.compile(r"[a-z]{0,4}\d+[a-z0-9]*")
_REPEAT = re.compile(r"(\w)\1+")
_NOT_STRETCHED = frozenset({"k", "uh"})
MAX_WORDS = 14
MAX_CHARS = 120


def _new_tone(m: re.Match[str]) -> str:
    vowel = m.group(2)
    return unicodedata.normalize("NFC", m.group(1) + _TONE_MARK[vowel]) + _TONE_BASE[vowel]


def normalize(text: str) -> str:
    """NFC, lower case, one apostrophe, tone marks placed one way, emoticons and emoji gone."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES).lower()
    text = _OLD_TONE.sub(_new_tone, text)
    text = _EMOTICON.sub(" ", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"So", "Sk", "Mn", "Cf"})


def text_flags(text: str) -> str | None:
    """A reason to stop before reading words: empty, long, injection-like, asking, hesitant."""
    clean = normalize(text)
    words = [t for t in _TOKEN.findall(clean) if t[0].isalnum()]
    if not words:
        return "no_signal"
    if _STRUCTURE.search(clean):
        return "injection"
    if "\n" in clean.strip():
        return "long"
    if len(words) > MAX_WORDS or len(clean) > MAX_CHARS:
        return "long"
    if "?" in clean:
        return "question"
    if "..." in clean or "…" in clean:
        return "hedge"
    return None


@dataclasses.dataclass(frozen=True)
class Item:
    """One phrase of a message: its kind, its words as the table writes them (or as typed for
    unknown words), and the clause it is in (clauses end at , . ! ;)."""

    kind: Kind
    norm: str
    clause: int


def _phrases() -> list[tuple[tuple[str, ...], Kind]]:
    seen: dict[str, Kind] = {}
    out: list[tuple[tuple[str, ...], Kind]] = []
    for kind, block in _TABLE.items():
        for raw in block.split("|"):
            phrase = normalize(" ".join(raw.split()))
            if phrase in seen:
                raise ValueError(f"consent phrase {phrase!r} is both {seen[phrase]} and {kind}")
            seen[phrase] = kind
            out.append((tuple(phrase.split()), kind))
    return sorted(out, key=lambda p: -len(p[0]))


_PHRASES = _phrases()


def _ambiguous() -> frozenset[str]:
    """Folded spellings of two phrases of different kinds: for a word that stands alone
    ("dung": đúng, đừng, dừng) the word is ambiguous wherever it is typed; for a longer phrase
    only the phrase is. Plus the look-alikes."""
    kinds_of: dict[str, dict[str, Kind]] = {}
    for words, kind in _PHRASES:
        phrase = " ".join(words)
        kinds_of.setdefault(fold(phrase), {})[phrase] = kind
    clash = {folded for folded, written in kinds_of.items() if len(set(written.values())) > 1}
    return frozenset(clash | _LOOKALIKES)


AMBIGUOUS = _ambiguous()
_WRITTEN = frozenset(w for words, _ in _PHRASES for w in words)
_KNOWN = _WRITTEN | frozenset(fold(w) for w in _WRITTEN)


def _same(token: str, word: str) -> bool:
    if token == word:
        return True
    return token == fold(token) and token not in AMBIGUOUS and fold(word) == token


def _matches(window: list[str], words: tuple[str, ...]) -> bool:
    if len(window) != len(words):
        return False
    if len(words) > 1 and " ".join(window) in AMBIGUOUS and tuple(window) != words:
        return False
    return all(_same(t, w) for t, w in zip(window, words, strict=True))


def _canon(token: str) -> str:
    """Stretched words as their table spelling ("okkk", "vânggg", "nhaaa"). Not "kkk"
    (laughter, not "k": no) nor "uhhh" (hesitation, not "uh": yes): they stay unknown."""
    if token in _KNOWN:
        return token
    short = _REPEAT.sub(r"\1", token)
    return short if short in _KNOWN and short not in _NOT_STRETCHED else token


def items(text: str) -> list[Item]:
    """The message as phrases, longest match first, clause by clause."""
    tokens = [_canon(t) for t in _TOKEN.findall(normalize(text)) if t != "?"]
    out: list[Item] = []
    clause = 0
    i = 0
    while i < len(tokens):
        if tokens[i] in _BREAKS:
            clause += 1
            i += 1
            continue
        for words, kind in _PHRASES:
            if _matches(tokens[i : i + len(words)], words):
                out.append(Item(kind, " ".join(words), clause))
                i += len(words)
                break
        else:
            token = tokens[i]
            kind = (
                Kind.AMBIGUOUS
                if token in AMBIGUOUS
                else Kind.REF
                if _REF.fullmatch(token)
                else Kind.UNKNOWN
            )
            out.append(Item(kind, token, clause))
            i += 1
    return out
