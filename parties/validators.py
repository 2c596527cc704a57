"""The rule for a person's name and job title, the same wherever one is set: every form, every
service, the admin (through the model fields).

Names reach emails and pages that other people read, so they hold only what names are made of:
letters (any alphabet, with their accents), spaces, hyphens, apostrophes and full stops. No
digits, no markup, no '@', '/' or ':', and nothing shaped like a web address ("evil.example").
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

NAME_MAX_LENGTH = 150
NAME_MESSAGE = (
    "Use letters, spaces, hyphens, apostrophes and full stops only, starting with a letter "
    f"(up to {NAME_MAX_LENGTH} characters): no numbers, symbols or web addresses."
)
NAME_ADDRESS_MESSAGE = "A name cannot look like a web address: put a space after each full stop."
_NAME_PUNCTUATION = frozenset(" -.'\u2019")
# A full stop between letters with two or more letters after it ("evil.example", "www.x"), as in a
# domain; initials ("J.R.R. Tolkien") have one letter between their full stops.
_ADDRESS_LIKE = re.compile(r"[^\W\d_]\.[^\W\d_]{2,}")

# Job titles may also hold digits and a little more punctuation ("Head of IT & Data (2nd line)").
job_title_validator = RegexValidator(
    r"^[^\W_](?:[^\W_]|[ .,'\u2019&()/-])*$", "Use letters, numbers, spaces and simple punctuation only."
)


def _is_letter(char: str) -> bool:
    return unicodedata.category(char).startswith("L")


def validate_person_name(value: str) -> None:
    """Raise ValidationError unless `value` is a name by the portal's rule."""
    if not value or len(value) > NAME_MAX_LENGTH or not _is_letter(value[0]):
        raise ValidationError(NAME_MESSAGE, code="invalid_name")
    for char in value:
        # Marks (accents typed as a separate character) belong to the letter before them.
        if not (_is_letter(char) or unicodedata.category(char).startswith("M") or char in _NAME_PUNCTUATION):
            raise ValidationError(NAME_MESSAGE, code="invalid_name")
    if _ADDRESS_LIKE.search(value):
        raise ValidationError(NAME_ADDRESS_MESSAGE, code="invalid_name")


def clean_person_name(value: str) -> str:
    """`value` as stored: trimmed, inner runs of spaces made one, accents composed (NFC); raises
    ValidationError unless the result is a name by the portal's rule."""
    name = " ".join(unicodedata.normalize("NFC", value or "").split())
    validate_person_name(name)
    return name
