"""Returns (trả hàng) of delivered goods: the request, the goods coming back, the refund.

Only delivered or completed orders take returns. A parcel that never reached the buyer
(delivery_failed) is not a return: setting that order to ``returned`` puts the whole parcel back
in stock through the order state machine. Rules for quantities and money are in core.returns;
which status allows which step in core.return_status.

A return the buyer is refunded for although nothing comes back ("chỉ hoàn tiền", refund only:
the parcel was lost on the way back, the buyer keeps a cheap item, a marketplace ruled for the
buyer) is received with ``nothing_came_back`` and a reason: it becomes ``refund_only``, its
units count as returned (no other return can claim them), no stock moves, the order's status is
left alone (the goods did not come back), and it is refunded like any other return
(tools.returns.settling).

The registry collects the tools imported here.
"""

from __future__ import annotations

from tools.returns.reading import get_return, list_returns
from tools.returns.receiving import receive_return
from tools.returns.refunds import refund_return
from tools.returns.requesting import cancel_return, create_return
from tools.returns.schemas import ReturnOut, ReturnStatus

__all__ = [
    "ReturnOut",
    "ReturnStatus",
    "cancel_return",
    "create_return",
    "get_return",
    "list_returns",
    "receive_return",
    "refund_return",
]
