"""Chinese phone numbers: mobile, landline with area code, privacy numbers with an extension.

Pure: no I/O. `parse_phone` validates and gives one canonical text for storage:

- mobile          ``13812341234``
- landline        ``0578-8477454``, with an extension ``0578-8477454转123``
- privacy number  ``17012345678转1234`` (a platform's virtual number plus the extension that
  reaches this customer; files write it with ``-``, ``转``, ``,`` or ``#``)

``+86`` / ``0086`` prefixes, spaces, full-width digits and the usual separators are accepted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    PRIVACY = "privacy"


class PhoneError(ValueError):
    """Not a phone number we can call; the message says what was expected."""


EXTENSION_MARK = "转"

_EXT_SEP = r"(?:-|转|,|#|ext\.?|x)"
_COUNTRY = r"(?:\+86|0086|86)?-?"
_MOBILE_RE = re.compile(rf"^{_COUNTRY}(1[3-9]\d)-?(\d{{4}})-?(\d{{4}})(?:{_EXT_SEP}(\d{{1,6}}))?$")
# Area codes: 010 and 02x have three digits, every other one four (0xxx). Local numbers 7-8 digits
# and never start with 0 or 1.
_LANDLINE_RE = re.compile(
    rf"^(?:(?:\+86|0086)-?\(?0?|\(?0)(10|2\d|[3-9]\d{{2}})\)?-?([2-9]\d{{6,7}})(?:{_EXT_SEP}(\d{{1,6}}))?$"
)
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−－"), "-")  # noqa: RUF001 - the dashes people type, on purpose


@dataclass(frozen=True)
class PhoneNumber:
    kind: PhoneKind
    number: str  # mobile digits, or area code + "-" + local number
    extension: str | None = None

    @property
    def text(self) -> str:
        """The canonical form stored on the order."""
        return self.number + (EXTENSION_MARK + self.extension if self.extension else "")

    def masked(self) -> str:
        if self.kind is PhoneKind.LANDLINE and "-" in self.number:
            area, local = self.number.split("-", 1)
            main = f"{area}-{'*' * (len(local) - 4)}{local[-4:]}"
        else:
            main = f"{self.number[:3]}****{self.number[-4:]}"
        return main + (EXTENSION_MARK + "*" * len(self.extension) if self.extension else "")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_DASHES).strip().lower()
    # Excel's keep-as-text wrapper ="..." and a leading apostrophe or tab.
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    text = text.lstrip("'")
    text = re.sub(r"\s+", "", text)
    return text


def parse_phone(value: str | int) -> PhoneNumber:
    """Validate a phone number; raises PhoneError naming what is accepted."""
    if isinstance(value, bool):
        raise PhoneError("not a phone number")
    if (
        type(value) is str and len(value) == 11 and value[0] == "1" and value[1] in "3456789"
        and value.isascii() and value.isdigit()
    ):  # fmt: skip
        return PhoneNumber(PhoneKind.MOBILE, value)  # the everyday case, without regular expressions
    text = _clean(str(value))
    if not text:
        raise PhoneError("empty phone number")
    m = _MOBILE_RE.match(text)
    if m:
        number = m.group(1) + m.group(2) + m.group(3)
        ext = m.group(4)
        return PhoneNumber(PhoneKind.PRIVACY if ext else PhoneKind.MOBILE, number, ext)
    m = _LANDLINE_RE.match(text)
    if m:
        area, local, ext = "0" + m.group(1), m.group(2), m.group(3)
        return PhoneNumber(PhoneKind.LANDLINE, f"{area}-{local}", ext)
    raise PhoneError(
        "expected a mobile number (11 digits starting with 1), a landline with area code "
        "(0578-8477454) or a privacy number with extension (17012345678转1234)"
    )


def is_valid_phone(value: str) -> bool:
    try:
        parse_phone(value)
    except PhoneError:
        return False
    return True


def normalize_phone(value: str | int) -> str:
    return parse_phone(value).text


def mask_phone(value: str | None) -> str:
    """``13812341234`` → ``138****1234``; anything we cannot parse still shows only its ends."""
    if not value:
        return ""
    try:
        return parse_phone(value).masked()
    except PhoneError:
        digits = [c for c in str(value) if c.isdigit()]
        if len(digits) >= 8:
            return "".join(digits[:3]) + "****" + "".join(digits[-4:])
        if len(digits) > 2:
            return "*" * (len(digits) - 2) + "".join(digits[-2:])
        return "*" * len(digits)
