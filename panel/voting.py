"""Counting Change Board votes. The rule is pluggable: settings.SECPORTAL_VOTE_RULE names a function
taking [(constituency, choice)] and returning (outcome, tally)."""

from collections.abc import Callable

from django.conf import settings
from django.utils.module_loading import import_string

SEC_OBJECTIVES = [
    ("a", "(a) Efficient provision, installation, operation and interoperability of smart metering"),
    ("b", "(b) Enable the DCC to comply with its licence at efficient cost"),
    ("c", "(c) Consumers' ability to manage energy use and costs"),
    ("d", "(d) Effective competition in supply and related activities"),
    ("e", "(e) Innovation in energy networks and the system"),
    ("f", "(f) Protection of data and the security of smart metering"),
    ("g", "(g) Efficient and transparent administration and implementation of the SEC"),
]

MAJORITY_IN_EACH_CONSTITUENCY = (
    "Approved when, in every constituency that casts a vote, approvals outnumber rejections. "
    "Abstentions are not counted; a constituency whose votes are all abstentions does not count; "
    "a tie in any voting constituency, or no counted vote at all, means the change is not approved."
)


def majority_in_each_constituency(votes: list[tuple[str, str]]) -> tuple[str, dict]:
    """The default rule, as MAJORITY_IN_EACH_CONSTITUENCY states it."""
    tally: dict[str, dict] = {}
    for constituency, choice in votes:
        counts = tally.setdefault(constituency, {"approve": 0, "reject": 0, "abstain": 0})
        counts[choice] += 1
    positions = []
    for counts in tally.values():
        if counts["approve"] > counts["reject"]:
            counts["position"] = "approve"
        elif counts["reject"] > counts["approve"]:
            counts["position"] = "reject"
        elif counts["approve"] == 0:
            counts["position"] = "abstained"
            continue
        else:
            counts["position"] = "tied"
        positions.append(counts["position"])
    if not positions:
        return "no_votes", tally
    return ("approve" if all(p == "approve" for p in positions) else "reject"), tally


RULE_DESCRIPTIONS = {"panel.voting.majority_in_each_constituency": MAJORITY_IN_EACH_CONSTITUENCY}


def current_rule() -> tuple[str, Callable, str]:
    path = getattr(settings, "SECPORTAL_VOTE_RULE", "panel.voting.majority_in_each_constituency")
    return path, import_string(path), RULE_DESCRIPTIONS.get(path, "A counting rule set by SECAS.")
