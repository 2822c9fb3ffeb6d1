"""The LLM agent answers on a platform like on the web: a typed question goes to the model
(the fake OpenAI server over HTTP) and its answer reaches the customer's chat."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agents.conversation import ChatService
from agents.llm import LLMConfig, LLMResponder
from bot.container import Container
from tests.agents.conftest import llm_config  # noqa: F401 (fixture)
from tests.channels.conftest import TG_SECRET, Running, run_channels, telegram_channel
from tests.channels.users import TelegramUser
from tests.fakes.openai_server import (  # noqa: F401 (fixtures)
    FakeOpenAI,
    Text,
    fake_openai,
    openai_server,
)
from tests.fakes.telegram_server import FakeTelegram


@pytest.fixture
async def with_agent(
    container: Container,
    fake_telegram: FakeTelegram,
    llm_config: LLMConfig,  # noqa: F811 (the agent tests' config, on the fake OpenAI server)
    catalogue: None,
) -> AsyncIterator[Running]:
    agent = LLMResponder(llm_config, container.runner)
    chat = ChatService(container.runner, container.db, responder=agent, shop_name="Shop Test")
    channels = [telegram_channel(fake_telegram)]
    async for running in run_channels(container, channels, chat=chat):
        yield running
    await agent.aclose()


async def test_the_agents_answer_reaches_telegram(
    with_agent: Running,
    fake_telegram: FakeTelegram,
    fake_openai: FakeOpenAI,  # noqa: F811
) -> None:
    fake_openai.script(Text("Dạ shop còn áo thun trắng size M ạ."))
    u = TelegramUser(fake_telegram, with_agent.client, with_agent.hub, secret=TG_SECRET)
    await u.say("Shop còn áo thun trắng không?")
    assert u.text == "Dạ shop còn áo thun trắng size M ạ."
    assert fake_telegram.actions == [(u.chat, "typing")]  # while the model was asked


async def test_the_agent_asking_for_a_phone_brings_up_the_share_phone_keyboard(
    with_agent: Running,
    fake_telegram: FakeTelegram,
    fake_openai: FakeOpenAI,  # noqa: F811
) -> None:
    fake_openai.script(
        Text("Sure! What phone number should the courier call?"),
        Text("Thanks, and the delivery address?"),
    )
    u = TelegramUser(fake_telegram, with_agent.client, with_agent.hub, secret=TG_SECRET)
    await u.say("I would like to order the white t-shirt please")
    markup = u.replies[-1].body["reply_markup"]
    assert markup["keyboard"] == [[{"text": "Share my phone number", "request_contact": True}]]
    await u._act(
        u.message(contact={"phone_number": "84912345678", "first_name": "B", "user_id": u.user_id}),
        u.headers(),
    )
    assert u.chat not in fake_telegram.keyboards  # taken away when the contact came
    assert "reply_markup" not in u.replies[-1].body  # and not offered again
