"""Chat completions that send langchain-openai's request body as it is.

The openai SDK's ``create`` first walks the whole request (every message, every tool schema)
against its TypedDicts, to apply key aliases and date or file formats. Chat-completion
requests have none of those (no ``PropertyInfo`` alias or format in their parameter types),
and the body langchain-openai builds is plain JSON already, so the walk returns what it was
given: it only costs CPU, 0.7 ms per model call with one history message and 2.2 ms with a
full window of 13 on the bench machine, about a tenth of a chat turn. This subclass skips
that walk and nothing else: authentication, headers, timeouts, the HTTP call and parsing into
``ChatCompletion`` are the SDK's own ``_post``. Streaming and structured-output requests go
through the SDK's path unchanged.

tests/agents/test_plain_completions.py replays real agent requests through both paths and
compares the bytes on the wire, so an SDK upgrade that changes what the walk does fails there.
"""

from __future__ import annotations

from typing import Any

import httpx2
from openai import AsyncStream
from openai._base_client import make_request_options
from openai._types import NOT_GIVEN, Body, Headers, NotGiven, Query
from openai._utils import is_given
from openai.resources.chat.completions import AsyncCompletions
from openai.types.chat import ChatCompletion, ChatCompletionChunk


class PlainCompletions(AsyncCompletions):
    async def create(  # type: ignore[override]
        self,
        *,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx2.Timeout | NotGiven | None = NOT_GIVEN,  # noqa: ASYNC109 (the SDK's signature)
        **params: Any,
    ) -> Any:
        if params.get("stream") or is_given(params.get("response_format", NOT_GIVEN)):
            return await super().create(
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
                **params,
            )
        return await self._post(
            "/chat/completions",
            body={key: value for key, value in params.items() if is_given(value)},
            options=make_request_options(
                extra_headers=extra_headers,
                extra_query=extra_query,
                extra_body=extra_body,
                timeout=timeout,
                security={"bearer_auth": True},
            ),
            cast_to=ChatCompletion,
            stream=False,
            stream_cls=AsyncStream[ChatCompletionChunk],
        )
