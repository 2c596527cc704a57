import itertools

from allauth.account.models import EmailAddress
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
    """Set up an authenticator app for the user (as the MFA set-up page would); returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret
