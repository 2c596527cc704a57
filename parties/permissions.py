"""Who may do what in `parties`: pure functions of the user (and object)."""


def _active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_secas_staff(user) -> bool:
    """SECAS staff manage every Party (create, edit, accession steps, decide requests)."""
    return _active(user) and user.has_perm("parties.change_party")


def can_decide_account_request(user) -> bool:
    return _active(user) and user.has_perm("parties.decide_accountrequest")


def can_decide_party_change(user) -> bool:
    return _active(user) and user.has_perm("parties.decide_partychangerequest")


def is_member_of(user, party) -> bool:
    return _active(user) and party is not None and user.party_id == party.pk


def can_view_party_users(user, party) -> bool:
    """The people of a Party are shown to that Party's own users and to SECAS staff."""
    return is_member_of(user, party) or is_secas_staff(user)


def can_manage_party_users(user, party) -> bool:
    """Invite, remove and promote: the Party's own administrators, and SECAS staff."""
    if is_secas_staff(user):
        return True
    return is_member_of(user, party) and user.has_perm("parties.manage_party_users")


def can_request_party_change(user, party) -> bool:
    return is_member_of(user, party) and user.has_perm("parties.request_party_change")


def can_view_party_history(user, party) -> bool:
    return can_manage_party_users(user, party)
