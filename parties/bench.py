"""Benchmark rows for parties: many Parties and users, fast (bulk inserts, one password hash)."""

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from . import roles
from .demo import DEMO_PASSWORD
from .demo import seed as seed_demo
from .models import Party, User

BENCH_USER = "bench.user@bench.example"


def seed(*, sizes: dict, stdout=None) -> None:
    seed_demo()
    categories = list(Party.Category.values)
    have = Party.objects.count()
    Party.objects.bulk_create(
        Party(
            name=f"Bench Party {n:05d} Ltd",
            slug=f"bench-party-{n:05d}",
            category=categories[n % len(categories)],
            status=Party.Status.ACCEDED,
            party_signifier=f"B{n:04d}",
        )
        for n in range(have, sizes["parties"])
    )
    parties = list(Party.objects.filter(slug__startswith="bench-party-").order_by("pk")[:300])
    have = User.objects.filter(email__endswith="@bench.example").count()
    password = make_password(DEMO_PASSWORD)
    new_users = User.objects.bulk_create(
        User(
            email=f"bench{n:06d}@bench.example" if n else BENCH_USER,
            full_name=f"Bench User {n}",
            password=password,
            party=parties[n % len(parties)] if parties else None,
        )
        for n in range(have, sizes["users"])
    )
    party_user = Group.objects.get(name=roles.PARTY_USER)
    party_user.user_set.add(*new_users)
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in new_users
    )
