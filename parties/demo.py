"""Demo Parties and accounts (DESIGN.md "Demo data"). Made-up names, not real companies."""

import datetime

from allauth.account.models import EmailAddress
from django.utils.text import slugify

from . import roles
from .models import Party, User
from .services import roles_sync, user_set_roles

DEMO_PASSWORD = "demo-password-2026"

DEMO_PARTIES = [
    ("Northwind Energy Supply Ltd", Party.Category.LARGE_SUPPLIER, "NWES"),
    ("Brightwater Home Energy plc", Party.Category.LARGE_SUPPLIER, "BWHE"),
    ("Fenland Community Power Ltd", Party.Category.SMALL_SUPPLIER, "FCPL"),
    ("Pennine Electricity Networks plc", Party.Category.ELECTRICITY_NETWORK, "PENW"),
    ("Severn Gas Distribution Ltd", Party.Category.GAS_NETWORK, "SVGD"),
    ("Meterline Services Ltd", Party.Category.OTHER, "MTRL"),
    ("Data and Communications Company", Party.Category.DCC, "DCC"),
]

# email, full name, job title, Party name (None for SECAS and the independent Chair), roles, staff
DEMO_ACCOUNTS = [
    ("staff@secas.example", "Sam Patel", "Modifications Analyst, SECAS", None, {roles.SECAS_STAFF}, True),
    ("chair@panel.example", "Helen Marsh", "Independent Chair, SEC Panel", None, {roles.PANEL_MEMBER}, False),
    (
        "member@panel.example",
        "Gareth Owen",
        "Regulatory Manager",
        "Brightwater Home Energy plc",
        {roles.PANEL_MEMBER, roles.COMMITTEE_MEMBER, roles.PARTY_USER},
        False,
    ),
    (
        "admin@largesupplier.example",
        "Alice Turner",
        "Smart Metering Compliance Lead",
        "Northwind Energy Supply Ltd",
        {roles.PARTY_ADMINISTRATOR, roles.PARTY_USER},
        False,
    ),
    (
        "user@smallsupplier.example",
        "Priya Shah",
        "Operations Manager",
        "Fenland Community Power Ltd",
        {roles.PARTY_USER},
        False,
    ),
    (
        "user@dcc.example",
        "Tom Reid",
        "SEC Change Manager",
        "Data and Communications Company",
        {roles.PARTY_USER},
        False,
    ),
]


def seed(*, stdout=None) -> None:
    roles_sync()
    parties = {}
    for index, (name, category, signifier) in enumerate(DEMO_PARTIES):
        parties[name], _ = Party.objects.get_or_create(
            name=name,
            defaults={
                "slug": slugify(name),
                "category": category,
                "status": Party.Status.ACCEDED,
                "party_signifier": signifier,
                "acceded_on": datetime.date(2014, 1, 20) + datetime.timedelta(days=97 * index),
            },
        )
    for email, full_name, job_title, party_name, role_names, is_staff in DEMO_ACCOUNTS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                job_title=job_title,
                party=parties.get(party_name),
                is_staff=is_staff,
            )
        user_set_roles(user=user, role_names=role_names)
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
