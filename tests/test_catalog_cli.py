"""`shopbot catalog import/export` end to end against a temporary SQLite database.

The commands only read and write files and call import_catalog / export_catalog by name with
base64 content, so this checks the wiring a seller uses: files in and out, JSON on stdout,
refusals with exit code 2 and the bad rows listed.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from bot.cli import app

HEADER = "Mã SP;Tên sản phẩm;Danh mục;Thuộc tính 1;Giá trị 1;Mã SKU;Giá bán;Thuế GTGT;Tồn kho HCM"
ROWS = [
    "AT01;Áo thun cotton;Áo;Size;M;AT01-M;150.000đ;10%;12",
    "AT01;Áo thun cotton;Áo;Size;L;AT01-L;150.000đ;10%;8",
    "NB01;Nón bảo hiểm;Phụ kiện;;;NB01;199.000;8;5",
]


@pytest.fixture
def run(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    db = tmp_path / "cli.db"
    shutil.copy(sqlite_template, db)
    for name in ("SHOPBOT_LOG_LEVEL", "SHOPBOT_PORT"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, code: int = 0) -> Any:
        result: Result = CliRunner().invoke(
            app, list(args), env={"SHOPBOT_DATABASE_URL": f"sqlite:///{db}"}
        )
        assert "Traceback" not in result.output
        assert result.exit_code == code, result.output
        return json.loads(result.stdout)

    invoke("tool", "call", "create_warehouse", "--args", '{"code": "HCM", "name": "Kho HCM"}')
    return invoke


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_bytes("\n".join([HEADER, *lines, ""]).encode("utf-8-sig"))
    return path


def test_import_export_round_trip_through_the_cli(run: Any, tmp_path: Path) -> None:
    out = run("catalog", "import", str(write_csv(tmp_path / "sản phẩm.csv", ROWS)))
    assert (out["products_created"], out["variants_created"], out["stock_rows_set"]) == (2, 3, 3)
    assert out["errors"] == []

    exported = run("catalog", "export", str(tmp_path / "catalog.xlsx"))
    assert (exported["format"], exported["rows"], exported["products"]) == ("xlsx", 3, 2)
    assert "content_base64" not in exported
    ws = load_workbook(io.BytesIO((tmp_path / "catalog.xlsx").read_bytes())).worksheets[0]
    assert [c.value for c in ws[1]][-1] == "stock_HCM"
    assert ws.cell(row=2, column=1).value == "AT01"

    again = run("catalog", "import", str(tmp_path / "catalog.xlsx"))
    assert (again["products_updated"], again["variants_updated"], again["stock_rows_set"]) == (
        0,
        0,
        0,
    )
    assert again["variants_unchanged"] == 3

    as_csv = run("catalog", "export", str(tmp_path / "catalog.csv"))
    assert as_csv["format"] == "csv"
    assert (tmp_path / "catalog.csv").read_bytes().startswith("\ufeff".encode())


def test_bad_rows_exit_2_unless_skipped(run: Any, tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "bad.csv",
        [
            ROWS[0],
            "AT01;Áo thun cotton;Áo;Size;L;AT01-L;150.5;10%;8",  # row 3
            ROWS[2],
        ],
    )
    refused = run("catalog", "import", str(bad), code=2)
    assert refused["error"]["code"] == "bad_rows"
    errors = refused["error"]["details"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "Giá bán")]

    out = run("catalog", "import", str(bad), "--skip-bad-rows")
    assert (out["rows_imported"], out["rows_skipped"], out["variants_created"]) == (2, 1, 2)
    assert [e["row"] for e in out["errors"]] == [3]
