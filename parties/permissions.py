"""Who may do what in `parties`: pure functions of the user (and object)."""


def can_decide_account_request(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm("parties.decide_accountrequest"))
