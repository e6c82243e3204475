"""Demo data of the HTE certification (高新技术企业认定), all synthetic and made through the real services:

- an expert registry large enough for the random draws: `TECHNICAL_PER_FIELD` technical experts in each of the
  8 fields (the pool must hold 3× the panel, 195号) and `FINANCIAL` financial experts, with synthetic
  employers and regions; the demo `expert` account joins it as a technical expert of fields 10 and 80;
- HTE applications of Suzhou firms whose registry facts meet the hard conditions, left at every stage (`PLAN`):
  draft, submitted, city recommended, accepted, panel drawn, scored, aggregated, decided (with an on-site
  check), in notice, in a report list (认定报备), certified (with annual reports and a change report), and one
  cancellation case in its own public notice. The demo `expert` sits on some panels (one waits for his
  scores, one for his aggregation as leader): the demo takes, among the seeds derived from the demo seed, the
  first that puts him on the panel (the draw itself is the service's, seed recorded).

Deterministic for a given register and seed (firms in id order, seeds from `random.Random(seed)`); certificate
numbers are marked synthetic (SYN-), every name says 演示/合成. Idempotent: nothing is added when HTE
applications exist."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from gaoqi.accounts.models import Role, User
from gaoqi.errors import ApplicationError

TECHNICAL_PER_FIELD = 22
FINANCIAL = 30
FIELDS = ("10", "20", "30", "40", "50", "60", "70", "80")
EXPERT_FIELDS = ("10", "80")  # the demo expert's fields
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
QUALIFICATIONS = ("cpa", "tax_adviser", "senior_title")
CITIES = ("320100", "320200", "320400", "320500", "320600", "321000")

# Stage of each demo application, in order. "*_expert": the demo expert on the panel.
PLAN = (
    "draft",
    "submitted",
    "recommended",
    "accepted",
    "drawn_expert",  # the demo expert has to score it
    "scored",  # every member scored, the leader has not aggregated
    "scored_leader",  # the demo expert is the leader: he aggregates
    "aggregated",
    "site_check",  # reviewed, an on-site check pending
    "approved",
    "in_notice",  # this year's notice, in an unreported report list
    "certified",
    "certified",
    "certified_expert",  # certified; the demo expert sat on its panel (his past review)
    "cancellation",  # certified two years ago, two annual reports missed: a case in its own notice
)


def _code(prefix: str, n: int) -> str:
    """A synthetic 18-character credit code (prefix SYN marks it)."""
    return f"91SYN{prefix}{n:010d}"[:18].ljust(18, "0")


def ensure_expert_registry(seed: int) -> int:
    """The synthetic expert registry (bulk: accounts with unusable passwords, one profile each)."""
    from gaoqi.experts.models import ExpertKind, ExpertProfile
    from gaoqi.registry.models import TechField

    if ExpertProfile.objects.filter(user__username__startswith="demo-hte-expert-").exists():
        return 0
    rng = random.Random(seed)
    subs: dict[str, list[str]] = {}
    for code, parent in TechField.objects.filter(parent__isnull=False).values_list("code", "parent_id"):
        subs.setdefault(parent, []).append(code)
    unusable = make_password(None)
    specs = []
    n = 0
    for f in FIELDS:
        for _i in range(TECHNICAL_PER_FIELD):
            n += 1
            own = sorted(rng.sample(subs.get(f, []), k=min(2, len(subs.get(f, [])))))
            specs.append((n, ExpertKind.TECHNICAL, [f, *own], ""))
    for _i in range(FINANCIAL):
        n += 1
        specs.append((n, ExpertKind.FINANCIAL, [], QUALIFICATIONS[n % 3]))
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    username=f"demo-hte-expert-{k:03d}",
                    password=unusable,
                    role=Role.EXPERT,
                    display_name=f"{SURNAMES[k % len(SURNAMES)]}专家{k:03d}（合成）",
                )
                for k, *_rest in specs
            ],
            batch_size=500,
        )
        if users and users[0].pk is None:  # a backend that does not return ids
            users = list(User.objects.filter(username__startswith="demo-hte-expert-").order_by("username"))
        ExpertProfile.objects.bulk_create(
            [
                ExpertProfile(
                    user=u,
                    kind=kind,
                    tech_fields=fields,
                    financial_qualification=qual,
                    practice_years=10 + rng.randrange(20),
                    employer_name=f"合成单位{k:03d}（演示）",
                    employer_credit_code=_code("EMP", k),
                    region_id=rng.choice(CITIES),
                    specialty="",
                    load_limit=10,
                )
                for u, (k, kind, fields, qual) in zip(users, specs, strict=True)
            ],
            batch_size=500,
        )
    expert = User.objects.filter(username="expert", role=Role.EXPERT).first()
    if expert is not None:
        ExpertProfile.objects.update_or_create(
            user=expert,
            defaults={"kind": ExpertKind.TECHNICAL, "tech_fields": list(EXPERT_FIELDS),
                      "employer_name": "演示高校（合成）", "employer_credit_code": _code("UNI", 1),
                      "region_id": "320500", "load_limit": 10, "available": True},
        )  # fmt: skip
    return len(specs)


# --- Applications --------------------------------------------------------------------------------------


def _document(app) -> dict | None:
    """A complete document from the firm's prefilled registry figures: R&D projects adding up to each year's
    audited R&D expense, products adding up to the high-tech revenue, the special audit report, the firm's
    usable IP items. None when the registry lacks a figure."""
    from gaoqi.registry.models import IntellectualProperty, IpClass

    figures = dict(app.declared.get("figures") or {})
    years = app.declared["years"]
    if any(figures.get(f"rnd_expense_y{k}") is None for k in (1, 2, 3)) or not figures.get("hitech_revenue"):
        return None
    topics = ("关键工艺优化", "智能检测系统", "核心模块国产化", "数据平台升级", "新一代样机")
    projects = []
    for k, year in enumerate(years, 1):
        total = int(figures[f"rnd_expense_y{k}"])
        first = total // 2
        projects.append({"name": f"{topics[k % 5]}研发（演示）", "year": year, "expense": first})
        projects.append(
            {"name": f"{topics[(k + 2) % 5]}研究（演示）", "year": year, "expense": total - first}
        )
    hitech = int(figures["hitech_revenue"])
    products = [
        {"name": "核心产品（演示）", "revenue": hitech * 3 // 5},
        {"name": "配套技术服务（演示）", "revenue": hitech - hitech * 3 // 5},
    ]
    ips = list(
        IntellectualProperty.objects.filter(enterprise=app.enterprise)
        .exclude(ip_class=IpClass.CLASS2, used_in_hte_application=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:8]
    )
    if not ips:
        return None
    return {
        "figures": figures,
        "audit": {"agency_name": "苏州合成会计师事务所（演示）", "agency_credit_code": _code("AUD", 1),
                  "report_no": f"苏合审字〔{years[-1] + 1}〕{app.pk}号（演示）"},
        "projects": projects,
        "products": products,
        "ip_items": ips,
    }  # fmt: skip


# Stages the panel must pass (score above 70): firms whose facts allow it (the register's HTE evaluation).
PASSING = frozenset({"aggregated", "site_check", "approved", "in_notice", "certified", "certified_expert",
                     "cancellation"})  # fmt: skip


def _candidates(fields: tuple[str, ...] | None, passing: bool):
    """Suzhou firms without a certificate whose registry facts meet the hard conditions, with IP items; with
    `passing`, those the register's evaluation gives more than 70 points at best (else the others)."""
    from gaoqi.ledger.models import EvaluationSnapshot, LedgerEntry

    qs = LedgerEntry.objects.filter(
        city_id="320500", has_hte_certificate=False, hte_hard_failed=0, enterprise__ip_items__isnull=False
    )
    high = EvaluationSnapshot.objects.filter(policy="hte", score_max__gt=70).values("enterprise_id")
    qs = qs.filter(enterprise_id__in=high) if passing else qs.exclude(enterprise_id__in=high)
    if fields:
        from django.db.models import Q

        q = Q()
        for f in fields:
            q |= Q(tech_field__code__startswith=f)
        qs = qs.filter(q)
    # By firm, not by entry id: the ids follow the order a re-evaluation wrote the entries in (pinyin).
    return qs.select_related("enterprise").order_by("enterprise_id").distinct()


def _submitted_app(user, firm):
    """The firm's application prepared and submitted; None when its facts do not allow it."""
    from gaoqi.programmes.hte import services
    from gaoqi.workflow.services import transition

    app = services.application_start(actor=user, enterprise=firm)
    doc = _document(app)
    if doc is None:
        return transition(actor=user, application=app, action="withdraw", version=app.version), False
    app = services.declaration_update(actor=user, application=app, version=app.version, document=doc)
    try:
        app = transition(actor=user, application=app, action="submit", version=app.version)
    except ApplicationError:  # the declaration does not meet the conditions after all: withdrawn
        app = transition(actor=user, application=app, action="withdraw", version=app.version)
        return app, False
    return app, True


def ensure_demo_hte(seed: int = 2019) -> dict:
    """The HTE demo: the expert registry and the applications of `PLAN`. Returns counts."""
    from gaoqi.demo.programmes import _firm_user
    from gaoqi.workflow.models import Application

    if Application.objects.filter(programme="hte").exists():
        return {}
    officers = {u.username: u for u in User.objects.filter(username__in=("province", "suzhou"))}
    if len(officers) < 2:
        return {}
    experts = ensure_expert_registry(seed)
    rng = random.Random(seed)
    used: set[int] = set()
    made: list[tuple[Application, str]] = []

    def next_app(target: str):
        """A submitted application of a firm not used yet (a draft for the draft stage)."""
        fields = EXPERT_FIELDS if target.endswith("_expert") or target == "scored_leader" else None
        for entry in _candidates(fields, target in PASSING).exclude(enterprise_id__in=used)[:40]:
            used.add(entry.enterprise_id)
            user = _firm_user(entry.enterprise)
            try:
                if target == "draft":
                    from gaoqi.programmes.hte import services

                    app = services.application_start(actor=user, enterprise=entry.enterprise)
                    doc = _document(app)
                    if doc is not None:  # half done: the projects are still to be filled in
                        doc["projects"] = doc["projects"][:2]
                        app = services.declaration_update(actor=user, application=app, version=app.version,
                                                          document=doc)  # fmt: skip
                    return app
                app, ok = _submitted_app(user, entry.enterprise)
            except ApplicationError:
                continue
            if ok:
                return app
        return None

    for target in PLAN:
        app = next_app(target)
        if app is None:
            continue
        try:
            app = _advance(app, target, officers, rng)
        except ApplicationError:
            pass  # left where it got to (the demo still shows it)
        made.append((app, target))
    return {"experts": experts, "applications": len(made)}


def _fresh(app):
    from gaoqi.workflow.models import Application

    return Application.objects.select_related("enterprise").get(pk=app.pk)


def _act(actor, app, action, reason="", **extra):
    from gaoqi.workflow.services import transition

    app = _fresh(app)
    return transition(actor=actor, application=app, action=action, reason=reason, version=app.version,
                      extra={"synthetic": True, **extra})  # fmt: skip


def _draw(province, app, rng, *, expert=None, leader=False):
    """Draw the panel; with `expert`, the first seed (of the demo's sequence) that seats him (as leader)."""
    from gaoqi.programmes.hte import panels, params, services

    seed = rng.getrandbits(62)
    if expert is not None:
        registry = panels.Registry(services.candidates(exclude_application=app))
        req = panels.Request(
            field=services.core_field(app),
            firm_code=app.enterprise.credit_code,
            intermediary_code=(app.declared.get("audit") or {}).get("agency_credit_code", ""),
        )
        rules = params.panel_rules(timezone.localdate())
        for _attempt in range(500):
            d = panels.draw(registry, req, seed=seed, rules=rules, explain=False)
            if (d.leader == expert.pk) if leader else (expert.pk in d.members):
                break
            seed = rng.getrandbits(62)
    return services.panel_draw(actor=province, application=app, seed=seed)


def _score(app, draw, *, skip=(), top=True):
    from gaoqi.programmes.hte import services

    for m in draw.members:
        if m in skip:
            continue
        kind = services.member_kind(draw, m)
        items = services.items_for(app, kind)
        scores = {i["code"]: (i["max"] if top else i["min"]) for i in items}
        services.expert_score(actor=User.objects.get(pk=m), application_pk=app.pk, scores=scores,
                              comment="材料完整，研发组织规范（演示评分）")  # fmt: skip


def _advance(app, target, officers, rng):
    from gaoqi.programmes.hte import after, decisions, services
    from gaoqi.programmes.hte.models import HteRecord, ReportBatch
    from gaoqi.workflow.notices import notice_close, notice_publish

    province, city = officers["province"], officers["suzhou"]
    expert = User.objects.filter(username="expert", role=Role.EXPERT).first()
    if target in ("draft", "submitted"):
        return app
    _act(city, app, "recommend", "同意推荐（演示）")
    if target == "recommended":
        return _fresh(app)
    _act(province, app, "accept", "形式审查通过（演示）")
    if target == "accepted":
        return _fresh(app)
    app = _fresh(app)
    seat = expert if target in ("drawn_expert", "scored_leader", "certified_expert") else None
    draw = _draw(province, app, rng, expert=seat, leader=target == "scored_leader")
    if target == "drawn_expert":
        _score(app, draw, skip={expert.pk})
        return _fresh(app)
    _score(app, draw)
    if target in ("scored", "scored_leader"):
        return _fresh(app)
    services.panel_aggregate(actor=User.objects.get(pk=draw.leader_id), application_pk=app.pk)
    if target == "aggregated":
        return _fresh(app)
    _act(province, app, "expert_pass", "专家评审完成（演示）")
    if target == "site_check":
        decisions.site_check_order(
            actor=province, application=_fresh(app), reason="核实研发场地与人员（演示）"
        )
        return _fresh(app)
    _act(province, app, "approve", "认定机构审议通过（演示）")
    if target == "approved":
        return _fresh(app)
    today = timezone.localdate()
    if target == "in_notice":
        notice_publish(actor=province, programme_code="hte", title=f"{today.year}年拟认定高新技术企业名单公示（演示）",
                       starts_on=today - timedelta(days=2), working_days=10, items=[(app.pk, _fresh(app).version)])  # fmt: skip
        decisions.report_batch_create(actor=province, year=today.year, title=f"{today.year}年第一批认定报备名单（演示）",
                                      application_ids=[app.pk])  # fmt: skip
        return _fresh(app)
    # certified in an earlier year: last year's (two years ago for the cancellation case) notice, list, certificate
    years_ago = 1
    if target == "cancellation":  # two reports' deadlines (31 May) passed since the issue year
        years_ago = 2 if today > date(today.year, 5, 31) else 3
    year = today.year - years_ago
    issued = date(year, 11, 28) if date(year, 11, 28) < today else today
    start = issued - timedelta(days=30)
    notice, _r = notice_publish(actor=province, programme_code="hte", title=f"{year}年拟认定高新技术企业名单公示（演示）",
                                starts_on=start, working_days=10, items=[(app.pk, _fresh(app).version)])  # fmt: skip
    notice_close(actor=province, notice=notice)
    batch = ReportBatch.objects.filter(year=year, reported_on__isnull=False).first()
    if batch is None:
        batch = decisions.report_batch_create(actor=province, year=year, title=f"{year}年认定报备名单（演示）",
                                              application_ids=[app.pk])  # fmt: skip
        decisions.report_batch_mark_reported(actor=province, batch=batch, reported_on=date(year, 11, 20),
                                             reference=f"苏高企报〔{year}〕1号（演示）")  # fmt: skip
    else:  # a reported list of that year: the entry joins it (as if listed when it was reported)
        HteRecord.objects.filter(application_id=app.pk).update(report_batch=batch)
    _act(province, app, "certify", today=issued)
    app = _fresh(app)
    firm = _firm_user(app.enterprise)
    if target == "cancellation":
        missed = after.missed_years(app)
        decisions.cancellation_open(actor=province, application=app, ground="reports", version=app.version,
                                    detail=f"累计两年未填报年度发展情况报表（{'、'.join(map(str, missed))}，演示）",
                                    missed_years=missed)  # fmt: skip
        notice_publish(actor=province, programme_code="hte", title=f"{today.year}年拟取消高新技术企业资格名单公示（演示）",
                       starts_on=today, working_days=10, items=[(app.pk, _fresh(app).version)])  # fmt: skip
        return _fresh(app)
    if target != "certified_expert" and year < today.year:  # last year's report filed (one late)
        after.annual_report_file(actor=firm, application=app, year=year, figures={
            "ip_class1": 3, "ip_class2": 6, "employees": 80, "tech_staff": 25, "rnd_expense": 4_200_000,
            "revenue": 60_000_000, "hitech_revenue": 42_000_000})  # fmt: skip
    if target == "certified" and not app.hte_changes.exists() and rng.random() < 0.5:
        after.change_report_file(
            actor=firm, application=app, kind="move", description="生产基地迁至昆山开发区（演示）"
        )
    return _fresh(app)


def _firm_user(enterprise):
    """The firm's demo user (the one the tech-SME and pool demos use)."""
    from gaoqi.demo.programmes import _firm_user as make

    return make(enterprise)
