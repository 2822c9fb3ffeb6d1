"""Reading and writing the seller's file: format by extension, base64 content, CSV and
Excel grids, and a sheet a seller can work in."""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Sequence

from core.catalog_rows import (
    MAX_COLUMNS,
    MAX_ROWS,
    MONEY_COLUMNS,
    QUANTITY_COLUMNS,
    STOCK_PREFIX,
    is_blank,
    read_csv,
)
from core.errors import InvalidInput
from tools.catalog_io.schemas import FORMATS, MAX_FILE_BYTES, Format


def format_of(filename: str) -> Format:
    """The extension decides: sellers know their file by its name, and sniffing an Excel file
    that was renamed .csv would only hide the mistake."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix in FORMATS:
        return FORMATS[suffix]
    hint = " Open it in Excel and save it as .xlsx." if suffix in (".xls", ".ods") else ""
    raise InvalidInput(
        f"{filename} is not a .csv or .xlsx file.{hint}",
        field="filename",
        code="unsupported_format",
    )


def decode_content(text: str) -> bytes:
    """Base64 (a data: URL prefix and line breaks are tolerated), at most MAX_FILE_BYTES."""
    body = text.strip()
    if body.startswith("data:") and "," in body:
        body = body.split(",", 1)[1]
    try:
        data = base64.b64decode(re.sub(r"\s+", "", body), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "content_base64 is not valid base64.", field="content_base64", code="bad_base64"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it.",
            field="content_base64",
            code="file_too_large",
        )
    if not data:
        raise InvalidInput("The file is empty.", field="content_base64", code="empty_file")
    return data


Grid = list[tuple[int, list[object]]]  # (spreadsheet row number, cells) of non-blank rows


def _trim(cells: Sequence[object]) -> list[object]:
    out = list(cells)
    while out and (out[-1] is None or (isinstance(out[-1], str) and not out[-1].strip())):
        out.pop()
    return out


def read_grid(fmt: Format, data: bytes) -> Grid:
    """The non-blank rows of the file with the row numbers the spreadsheet shows."""
    if fmt == "csv":
        if data.startswith(b"PK\x03\x04"):
            raise InvalidInput(
                "This is an Excel file; name it .xlsx.", field="filename", code="bad_file"
            )
        return [(i, _trim(r)) for i, r in enumerate(read_csv(data), start=1) if not is_blank(r)]
    return _read_xlsx(data)


def _read_xlsx(data: bytes) -> Grid:
    from openpyxl import load_workbook

    if not data.startswith(b"PK"):
        raise InvalidInput(
            "That is not an .xlsx file (an old .xls? Open it in Excel and save as .xlsx).",
            field="content_base64",
            code="bad_file",
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign zip
        raise InvalidInput(
            "The .xlsx file cannot be read; is it damaged or password protected?",
            field="content_base64",
            code="bad_file",
        ) from None
    grid: Grid = []
    try:
        ws = wb.worksheets[0]
        blank_run = 0
        for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            cells = _trim(values[: MAX_COLUMNS + 1])
            if is_blank(cells):
                blank_run += 1
                if grid and blank_run > 1000:  # formatting dragged far below the data
                    break
                continue
            blank_run = 0
            grid.append((number, cells))
            if len(grid) > MAX_ROWS + 1:
                raise InvalidInput(
                    f"The file has more than {MAX_ROWS} rows; split it.",
                    field="content_base64",
                    code="too_many_rows",
                )
    finally:
        wb.close()
    return grid


def write_xlsx(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """A sheet a seller can work in: bold frozen header with a filter, readable widths, money
    as integers shown with thousands separators, codes kept as text (leading zeros)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    def cell(value: object) -> object:
        # Control characters cannot be written to a sheet; data stored before the tools
        # refused them must not make the export fail for good.
        if isinstance(value, str):
            return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        return "" if value is None else value

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Sản phẩm"
    ws.append([cell(h) for h in header])
    for head in ws[1]:
        head.font = Font(bold=True)
        head.fill = PatternFill("solid", fgColor="DDEBF7")
    formats: dict[int, str] = {}
    for i, name in enumerate(header, start=1):
        if name in MONEY_COLUMNS or name in QUANTITY_COLUMNS or name.startswith(STOCK_PREFIX):
            formats[i] = "#,##0"
        elif name in ("product_code", "sku", "barcode") or name.startswith("value_"):
            formats[i] = "@"
    for r in rows:
        ws.append([cell(v) for v in r])
    for line in ws.iter_rows(min_row=2):
        for c in line:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"  # text, never a formula
            if c.column in formats:
                c.number_format = formats[c.column]
    for i, name in enumerate(header, start=1):
        longest = max([len(name), *(len(str(r[i - 1])) for r in rows[:1000] if r[i - 1])])
        if i in formats and formats[i] == "#,##0":
            longest += longest // 3
        ws.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 8), 50)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
