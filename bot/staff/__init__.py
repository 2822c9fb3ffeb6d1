"""The staff page at ``/staff``: order cards, the handoff inbox and commands in the browser."""

from bot.staff.router import staff_router

__all__ = ["staff_router"]
