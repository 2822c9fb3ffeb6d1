"""CSV files as Excel and Google Sheets read and write them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from core.catalog_rows.cells import is_blank
from core.catalog_rows.columns import MAX_ROWS
from core.errors import InvalidInput


def read_csv(data: bytes) -> list[list[str]]:
    """Rows of a CSV file as Excel and Google Sheets write it: UTF-8 with or without the BOM
    Excel adds (or UTF-16 from "Unicode text"), comma, semicolon (Excel with a Vietnamese or
    European locale) or tab between cells. Records with line breaks inside quotes count as one
    row, as the spreadsheet shows them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(
                "The CSV file is not UTF-8. In Excel use Save As > 'CSV UTF-8 (Comma "
                "delimited)', or upload the .xlsx file.",
                field="content_base64",
                code="bad_encoding",
            ) from None
    if "\x00" in text:
        raise InvalidInput(
            "That does not look like a CSV file.", field="content_base64", code="bad_file"
        )
    first_line = next(iter(text.splitlines()), "")
    delimiter = max(",;\t", key=lambda d: len(next(csv.reader([first_line], delimiter=d), [])))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[str]] = []
    filled = 0
    for record in reader:
        rows.append(record)
        filled += not is_blank(record)
        if filled > MAX_ROWS + 1:
            raise InvalidInput(
                f"The file has more than {MAX_ROWS} rows; split it.",
                field="content_base64",
                code="too_many_rows",
            )
    return rows


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a BOM so Excel shows Vietnamese correctly when the file is double-clicked."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    return buffer.getvalue().encode("utf-8-sig")
