"""Whole sentences typed to the offline flow (no LLM) with the demo shop's catalogue: the flow
finds the products they name, in Vietnamese or English, and never offers products by chance."""

from __future__ import annotations

import httpx
import pytest

from bot.demo_data import load_demo_data
from tests.web.chat_client import WebChat
from tools.runner import ToolRunner


@pytest.fixture
async def demo(runner: ToolRunner) -> None:
    result = await load_demo_data(runner)
    assert result["status"] == "loaded", result


def cards(chat: WebChat) -> list[str]:
    return [c["title"] for r in chat.replies for c in r["cards"]]


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("sentence", "heading", "expected"),
    [
        (
            "Quần jean này giá bao nhiêu vậy shop?",
            "Kết quả cho “Quần jean”",
            "Quần jean nam slim fit",
        ),
        ("Hello, do you have jeans please?", "Results for “jeans”", "Quần jean nam slim fit"),
        ("Có váy hoa không shop?", "Kết quả cho “váy hoa”", "Đầm maxi hoa nhí đi biển"),
        (
            "Shop còn giày sneaker không ạ?",
            "Kết quả cho “giày sneaker”",
            "Giày sneaker trắng đế bằng",
        ),
        ("quan jean nay gia bao nhieu vay shop", "Kết quả cho “quan jean”", "Quần jean skinny nữ"),
        ("How much is the linen shirt?", "Results for “linen shirt”", "Áo sơ mi linen cổ tàu"),
        ("Do you have sunglasses?", "Results for “sunglasses”", "Kính mát gọng tròn chống UV"),
        ("black t-shirt please", "Results for “black t-shirt”", "Áo thun cotton basic cổ tròn"),
        ("Do you have any dresses?", "Results for “dresses”", "Đầm maxi hoa nhí đi biển"),
    ],
)
async def test_a_typed_sentence_finds_the_products_it_names(
    client: httpx.AsyncClient, sentence: str, heading: str, expected: str
) -> None:
    chat = WebChat(client)
    await chat.say(sentence)
    assert heading in chat.text, chat.text
    assert expected in cards(chat)
    if "jean" in sentence:
        assert all("jean" in c.lower() for c in cards(chat)), cards(chat)
    if "linen" in sentence:
        assert cards(chat) == ["Áo sơ mi linen cổ tàu"]  # exact: English words translated
    if "t-shirt" in sentence:  # the T-shirt category (a tank top is filed there too)
        assert all(c.startswith("Áo") for c in cards(chat)), cards(chat)


@pytest.mark.usefixtures("demo")
async def test_a_stray_word_still_shows_the_closest_products(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.say("Có quần jean hàng auth không shop")  # "auth": no product has it
    assert "đây là những sản phẩm gần nhất" in chat.text
    assert "Quần jean nam slim fit" in cards(chat)
    assert all("jean" in c.lower() for c in cards(chat))


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("sentence", ["asdf qwer zxcv", "asdf qwer size m", "xyz 32 ạ"])
async def test_gibberish_shows_no_products(client: httpx.AsyncClient, sentence: str) -> None:
    chat = WebChat(client)
    await chat.say(sentence)
    assert cards(chat) == []
    assert "chưa tìm thấy" in chat.text or "couldn't find anything" in chat.text


@pytest.mark.usefixtures("demo")
async def test_a_question_naming_no_product_asks_what_to_find(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.say("Giá bao nhiêu vậy shop?")
    assert cards(chat) == []  # not "Túi bao tử" or the skirts ("vậy" folds to "vay")
    assert "Bạn cần tìm gì?" in chat.text
    await chat.say("váy babydoll")  # the answer is searched
    assert cards(chat) == ["Váy babydoll cổ sen"]


@pytest.mark.usefixtures("demo")
async def test_an_english_chat_chooses_variants_in_english(client: httpx.AsyncClient) -> None:
    """Issue 8, item 7: "Choose Màu:", "Chosen: Đen" and Vietnamese categories in English mode."""
    chat = WebChat(client)
    await chat.say("/en")
    await chat.press("Browse categories")
    assert "T-shirts" in " ".join(chat.titles()), chat.titles()
    await chat.say("black t-shirt please")
    card = next(
        c for r in chat.replies for c in r["cards"] if c["title"] == "Áo thun cotton basic cổ tròn"
    )
    await chat.send(payload=card["buttons"][0]["payload"])
    assert "Choose Colour" in chat.text, chat.text
    assert "Black" in chat.titles()
    assert "Đen" not in chat.titles()
    await chat.press("Black")
    assert "Chosen: Black" in chat.text, chat.text
    assert "Màu" not in chat.text
