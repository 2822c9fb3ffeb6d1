"""The lines a return receipt names, matched to the return's lines: shared by receiving goods
and by settling a return without them."""

from __future__ import annotations

from core.errors import InvalidInput, NotFound
from storage.models import OrderLine, ReturnLine, ReturnRequest
from storage.returns import ReturnLineRow
from tools.returns.schemas import ReceiveReturnLineIn


def nothing_received(ret: ReturnRequest) -> InvalidInput:
    return InvalidInput(
        f"Nothing was received on {ret.number}. If the buyer is refunded although the goods "
        "will not come back (lost on the way back, the buyer keeps them, a marketplace ruling), "
        "call receive_return with nothing_came_back true and no_goods_reason; if the return is "
        "called off (no goods, no refund), cancel it with cancel_return.",
        field="lines",
        code="nothing_received",
    )


def receipt_lines(
    ret: ReturnRequest,
    by_id: dict[int, ReturnLineRow],
    lines: list[ReceiveReturnLineIn],
) -> list[tuple[int, ReceiveReturnLineIn, ReturnLine, OrderLine]]:
    """The listed lines with their return and order lines: each of the return, each once."""
    seen: set[int] = set()
    out = []
    for i, ln in enumerate(lines):
        row = by_id.get(ln.return_line_id)
        if row is None:
            raise NotFound(
                f"{ret.number} has no line {ln.return_line_id}.",
                field=f"lines.{i}.return_line_id",
                code="unknown_return_line",
            )
        if ln.return_line_id in seen:
            raise InvalidInput(
                f"Return line {ln.return_line_id} is given twice.",
                field=f"lines.{i}.return_line_id",
                code="duplicate_line",
            )
        seen.add(ln.return_line_id)
        out.append((i, ln, row.line, row.order_line))
    return out
