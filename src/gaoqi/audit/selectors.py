from gaoqi.accounts.scope import can
from gaoqi.audit.models import AuditEvent


def audit_trail_for_enterprise(*, actor, enterprise, limit: int = 200):
    """The enterprise's audit trail; officers only (the check raises like a missing object)."""
    can(actor, "view_audit", enterprise).require()
    return AuditEvent.objects.filter(enterprise=enterprise).select_related("actor")[:limit]
