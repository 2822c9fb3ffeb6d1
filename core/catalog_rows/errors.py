"""Problems found in a file, located as the seller sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    """One problem, located as the seller sees it: spreadsheet row (header = 1) and column
    header as written in the file."""

    row: int
    column: str
    message: str
    code: str = "invalid_row"


class CellError(ValueError):
    """A cell that cannot be read as what its column holds."""

    def __init__(self, message: str, code: str = "invalid_value") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
