"""VietQR: the bank-transfer QR code every Vietnamese banking app scans (NAPAS 247 transfer to
an account), so a customer pays the exact amount with the order number as the note.

The payload is EMVCo merchant-presented QR text: tag, two-digit length, value, nested for the
templates, ending with a CRC-16/CCITT-FALSE over everything before it (``6304`` included).
Tag 38 carries the NAPAS application id (A000000727), the beneficiary (bank BIN and account)
and the service "QRIBFTTA" (transfer to an account); 53 is the currency (704, đồng), 54 the
amount, 58 the country, 62/08 the transfer note. With an amount the code is dynamic ("12"),
without one static ("11").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import InvalidInput
from core.text import fold

NAPAS_AID = "A000000727"
TO_ACCOUNT = "QRIBFTTA"
NOTE_MAX = 25  # characters the transfer note field takes; banks show it on the statement
_BIN = re.compile(r"^\d{6}$")
_ACCOUNT = re.compile(r"^[0-9A-Za-z]{1,19}$")
_NOTE_CHARS = re.compile(r"[^0-9A-Za-z ]+")


@dataclass(frozen=True, slots=True)
class BankAccount:
    """Where customers transfer money: shown in chat and encoded in the QR code."""

    bin: str  # the bank's 6-digit NAPAS BIN, e.g. 970436 for Vietcombank
    account_number: str
    account_name: str  # the holder, as the bank shows it (upper case, no accents)
    bank_name: str = ""  # for people, e.g. "Vietcombank"

    def __post_init__(self) -> None:
        if not _BIN.match(self.bin):
            raise InvalidInput("A bank BIN is 6 digits (e.g. 970436).", field="bank_bin")
        if not _ACCOUNT.match(self.account_number):
            raise InvalidInput(
                "An account number is 1 to 19 letters or digits.", field="bank_account_number"
            )
        if not self.account_name.strip():
            raise InvalidInput("The account holder's name is missing.", field="bank_account_name")


def bank_account(
    bank_bin: str | None,
    account_number: str | None,
    account_name: str | None,
    bank_name: str = "",
) -> BankAccount | None:
    """The account from settings as given (blanks trimmed); None unless all three are set.
    Raises InvalidInput naming the setting for a malformed one."""
    parts = [(x or "").strip() for x in (bank_bin, account_number, account_name)]
    if not all(parts):
        return None
    return BankAccount(
        bin=parts[0], account_number=parts[1], account_name=parts[2], bank_name=bank_name.strip()
    )


def transfer_note(text: str) -> str:
    """What banks accept in the note: letters, digits and spaces, no accents, 25 at most."""
    plain = _NOTE_CHARS.sub(" ", fold(text).upper())
    return " ".join(plain.split())[:NOTE_MAX].strip()


def vietqr_payload(account: BankAccount, amount: int | None = None, note: str = "") -> str:
    if amount is not None and amount <= 0:
        raise ValueError("a QR amount is a positive number of đồng")
    beneficiary = _tlv("00", account.bin) + _tlv("01", account.account_number)
    fields = [
        _tlv("00", "01"),
        _tlv("01", "12" if amount else "11"),
        _tlv("38", _tlv("00", NAPAS_AID) + _tlv("01", beneficiary) + _tlv("02", TO_ACCOUNT)),
        _tlv("53", "704"),
    ]
    if amount:
        fields.append(_tlv("54", str(amount)))
    fields.append(_tlv("58", "VN"))
    clean = transfer_note(note)
    if clean:
        fields.append(_tlv("62", _tlv("08", clean)))
    body = "".join(fields) + "6304"
    return body + crc16_ccitt_false(body)


def is_payload(text: str) -> bool:
    """An EMVCo QR payload with a correct checksum (what the chat may draw as a code)."""
    return (
        text.startswith("000201")
        and len(text) <= 512
        and text[-8:-4] == "6304"
        and crc16_ccitt_false(text[:-4]) == text[-4:]
    )


def crc16_ccitt_false(text: str) -> str:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF), as four upper-case hex digits."""
    crc = 0xFFFF
    for byte in text.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"QR field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"
