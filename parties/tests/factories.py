import base64
import hashlib
import hmac
import itertools
import secrets
import struct
import time

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils.text import slugify

from parties import roles
from parties.models import Party, User
from parties.services import roles_sync, user_set_roles

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-2026"


def make_party(**fields) -> Party:
    n = next(_seq)
    name = fields.pop("name", f"Test Party {n}")
    return Party.objects.create(
        name=name,
        slug=fields.pop("slug", slugify(name)),
        category=fields.pop("category", Party.Category.SMALL_SUPPLIER),
        **fields,
    )


def _letters(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: a name by the portal's rule (no digits) for each n."""
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def make_user(*, role_names=frozenset({roles.PARTY_USER}), party=None, password=PASSWORD, verified=True, **fields):
    """A user with roles and a verified primary email (the state an approved account reaches)."""
    if not Group.objects.filter(name=roles.SECAS_STAFF, permissions__isnull=False).exists():
        roles_sync()  # migrate (and each flush) creates the roles; this is for a database without them
    n = next(_seq)
    if party is None and roles.PARTY_USER in role_names:
        party = make_party()
    user = User.objects.create_user(
        email=fields.pop("email", f"person{n}@example.org"),
        password=password,
        full_name=fields.pop("full_name", f"Person {_letters(n)}"),
        party=party,
        **fields,
    )
    user_set_roles(actor=None, user=user, role_names=set(role_names))
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user


def give_totp(user: User) -> str:
    """Set up an authenticator app for the user, as the MFA set-up page stores it (allauth's
    Authenticator, the secret encrypted by the MFA adapter); returns the secret (base32)."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.models import Authenticator

    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": get_adapter().encrypt(secret)}
    )
    return secret


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for the secret at `at` (now by default): RFC 6238, an
    HMAC-SHA1 of the MFA_TOTP_PERIOD step, truncated to MFA_TOTP_DIGITS digits (allauth's defaults,
    30 s and 6)."""
    period = getattr(settings, "MFA_TOTP_PERIOD", 30)
    digits = getattr(settings, "MFA_TOTP_DIGITS", 6)
    step = int(time.time() if at is None else at) // period
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"
