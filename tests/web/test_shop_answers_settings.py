"""The shop's own settings answer the typed questions: its delivery time, opening hours and
return policy texts (each with an English twin), its shipping rule and its bank account."""

from __future__ import annotations

import httpx
import pytest

from bot.container import Container
from storage.database import Database
from tests.factories import BANK
from tests.web.chat_client import WebChat
from tests.web.conftest import offline_settings
from tools.registry import Registry

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
def container(db: Database, db_url: str, registry: Registry) -> Container:
    settings = offline_settings(
        db_url,
        shipping_fee=25_000,
        free_shipping_from="",
        hold_minutes=30,
        delivery_time="1–2 ngày trong TP.HCM, 3–5 ngày đi tỉnh",
        opening_hours="9:00 – 18:00, thứ Hai đến thứ Bảy",
        opening_hours_en="9am – 6pm, Monday to Saturday",
        return_policy="Đổi size trong 3 ngày.",
        **BANK.model_dump(
            include={"bank_bin", "bank_name", "bank_account_number", "bank_account_name"}
        ),
    )
    return Container.create(settings, db=db, registry=registry)


async def test_answers_use_the_shops_settings(client: httpx.AsyncClient) -> None:
    chat = WebChat(client)
    await chat.say("ship mất bao lâu")
    assert "Thời gian giao hàng: 1–2 ngày trong TP.HCM, 3–5 ngày đi tỉnh." in chat.text
    await chat.say("phí ship bao nhiêu")
    assert "Phí giao hàng 25.000₫ mỗi đơn." in chat.text
    assert "miễn phí" not in chat.text  # never free in this shop
    await chat.say("có chuyển khoản được không")
    assert "Số tài khoản và mã QR được gửi ngay khi bạn đặt đơn." in chat.text
    assert "giữ hàng cho bạn 30 phút" in chat.text
    await chat.say("mấy giờ shop mở cửa")
    assert "9:00 – 18:00, thứ Hai đến thứ Bảy" in chat.text
    await chat.say("chính sách đổi trả")
    assert "Chính sách đổi trả: Đổi size trong 3 ngày." in chat.text

    await chat.send(payload="lang:en")
    await chat.say("when are you open?")
    assert "9am – 6pm, Monday to Saturday" in chat.text
    await chat.say("can I return it?")
    assert "Returns: Đổi size trong 3 ngày." in chat.text  # no English text: the shop's own
