from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.tax_code import check_digit, normalise_tax_code


@pytest.mark.parametrize(
    "code",
    [
        "0300588569",  # Vinamilk
        "0101248141",  # FPT
        "0100109106",  # Viettel
        "0100112437",  # Vietcombank
    ],
)
def test_real_tax_codes_pass_the_check_digit(code: str) -> None:
    assert normalise_tax_code(code) == code


def test_branch_suffix_and_spaces() -> None:
    assert normalise_tax_code(" 0300588569 - 001 ") == "0300588569-001"
    assert normalise_tax_code("0300 588 569") == "0300588569"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "030058856",
        "03005885690",
        "0300588568",
        "0300588569-01",
        "0300588569-000",
        "0300588569/001",
        "03OO588569",
        "0123456789",
    ],
)
def test_malformed_or_mistyped_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        normalise_tax_code(bad, field="tax_code")
    assert err.value.code == "invalid_tax_code"
    assert err.value.field == "tax_code"


def test_check_digit_of_ten_is_never_issued() -> None:
    # 9 digits whose weighted sum is 0 mod 11 would need check digit 10.
    assert check_digit("000000000") is None
    assert check_digit("030058856") == 9
