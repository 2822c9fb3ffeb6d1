"""What a typed message asks, when it is a common question rather than product words.

Without an LLM the button flow searched every free text as product words, so "đơn hàng của
tôi đến đâu rồi?" showed a wallet and "ship mất bao lâu?" a waist bag. ``classify`` names the
common questions a shop gets (order status, shipping time and fee, payment methods, returns,
opening hours, asking for a person) and small talk (greetings, thanks), in Vietnamese with or
without diacritics, in teen-code ("ship bn", "dc ko", "ad oi") and in English; anything else
is None and stays a product search ("áo thun đen size M", "quần jean", "giày").

Rules, not a model: phrases matched on the folded, teen-code-expanded text, tried from the
most specific intent to the least. A question wins over product words around it ("áo này
đổi size được không" asks about returns); greetings and thanks count only when the message is
nothing else ("chào shop, cho xem áo thun" is a search). Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from core.text import tokens


class Intent(StrEnum):
    ORDER_STATUS = "order_status"
    SHIPPING_TIME = "shipping_time"
    SHIPPING_FEE = "shipping_fee"
    SHIPPING = "shipping"  # both: "có ship không", "giao hàng thế nào"
    PAYMENT_METHODS = "payment_methods"
    RETURN_POLICY = "return_policy"
    OPENING_HOURS = "opening_hours"
    STAFF = "staff"
    GREETING = "greeting"
    THANKS = "thanks"


# Accented words that fold onto a different, meaningful word: kept apart before folding.
# "đợi hàng" (waiting for the goods) is not "đổi hàng" (an exchange); "5 đôi" is a pair.
_ACCENTED = {"đợi": "cho", "đôi": "pair"}

# Teen-code and abbreviations, folded -> the words they stand for (folded).
_SHORTHAND = {
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "khg": "khong",
    "hok": "khong",
    "hem": "khong",
    "hong": "khong",  # also "hồng" (pink): no rule below needs "khong" next to a colour
    "dc": "duoc",
    "dk": "duoc",
    "bn": "bao nhieu",
    "bnh": "bao nhieu",
    "bnhieu": "bao nhieu",
    "nhiu": "nhieu",
    "baonhieu": "bao nhieu",
    "bh": "bao gio",
    "bjo": "bao gio",
    "bgio": "bao gio",
    "j": "gi",
    "ntn": "nhu the nao",
    "tn": "the nao",
    "tg": "thoi gian",
    "mk": "minh",
    "mik": "minh",
    "mjk": "minh",
    "mh": "minh",
    "ad": "shop",
    "admin": "shop",
    "sop": "shop",
    "shp": "shop",
    "sip": "ship",
    "shipping": "ship",
    "shiping": "ship",
    "fi": "phi",
    "vc": "van chuyen",
    "vchuyen": "van chuyen",
    "r": "roi",
    "dag": "dang",
    "dg": "dang",
    "ck": "chuyen khoan",
    "stk": "so tai khoan",
    "tk": "tai khoan",
    "nv": "nhan vien",
    "nvien": "nhan vien",
    "tvv": "tu van vien",
    "ktra": "kiem tra",
    "kt": "kiem tra",
    "dh": "don hang",
    "donhang": "don hang",
    "oder": "order",
    "odrer": "order",
    "h": "gio",
    "cn": "chu nhat",
    "t7": "thu bay",
    "tks": "thanks",
    "thks": "thanks",
    "thx": "thanks",
    "tnx": "thanks",
    "ty": "thanks",
    "camon": "cam on",
    "cmon": "cam on",
    "helo": "hello",
    "hallo": "hello",
    "allo": "alo",
    "whats": "what is",
    "t": "not",  # don't, hasn't: the apostrophe splits the word
    "didn": "did",
    "hasn": "has",
    "haven": "have",
    "doesn": "does",
    "isn": "is",
    "wasn": "was",
    "wheres": "where is",
    "u": "you",
    "ur": "your",
    "pls": "please",
    "plz": "please",
    "freeship": "free ship",
    "freeshipping": "free ship",
    "momo": "vi dien tu",
    "zalopay": "vi dien tu",
    "vnpay": "vi dien tu",
    "shopeepay": "vi dien tu",
}


def normalise(text: str) -> str:
    """Folded words with the shorthand spelled out, space-separated and space-padded."""
    lowered = unicodedata.normalize("NFC", text or "").lower()
    for accented, key in _ACCENTED.items():
        lowered = re.sub(rf"(?<!\w){accented}(?!\w)", key, lowered)
    words: list[str] = []
    for word in tokens(lowered):
        words.extend(_SHORTHAND.get(word, word).split())
    return f" {' '.join(words)} "


def _rule(*phrases: str) -> re.Pattern[str]:
    """Whole-word alternatives; a phrase is a regular expression over normalised words."""
    return re.compile(r"(?:^| )(?:" + "|".join(phrases) + r") ")


_NOT = r"(?:khong|chua)"
_WHEN = r"(?:bao gio|khi nao|luc nao|hom nao|ngay nao|may gio|bao lau)"
_WHERE = r"(?:den dau|toi dau|o dau|dau roi|den dau roi|toi dau roi|sao roi|the nao roi)"
_ORDER = r"(?:don hang|don|order|kien hang|goi hang)"
_MY = r"(?:cua (?:toi|minh|em|tui|tao|anh|chi)|minh|toi|em|tui)"
_SHIP = r"(?:ship|giao hang|giao|van chuyen|chuyen phat|gui hang)"
_HOW = r"(?:the nao|nhu the nao|sao|ra sao|kieu gi|cach nao|bang gi|bang cach nao|gi)"

# Tried in this order: the first that matches is the intent.
_RULES: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (
        Intent.STAFF,
        _rule(
            r"nhan vien",
            r"tu van vien",
            r"nguoi that",
            r"(?:gap|goi|noi chuyen voi|chat voi|lien he|lien lac) (?:voi )?"
            r"(?:nguoi|shop|chu shop|quan ly|ai do|tong dai)",
            r"hotline",
            r"shop (?:dau|dau roi|di dau)",
            r"so dien thoai (?:cua )?shop",
            r"can (?:nguoi )?tu van",
            r"(?:talk|speak|chat) (?:to|with) (?:a |an |the |some )?"
            r"(?:human|person|staff|someone|agent|real person|people|manager|representative)",
            r"(?:a |real )?human",
            r"customer (?:service|support|care)",
            r"live (?:agent|chat|person)",
            r"representative",
            r"call me",
            r"goi (?:lai )?cho (?:minh|toi|em)",
        ),
    ),
    (
        Intent.ORDER_STATUS,
        _rule(
            rf"{_ORDER}(?: \w+){{0,5}} {_WHERE}",
            rf"{_ORDER}(?: {_MY})?(?: (?:da|van|duoc|dang)){{0,2}} "
            rf"(?:giao|ship|gui|di|den|toi|xu ly|dong goi|xac nhan)(?: di)? (?:chua|{_NOT})",
            rf"{_ORDER}(?: {_MY})?(?: (?:khi nao|bao gio|lau|may ngay|luc nao))",
            rf"{_ORDER}(?: {_MY})? (?:chua|van chua|sao chua|lau (?:qua|the|vay))",
            rf"(?:kiem tra|tra cuu|check|theo doi|xem|hoi|tinh trang|trang thai) "
            rf"(?:(?:giup|dum|ho|cho|em|minh|toi|tui|lai|voi|tinh trang|trang thai) ){{0,3}}"
            rf"{_ORDER}",
            rf"{_WHEN} {_ORDER}",
            rf"{_ORDER} {_MY} (?:the nao|sao roi|ra sao)",
            rf"{_MY} (?:chua|van chua|sao chua) (?:nhan|thay|co)(?: duoc)? hang",
            r"(?:chua|van chua|sao chua) (?:nhan|thay)(?: duoc)? hang",
            r"(?:chua|van chua|sao chua) nhan duoc",
            r"hang (?:cua )?(?:toi|minh|em|tui) (?:dau|den dau|toi dau|o dau|sao roi|khi nao|"
            r"bao gio|chua)",
            r"cho hang lau",
            r"where (?:is |are |s )?(?:my|the) (?:order|package|parcel|stuff|items?|delivery)",
            r"(?:order|delivery|shipping|package|parcel) (?:status|tracking)",
            r"track(?:ing)? (?:my |the )?(?:order|package|parcel)",
            r"(?:has|have|did|is|was) my (?:order|package|parcel)",
            r"my (?:order|package|parcel) (?:(?:has|have|is|was) )?(?:not )?(?:status|arrived?|"
            r"shipped|sent|delivered|yet|late|still|come)",
            r"when (?:will|does|do|is) (?:my|the) (?:order|package|parcel)",
            r"(?:check|see) (?:my )?order",
            r"(?:any )?updates? on (?:my |the )?order",
            r"where is it",
            r"(?:did not|have not|not yet) (?:get|got|received?)",
        ),
    ),
    (
        Intent.RETURN_POLICY,
        _rule(
            r"doi tra",
            r"doi hang",
            r"tra hang",
            r"tra lai",
            r"hoan (?:tien|hang|tra)",
            r"doi (?:size|sai|mau|co|sang|lai|cai khac|san pham)",
            r"(?:duoc|cho) doi",
            r"doi (?:duoc|khong)",
            r"bao hanh",
            r"khong vua",
            r"(?:bi|hang|san pham) loi",
            r"chinh sach (?:doi|tra|hoan|bao hanh)",
            r"returns?",
            r"refunds?",
            r"exchanges?",
            r"send (?:it |them |this )?back",
            r"(?:does|do|don|did) not fit",
            r"money back",
            r"warranty",
        ),
    ),
    (
        Intent.PAYMENT_METHODS,
        _rule(
            rf"thanh toan (?:{_HOW}|qua|bang|kieu|duoc|nhung|cach|khi nhan)",
            r"(?:hinh thuc|phuong thuc|cach) (?:thanh toan|tra tien)",
            r"(?:co |nhan )?chuyen khoan",
            r"(?:ship )?cod",
            r"tra tien (?:khi|sau|luc|truoc|the nao|sao|bang|qua|nhu the nao)",
            r"nhan hang (?:roi )?(?:moi )?(?:tra|thanh toan)(?: tien)?",
            r"tra gop",
            r"tien mat",
            r"visa|mastercard",
            r"(?:take|accept) (?:visa|cards?|cash|transfers?|bank)",
            r"pay (?:cash|by card)",
            r"the (?:tin dung|atm|visa|ngan hang)",
            r"quet (?:the|ma|qr)",
            r"vi dien tu",
            r"so tai khoan",
            r"tai khoan ngan hang",
            r"payment(?: methods?| options?)?",
            r"(?:how|where) (?:can |do |should )?(?:i |we )?pay",
            r"how to pay",
            r"pay (?:by|with|on|via|in|using|cash)",
            r"cash on delivery",
            r"bank transfer",
            r"credit card",
            r"(?:do you |can you )?accept (?:card|cards|cash|transfer|bank)",
        ),
    ),
    (
        Intent.SHIPPING_FEE,
        _rule(
            rf"(?:phi|tien|cuoc|gia) (?:{_SHIP}|ship hang)",
            rf"{_SHIP}(?: (?:(?:ve|ra|toi|den|di) )?\w+(?: \w+)?)? (?:mat |het |la |tinh )?"
            r"(?:bao nhieu(?! ngay| lau| hom)|nhieu tien|may (?:chuc|nghin|k)|bao tien)",
            r"free (?:ship|giao)",
            r"mien phi (?:ship|van chuyen|giao hang|giao)",
            rf"{_SHIP} (?:co )?(?:mien phi|free)",
            r"tinh (?:phi )?ship",
            r"(?:ship|shipping|delivery|postage) (?:fee|fees|cost|costs|charge|charges|price|rate)",
            r"how much (?:is |for |does )?(?:the )?(?:ship|delivery|postage)",
            r"free (?:delivery|postage)",
        ),
    ),
    (
        Intent.SHIPPING_TIME,
        _rule(
            rf"{_SHIP}(?: (?:(?:ve|ra|toi|den|di) )?\w+(?: \w+)?)? (?:mat |het |trong |co )?"
            rf"(?:bao lau|may ngay|bao nhieu ngay|bao nhieu lau|lau khong|lau ko|nhanh khong|"
            rf"bao gio|khi nao|trong ngay|hoa toc|may hom)",
            r"(?:bao lau|may ngay|bao nhieu ngay|khi nao|bao gio) (?:thi |se |moi )?(?:hang )?"
            r"(?:nhan|toi|den|giao|ship)(?: duoc)?(?: hang)?",
            r"(?:bao lau|may ngay|bao nhieu ngay) (?:thi |se |moi )?co hang",
            rf"(?:thoi gian|tg) (?:{_SHIP}|nhan hang)",
            r"nhan (?:duoc )?hang (?:mat )?(?:bao lau|may ngay|khi nao|bao gio)",
            r"how (?:long|fast|soon|quickly)",
            r"(?:delivery|ship) (?:time|times|takes?)",
            r"how many days",
            r"when (?:will|would|do|can) (?:i|it|we) (?:get|receive|arrive|have)",
            r"same day (?:delivery|shipping)",
            r"express (?:delivery|ship)",
        ),
    ),
    (
        Intent.SHIPPING,
        _rule(
            r"(?:co )?(?:ship|giao hang|giao|gui) (?:hang )?(?:ve |ra |toi |den |di )?"
            r"(?:\w+ ){0,3}(?:khong|duoc khong)",
            r"(?:ship|giao hang|giao) (?:toan quoc|tinh|tan noi|nuoc ngoai|quoc te)",
            r"(?:giao hang|ship|van chuyen) (?:the nao|nhu the nao|ra sao|sao)",
            r"(?:do you|can you) (?:ship|deliver)",
            r"(?:ship|deliver) to",
            r"^ (?:ship|delivery)(?: policy| info| information)?(?= $)",
        ),
    ),
    (
        Intent.OPENING_HOURS,
        _rule(
            r"(?:may gio|luc nao|khi nao|bao gio) (?:shop )?(?:mo|dong|lam viec|lam|nghi|mo cua|"
            r"dong cua)",
            r"gio (?:mo cua|dong cua|lam viec|hoat dong|lam|mo|ban hang)",
            r"(?:mo|dong) cua",
            r"lam viec (?:may gio|den may gio|tu may gio|luc nao|chu nhat|thu bay|ngay le|"
            r"hom nay|khong)",
            r"(?:chu nhat|thu bay|ngay le|le tet|tet|hom nay|toi nay) (?:shop )?(?:co )?"
            r"(?:mo|lam|ban|nghi|lam viec)",
            r"(?:shop )?(?:co )?(?:lam|mo|nghi) (?:chu nhat|thu bay|ngay le|tet|le)",
            r"(?:opening|business|working|open|office|store|shop) hours",
            r"hours",
            r"(?:when|what time) (?:are|do|does|is) (?:you|the shop|the store|it|your shop) "
            r"(?:open|close)",
            r"are you open",
            r"open (?:today|now|on|tomorrow|at)",
            r"(?:what time|when) (?:do you |does it )?(?:open|close)",
        ),
    ),
)

# Small talk: a message made only of these words is a greeting or thanks.
_GREETING_TEXT = "chao xin hi hello hey heya hiya alo morning afternoon evening greetings howdy yo"
_THANKS_TEXT = "cam on thanks thank tuyet voi"
_POLITE_TEXT = (
    "shop oi a ah nhe nha em anh chi ban minh toi moi nguoi buoi sang chieu trua good there "
    "all you everyone very much so lot nhieu lam qua rat da vang ok oke okay roi duoc dear "
    "friend team guys sir madam ma mam the"
)
_GREETING_WORDS = frozenset(_GREETING_TEXT.split())
_SMALL_TALK = _GREETING_WORDS | frozenset(_THANKS_TEXT.split()) | frozenset(_POLITE_TEXT.split())


def classify(text: str) -> Intent | None:
    """The question the message asks, or None when it is not one of these (a search)."""
    normalised = normalise(text)
    words = normalised.split()
    if not words or len(words) > 40:
        return None
    for intent, rule in _RULES:
        if rule.search(normalised):
            return intent
    if all(w in _SMALL_TALK for w in words):
        if "thanks" in words or "thank" in words or " cam on " in normalised:
            return Intent.THANKS
        if any(w in _GREETING_WORDS for w in words):
            return Intent.GREETING
    return None
