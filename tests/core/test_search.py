from __future__ import annotations

from core.search import (
    catalogue_words,
    contains_all,
    fuzzy_scores,
    partial_scores,
    phrase_tier,
    query_tokens,
    vocabulary,
)
from core.text import fold

DOCS = {
    1: fold("Áo thun cotton AT01 at01-den-m Đen M"),
    2: fold("Quần jean nam QJ01 Levi's"),
    3: fold("Áo khoác gió AK01"),
    4: fold("Bao tay len BT01"),
}


def test_query_tokens_fold_and_dedupe() -> None:
    assert query_tokens("ÁO thun, áo ĐEN!") == ["ao", "thun", "den"]
    assert query_tokens("  ") == []


def test_contains_all_is_substring_per_word() -> None:
    assert contains_all(["ao", "den"], DOCS[1])
    assert not contains_all(["ao", "trang"], DOCS[1])


def test_typos_match_the_right_document_only() -> None:
    assert set(fuzzy_scores(query_tokens("ao thung"), DOCS)) == {1}
    assert set(fuzzy_scores(query_tokens("quan jaen"), DOCS)) == {2}
    assert set(fuzzy_scores(query_tokens("ao khaoc"), DOCS)) == {3}
    assert fuzzy_scores(query_tokens("dien thoai"), DOCS) == {}


def test_every_word_must_be_close() -> None:
    # "thun" is in doc 1 but "jean" is not close to anything there.
    assert 1 not in fuzzy_scores(query_tokens("thun jean"), DOCS)


def test_short_words_need_an_exact_word() -> None:
    assert set(fuzzy_scores(["ao"], DOCS)) == {1, 3}  # not "bao"
    assert set(fuzzy_scores(["bao"], DOCS)) == {4}  # not "ao"


def test_cutoff_zero_ranks_everything_with_exact_first() -> None:
    ranked = fuzzy_scores(query_tokens("ao thun"), DOCS, cutoff=0)
    assert set(ranked) == {1, 2, 3, 4}
    assert max(ranked, key=ranked.__getitem__) == 1
    assert ranked[1] == 100.0


def test_partial_scores_need_some_but_not_all_words() -> None:
    got = partial_scores(query_tokens("quan kaki"), DOCS)
    assert set(got) == {2}
    assert got[2] == 50.0
    assert partial_scores(query_tokens("ao thun"), DOCS) == {3: 50.0}  # doc 1 has both
    assert partial_scores(query_tokens("kaki"), DOCS) == {}


def test_partial_matches_need_whole_words() -> None:
    # "dien" is a typo away from "den" (black), which is noise for a last-resort match.
    assert partial_scores(query_tokens("dien thoai"), DOCS) == {}
    assert partial_scores(query_tokens("thung kaki"), DOCS) == {}
    assert set(partial_scores(query_tokens("thung kaki"), DOCS, cutoff=70)) == {1}


def test_fuzzy_mean_must_be_high_enough() -> None:
    docs = {1: "bien tang"}  # each word one letter off: 75 each
    assert fuzzy_scores(["dien", "tong"], docs) == {}
    assert fuzzy_scores(["dien", "tong"], docs, mean_cutoff=70) == {1: 75.0}
    assert fuzzy_scores(["quan", "jaen"], {2: "quan jean"}) == {2: 87.5}  # one typo is fine


def test_partial_needs_at_least_half_the_words() -> None:
    assert partial_scores(["at01", "trg", "m"], {1: "at01 den m", 2: "so mi trang m"}) == {1: 66.7}


def test_partial_scores_leave_out_words_no_document_has() -> None:
    assert partial_scores(query_tokens("quan jean xin re"), DOCS) == {2: 50.0}
    assert partial_scores(query_tokens("ao qwer asdf"), DOCS) == {1: 33.3, 3: 33.3}
    # A size alone names nothing.
    assert partial_scores(query_tokens("asdf m"), DOCS) == {}


def test_plurals_become_the_singular_the_documents_use() -> None:
    vocab = vocabulary(DOCS.values()) | {"dress", "accessory"}
    assert catalogue_words(["jeans", "dresses", "accessories"], vocab) == [
        "jean",
        "dress",
        "accessory",
    ]
    assert catalogue_words(["bao", "kakis", "ao"], vocab) == ["bao", "kakis", "ao"]


def test_english_shop_words_become_the_catalogues_vietnamese() -> None:
    vocab = vocabulary(
        ["Áo thun cotton Đen", "Áo sơ mi linen", "Đầm maxi", "Kính mát", "Giày sneaker"]
    )
    assert catalogue_words(query_tokens("black t-shirt"), vocab) == ["den", "ao", "thun"]
    assert catalogue_words(query_tokens("linen shirt"), vocab) == ["linen", "ao", "so", "mi"]
    assert catalogue_words(query_tokens("dresses"), vocab) == ["dam"]  # plural, then English
    assert catalogue_words(query_tokens("sunglasses"), vocab) == ["kinh", "mat"]
    assert catalogue_words(query_tokens("sneakers"), vocab) == ["sneaker"]  # its own word
    # No rendering the catalogue has: the word stays, so nothing random is found.
    assert catalogue_words(query_tokens("backpack"), vocab) == ["backpack"]


def test_a_three_letter_word_may_have_lost_one_letter() -> None:
    assert fuzzy_scores(query_tokens("quan jen"), {2: "quan jean"}) == {2: 92.9}
    assert fuzzy_scores(["jon"], {2: "quan jean"}) == {}  # a wrong letter is another word
    assert fuzzy_scores(["ao"], {4: "bao tay"}) == {}  # two letters: exact only


def test_short_exact_words_do_not_vouch_for_a_long_words_typo() -> None:
    # "tu" is exact in "tử", "lanh" is one letter off "xanh": a fridge is not a waist bag.
    waist_bag = {6: fold("Túi bao tử đeo hông TX06 Xanh navy")}
    assert fuzzy_scores(query_tokens("tủ lạnh"), waist_bag) == {}
    assert set(fuzzy_scores(query_tokens("tui bao tu xanh navyy"), waist_bag)) == {6}


def test_partial_needs_the_kind_of_thing_or_most_of_the_query() -> None:
    docs = {
        5: fold("Thắt lưng da nam khoá tự động PK02"),
        6: fold("Túi bao tử đeo hông TX06"),
        2: DOCS[2],
    }
    assert partial_scores(query_tokens("tủ lạnh samsung"), docs) == {}
    assert partial_scores(query_tokens("tu lanh"), docs) == {}
    assert partial_scores(query_tokens("tu ao"), DOCS) == {}  # a wardrobe is not a shirt
    assert partial_scores(query_tokens("quần kaki"), docs) == {2: 50.0}  # the same kind
    assert partial_scores(query_tokens("jean nam abc"), docs) == {2: 66.7}  # most letters


def test_phrase_tier_puts_the_whole_phrase_in_the_name_first() -> None:
    words = query_tokens("áo dài")
    assert phrase_tier(words, "Áo dài cách tân", "Váy đầm", fold("ao dai cach tan vay dam")) == 0
    assert phrase_tier(words, "Áo cách tân", "Áo dài", fold("ao cach tan ao dai")) == 1
    assert phrase_tier(words, "Áo thun tay dài", "Áo thun", fold("ao thun tay dai ao thun")) == 2
    assert phrase_tier(words, "Váy", "Váy đầm", fold("vay brand ao dai vay dam")) == 3
    assert phrase_tier(words, "Chân váy dài", "Váy", fold("chan vay dai ao")) == 4
    # Whole words only: "ao" inside "bao" is not the phrase.
    assert phrase_tier(["ao"], "Túi bao tử", "Túi xách", fold("tui bao tu")) == 4
