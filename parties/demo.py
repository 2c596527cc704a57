"""Demo Parties and accounts (README "Demo accounts"). Made-up names, not real companies."""

import datetime

from allauth.account.models import EmailAddress
from django.utils.text import slugify

from secportal.workingdays import add_working_days, local_today, previous_working_day

from . import roles
from .models import Party, User, VotingGroup
from .services import roles_sync, user_set_roles

DEMO_PASSWORD = "demo-password-2026"

# name, category, signifier, Voting Group (affiliated Large Suppliers vote as one)
DEMO_PARTIES = [
    ("Northwind Energy Supply Ltd", Party.Category.LARGE_SUPPLIER, "NWES", "Northwind Group"),
    ("Northwind Gas Retail Ltd", Party.Category.LARGE_SUPPLIER, "NWGR", "Northwind Group"),
    ("Brightwater Home Energy plc", Party.Category.LARGE_SUPPLIER, "BWHE", None),
    ("Halcyon Power and Gas Ltd", Party.Category.LARGE_SUPPLIER, "HPGL", "Halcyon Holdings"),
    ("Halcyon Business Energy Ltd", Party.Category.LARGE_SUPPLIER, "HBEL", "Halcyon Holdings"),
    ("Meridian Utilities plc", Party.Category.LARGE_SUPPLIER, "MERU", None),
    ("Fenland Community Power Ltd", Party.Category.SMALL_SUPPLIER, "FCPL", None),
    ("Tidewater Renewables Supply Ltd", Party.Category.SMALL_SUPPLIER, "TWRS", None),
    ("Orchard Lane Energy Ltd", Party.Category.SMALL_SUPPLIER, "OLEL", None),
    ("Kestrel Green Energy Ltd", Party.Category.SMALL_SUPPLIER, "KGEL", None),
    ("Granite City Power Co-operative", Party.Category.SMALL_SUPPLIER, "GCPC", None),
    ("Wren Valley Electricity Ltd", Party.Category.SMALL_SUPPLIER, "WVEL", None),
    ("Pennine Electricity Networks plc", Party.Category.ELECTRICITY_NETWORK, "PENW", None),
    ("Southern Coast Power Distribution plc", Party.Category.ELECTRICITY_NETWORK, "SCPD", None),
    ("Highland and Islands Grid Ltd", Party.Category.ELECTRICITY_NETWORK, "HIGL", None),
    ("Midshires Independent Networks Ltd", Party.Category.ELECTRICITY_NETWORK, "MINL", None),
    ("Severn Gas Distribution Ltd", Party.Category.GAS_NETWORK, "SVGD", None),
    ("Northern Fells Gas Networks plc", Party.Category.GAS_NETWORK, "NFGN", None),
    ("Eastern Counties Gas Transport Ltd", Party.Category.GAS_NETWORK, "ECGT", None),
    ("Meterline Services Ltd", Party.Category.OTHER, "MTRL", None),
    ("Beacon Metering Solutions Ltd", Party.Category.OTHER, "BMSL", None),
    ("Lumen Energy Data Ltd", Party.Category.OTHER, "LEDL", None),
    ("Quayside Shared Services Ltd", Party.Category.OTHER, "QSSL", None),
    ("Silverbirch Consulting Ltd", Party.Category.OTHER, "SBCL", None),
    ("Data and Communications Company", Party.Category.DCC, "DCC", None),
]
# Parties still acceding (or gone), to show every accession status.
DEMO_ACCEDING = [
    ("Ashgrove Energy Ltd", Party.Category.SMALL_SUPPLIER, Party.Status.APPLIED),
    ("Copperleaf Metering Ltd", Party.Category.OTHER, Party.Status.AGREEMENT_SENT),
    ("Riverside Power Supply Ltd", Party.Category.SMALL_SUPPLIER, Party.Status.WITHDRAWN),
]

# email, full name, job title, Party name (None for SECAS and the independent Chair), roles given
# directly, staff. Committee places (the Chair's, the Panel member's) come from their memberships,
# which panel.demo appoints: they are not roles.
DEMO_ACCOUNTS = [
    ("staff@secas.example", "Sam Patel", "Modifications Analyst, SECAS", None, {roles.SECAS_STAFF}, True),
    ("chair@panel.example", "Helen Marsh", "Independent Chair, SEC Panel", None, set(), False),
    (
        "member@panel.example",
        "Gareth Owen",
        "Regulatory Manager",
        "Brightwater Home Energy plc",
        {roles.PARTY_USER},
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


# Colleagues at demo Parties, so Party pages and administration have people in them.
DEMO_COLLEAGUES = [
    ("james.oconnor@largesupplier.example", "James O'Connor", "Settlements Analyst", "Northwind Energy Supply Ltd"),
    ("fatima.begum@largesupplier.example", "Fatima Begum", "Regulation Manager", "Northwind Energy Supply Ltd"),
    ("ewan.fraser@smallsupplier.example", "Ewan Fraser", "Managing Director", "Fenland Community Power Ltd"),
    ("claire.davies@pennine.example", "Claire Davies", "Smart Metering Lead", "Pennine Electricity Networks plc"),
    ("oliver.grant@severngas.example", "Oliver Grant", "Industry Codes Manager", "Severn Gas Distribution Ltd"),
]
# Administrators of Parties beyond the demo accounts.
DEMO_ADMINS = {"claire.davies@pennine.example", "ewan.fraser@smallsupplier.example"}


def _accession_dates(status, index: int, today: datetime.date) -> dict:
    """The Working Days of a Party's accession steps, worked out from today: the acceded Parties
    joined over the past years, one every 113 days or so; the one that withdrew did so last year;
    the Parties acceding now applied in recent weeks (one has been sent its Accession Agreement)."""
    if status == Party.Status.APPLIED:
        return {"applied_on": add_working_days(today, -12)}
    if status == Party.Status.AGREEMENT_SENT:
        applied = add_working_days(today, -45)
        return {"applied_on": applied, "agreement_sent_on": add_working_days(applied, 25)}
    years = len(DEMO_PARTIES) + 4 - (0 if status == Party.Status.WITHDRAWN else index)
    acceded = previous_working_day(today - datetime.timedelta(days=113 * years))
    dates = {
        "applied_on": add_working_days(acceded, -40),
        "agreement_sent_on": add_working_days(acceded, -20),
        "acceded_on": acceded,
    }
    if status == Party.Status.WITHDRAWN:
        dates["withdrawn_on"] = previous_working_day(today - datetime.timedelta(days=330))
    return dates


def _party(name, category, status, index, *, signifier="", voting_group=None) -> Party:
    dates = _accession_dates(status, index, local_today())
    slug = slugify(name)
    party, _ = Party.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "category": category,
            "status": status,
            "party_signifier": signifier,
            "voting_group": voting_group,
            "contact_name": "SEC Team",
            "contact_email": f"sec@{slug[:20]}.example",
            "address": f"{10 + index} Market Street\nManchester\nM1 {index % 9 + 1}AB",
            "licences": {
                Party.Category.LARGE_SUPPLIER: "Electricity Supply Licence\nGas Supply Licence",
                Party.Category.SMALL_SUPPLIER: "Electricity Supply Licence",
                Party.Category.ELECTRICITY_NETWORK: "Electricity Distribution Licence",
                Party.Category.GAS_NETWORK: "Gas Transporter Licence",
                Party.Category.DCC: "Smart Meter Communication Licence",
            }.get(category, ""),
            **dates,
        },
    )
    return party


def _account(email, full_name, job_title, party, role_names, *, is_staff=False) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            full_name=full_name,
            job_title=job_title,
            party=party,
            is_staff=is_staff,
        )
    user_set_roles(actor=None, user=user, role_names=role_names)
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
    return user


def seed(*, stdout=None) -> None:
    roles_sync()
    parties = {}
    for index, (name, category, signifier, group_name) in enumerate(DEMO_PARTIES):
        group = VotingGroup.objects.get_or_create(name=group_name)[0] if group_name else None
        parties[name] = _party(name, category, Party.Status.ACCEDED, index, signifier=signifier, voting_group=group)
    for index, (name, category, status) in enumerate(DEMO_ACCEDING, start=len(DEMO_PARTIES)):
        _party(name, category, status, index, signifier="RSPL" if status == Party.Status.WITHDRAWN else "")
    for email, full_name, job_title, party_name, role_names, is_staff in DEMO_ACCOUNTS:
        _account(email, full_name, job_title, parties.get(party_name), role_names, is_staff=is_staff)
    for email, full_name, job_title, party_name in DEMO_COLLEAGUES:
        role_names = {roles.PARTY_USER} | ({roles.PARTY_ADMINISTRATOR} if email in DEMO_ADMINS else set())
        _account(email, full_name, job_title, parties[party_name], role_names)
