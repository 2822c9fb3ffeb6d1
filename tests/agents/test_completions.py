"""ChatOpenAI's completions go out as it built them (agents.llm.completions), through the SDK
client's public ``post``: the fake OpenAI server sees the same authenticated, well-formed
request, the answer (text or tool calls) comes back as the same message, and a refusal is
the SDK's own error type, which the retry middleware and the breaker read."""

from __future__ import annotations

import dataclasses

import httpx2
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool

from agents.llm import LLMConfig
from agents.llm.completions import RawCompletions
from agents.llm.responder import chat_model, llm_http_client
from tests.fakes.openai_server import Call, Fail, FakeOpenAI, Text, ToolCalls


@tool
def find_products(query: str) -> str:
    """Search the catalogue."""
    return query


async def _model(config: LLMConfig) -> tuple[object, httpx2.AsyncClient]:
    client = llm_http_client(config)  # the responder's own client
    return chat_model(config, client), client


async def test_a_text_answer_comes_back_from_the_body_chatopenai_built(
    llm_config: LLMConfig, fake_openai: FakeOpenAI
) -> None:
    model, client = await _model(llm_config)
    try:
        assert isinstance(model.async_client, RawCompletions)  # type: ignore[attr-defined]
        fake_openai.script(Text("Dạ, shop còn hàng ạ."))
        answer = await model.ainvoke(  # type: ignore[attr-defined]
            [SystemMessage("Bạn là trợ lý bán hàng."), HumanMessage("còn áo thun không?")]
        )
    finally:
        await client.aclose()
    assert isinstance(answer, AIMessage)
    assert answer.content == "Dạ, shop còn hàng ạ."
    assert answer.response_metadata["model_name"]
    (request,) = fake_openai.requests
    assert request.headers["authorization"] == f"Bearer {fake_openai.api_key}"
    assert request.body["model"] == "gpt-test"
    assert request.body["temperature"] == 0.2
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]
    assert request.last_user_text() == "còn áo thun không?"


async def test_tool_calls_and_the_offered_tools_travel_unchanged(
    llm_config: LLMConfig, fake_openai: FakeOpenAI
) -> None:
    model, client = await _model(llm_config)
    try:
        bound = model.bind_tools([find_products])  # type: ignore[attr-defined]
        fake_openai.script(ToolCalls(Call("find_products", {"query": "áo thun"})))
        answer = await bound.ainvoke([HumanMessage("tìm áo thun")])
    finally:
        await client.aclose()
    assert fake_openai.requests[0].tool_names == ["find_products"]
    assert [(c["name"], c["args"]) for c in answer.tool_calls] == [
        ("find_products", {"query": "áo thun"})
    ]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (401, openai.AuthenticationError),
    ],
)
async def test_a_refusal_is_the_sdks_error_type(
    llm_config: LLMConfig, fake_openai: FakeOpenAI, status: int, error: type[Exception]
) -> None:
    model, client = await _model(llm_config)
    try:
        fake_openai.script(Fail(status=status, type="error", retry_after=0.01))
        with pytest.raises(error) as caught:
            await model.ainvoke([HumanMessage("xin chào")])  # type: ignore[attr-defined]
    finally:
        await client.aclose()
    assert caught.value.status_code == status  # type: ignore[attr-defined]


async def test_an_unreachable_server_is_a_connection_error(llm_config: LLMConfig) -> None:
    config = dataclasses.replace(llm_config, base_url="http://127.0.0.1:9/v1")
    model, client = await _model(config)
    try:
        with pytest.raises(openai.APIConnectionError):
            await model.ainvoke([HumanMessage("xin chào")])  # type: ignore[attr-defined]
    finally:
        await client.aclose()
