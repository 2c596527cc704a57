"""The portal's roles (DESIGN.md "Roles"), held as Django Groups with model permissions."""

SECAS_STAFF = "SECAS staff"
PANEL_MEMBER = "Panel member"
COMMITTEE_MEMBER = "Committee member"
PARTY_ADMINISTRATOR = "Party administrator"
PARTY_USER = "Party user"

ALL_ROLES = (SECAS_STAFF, PANEL_MEMBER, COMMITTEE_MEMBER, PARTY_ADMINISTRATOR, PARTY_USER)
# Roles that must use two-factor authentication when SECPORTAL_REQUIRE_MFA is on.
PRIVILEGED_ROLES = frozenset({SECAS_STAFF, PANEL_MEMBER, COMMITTEE_MEMBER})

# Apps whose every model permission SECAS staff hold ("publish and edit everything").
STAFF_APPS = ("parties", "modifications", "news", "panel", "secportal")

# Permissions by role, beyond the staff rule above ("app_label.codename").
ROLE_PERMISSIONS = {
    PARTY_ADMINISTRATOR: ("parties.manage_party_users", "parties.request_party_change"),
    PARTY_USER: (),
    PANEL_MEMBER: (),
    COMMITTEE_MEMBER: (),
}
