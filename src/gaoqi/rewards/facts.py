"""The reward policy's input from the registry: first HTE certificate, R&D of the two last years, credit record,
and cultivation-pool membership from whichever programme holds the pool.

Pool membership comes from the sources registered with `register_pool_source`: the pool programme
(gaoqi.programmes.pool) registers its admissions in its `AppConfig.ready()`; without a source no firm is a pool
member, so only first-certification rewards (and those schemes that do not require pool membership) can arise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from django.db.models import Min

from gaoqi.policy.policies.reward.facts import RewardFacts
from gaoqi.registry.models import AnnualReport, Certificate, CertificateKind, Enterprise
from gaoqi.registry.selectors import FIELD_PRIORITY

# (enterprise ids) -> {enterprise id: (admitted_on, exited_on or None)}
PoolSource = Callable[[list[int]], Mapping[int, tuple[date, date | None]]]
_POOL_SOURCES: list[PoolSource] = []


def register_pool_source(source: PoolSource) -> Callable[[], None]:
    """Add a provider of pool admissions; returns a function that removes it again."""
    _POOL_SOURCES.append(source)
    return lambda: _POOL_SOURCES.remove(source)


def pool_memberships(enterprise_ids: list[int]) -> dict[int, tuple[date, date | None]]:
    out: dict[int, tuple[date, date | None]] = {}
    for source in _POOL_SOURCES:
        out.update(source(enterprise_ids))
    return out


def issuer_enterprises(issuer):
    """The firms an issuer's scheme covers: those registered in its region."""
    qs = Enterprise.objects.all()
    if issuer.level == "province":
        qs = qs.filter(city__code__startswith=issuer.code[:2])
    elif issuer.level == "city":
        qs = qs.filter(city_id=issuer.code)
    else:
        qs = qs.filter(county_id=issuer.code)
    return qs.order_by("id")


def reward_facts(firms, year: int) -> dict[int, RewardFacts]:
    """The RewardFacts of each firm of the queryset `firms` for the reward year `year` (three queries, whatever
    the number of firms).

    R&D expenses of `year - 2` and `year - 1` and the credit record of `year - 1` come from the merged annual
    reports (the registry's source priority); the first HTE certificate is the earliest one recorded.
    """
    enterprises = list(firms.only("id", "credit_code"))
    ids = [e.pk for e in enterprises]
    subset = firms.values("id")
    first_hte = dict(
        Certificate.objects.filter(enterprise_id__in=subset, kind=CertificateKind.HTE)
        .values("enterprise_id")
        .annotate(first=Min("issued_on"))
        .values_list("enterprise_id", "first")
    )
    pool = pool_memberships(ids)
    merged = _merged(subset, year)
    out = {}
    for e in enterprises:
        value = merged.get(e.pk, {}).get
        admitted, exited = pool.get(e.pk, (None, None))
        out[e.pk] = RewardFacts(
            credit_code=e.credit_code,
            admitted_on=admitted,
            pool_exited_on=exited,
            first_hte_issued_on=first_hte.get(e.pk),
            rnd_expense_y2=value((year - 2, "rnd_expense")),
            rnd_expense_y3=value((year - 1, "rnd_expense")),
            bad_credit=value((year - 1, "bad_credit")),
        )
    return out


READ = ("rnd_expense", "bad_credit")


def _merged(subset, year: int) -> dict[int, dict[tuple[int, str], object]]:
    """{firm: {(year, field): value}} for the fields the rewards read, merged like the registry's
    `selectors.merge_reports` (the most trusted department first, then the latest import, then the latest
    source), reading only those columns: a province's 100,000 reports as model objects cost seconds."""
    rows = (
        AnnualReport.objects.filter(enterprise_id__in=subset, year__in=(year - 2, year - 1))
        .values_list("enterprise_id", "year", "source_id", "source__department", "source__imported_at", *READ)
        .order_by()
    )
    best: dict[int, dict[tuple[int, str], tuple[tuple, object]]] = {}
    for firm, y, source_id, department, imported_at, *values in rows.iterator(chunk_size=10_000):
        fields = best.setdefault(firm, {})
        for name, value in zip(READ, values, strict=True):
            if value is None:
                continue
            key = (FIELD_PRIORITY[name].index(department), -imported_at.timestamp(), -source_id)
            found = fields.get((y, name))
            if found is None or key < found[0]:
                fields[(y, name)] = (key, value)
    return {firm: {k: v for k, (_key, v) in fields.items()} for firm, fields in best.items()}
