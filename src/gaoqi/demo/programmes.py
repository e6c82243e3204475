"""Demo applications of the tech-SME evaluation programme in different phases, made through the real services
(submitted by the firms, decided by the province demo officer, a closed public notice, registration numbers
marked synthetic `SYN-`). Idempotent: nothing is added when applications exist."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gaoqi.accounts.models import Role, User
from gaoqi.errors import ApplicationError
from gaoqi.ledger.models import LedgerEntry
from gaoqi.ledger.selectors import LISTS

# The phase each demo firm's application is left in, in order.
PLAN = ("draft", "submitted", "submitted", "returned", "accepted", "in_notice", "registered", "registered")


def _firm_user(enterprise) -> User:
    user, created = User.objects.get_or_create(
        username=f"demo-sme-{enterprise.pk}",
        defaults={"role": Role.ENTERPRISE, "enterprise": enterprise, "display_name": enterprise.name[:60]},
    )
    if created:
        user.set_unusable_password()  # acts in the demo set-up only; nobody signs in with it
        user.save(update_fields=["password"])
    return user


def ensure_demo_applications() -> int:
    from gaoqi.programmes.tech_sme.services import application_start
    from gaoqi.workflow.models import Application
    from gaoqi.workflow.notices import notice_close, notice_publish
    from gaoqi.workflow.services import transition, transition_batch

    if Application.objects.exists():
        return 0
    province = User.objects.filter(username="province").first()
    if province is None:
        return 0
    entries = (
        LedgerEntry.objects.filter(LISTS["sme_due"], city_id="320500")
        .select_related("enterprise")
        .order_by("enterprise_id")  # not the entry id: that follows the write order (pinyin)
    )
    made = []
    for entry, target in zip(entries[: len(PLAN)], PLAN, strict=False):
        user = _firm_user(entry.enterprise)
        try:
            app = application_start(actor=user, enterprise=entry.enterprise)
            if target != "draft":
                app = transition(actor=user, application=app, action="submit", version=app.version)
        except ApplicationError:
            continue
        made.append((app, target))

    def step(target_set, action, reason=""):
        items = [(a.pk, a.version) for a, t in made if t in target_set]
        if items:
            transition_batch(
                actor=province, items=items, action=action, reason=reason, extra={"synthetic": True}
            )
        for i, (a, t) in enumerate(made):
            made[i] = (Application.objects.get(pk=a.pk), t)

    step({"returned"}, "return", "请补充近一年研发费用辅助账（演示）")
    step({"accepted", "in_notice", "registered"}, "accept")
    to_notice = [(a.pk, a.version) for a, t in made if t in {"in_notice", "registered"}]
    if to_notice:
        today = timezone.localdate()
        notice, _result = notice_publish(
            actor=province,
            programme_code="tech_sme",
            title=f"{today.year}年科技型中小企业入库公示（演示）",
            starts_on=today - timedelta(days=30),
            working_days=10,
            items=to_notice,
        )
        for i, (a, t) in enumerate(made):
            made[i] = (Application.objects.get(pk=a.pk), t)
        if notice.ends_on < today:
            notice_close(actor=province, notice=notice)
            step({"registered"}, "register")
    return len(made)


# The cultivation pool: the phase each demo firm's pool application is left in (Kunshan firms the ledger finds
# eligible, so the demo county, city and province officers all have something to do).
POOL_PLAN = (
    "draft", "submitted", "submitted", "recommended", "expert_review", "expert_review_scored",
    "in_notice", "admitted", "admitted", "admitted",
)  # fmt: skip


def _demo_experts(province) -> list[User]:
    """The demo expert (signs in) and two more of the provincial pool (act in the set-up only)."""
    experts = list(User.objects.filter(username="expert", role=Role.EXPERT))
    for i in (2, 3):
        user, created = User.objects.get_or_create(
            username=f"demo-expert-{i}",
            defaults={"role": Role.EXPERT, "display_name": f"评审专家{i}（演示）"},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        experts.append(user)
    return experts


def ensure_demo_pool() -> int:
    """Demo pool applications in various phases and a first admitted batch, made through the real services
    (synthetic: the intake window is not applied, admission numbers are marked SYN-). Idempotent."""
    from gaoqi.programmes.pool import services as pool
    from gaoqi.workflow.models import Application
    from gaoqi.workflow.notices import notice_close, notice_publish
    from gaoqi.workflow.services import transition, transition_batch

    if Application.objects.filter(programme="pool").exists():
        return 0
    officers = {u.username: u for u in User.objects.filter(username__in=("province", "suzhou", "kunshan"))}
    if len(officers) < 3:
        return 0
    province = officers["province"]
    entries = (
        LedgerEntry.objects.filter(pool_eligible=True, county_id="320583")
        .select_related("enterprise")
        .order_by("enterprise_id")  # not the entry id: that follows the write order (pinyin)
    )
    syn = {"synthetic": True}
    made = []
    for entry in entries[: len(POOL_PLAN) * 2]:
        if len(made) == len(POOL_PLAN):
            break
        target = POOL_PLAN[len(made)]
        user = _firm_user(entry.enterprise)
        try:
            app = pool.application_start(actor=user, enterprise=entry.enterprise)
            if target != "draft":
                app = transition(actor=user, application=app, action="submit", version=app.version, extra=syn)
        except ApplicationError:
            continue
        made.append((app, target))

    def step(actor, targets, action, reason="", **extra):
        items = [(a.pk, a.version) for a, t in made if t in targets]
        if items:
            transition_batch(actor=actor, items=items, action=action, reason=reason, extra={**syn, **extra})
        for i, (a, t) in enumerate(made):
            made[i] = (Application.objects.get(pk=a.pk), t)

    later = set(POOL_PLAN[POOL_PLAN.index("recommended") :])
    step(officers["kunshan"], later, "recommend", "同意推荐（演示）")
    step(officers["suzhou"], later - {"recommended"}, "pass", "市级审核通过（演示）")
    experts = _demo_experts(province)
    for i, (app, target) in enumerate(made):
        if target == "expert_review":  # the demo expert has this one to score
            pool.experts_assign(actor=province, application=app, expert_ids=[e.pk for e in experts])
        elif target in {"expert_review_scored", "in_notice", "admitted"}:
            pool.experts_assign(actor=province, application=app, expert_ids=[e.pk for e in experts])
            for j, expert in enumerate(experts):
                base = 14 + (i + j) % 5
                pool.expert_score(
                    actor=expert,
                    application_pk=app.pk,
                    scores={"innovation": base + 6, "rnd": base + 5, "growth": base - 2, "ip": base - 3},
                    comment="演示评分",
                )
    step(province, {"in_notice", "admitted"}, "expert_pass", "专家评审通过（演示）")
    today = timezone.localdate()
    for target, days_ago in (("admitted", 40), ("in_notice", 0)):
        items = [(a.pk, a.version) for a, t in made if t == target]
        if not items:
            continue
        notice, _result = notice_publish(
            actor=province,
            programme_code="pool",
            title=f"{today.year}年高新技术企业培育库拟入库企业公示（演示）",
            starts_on=today - timedelta(days=days_ago),
            working_days=7,
            items=items,
        )
        if target == "admitted" and notice.ends_on < today:
            notice_close(actor=province, notice=notice)
            for i, (a, t) in enumerate(made):
                made[i] = (Application.objects.get(pk=a.pk), t)
            step(province, {"admitted"}, "admit", "入库（演示）", batch_no=1)
    return len(made)
