"""Vietnamese phone numbers, parsed and normalised to E.164 with phonenumbers."""

from __future__ import annotations

import phonenumbers

from core.errors import InvalidInput


def normalise_phone(raw: str, *, field: str = "phone", region: str = "VN") -> str:
    """``0912 345 678``, ``+84912345678`` and ``84-912-345-678`` all give ``+84912345678``."""
    text = raw.strip()
    if text.startswith("84") and not text.startswith("+"):
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{raw}' is not a phone number.", field=field, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidInput(f"'{raw}' is not a valid phone number.", field=field, code="invalid_phone")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """National format for Vietnamese numbers (``0912 345 678``), international otherwise."""
    parsed = phonenumbers.parse(e164, None)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 84
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)
