"""The fake OpenAI server refuses what OpenAI refuses, in OpenAI's error shape, and fails the
test when its script is not used up exactly."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.openai_server import Call, FakeOpenAI, Text, ToolCalls

TOOL = {
    "type": "function",
    "function": {
        "name": "search_products",
        "description": "Find",
        "parameters": {"type": "object", "properties": {}},
    },
}


def _post(fake: FakeOpenAI, body: Any, key: str | None = "default") -> httpx.Response:
    headers = (
        {}
        if key is None
        else {"Authorization": f"Bearer {fake.api_key if key == 'default' else key}"}
    )
    return httpx.post(f"{fake.base_url}/chat/completions", json=body, headers=headers, timeout=5)


def _error(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert set(body["error"]) >= {"message", "type", "code"}
    return body["error"]  # type: ignore[no-any-return]


def test_a_missing_or_wrong_key_is_401(fake_openai: FakeOpenAI) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    for key in (None, "sk-wrong"):
        resp = _post(fake_openai, body, key)
        assert resp.status_code == 401
        assert _error(resp)["code"] == "invalid_api_key"
    assert fake_openai.requests == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
        ({"model": "m"}, "messages"),
        ({"model": "m", "messages": []}, "messages"),
        ({"model": "m", "messages": [{"role": "robot", "content": "hi"}]}, "role"),
        (
            {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [{"x": 1}]},
            "tools[0]",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": {"name": "bad name"}}],
            },
            "name",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "hi"}],
                "tools": [
                    {"type": "function", "function": {"name": "t", "parameters": {"type": "array"}}}
                ],
            },
            "schema",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "tool", "tool_call_id": "c1", "content": "x"},
                ],
            },
            "tool",
        ),
        (
            {
                "model": "m",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "c1",
                                "type": "function",
                                "function": {"name": "t", "arguments": "{}"},
                            }
                        ],
                    },
                    {"role": "user", "content": "and?"},
                ],
            },
            "c1",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temprature": 1},
            "temprature",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 3},
            "temperature",
        ),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": "hi"}],
                "tool_choice": {"type": "function", "function": {"name": "nope"}},
            },
            "tool_choice",
        ),
    ],
)
def test_requests_openai_refuses_are_400(
    fake_openai: FakeOpenAI, body: dict[str, Any], fragment: str
) -> None:
    resp = _post(fake_openai, body)
    assert resp.status_code == 400
    err = _error(resp)
    assert err["type"] == "invalid_request_error"
    assert fragment in err["message"] or fragment in (err.get("param") or "")
    assert fake_openai.requests == []  # refused requests consume no step


def test_scripted_steps_come_back_in_openais_response_schema(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        ToolCalls(Call("search_products", {"query": "áo"}, id="call_1")), Text("Xin chào")
    )
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [TOOL]}

    first = _post(fake_openai, body).json()
    assert first["object"] == "chat.completion"
    choice = first["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "search_products", "arguments": '{"query": "áo"}'},
        }
    ]
    assert set(first["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}

    second = _post(fake_openai, body).json()
    assert second["choices"][0]["message"]["content"] == "Xin chào"
    assert second["choices"][0]["finish_reason"] == "stop"
    assert len(fake_openai.requests) == 2
    assert fake_openai.requests[0].tool_names == ["search_products"]


def test_a_request_with_no_step_left_fails_the_test(fake_openai: FakeOpenAI) -> None:
    resp = _post(fake_openai, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 500
    with pytest.raises(pytest.fail.Exception, match="no scripted step left"):
        fake_openai.verify()
    fake_openai.reset()


def test_an_unused_step_fails_the_test(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Text("never asked"))
    with pytest.raises(pytest.fail.Exception, match="left unused"):
        fake_openai.verify()
    fake_openai.reset()


def test_calling_a_tool_the_request_did_not_offer_is_a_script_error(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(ToolCalls(Call("adjust_stock")))
    _post(
        fake_openai,
        {"model": "m", "messages": [{"role": "user", "content": "hi"}], "tools": [TOOL]},
    )
    with pytest.raises(pytest.fail.Exception, match="did not offer"):
        fake_openai.verify()
    fake_openai.reset()


def test_a_conversation_answers_each_chat_by_its_tool_round() -> None:
    """The benchmarks' model (--script): the step follows the tool rounds since the user's
    last message, ids are copied from earlier tool results, then the default text answers;
    a reference to a result the request lacks is a problem, not a made-up value."""
    from tests.fakes.openai_server import Conversation, running_server

    steps = [
        {"calls": [{"name": "search_products", "arguments": {"query": "áo"}}]},
        {"calls": [{"name": "get_product", "arguments": {"id": "$search_products:hits.1.id"}}]},
    ]
    with running_server() as server:
        fake = server.fake
        fake.default = Text("Dạ")
        fake.conversation = Conversation(steps, latency=0)
        get = {"type": "function", "function": {**TOOL["function"], "name": "get_product"}}
        offered: dict[str, Any] = {"model": "m", "tools": [TOOL, get]}
        user = {"role": "user", "content": "áo thun"}
        first = _post(fake, {**offered, "messages": [user]}).json()
        call = first["choices"][0]["message"]["tool_calls"][0]
        assert call["function"]["name"] == "search_products"
        asked = {"role": "assistant", "content": None, "tool_calls": [call]}
        result = {"hits": [{"id": 7}, {"id": 9}]}
        answered = {"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result)}
        second = _post(fake, {**offered, "messages": [user, asked, answered]}).json()
        got = second["choices"][0]["message"]["tool_calls"][0]["function"]
        assert (got["name"], json.loads(got["arguments"])) == ("get_product", {"id": 9})
        rounds = [user, asked, answered, asked | {"tool_calls": [call | {"id": "c2"}]}]
        rounds.append({"role": "tool", "tool_call_id": "c2", "content": "{}"})
        third = _post(fake, {**offered, "messages": rounds}).json()
        assert third["choices"][0]["message"]["content"] == "Dạ"
        # A new user message starts the conversation over.
        again = _post(fake, {**offered, "messages": [*rounds, user]}).json()
        assert again["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == (
            "search_products"
        )
        assert fake.stats()["problems"] == []
        missing = [user, asked, {**answered, "content": "{}"}]
        assert _post(fake, {**offered, "messages": missing}).status_code >= 400
        assert "conversation step failed" in fake.stats()["problems"][0]
