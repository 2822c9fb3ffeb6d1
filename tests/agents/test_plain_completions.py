"""The agent's chat-completion requests skip the openai SDK's parameter walk
(agents/llm/plain_completions.py) and still put on the wire exactly what the SDK's own
``create`` makes of the same arguments: same JSON body, same headers. The arguments are
langchain-openai's, recorded during a real order conversation (system prompt, tool
definitions, tool calls, tool results and a tool error in the history)."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import openai
import pytest

from agents.llm import LLMConfig, LLMResponder
from agents.llm.plain_completions import PlainCompletions
from agents.llm.responder import chat_model
from tests.agents.conftest import BUYER, Catalogue, Chat, make_conversation
from tests.fakes.openai_server import Call, FakeOpenAI, RecordedRequest, Text, ToolCalls
from tools.runner import ToolRunner

# Headers that differ between two requests whatever sent them.
VARYING = {"content-length", "x-stainless-retry-count", "x-stainless-read-timeout"}


class Recording(PlainCompletions):
    """Ours, keeping a copy of the arguments langchain-openai called it with."""

    calls: list[dict[str, Any]]

    async def create(self, **params: Any) -> Any:
        self.calls.append(copy.deepcopy(params))
        return await super().create(**params)


@pytest.fixture
async def recorded(
    llm_config: LLMConfig, runner: ToolRunner
) -> AsyncIterator[tuple[LLMResponder, Recording]]:
    http = openai.DefaultAsyncHttpxClient(timeout=llm_config.timeout_seconds)
    model = chat_model(llm_config, http)
    assert isinstance(model.async_client, PlainCompletions)  # what production builds
    recording = Recording(model.root_async_client)
    recording.calls = []
    model.async_client = recording
    responder = LLMResponder(llm_config, runner, model=model)
    yield responder, recording
    await http.aclose()


async def test_agent_requests_are_what_the_sdk_itself_would_send(
    recorded: tuple[LLMResponder, Recording],
    customers: tuple[int, int],
    db: Any,
    catalogue: Catalogue,
    fake_openai: FakeOpenAI,
) -> None:
    responder, recording = recorded
    chat = Chat(responder, customers[0], await make_conversation(db, customers[0]))
    fake_openai.script(
        ToolCalls(Call("search_products", {"query": "áo thun"})),
        ToolCalls(
            Call("quote_order", {"lines": [{"sku": "AT01-DEN-M", "quantity": 1}]}),
            Call("get_product", {"product_id": 10**9}),  # a tool error in the history too
        ),
        Text("1 áo thun đen M: 180000đ. Bạn cho shop xin tên, SĐT và địa chỉ nhé?"),
        ToolCalls(Call("place_order", {"lines": [{"sku": "AT01-DEN-M", "quantity": 1}], **BUYER})),
    )
    await chat.say("Lấy mình 1 áo thun đen size M")
    done = await chat.say("Lan 0901234567, 12 Lê Lợi, Bến Nghé, Quận 1, TP HCM")
    assert done.replies[0].card is not None
    ours = list(fake_openai.requests)
    assert len(ours) == len(recording.calls) == 4
    assert sum(m.get("role") == "tool" for m in ours[2].messages) == 3  # search, quote, error

    fake_openai.reset()
    fake_openai.script(*[Text("ok")] * len(ours))
    sdk = openai.AsyncOpenAI(
        base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0
    )
    try:
        for params in recording.calls:  # the SDK's own path, as langchain-openai calls it
            await sdk.chat.completions.with_raw_response.create(**params)
    finally:
        await sdk.close()
    theirs = list(fake_openai.requests)

    assert [r.body for r in ours] == [r.body for r in theirs]
    for mine, sdks in zip(ours, theirs, strict=True):
        assert _stable(mine) == _stable(sdks)


def _stable(request: RecordedRequest) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k not in VARYING}
