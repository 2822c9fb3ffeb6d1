"""storage.returns: typed values, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from storage import returns as store
from storage.database import Database
from tests.conftest import Caller
from tests.factories import (
    DEN,
    TRANG,
    delivered_order,
    make_stocked_shop,
    receive_one_line,
    request_return,
)


async def test_lines_claims_and_refunds_read_as_plain_values(db: Database, shop: Caller) -> None:
    await make_stocked_shop(shop)
    order = await delivered_order(shop, {DEN: 3, TRANG: 1})
    first = await request_return(shop, order["id"], {DEN: 2})
    await receive_one_line(shop, first, good=1)
    second = await request_return(shop, order["id"], {DEN: 1})
    [den_line] = [ln["id"] for ln in order["lines"] if ln["sku"] == DEN]
    async with db.transaction(write=False) as tx:
        [received] = await store.lines_of(tx, first["id"])
        [requested] = await store.lines_of(tx, second["id"])
        claims = await store.claims_of_order(tx, order["id"])
        by_line = await store.claims_of_order_lines(tx, [den_line])
        none = await store.claims_of_order_lines(tx, [])
        refunded = await store.refunded_total(tx, order["id"])
        ret = await store.return_as_stored(tx, first["id"])
        listed = await store.returns_listed(
            tx,
            customer_id=None,
            order_id=order["id"],
            status="received",
            refund_status=None,
            limit=5,
        )
    assert (received.line.good, received.warehouse_code) == (1, "HCM")
    assert requested.warehouse_code is None  # nothing came back yet
    # In return order, the order the cumulative refund counts them in.
    assert [(c.return_id, c.claimed) for c in claims[den_line]] == [
        (first["id"], 1),
        (second["id"], 1),
    ]
    assert by_line == claims
    assert none == {}
    assert refunded == 0
    assert type(refunded) is int
    assert ret is not None
    assert ret.received_at is not None
    assert ret.received_at.tzinfo is not None
    assert [r.id for r, _ in listed] == [first["id"]]
