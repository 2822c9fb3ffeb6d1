"""Process-wide runtime settings of the LangChain stack that cost every customer turn.

``create_agent`` wraps each ``awrap_model_call`` middleware in LangSmith's ``traceable``. Even
with tracing off, every wrapped call hands its run bookkeeping (``_setup_run`` before,
``_on_run_end`` after) to the default thread pool, and runs the middleware in a new task: two
thread round trips per middleware per model call, six per call with our three. Under load
each round trip waits for the GIL and for a free pool thread behind everything else, which
is latency the customer sees for work that, untraced, is a few dictionary look-ups.

LangSmith's documented hook for this (``langsmith.set_runtime_overrides(aio_to_thread=...)``,
made for runtimes without ``run_in_executor``) lets us run that bookkeeping inline while
tracing is off. When tracing is on (LANGSMITH_TRACING, or a traced caller) the default thread
hop is kept, so traces stay exactly as LangSmith makes them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

_installed = False


async def inline_unless_tracing(
    default: Callable[..., Awaitable[Any]],
    ctx: contextvars.Context,
    func: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """LangSmith's ``aio_to_thread`` override: ``func`` runs in ``ctx`` (as LangSmith requires,
    it reads its tracing state back from there), on this thread unless tracing is on."""
    from langsmith.utils import tracing_is_enabled

    if ctx.run(tracing_is_enabled):
        return await default(ctx, func, *args, **kwargs)
    return ctx.run(func, *args, **kwargs)


def install() -> bool:
    """Installs the override once per process (LangSmith's public setter; there is no public
    getter, so an override set by someone else in the same process is replaced). Returns
    whether ours is in place."""
    global _installed
    if _installed:
        return True
    import langsmith

    langsmith.set_runtime_overrides(aio_to_thread=inline_unless_tracing)
    _installed = True
    return True
