"""Product search scoring: folded tokens, all-tokens matching and typo-tolerant fuzzy scores.

Chat customers type without diacritics and with typos ("ao thung"), so matching is done on
folded text (core.text.fold) and, when exact tokens find too little, by comparing each query
token with the words of each document (rapidfuzz ratio). A document matches fuzzily only if
every query token has a close word in it; its score is the mean of those closeness values.
When even that finds nothing, documents with some of the words are offered as "partial";
words that no document has are left out of that count, so one stray word ("quần jean giá rẻ")
does not hide the products the other words name. English plurals of catalogue words are
searched as the catalogue spells them ("jeans" finds "Quần jean"), and common English shop
words as the Vietnamese catalogue writes them ("black t-shirt" finds "Áo thun ... Đen").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rapidfuzz import fuzz, process

from core.text import tokens

FUZZY_CUTOFF = 70.0
# Every word at the cutoff is one typo per word everywhere ("dien thoai" ~ "bien hoai"):
# a fuzzy match must also average this much.
FUZZY_MEAN_CUTOFF = 80.0
PARTIAL_CUTOFF = 100.0
# A typo in a word this short cannot be told from another word ("ao" / "bao"): exact only.
EXACT_BELOW = 3
# A three-letter word may only have lost one letter ("jen" is "jean", 85.7; "jan" is not).
THREE_LETTER_CUTOFF = 85.0
# A typo-close word is a word a letter or two off; shorter words only vouch by being exact.
TYPO_FROM = 4


# A size or a bare number narrows a search but names nothing: "asdf m" must not list every
# product in size M.
_QUALIFIER = re.compile(r"^(\d+|[a-z]|x*[sml]|\d?x+l)$")


def query_tokens(text: str) -> list[str]:
    """The distinct folded words of a query, in order."""
    return list(dict.fromkeys(tokens(text)))


def vocabulary(docs: Iterable[str]) -> set[str]:
    """Every word of the documents."""
    out: set[str] = set()
    for text in docs:
        out.update(tokens(text))
    return out


def singulars(word: str) -> list[str]:
    """Simple English singulars: "jeans" -> jean, "dresses" -> dress, "accessories" ->
    accessory. Only for words of four letters or more ("bus", "gas" stay)."""
    if len(word) < 4 or not word.isalpha() or not word.endswith("s") or word.endswith("ss"):
        return []
    out = []
    if word.endswith("ies"):
        out.append(word[:-3] + "y")
    if word.endswith("es"):
        out.append(word[:-2])
    out.append(word[:-1])
    return out


# Shop words an English-speaking customer types, as Vietnamese catalogues write them (folded);
# the first rendering whose words the catalogue has is used. Words the catalogue itself has
# ("polo", "jean", "linen", "sneaker") are never translated.
ENGLISH_WORDS: dict[str, tuple[str, ...]] = {
    "tshirt": ("ao thun",),
    "tee": ("ao thun",),
    "shirt": ("ao so mi", "so mi", "ao"),
    "blouse": ("ao kieu", "ao"),
    "top": ("ao",),
    "jacket": ("ao khoac",),
    "sweater": ("ao len",),
    "pants": ("quan",),
    "trousers": ("quan",),
    "shorts": ("quan short", "quan"),
    "dress": ("dam", "vay"),
    "skirt": ("chan vay", "vay"),
    "shoe": ("giay",),
    "heels": ("giay cao got",),
    "sandal": ("sandal", "dep"),
    "slipper": ("dep",),
    "bag": ("tui",),
    "handbag": ("tui xach",),
    "backpack": ("balo",),
    "wallet": ("vi",),
    "hat": ("mu", "non"),
    "cap": ("mu luoi trai", "mu"),
    "belt": ("that lung",),
    "sunglasses": ("kinh mat",),
    "glasses": ("kinh",),
    "scarf": ("khan",),
    "sock": ("tat",),
    "lipstick": ("son",),
    "sunscreen": ("kem chong nang",),
    "shampoo": ("dau goi",),
    "cleanser": ("sua rua mat",),
    "black": ("den",),
    "white": ("trang",),
    "red": ("do",),
    "blue": ("xanh",),
    "green": ("xanh la", "xanh"),
    "pink": ("hong",),
    "yellow": ("vang",),
    "grey": ("xam",),
    "gray": ("xam",),
    "brown": ("nau",),
    "men": ("nam",),
    "mens": ("nam",),
    "women": ("nu",),
    "womens": ("nu",),
    "kids": ("tre em",),
}


def catalogue_words(words: list[str], vocab: set[str]) -> list[str]:
    """The query in the catalogue's own words: a word the catalogue lacks becomes its singular
    ("jeans" -> "jean") or its Vietnamese rendering ("t-shirt" -> "ao thun", "dress" -> "dam")
    when the catalogue has that; every other word stays as typed."""
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w == "t" and i + 1 < len(words) and words[i + 1] in ("shirt", "shirts"):
            w, i = "tshirt", i + 1  # "t-shirt" is tokenised as "t", "shirt"
        i += 1
        if w in vocab:
            out.append(w)
            continue
        forms = [w, *singulars(w)]
        singular = next((f for f in forms[1:] if f in vocab), None)
        if singular is not None:
            out.append(singular)
            continue
        rendering = next(
            (
                r.split()
                for f in forms
                for r in ENGLISH_WORDS.get(f, ())
                if all(part in vocab for part in r.split())
            ),
            None,
        )
        out.extend(rendering or [w])
    return list(dict.fromkeys(out))


def may_need_catalogue_words(words: list[str]) -> bool:
    """Whether catalogue_words could change the query (cheap: no catalogue needed)."""
    return any(singulars(w) or w in ENGLISH_WORDS or (w == "t" and "shirt" in words) for w in words)


def contains_all(words: Iterable[str], folded_text: str) -> bool:
    """The same test as the SQL LIKE filter: each word appears somewhere in the text."""
    return all(w in folded_text for w in words)


def word_scores(
    words: list[str], docs: Mapping[int, str], *, cutoff: float = FUZZY_CUTOFF
) -> dict[int, list[float]]:
    """For each document, the closeness (0-100) of its best word to each query word; a value
    below that word's threshold (cutoff, or exact for words shorter than EXACT_BELOW letters)
    is reported as 0. ``cutoff=0`` scores every pair.

    The vocabulary is scored once per query word, so the cost grows with the number of
    distinct words in the catalogue, not with words times documents.
    """
    if not words:
        return {}
    doc_words = {doc_id: set(tokens(text)) for doc_id, text in docs.items()}
    vocab = sorted(set().union(*doc_words.values())) if doc_words else []
    need = {w: _word_cutoff(w, cutoff) for w in words}
    close: dict[str, dict[str, float]] = {}
    for w in words:
        found = process.extract(w, vocab, scorer=fuzz.ratio, score_cutoff=need[w], limit=None)
        close[w] = {choice: float(score) for choice, score, _ in found}
    return {
        doc_id: [max((s for t, s in close[w].items() if t in dwords), default=0.0) for w in words]
        for doc_id, dwords in doc_words.items()
    }


def _word_cutoff(word: str, cutoff: float) -> float:
    if cutoff <= 0 or len(word) >= TYPO_FROM:
        return cutoff
    if len(word) < EXACT_BELOW:
        return 100.0
    return max(cutoff, THREE_LETTER_CUTOFF)


def fuzzy_scores(
    words: list[str],
    docs: Mapping[int, str],
    *,
    cutoff: float = FUZZY_CUTOFF,
    mean_cutoff: float = FUZZY_MEAN_CUTOFF,
) -> dict[int, float]:
    """Score (0-100, the mean closeness) of each document in which every query word has a
    close word (see word_scores) and the mean reaches mean_cutoff. ``cutoff=0`` ranks all.

    Short words found exactly do not vouch for a long word's typo: the mean that must reach
    mean_cutoff is over the words of TYPO_FROM letters or more when there are any, so "tu
    lanh" (fridge) is not "Túi bao tử ... Xanh" ("tu" exact, "lanh" ~ "xanh" 75)."""
    out: dict[int, float] = {}
    long = [i for i, w in enumerate(words) if len(w) >= TYPO_FROM]
    for doc_id, scores in word_scores(words, docs, cutoff=cutoff).items():
        mean = round(sum(scores) / len(scores), 1)
        judged = [scores[i] for i in long] or scores
        if cutoff <= 0 or (all(scores) and sum(judged) / len(judged) >= mean_cutoff):
            out[doc_id] = mean
    return out


def partial_scores(
    words: list[str], docs: Mapping[int, str], *, cutoff: float = PARTIAL_CUTOFF
) -> dict[int, float]:
    """Documents containing some but not all of the query words, scored by the share found:
    a last resort, so "son moi" still offers "Son kem li". Whole words only by default,
    because a typo-close single word is mostly noise ("dien thoai" is not "den" = black).

    The relevance threshold: a document is offered only when it has the query's first word
    as its own first word (the kind of thing: "quan kaki" offers "Quần jean"), or words
    making up more than half of the query's letters ("jean gia re"). So "tu lanh samsung"
    (a fridge: not sold) does not offer "Túi bao tử" for its "tu". What it has must include
    a word that names something, not only a size or a number ("asdf m")."""
    scored = word_scores(words, docs, cutoff=cutoff)
    letters = sum(len(w) for w in words)
    out: dict[int, float] = {}
    for doc_id, scores in scored.items():
        found = [w for w, x in zip(words, scores, strict=True) if x]
        head = tokens(docs[doc_id])[:1] == words[:1] and bool(scores[0])
        if (
            found
            and len(found) < len(words)
            and (head or sum(len(w) for w in found) * 2 > letters)
            and any(not _QUALIFIER.match(w) for w in found)
        ):
            out[doc_id] = round(sum(scores) / len(scores), 1)
    return out


def phrase_tier(words: list[str], name: str, category: str, text: str) -> int:
    """How plainly a product carries the query, for ranking before any score: 0, the words
    as one phrase in its name ("ao dai" in "Áo dài cách tân"); 1, as a phrase in its
    category; 2, every word as a whole word of the name, apart ("Áo thun tay dài"); 3, as a
    phrase elsewhere in its text (brand, options: "Ví da" of brand "Giày Da Bình Tân" for
    "giày"); 4, anything else. ``text`` is folded."""
    phrase = f" {' '.join(words)} "
    name_words = tokens(name)
    if phrase in f" {' '.join(name_words)} ":
        return 0
    if phrase in f" {' '.join(tokens(category))} ":
        return 1
    if set(words) <= set(name_words):
        return 2
    if phrase in f" {' '.join(tokens(text))} ":
        return 3
    return 4
