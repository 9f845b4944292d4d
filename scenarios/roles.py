"""The role vocabulary of major-incident management.

Roles are fixed names so that a typo is an error, not a silent new role. Resolver groups
(network, database, application, security, vendor, or a team's own, such as `sre`) are
named freely in the staffing document's `resolver_groups:` section.
"""

from __future__ import annotations

__all__ = ["ROLES", "ROLE_TITLES", "RESOLVER_GROUPS_TOKEN", "SUGGESTED_RESOLVER_GROUPS"]

ROLE_TITLES = {
    "incident_manager": "Major incident manager (incident commander)",
    "technical_lead": "Technical lead",
    "communications_lead": "Communications lead",
    "scribe": "Scribe",
    "service_desk": "Service desk",
    "change_manager": "Change manager",
    "problem_manager": "Problem manager",
    "business_stakeholder": "Business stakeholder",
    "external_consultant": "External consultant",
}
ROLES = tuple(ROLE_TITLES)

RESOLVER_GROUPS_TOKEN = "resolver_groups"
"""In a playbook, stands for every resolver group the scenario needs."""

SUGGESTED_RESOLVER_GROUPS = ("network", "database", "application", "security", "vendor")
