"""Whether the registry can have changed since a batch's preview read it: commit's quick re-check.

A preview compared each row with the registry as it stood then; commit must write against the registry as it
stands now. When nothing the comparison read can have changed in between, the preview's own comparison is
still the answer and the rows it found changed are written as staged (`services._staged_pairs`);
otherwise they are compared again, row by row. "Nothing can have changed" is three facts, each one query:
- no report or extra fact was added or removed: their counts and highest ids are what they were (this sees
  writes of any kind, audited or not, and transactions that were still running when the preview read);
- no audited change of the registry (a report replaced, a firm edited, ...) and no import committed or
  reverted since: the audit chain's position (`seq`), which grows in commit order under the chain's lock;
- every firm to write is still in the committing officer's scope (another officer may commit).
"""

from __future__ import annotations

from django.db.models import Count, Max, Q

from gaoqi.accounts.scope import scope_enterprises
from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.audit.services import chain_head
from gaoqi.intake.bulk import where_in
from gaoqi.intake.models import ExtraFact
from gaoqi.intake.preview import CHUNK
from gaoqi.registry.models import AnnualReport


def _tables() -> list[list]:
    return [
        list(model.objects.order_by().aggregate(n=Count("pk"), top=Max("pk")).values())
        for model in (AnnualReport, ExtraFact)
    ]


def registry_mark() -> dict:
    """Taken before a preview reads the registry; stored with the batch."""
    return {"seq": chain_head()[0], "tables": _tables()}


def unchanged_since(mark: dict, actor, firm_ids: list[int]) -> bool:
    """Nothing a preview taken at `mark` compared `firm_ids`' figures with can have changed since, and the
    firms are in `actor`'s scope."""
    if not mark or _tables() != mark["tables"]:
        return False
    later = AuditEvent.objects.filter(seq__gt=mark["seq"]).filter(
        Q(target_type__startswith="registry.")
        | Q(target_type="intake.importbatch", action__in=(AuditAction.IMPORT, AuditAction.DELETE))
    )
    if later.exists():
        return False
    seen = 0
    for i in range(0, len(firm_ids), CHUNK):
        seen += where_in(scope_enterprises(actor), "id", firm_ids[i : i + CHUNK]).count()
    return seen == len(firm_ids)
