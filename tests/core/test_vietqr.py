"""VietQR payloads that banking apps accept: checked against published reference strings
(the CRC, the field layout) and read back field by field."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from core.vietqr import BankAccount, crc16_ccitt_false, transfer_note, vietqr_payload

ACCOUNT = BankAccount(bin="970415", account_number="113366668888", account_name="NGUYEN VAN A")


def fields(payload: str) -> dict[str, str]:
    out, i = {}, 0
    while i < len(payload):
        tag, size = payload[i : i + 2], int(payload[i + 2 : i + 4])
        out[tag] = payload[i + 4 : i + 4 + size]
        i += 4 + size
    return out


@pytest.mark.parametrize(
    "reference",
    [
        # giautm/emvqr-go's test vectors (a static code with an amount, and a dynamic one)
        "00020101021138560010A0000007270126000697041501121133666688880208QRIBFTTA"
        "54057000153037045802VN6304ED54",
        "00020101021262110807tien le38560010A0000007270126000697041501121133666688880208"
        "QRIBFTTA5303704540460005802VN63046893",
    ],
)
def test_the_crc_matches_published_codes(reference: str) -> None:
    assert crc16_ccitt_false(reference[:-4]) == reference[-4:]


def test_a_code_for_an_order_reads_back_its_fields() -> None:
    payload = vietqr_payload(ACCOUNT, 330_000, "DH000123")
    assert payload == (
        "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA"
        "530370454063300005802VN62120808DH000123"
        "6304" + crc16_ccitt_false(payload[:-4])
    )
    top = fields(payload)
    assert (top["01"], top["53"], top["54"], top["58"]) == ("12", "704", "330000", "VN")
    merchant = fields(top["38"])
    assert merchant["00"] == "A000000727"
    assert fields(merchant["01"]) == {"00": "970415", "01": "113366668888"}
    assert merchant["02"] == "QRIBFTTA"
    assert fields(top["62"]) == {"08": "DH000123"}


def test_without_an_amount_the_code_is_static_and_has_no_amount() -> None:
    top = fields(vietqr_payload(ACCOUNT))
    assert top["01"] == "11"
    assert "54" not in top
    assert "62" not in top


def test_the_note_is_what_banks_accept() -> None:
    assert transfer_note("Thanh toán đơn DH000123!") == "THANH TOAN DON DH000123"
    assert len(transfer_note("x" * 80)) == 25


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bin": "97041"}, "bank_bin"),
        ({"account_number": "1133-6666"}, "bank_account_number"),
        ({"account_number": "1" * 20}, "bank_account_number"),
        ({"account_name": " "}, "bank_account_name"),
    ],
)
def test_a_wrong_account_is_refused_naming_the_setting(changes: dict[str, str], field: str) -> None:
    values = {"bin": "970415", "account_number": "113366668888", "account_name": "A"} | changes
    with pytest.raises(InvalidInput) as err:
        BankAccount(**values)
    assert err.value.field == field
