"""The customer web chat: a static page at ``/`` and ``/api/chat/*`` on the conversation service."""

from bot.web.router import chat_router

__all__ = ["chat_router"]
