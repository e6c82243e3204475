"""Demo targets (synthetic): each city's and county's targets for the current and the next year.

Derived from the demo's own registry so that progress looks like a province, not like quotas: a city's target
for new HTEs is last year's certifications times a growth factor drawn around +12%; valid HTEs and tech SMEs
the current stock times +3..12%; the pool a share of the valid HTEs. A city hands its counties a little more
than its own target (an allocation habit: counties' targets add up to 100–106% of the city's), split by each
county's share of the city's valid HTEs with some noise. Next year's targets grow again by 5–15%.
Deterministic from the data set's seed; idempotent (nothing is written when synthetic targets exist).
"""

from __future__ import annotations

from datetime import date

import numpy as np
from django.db import transaction
from django.db.models import Count

from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.demo.rnd import demo_seed
from gaoqi.regions.models import Region
from gaoqi.registry.models import Certificate, CertificateKind, certificate_valid_q
from gaoqi.targets.models import Indicator, Target

REASON = "合成演示数据：目标任务"


def _counts(qs, key: str) -> dict[str, int]:
    return {
        r[key]: r["n"] for r in qs.values(key).annotate(n=Count("enterprise_id", distinct=True)).order_by()
    }


def _base(as_of: date, key: str) -> dict[str, dict[str, int]]:
    """Per region (by `key`, "enterprise__city_id" / "enterprise__county_id"): the registry figures targets
    are derived from."""
    certs = Certificate.objects.all()
    last_year = as_of.year - 1
    return {
        Indicator.NEW_HTE: _counts(certs.filter(kind=CertificateKind.HTE, issued_on__year=last_year), key),
        Indicator.VALID_HTE: _counts(certs.filter(certificate_valid_q(as_of), kind=CertificateKind.HTE), key),
        Indicator.TECH_SME: _counts(
            certs.filter(certificate_valid_q(as_of), kind=CertificateKind.TECH_SME), key
        ),
    }


def _split(total: int, weights: np.ndarray) -> list[int]:
    """Largest-remainder split of `total` by `weights` (integers adding up to `total`)."""
    if total <= 0 or weights.sum() <= 0:
        return [0] * len(weights)
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - out))[: total - out.sum()]:
        out[i] += 1
    return out.tolist()


def ensure_demo_targets(*, as_of: date) -> int:
    """Targets for the current and the next year for every city and county. Returns how many were written."""
    if Target.objects.filter(synthetic=True).exists():
        return 0
    seed = demo_seed()
    if seed is None:
        return 0
    rng = np.random.default_rng([seed, 2020])
    cities = list(Region.objects.filter(level="city").order_by("code"))
    counties: dict[str, list[Region]] = {}
    for c in Region.objects.filter(level="county").order_by("code"):
        counties.setdefault(c.city_code, []).append(c)
    by_city = _base(as_of, "enterprise__city_id")
    by_county = _base(as_of, "enterprise__county_id")
    rows: list[Target] = []
    for year_offset, year in enumerate((as_of.year, as_of.year + 1)):
        for city in cities:
            valid = by_city[Indicator.VALID_HTE].get(city.code, 0)
            base = {
                Indicator.NEW_HTE: by_city[Indicator.NEW_HTE].get(city.code, 0) * rng.normal(1.12, 0.06),
                Indicator.VALID_HTE: valid * rng.uniform(1.03, 1.12),
                Indicator.TECH_SME: by_city[Indicator.TECH_SME].get(city.code, 0) * rng.uniform(1.03, 1.12),
                Indicator.POOL_SIZE: valid * rng.uniform(0.25, 0.4),
            }
            growth = rng.uniform(1.05, 1.15) if year_offset else 1.0
            members = counties.get(city.code, [])
            weights = np.array(
                [by_county[Indicator.VALID_HTE].get(c.code, 0) + 1 for c in members], dtype=float
            ) * rng.uniform(0.85, 1.15, len(members))
            for indicator, value in base.items():
                city_target = max(1, int(round(value * growth)))
                rows.append(_target(city, year, indicator, city_target))
                allocated = int(round(city_target * rng.uniform(1.0, 1.06)))
                for county, v in zip(members, _split(allocated, weights), strict=True):
                    rows.append(_target(county, year, indicator, v))
    with transaction.atomic():
        Target.objects.bulk_create(rows, batch_size=2000)
        first = Target.objects.filter(synthetic=True).order_by("id").first()
        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            target=first,
            new={
                "targets": len(rows),
                "years": [as_of.year, as_of.year + 1],
                "synthetic": True,
                "seed": seed,
            },
            reason=REASON,
        )
    return len(rows)


def _target(region: Region, year: int, indicator: str, value: int) -> Target:
    return Target(
        year=year,
        indicator=indicator,
        region=region,
        value=value,
        version=1,
        is_current=True,
        reason=REASON,
        synthetic=True,
    )
