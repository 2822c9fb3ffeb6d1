"""Text hygiene and unknown fields, for every tool at any depth, on every surface: control
characters and misspelt fields are refused naming the full path; what the tools accept always
exports."""

from __future__ import annotations

import base64
import io
import typing
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import update

from core.errors import InvalidInput
from storage.database import Database
from storage.models import Product
from tests.conftest import SYSTEM, Caller
from tests.factories import ADDRESS
from tests.runtime.conftest import audit_of
from tests.test_http import Shop, error
from tools.registry import Registry, Tool
from tools.runner import ToolRunner


def string_path(model: type[BaseModel], path: str = "") -> tuple[str, Any] | None:
    """The deepest string field of a model, and arguments that put a value there."""
    best: tuple[str, Any] | None = None
    for name, info in model.model_fields.items():
        found = _string_in(info.annotation, f"{path}.{name}" if path else name)
        if found is not None and (best is None or found[0].count(".") > best[0].count(".")):
            best = (found[0], {name: found[1]})
    return best


def _string_in(annotation: Any, path: str) -> tuple[str, Any] | None:
    if annotation is str:
        return path, "\x00"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return string_path(annotation, path)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is list and args:
        inner = _string_in(args[0], f"{path}.0")
        return (inner[0], [inner[1]]) if inner else None
    for member in args:
        found = _string_in(member, path)
        if found is not None:
            return found
    return None


def tools_with_text(registry: Registry) -> list[tuple[Tool[Any, Any], str, dict[str, Any]]]:
    out = []
    for t in registry.all():
        found = string_path(t.input_model)
        if found is not None:
            out.append((t, found[0], found[1]))
    return out


async def test_every_tool_refuses_nul_in_its_deepest_text_field(
    runner: ToolRunner, registry: Registry
) -> None:
    cases = tools_with_text(registry)
    assert len(cases) > 40
    assert any(path.count(".") >= 2 for _, path, _ in cases)  # nested fields are covered
    shop = Caller(runner)
    for t, path, args in cases:
        with pytest.raises(InvalidInput) as refused:
            await shop(t.name, SYSTEM, **args)
        assert (refused.value.code, refused.value.field) == ("control_character", path), t.name


async def test_control_characters_are_refused_over_http_naming_the_field_and_audited(
    stocked: Shop, db: Database
) -> None:
    resp = await stocked.post(
        "create_product",
        {
            "code": "AT02",
            "name": "Áo",
            "variants": [{"sku": "AT02-1", "sale_price": 1000, "options": {"Màu": "Đ\x1ben"}}],
        },
    )
    assert resp.status_code == 422
    err = error(resp)
    assert err["code"] == "control_character"
    assert err["field"] == "variants.0.options.Màu"
    nul = await stocked.post("create_customer", {"name": "Lan\x00"})
    assert (nul.status_code, error(nul)["field"]) == (422, "name")
    audited = await audit_of(db, "create_customer")
    assert [(o, a["name"]) for o, _, a in audited] == [("control_character", "Lan\ufffd")]


async def test_line_breaks_are_kept_where_text_spans_lines(stocked: Shop) -> None:
    made = await stocked.post(
        "create_order",
        {
            "buyer_name": "Lan",
            "buyer_phone": "0912345678",
            "address": {**ADDRESS, "line": "12 Nguyễn Huệ\nLầu 3"},
            "note": "Giao giờ hành chính\r\n\tGọi trước",
            "lines": [{"sku": "AT01-DEN-M", "quantity": 1}],
        },
    )
    assert made.status_code == 200, made.text
    tab_in_name = await stocked.post("create_customer", {"name": "Lan\tAnh"})
    assert error(tab_in_name)["field"] == "name"


async def test_a_chat_message_with_nul_is_refused(stocked: Shop) -> None:
    resp = await stocked.client.post(
        "/api/chat/messages", json={"session_id": "s" * 24, "text": "xin chào\x00"}
    )
    assert resp.status_code == 422
    assert error(resp)["field"] == "text"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_export_never_fails_on_stored_control_characters(
    stocked: Shop, db: Database, fmt: str
) -> None:
    # Data written before the tools refused control characters (or by hand) still exports.
    async with db.transaction() as tx:
        await tx.session.execute(update(Product).values(name="Áo\x01 thun\x0b"))
    resp = await stocked.post("export_catalog", {"format": fmt})
    assert resp.status_code == 200, resp.text
    data = base64.b64decode(resp.json()["content_base64"])
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet is not None
        cells = [c.value for row in sheet.iter_rows() for c in row]
        assert "Áo\ufffd thun\ufffd" in cells
    else:
        assert "Áo\x01 thun" in data.decode("utf-8-sig")


async def test_unknown_nested_fields_are_refused_with_their_path(stocked: Shop) -> None:
    resp = await stocked.post(
        "create_product",
        {
            "code": "AT02",
            "name": "Áo",
            "variants": [
                {"sku": "AT02-1", "sale_price": 1000},
                {"sku": "AT02-2", "sale_price": 1000, "initial_stock": 5},
            ],
        },
    )
    assert resp.status_code == 422
    err = error(resp)
    assert (err["code"], err["field"]) == ("unknown_field", "variants.1.initial_stock")
    missing = await stocked.post("get_product", {"code": "AT02"})
    assert missing.status_code == 404
    deeper = await stocked.post(
        "create_order",
        {
            "buyer_name": "Lan",
            "address": {**ADDRESS, "streeet": "x"},
            "lines": [{"sku": "AT01-DEN-M", "quantity": 1}],
        },
    )
    assert (error(deeper)["code"], error(deeper)["field"]) == ("unknown_field", "address.streeet")
