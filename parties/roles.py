"""The roles a person is given directly, held as Django Groups with model permissions.

Rights that follow from a fact are never a role here: a committee place (chair, member, alternate,
observer) gives its rights while it is current, as panel.permissions computes them on each request;
owning Party rights follow from `User.party`.
"""

SECAS_STAFF = "SECAS staff"
PARTY_ADMINISTRATOR = "Party administrator"
PARTY_USER = "Party user"

ALL_ROLES = (SECAS_STAFF, PARTY_ADMINISTRATOR, PARTY_USER)
# Roles that must use two-factor authentication when SECPORTAL_REQUIRE_MFA is on (committee places
# and RED recipients must too: parties.models.User.requires_mfa).
PRIVILEGED_ROLES = frozenset({SECAS_STAFF})

# Apps whose every model permission SECAS staff hold ("publish and edit everything").
STAFF_APPS = ("parties", "modifications", "news", "panel", "secportal")

# Permissions by role, beyond the staff rule above ("app_label.codename").
ROLE_PERMISSIONS = {
    PARTY_ADMINISTRATOR: ("parties.manage_party_users", "parties.request_party_change"),
    PARTY_USER: (),
}
