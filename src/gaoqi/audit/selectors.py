from gaoqi.accounts.scope import can
from gaoqi.audit.models import AuditEvent


def audit_trail_for_enterprise(*, actor, enterprise, limit: int = 200):
    """The enterprise's audit trail; officers only (the check raises like a missing object)."""
    can(actor, "view_audit", enterprise).require()
    # The link has no database constraint (a deleted firm's events stay): the credit code, which never
    # changes, keeps a later firm that reuses the id from showing a deleted firm's events.
    events = AuditEvent.objects.filter(enterprise=enterprise, enterprise_code=enterprise.credit_code)
    return events.select_related("actor")[:limit]
