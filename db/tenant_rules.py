"""Which tenants are current: the one definition.

A current tenant is a live row (not a tombstone) whose status is `in_park`; one marked as left
stays in the ledger for its history but is counted, flagged, drawn for plans and listed as due
nowhere. The overview, the risk flags, the due list, the plan register, the health check's fresh
totals and the ledger's in-park view all use this rule: `current_tenant_sql` as a SQL fragment,
`current_tenant_clause` in db/queries.py as an ORM condition. Migrations (the `park_total`
triggers among them) keep their own copy as of their revision: a migration never changes with
the code.

Plain strings, no SQLAlchemy: plain-SQL query modules read at start-up may use it.
"""

from __future__ import annotations

IN_PARK = "in_park"


def current_tenant_sql(tenant: str = "t") -> str:
    """The WHERE (or JOIN ON) fragment true for a current tenant row `tenant` (an alias or the
    table's name)."""
    return f"({tenant}.deleted = 0 AND {tenant}.status = '{IN_PARK}')"
