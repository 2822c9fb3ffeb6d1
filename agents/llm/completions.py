"""Chat completions posted as they are built, without the SDK's per-call rework.

ChatOpenAI builds the request body itself (messages, the tool schemas, the settings); the
openai SDK's ``chat.completions.create`` then walks the whole body again against its typed
parameters (``_transform``: about 200 nodes per call with our tools) and turns the answer
into a typed ``ChatCompletion`` that langchain-openai dumps straight back into a dict. In the
1,000-customer chat bench that walk and that round trip were a fifth of a chat turn's CPU.

``RawCompletions`` stands where ChatOpenAI expects the SDK's completions resource
(``async_client``, a constructor argument): it sends the body through the same SDK client's
public ``post`` (its auth headers, timeout and error types: ``openai.APIStatusError`` for a
4xx/5xx, ``APIConnectionError``, ``APITimeoutError``, which agents.llm.retry reads) and
hands ChatOpenAI the answer's JSON as the dict it would have made of it. Streaming, which
the agents do not use, goes to the SDK unchanged.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import openai

PATH = "/chat/completions"


class RawResponse:
    """What ChatOpenAI reads of the SDK's raw response: the headers and ``parse()``."""

    def __init__(self, response: httpx2.Response) -> None:
        self.http_response = response
        self.headers = response.headers

    def parse(self) -> Any:
        return json.loads(self.http_response.content)


class RawCompletions:
    """``chat.completions`` for ChatOpenAI's ``async_client``."""

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self.client = client
        self.with_raw_response = _WithRawResponse(self)

    async def create(self, **body: Any) -> Any:
        if body.get("stream"):
            return await self.client.chat.completions.create(**body)
        return (await self.raw(body)).parse()

    async def raw(self, body: dict[str, Any]) -> RawResponse:
        response = await self.client.post(PATH, body=body, cast_to=httpx2.Response)
        return RawResponse(response)


class _WithRawResponse:
    def __init__(self, completions: RawCompletions) -> None:
        self._completions = completions

    async def create(self, **body: Any) -> Any:
        """A ``RawResponse``; streaming: the SDK's own raw response."""
        if body.get("stream"):
            return await self._completions.client.chat.completions.with_raw_response.create(**body)
        return await self._completions.raw(body)
