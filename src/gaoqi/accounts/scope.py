"""THE one place that decides what an actor may see and do.

Every selector, service, view and API handler asks here; nothing else filters by role or region.
A forbidden object answers exactly like a missing one (NotFound), so nothing leaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import OFFICER_ROLES, AgencyAssignment, Role, ServiceAgency, User
from gaoqi.errors import NotFound, PermissionDenied

NOTHING = Q(pk__in=[])
NOT_FOUND = _("对象不存在或无权访问")
# 0 is the top. An officer administers the officers of the levels below theirs, never their own level.
OFFICER_RANK = {Role.PROVINCE_OFFICER: 0, Role.CITY_OFFICER: 1, Role.COUNTY_OFFICER: 2}
OFFICER_REGION_LEVEL = {
    Role.PROVINCE_OFFICER: "province",
    Role.CITY_OFFICER: "city",
    Role.COUNTY_OFFICER: "county",
}


@dataclass(frozen=True)
class Decision:
    """A permission answer with the reason shown to the user."""

    allowed: bool
    reason: str = ""
    hidden: bool = False  # the object is outside the actor's reach: say "not found", never why

    def __bool__(self) -> bool:
        return self.allowed

    def require(self) -> None:
        """NotFound unless allowed: for reads and for actions on objects, whose refusal must not leak."""
        if not self.allowed:
            raise NotFound(str(NOT_FOUND))

    def enforce(self) -> None:
        """NotFound for an object outside reach (`hidden`), else PermissionDenied with the reason."""
        if self.allowed:
            return
        if self.hidden:
            raise NotFound(str(NOT_FOUND))
        raise PermissionDenied(self.reason)


def _active(actor) -> bool:
    return bool(actor and getattr(actor, "is_authenticated", False) and actor.is_active)


def _officer(actor) -> bool:
    return _active(actor) and actor.role in OFFICER_ROLES


def _region_prefix(actor) -> str:
    """GB/T 2260 codes under an officer's region start with this (a county: the whole code)."""
    code = actor.region_id
    return {Role.PROVINCE_OFFICER: code[:2], Role.CITY_OFFICER: code[:4]}.get(actor.role, code)


def _within(actor, region_code: str | None) -> bool:
    """Is the region `region_code` the officer's own region or below it? Decided from the codes alone."""
    return bool(region_code) and _officer(actor) and region_code.startswith(_region_prefix(actor))


def _above(actor, region_code: str | None) -> bool:
    """Is `region_code` a region that contains the officer's region (its province, city or itself)?"""
    code = actor.region_id
    return bool(region_code) and region_code in {code[:2] + "0000", code[:4] + "00", code}


def region_q(actor, fk: str) -> Q:
    """Rows whose region foreign key `fk` (e.g. "region", "agency__region") lies in the officer's region."""
    if not _officer(actor):
        return NOTHING
    if actor.role == Role.COUNTY_OFFICER:
        return Q(**{f"{fk}_id": actor.region_id})
    return Q(**{f"{fk}__code__startswith": _region_prefix(actor)})  # the FK column itself: no join


def enterprise_q(actor, path: str = "") -> Q:
    """The condition an enterprise (reached through `path`, e.g. "enterprise__") must meet for `actor`."""
    if not _active(actor):
        return NOTHING
    role = actor.role
    if role == Role.PROVINCE_OFFICER:
        # GB/T 2260: the first two digits are the province. A prefix test needs no join and no subquery,
        # so the planner keeps the enterprise indexes (a join on regions cost 0.6 s at 300,000 firms).
        return Q(**{f"{path}city__code__startswith": actor.region_id[:2]})
    if role == Role.CITY_OFFICER:
        return Q(**{f"{path}city_id": actor.region_id})
    if role == Role.COUNTY_OFFICER:
        return Q(**{f"{path}county_id": actor.region_id})
    if role == Role.ENTERPRISE:
        return Q(**{f"{path}pk": actor.enterprise_id})
    if role == Role.SERVICE_AGENCY:
        assigned = AgencyAssignment.objects.filter(agency_id=actor.agency_id).values("enterprise_id")
        return Q(**{f"{path}pk__in": assigned})
    # Experts see only the applications assigned to them, never the registry.
    return NOTHING


def scope_enterprises(actor, qs: QuerySet | None = None) -> QuerySet:
    from gaoqi.registry.models import Enterprise

    qs = Enterprise.objects.all() if qs is None else qs
    return qs.filter(enterprise_q(actor))


def scope_related(actor, qs: QuerySet, path: str = "enterprise") -> QuerySet:
    """Scope any queryset whose rows belong to an enterprise reached through `path`."""
    return qs.filter(enterprise_q(actor, f"{path}__"))


def regional_q(actor) -> Q:
    """`enterprise_q` for a row that carries its firm's region and id itself (`city`, `county`, `enterprise`,
    denormalised, e.g. the ledger): the same reach without a join to the enterprises. The province is a code
    range (an index range on both databases, where a LIKE prefix is not on SQLite)."""
    if not _active(actor):
        return NOTHING
    role = actor.role
    if role == Role.PROVINCE_OFFICER:
        from gaoqi.regions.models import Level, Region

        if not Region.objects.filter(level=Level.PROVINCE).exclude(code=actor.region_id).exists():
            # The platform holds one province and every row's city is a region of it (a foreign key): no
            # condition, so the planner reads a page off the list-order index instead of a city range.
            return Q()
        prefix = actor.region_id[:2]
        return Q(city_id__gte=prefix, city_id__lt=f"{int(prefix) + 1:02d}")
    if role == Role.CITY_OFFICER:
        return Q(city_id=actor.region_id)
    if role == Role.COUNTY_OFFICER:
        return Q(county_id=actor.region_id)
    if role == Role.ENTERPRISE:
        return Q(enterprise_id=actor.enterprise_id)
    if role == Role.SERVICE_AGENCY:
        return Q(
            enterprise_id__in=AgencyAssignment.objects.filter(agency_id=actor.agency_id).values(
                "enterprise_id"
            )
        )
    return NOTHING


def _in_scope(actor, enterprise) -> bool:
    if not _active(actor) or enterprise is None:
        return False
    role = actor.role
    if role == Role.PROVINCE_OFFICER:
        return enterprise.city_id[:2] == actor.region_id[:2]
    if role == Role.CITY_OFFICER:
        return enterprise.city_id == actor.region_id
    if role == Role.COUNTY_OFFICER:
        return enterprise.county_id == actor.region_id
    if role == Role.ENTERPRISE:
        return enterprise.pk == actor.enterprise_id
    if role == Role.SERVICE_AGENCY:
        return AgencyAssignment.objects.filter(
            agency_id=actor.agency_id, enterprise_id=enterprise.pk
        ).exists()
    return False


# Which roles may do what to an enterprise in their scope, and the reason shown to the others.
ACTIONS = {
    "view": (frozenset(Role), ""),
    "view_audit": (OFFICER_ROLES, _("仅科技管理部门可执行此操作")),
    "edit": (OFFICER_ROLES, _("仅科技管理部门可执行此操作")),
    "record_facts": (OFFICER_ROLES | {Role.ENTERPRISE}, _("无权填报企业数据")),
    "view_service_records": (
        OFFICER_ROLES | {Role.SERVICE_AGENCY},
        _("仅科技管理部门和服务机构可查看服务记录"),
    ),
    "log_service": (OFFICER_ROLES | {Role.SERVICE_AGENCY}, _("仅科技管理部门和服务机构可填写服务记录")),
    "assign_agency": (OFFICER_ROLES, _("仅科技管理部门可指派服务机构")),
    # The firm's applications (tech-SME, pool...) on its page: officers of its region and the firm itself.
    "view_applications": (OFFICER_ROLES | {Role.ENTERPRISE}, _("仅科技管理部门和企业本身可查看申报")),
}


def can(actor, action: str, enterprise) -> Decision:
    """May `actor` do `action` to `enterprise`? Actions: the keys of ACTIONS.

    The role is checked first: it costs no query, where an agency's scope check does.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    roles, reason = ACTIONS[action]
    if _active(actor) and actor.role not in roles:
        return Decision(False, str(reason))
    if not _in_scope(actor, enterprise):
        return Decision(False, str(_("不在您的管辖范围内")))
    return Decision(True)


# --- Provenance: who may record facts under which source (数据来源) ------------------------------------------

SELF_DECLARED = "enterprise_self"  # registry.models.Department.ENTERPRISE_SELF (企业自报)


def can_write_source(actor, department: str, enterprise=None, *, source=None) -> Decision:
    """THE provenance rule: may `actor` record facts about `enterprise` under a source of `department`?

    - 企业自报 (self-declared, `enterprise_self`): only an enterprise user, about its own firm. The values are
      the firm's declaration: no officer, expert or service agency writes them (an officer's correction is a
      department source).
    - A department's source (科技, 发改, 工信, 统计, 财政, 税务, 市场监管, 知识产权): only officers, about the firms of
      their region (the reach of `enterprise_q`: a province officer its province, a city officer its city, a
      county officer its county). Officers are the staff of the S&T bureaus (科技局工作人员; an account carries a
      region, not a department): a region's S&T bureau collects the other departments' files for its region
      and imports them, so an officer may import any department's file, for the firms of their region only.
    - An existing `source` (a DataSource) records one bringing-in by one person: only its importer adds to it
      (a self-declared source: any user of the same firm). A source without a recorded importer (a system
      load) is written under the two rules above.
    - Experts, service agencies, anonymous and inactive users never write sourced facts.

    `enterprise` None answers for the department alone (an import before its rows are matched: each row is
    then written only for a firm of `enterprise_q`, the same reach). A firm outside the actor's reach is
    hidden (answers "not found"); a forbidden source is refused with its reason (403).
    """
    from gaoqi.registry.models import Department

    if not _active(actor):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if department not in Department.values:
        return Decision(False, str(_("未知的数据来源部门")))
    if source is not None and source.department != department:
        return Decision(False, str(_("数据来源的部门与所写数据不符")))
    if enterprise is not None and not _in_scope(actor, enterprise):
        return Decision(False, str(NOT_FOUND), hidden=True)
    role = actor.role
    if department == SELF_DECLARED:
        if role != Role.ENTERPRISE:
            return Decision(False, str(_("企业自报数据只能由企业本身填报")))
        importer = source.imported_by if source is not None and source.imported_by_id else None
        if importer is not None and importer.enterprise_id != actor.enterprise_id:
            return Decision(False, str(_("该数据来源属于其他企业，不能以其名义填报")))
        return Decision(True)
    if role not in OFFICER_ROLES:
        label = Department(department).label
        if role == Role.ENTERPRISE:
            return Decision(
                False,
                str(_("企业只能填报企业自报数据；%(d)s数据由科技管理部门导入")) % {"d": label},
            )
        return Decision(False, str(_("仅科技管理部门可导入%(d)s数据")) % {"d": label})
    if source is not None and source.imported_by_id not in (None, actor.pk):
        return Decision(False, str(_("该数据来源由他人导入，不能以其名义写入数据")))
    return Decision(True)


def can_create_enterprise_in(actor, county) -> Decision:
    """Officers register firms in counties under their region."""
    if not _active(actor) or actor.role not in (
        Role.PROVINCE_OFFICER,
        Role.CITY_OFFICER,
        Role.COUNTY_OFFICER,
    ):
        return Decision(False, str(_("仅科技管理部门可登记企业")))
    if actor.region_id not in county.ancestor_codes():
        return Decision(False, str(_("该地区不在您的管辖范围内")))
    return Decision(True)


def get_enterprise_for_actor(actor, *, pk: int | None = None, credit_code: str | None = None):
    """The enterprise if `actor` may view it; NotFound alike for missing and forbidden."""
    # Credit codes are stored upper-case; a lower-case one in a URL or a form finds the same firm.
    lookup = {"pk": pk} if pk is not None else {"credit_code": (credit_code or "").strip().upper()}
    qs = scope_enterprises(actor).select_related("county", "city", "tech_field", "hitech_zone")
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def regions_for_filter(actor):
    """The regions an actor may filter the enterprise list by (their own and below)."""
    from gaoqi.regions.models import Region

    if not _active(actor) or actor.role not in (
        Role.PROVINCE_OFFICER,
        Role.CITY_OFFICER,
        Role.COUNTY_OFFICER,
    ):
        return Region.objects.none()
    region = actor.region
    if actor.role == Role.PROVINCE_OFFICER:
        return Region.objects.filter(province_code=region.code)
    if actor.role == Role.CITY_OFFICER:
        return Region.objects.filter(city_code=region.code)
    return Region.objects.filter(code=region.code)


def zones_for_filter(actor):
    """The high-tech zones an officer may filter the enterprise list by: those of their province or city (a
    county officer gets the zones of their city: a zone has parks across its city's districts)."""
    from gaoqi.registry.models import HitechZone

    if not _officer(actor):
        return HitechZone.objects.none()
    code = actor.region_id
    if actor.role == Role.PROVINCE_OFFICER:
        return HitechZone.objects.filter(city__code__startswith=code[:2])
    return HitechZone.objects.filter(city_id=code[:4] + "00")


# --- Service records (跟踪辅导服务记录) -------------------------------------------------------------------


def scope_service_records(actor, qs: QuerySet | None = None) -> QuerySet:
    """Service records of the firms in scope, for officers and service agencies (never enterprises, experts)."""
    from gaoqi.coaching.models import ServiceRecord

    qs = ServiceRecord.objects.all() if qs is None else qs
    roles, _reason = ACTIONS["view_service_records"]
    if not _active(actor) or actor.role not in roles:
        return qs.none()
    return scope_related(actor, qs)


# --- Service agencies and their assignments -------------------------------------------------------------


def agencies_for_actor(actor, *, manage: bool = False) -> QuerySet:
    """The service agencies an officer works with.

    To assign firms: agencies of the officer's region, below it or above it (a city's agency serves its
    counties). To administer (`manage`: create the agency, its accounts): only those of the region or below.
    An agency's own users see their agency.
    """
    if _officer(actor):
        below = region_q(actor, "region")
        if manage:
            return ServiceAgency.objects.filter(below)
        code = actor.region_id
        return ServiceAgency.objects.filter(below | Q(region_id__in={code[:2] + "0000", code[:4] + "00"}))
    if not manage and _active(actor) and actor.role == Role.SERVICE_AGENCY:
        return ServiceAgency.objects.filter(pk=actor.agency_id)
    return ServiceAgency.objects.none()


def get_agency_for_actor(actor, pk, *, manage: bool = False) -> ServiceAgency:
    """The agency if `actor` works with it; NotFound alike for missing and forbidden."""
    agency = agencies_for_actor(actor, manage=manage).select_related("region").filter(pk=pk).first()
    if agency is None:
        raise NotFound(str(NOT_FOUND))
    return agency


def scope_assignments(actor, qs: QuerySet | None = None) -> QuerySet:
    """Agency assignments: an officer sees those of the firms in scope, an agency its own, others none."""
    qs = AgencyAssignment.objects.all() if qs is None else qs
    if _officer(actor):
        return scope_related(actor, qs)
    if _active(actor) and actor.role == Role.SERVICE_AGENCY:
        return qs.filter(agency_id=actor.agency_id)
    return qs.none()


def can_use_agency(actor, agency: ServiceAgency) -> Decision:
    """May an officer assign firms to `agency` (its region is theirs, below or above theirs)? No query."""
    if _officer(actor) and (_within(actor, agency.region_id) or _above(actor, agency.region_id)):
        return Decision(True)
    return Decision(False, str(NOT_FOUND), hidden=True)


def can_create_agency_in(actor, region) -> Decision:
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可登记服务机构")))
    if not _within(actor, region.code):
        return Decision(False, str(_("该地区不在您的管辖范围内")))
    return Decision(True)


# --- Accounts ------------------------------------------------------------------------------------------

# The roles each officer level may create: the officer levels below its own, agencies, experts, enterprises.
CREATABLE_ROLES = {
    Role.PROVINCE_OFFICER: (
        Role.CITY_OFFICER,
        Role.COUNTY_OFFICER,
        Role.SERVICE_AGENCY,
        Role.EXPERT,
        Role.ENTERPRISE,
    ),
    Role.CITY_OFFICER: (Role.COUNTY_OFFICER, Role.SERVICE_AGENCY, Role.EXPERT, Role.ENTERPRISE),
    Role.COUNTY_OFFICER: (Role.SERVICE_AGENCY, Role.EXPERT, Role.ENTERPRISE),
}


def creatable_roles(actor) -> tuple:
    return CREATABLE_ROLES.get(actor.role, ()) if _officer(actor) else ()


def accounts_q(actor) -> Q:
    """The accounts an officer administers: officers of lower levels in their region, experts of their
    region (a province officer also the provincial pool, experts without a region), the users of agencies of
    their region and of enterprises in their scope. Never their own account, nor a peer's or a superior's."""
    if not _officer(actor):
        return NOTHING
    lower = sorted(r.value for r, rank in OFFICER_RANK.items() if rank > OFFICER_RANK[actor.role])
    in_region = region_q(actor, "region")
    experts = in_region | Q(region__isnull=True) if actor.role == Role.PROVINCE_OFFICER else in_region
    return (
        (Q(role__in=lower) & in_region)
        | (Q(role=Role.EXPERT) & experts)
        | (Q(role=Role.SERVICE_AGENCY) & region_q(actor, "agency__region"))
        | (Q(role=Role.ENTERPRISE) & enterprise_q(actor, "enterprise__"))
    ) & ~Q(pk=actor.pk)


def scope_accounts(actor, qs: QuerySet | None = None) -> QuerySet:
    qs = User.objects.all() if qs is None else qs
    return qs.filter(accounts_q(actor))


def get_account_for_actor(actor, pk) -> User:
    """An account the officer administers, or their own; NotFound alike for missing and forbidden."""
    qs = User.objects.select_related("region", "enterprise", "agency")
    if _officer(actor) and str(pk) == str(actor.pk):
        return qs.get(pk=actor.pk)
    user = qs.filter(accounts_q(actor), pk=pk).first()
    if user is None:
        raise NotFound(str(NOT_FOUND))
    return user


def can_manage_account(actor, user, action: str) -> Decision:
    """Actions on an account: view, set_active, issue_token, revoke_token.

    An officer manages the accounts of `accounts_q` and, for API tokens, their own; nobody disables their own
    account. `user` must come from get_account_for_actor (which already applied the scope).
    """
    if action not in ("view", "set_active", "issue_token", "revoke_token"):
        raise ValueError(f"unknown action {action!r}")
    if not _officer(actor):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if user.pk == actor.pk:
        if action == "set_active":
            return Decision(False, str(_("不能停用或启用自己的账号")))
        return Decision(True)
    if not _account_in_scope(actor, user):
        return Decision(False, str(NOT_FOUND), hidden=True)
    return Decision(True)


def _account_in_scope(actor, user) -> bool:
    """accounts_q for one loaded account, decided in Python (no query when its agency and enterprise are
    loaded, as get_account_for_actor does). The scope tests hold the two to the same answers."""
    if not _officer(actor) or user.pk == actor.pk:
        return False
    if user.role in OFFICER_RANK:
        return OFFICER_RANK[user.role] > OFFICER_RANK[actor.role] and _within(actor, user.region_id)
    if user.role == Role.EXPERT:
        return _within(actor, user.region_id) or (
            user.region_id is None and actor.role == Role.PROVINCE_OFFICER
        )
    if user.role == Role.SERVICE_AGENCY:
        return user.agency_id is not None and _within(actor, user.agency.region_id)
    if user.role == Role.ENTERPRISE:
        return user.enterprise_id is not None and _in_scope(actor, user.enterprise)
    return False


def can_create_account(actor, *, role: str, region=None, enterprise=None, agency=None) -> Decision:
    """May the officer create an account of `role` bound to `region` / `enterprise` / `agency`?

    Officers: a lower level, bound to a region of that level in the creator's region. Experts: a region in the
    creator's region (or none, the provincial pool, for a province officer). Agency users: an agency of the
    creator's region or below. Enterprise users: a firm in the creator's scope.
    """
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可管理账号")))
    if role not in creatable_roles(actor):
        return Decision(False, str(_("无权创建该角色的账号：只能创建下级管理员、服务机构、专家和企业账号")))
    if role in OFFICER_ROLES:
        if region is None or region.level != OFFICER_REGION_LEVEL[role]:
            return Decision(False, str(_("管理员账号须绑定对应层级的地区")))
        if not _within(actor, region.code):
            return Decision(False, str(_("该地区不在您的管辖范围内")))
    elif role == Role.EXPERT:
        if region is None and actor.role != Role.PROVINCE_OFFICER:
            return Decision(False, str(_("专家账号须绑定您辖区内的地区")))
        if region is not None and not _within(actor, region.code):
            return Decision(False, str(_("该地区不在您的管辖范围内")))
    elif role == Role.SERVICE_AGENCY:
        if agency is None or not _within(actor, agency.region_id):
            return Decision(False, str(_("该服务机构不在您的管辖范围内")), hidden=True)
    elif role == Role.ENTERPRISE:
        if enterprise is None or not _in_scope(actor, enterprise):
            return Decision(False, str(_("该企业不在您的管辖范围内")), hidden=True)
    return Decision(True)


# --- Programme applications (gaoqi.workflow) ------------------------------------------------------------


def application_q(actor, path: str = "") -> Q:
    """Applications (reached through `path`, e.g. "application__") `actor` may see: an officer those of the
    firms of their region (the application's own denormalised city/county columns: no join), a firm its own.
    Experts and agencies see none here (expert assignments come with the expert review)."""
    if not _active(actor):
        return NOTHING
    if actor.role == Role.PROVINCE_OFFICER:
        return Q(**{f"{path}city__code__startswith": actor.region_id[:2]})  # the FK column: no join
    if actor.role == Role.CITY_OFFICER:
        return Q(**{f"{path}city_id": actor.region_id})
    if actor.role == Role.COUNTY_OFFICER:
        return Q(**{f"{path}county_id": actor.region_id})
    if actor.role == Role.ENTERPRISE:
        return Q(**{f"{path}enterprise_id": actor.enterprise_id})
    return NOTHING


def scope_applications(actor, qs: QuerySet | None = None) -> QuerySet:
    from gaoqi.workflow.models import Application

    qs = Application.objects.all() if qs is None else qs
    return qs.filter(application_q(actor))


def _application_in_scope(actor, application) -> bool:
    """application_q for one loaded application, decided in Python (no query)."""
    if not _active(actor):
        return False
    if actor.role == Role.PROVINCE_OFFICER:
        return application.city_id[:2] == actor.region_id[:2]
    if actor.role == Role.CITY_OFFICER:
        return application.city_id == actor.region_id
    if actor.role == Role.COUNTY_OFFICER:
        return application.county_id == actor.region_id
    if actor.role == Role.ENTERPRISE:
        return application.enterprise_id == actor.enterprise_id
    return False


def get_application_for_actor(actor, pk):
    """The application if `actor` may see it; NotFound alike for missing and forbidden."""
    qs = scope_applications(actor).select_related("enterprise", "city", "county")
    try:
        obj = qs.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def can_transition(actor, application, roles) -> Decision:
    """May `actor` take a workflow transition open to `roles` (role codes, "system" for scheduled jobs) on
    `application`? Outside the actor's reach: hidden (answers "not found"); in reach but another role: the
    reason. `actor` None is the system (scheduled jobs), allowed only where the table says "system"."""
    if actor is None:
        return Decision("system" in roles, str(_("该操作仅由系统执行")))
    if not _application_in_scope(actor, application):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.role not in roles:
        return Decision(False, str(_("您的角色或层级无权执行此操作")))
    return Decision(True)


def can_manage_notice(actor, region_code: str) -> Decision:
    """Public notices (公示) are published, and their objections recorded and resolved, by the officers of
    the publishing region or above it."""
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可执行此操作")))
    if not _within(actor, region_code):
        return Decision(False, str(NOT_FOUND), hidden=True)
    return Decision(True)


# --- R&D institutions (gaoqi.rnd) -------------------------------------------------------------------------


def scope_rnd_institutions(actor, qs: QuerySet | None = None) -> QuerySet:
    """R&D institutions whose host firm `actor` may see (region of the host firm; a firm its own)."""
    from gaoqi.rnd.models import RndInstitution

    qs = RndInstitution.objects.all() if qs is None else qs
    return scope_related(actor, qs)


def get_rnd_institution_for_actor(actor, pk):
    """The institution if `actor` may see its host firm; NotFound alike for missing and forbidden."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(str(NOT_FOUND)) from None
    obj = (
        scope_rnd_institutions(actor)
        .select_related("enterprise", "enterprise__city", "enterprise__county")
        .filter(pk=pk)
        .first()
    )
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def can_manage_rnd(actor, enterprise) -> Decision:
    """Registering an institution, changing its status, recording its annual performance or a firm's
    百企示范/千企试点/万企行动 tag: the officers whose region holds the host firm."""
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可执行此操作")))
    if not _in_scope(actor, enterprise):
        return Decision(False, str(NOT_FOUND), hidden=True)
    return Decision(True)


def can_view_region(actor, region_code: str | None) -> Decision:
    """Region-level figures (coverage, target progress) of `region_code`: officers of that region or above."""
    if _officer(actor) and _within(actor, region_code):
        return Decision(True)
    return Decision(False, str(NOT_FOUND), hidden=True)


# --- Targets (gaoqi.targets) -------------------------------------------------------------------------------


def target_regions(actor) -> QuerySet:
    """The regions whose targets `actor` sets: a province officer its cities, a city officer its counties,
    anybody else none (a county officer only reads its own county's targets)."""
    from gaoqi.regions.models import Region

    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return Region.objects.filter(province_code=actor.region_id, level="city")
    if _officer(actor) and actor.role == Role.CITY_OFFICER:
        return Region.objects.filter(city_code=actor.region_id, level="county")
    return Region.objects.none()


def can_set_target(actor, region) -> Decision:
    """The province sets its cities' targets, a city its counties'. Outside the actor's region: hidden."""
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可执行此操作")))
    if not _within(actor, region.code):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.role == Role.PROVINCE_OFFICER and region.level == "city":
        return Decision(True)
    if actor.role == Role.CITY_OFFICER and region.level == "county" and region.city_code == actor.region_id:
        return Decision(True)
    return Decision(False, str(_("目标任务由上一级下达：省下达设区市目标，设区市下达县（市、区）目标")))


def scope_targets(actor, qs: QuerySet | None = None) -> QuerySet:
    """Targets of the regions in the officer's region (a county officer: its own county's only)."""
    from gaoqi.targets.models import Target

    qs = Target.objects.all() if qs is None else qs
    return qs.filter(region_q(actor, "region"))


# --- Rewards and payouts (入库奖励 / 培育奖励 / 首次认定奖励) ------------------------------------------------------
# An issuer is a region paying from its own budget. Officers see the entitlements of the firms in their scope
# (whichever issuer pays them) and the budgets of their region, the regions above it and below it; a firm sees
# its own entitlements. Only the issuer's own officers decide: budgets, computation, approval, payout.


def scope_entitlements(actor, qs: QuerySet | None = None) -> QuerySet:
    """Entitlements an officer (firms in scope) or an enterprise user (its own) may see; nobody else."""
    from gaoqi.rewards.models import Entitlement

    qs = Entitlement.objects.all() if qs is None else qs
    if not _active(actor) or actor.role not in OFFICER_ROLES | {Role.ENTERPRISE}:
        return qs.none()
    return scope_related(actor, qs)


def _issuer_visible(actor, issuer_code: str | None) -> bool:
    return _officer(actor) and (_within(actor, issuer_code) or _above(actor, issuer_code))


def scope_reward_budgets(actor, qs: QuerySet | None = None) -> QuerySet:
    """Budgets of the officer's region, of the regions above it and below it."""
    from gaoqi.rewards.models import Budget

    qs = Budget.objects.all() if qs is None else qs
    if not _officer(actor):
        return qs.none()
    code = actor.region_id
    return qs.filter(region_q(actor, "issuer") | Q(issuer_id__in={code[:2] + "0000", code[:4] + "00"}))


def can_manage_rewards(actor, issuer_code: str | None) -> Decision:
    """May `actor` set the budget of, compute, approve, reject and pay the rewards of the issuer? Only the
    issuer's own officers; an issuer outside the officer's reach answers like a missing one."""
    if not _issuer_visible(actor, issuer_code):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.region_id != issuer_code:
        return Decision(False, str(_("仅发放单位本级科技管理部门可以决定其奖励和预算")))
    return Decision(True)


# --- Monitoring: KPIs, dashboards, bulletins (gaoqi.monitoring) ----------------------------------------------
# A region's KPIs, dashboard and missing-firm lists: can_view_region (officers of that region or above).


def scope_bulletins(actor, qs: QuerySet | None = None) -> QuerySet:
    """Bulletins of the officer's region and the regions below it; nobody else sees any."""
    from gaoqi.monitoring.models import Bulletin

    qs = Bulletin.objects.all() if qs is None else qs
    return qs.filter(region_q(actor, "region"))


def get_bulletin_for_actor(actor, pk):
    """The bulletin if its region is the officer's or below it; NotFound alike for missing and forbidden."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(str(NOT_FOUND)) from None
    obj = scope_bulletins(actor).select_related("region").filter(pk=pk).first()
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def can_generate_bulletin(actor, region_code: str | None) -> Decision:
    """Officers generate the bulletins of their region and the regions below it; elsewhere: hidden."""
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可执行此操作")))
    if not _within(actor, region_code):
        return Decision(False, str(NOT_FOUND), hidden=True)
    return Decision(True)


def can_record_statistic(actor, region_code: str | None) -> Decision:
    """Statistics-bureau figures (regional totals) are imported by the officers of that region or above."""
    if not _officer(actor):
        return Decision(False, str(_("仅科技管理部门可导入统计数据")))
    if not _within(actor, region_code):
        return Decision(False, str(_("该地区不在您的管辖范围内")), hidden=True)
    return Decision(True)


def can_run_kpi_snapshot(actor) -> Decision:
    """The monthly KPI snapshot covers the whole province: its province officers may recompute it."""
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return Decision(True)
    return Decision(False, str(_("仅省级管理员可重新计算指标快照")))


# --- Expert review (gaoqi.experts; the cultivation pool's province review) ----------------------------------
# An expert sees only the applications assigned to them, and only their own scores. Province officers assign
# the experts of their pool to the applications in their scope and see the panel's scores once all have scored.


def scope_expert_assignments(actor, qs: QuerySet | None = None) -> QuerySet:
    """An expert: their own assignments; a province officer: those of the applications in scope; else none."""
    from gaoqi.experts.models import ExpertAssignment

    qs = ExpertAssignment.objects.all() if qs is None else qs
    if _active(actor) and actor.role == Role.EXPERT:
        return qs.filter(expert_id=actor.pk)
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return qs.filter(application_q(actor, "application__"))
    return qs.none()


def get_assignment_for_expert(actor, application_pk):
    """The expert's own assignment to an application; NotFound alike for a missing application, one assigned
    to another expert only, and any caller who is not an expert."""
    if not (_active(actor) and actor.role == Role.EXPERT):
        raise NotFound(str(NOT_FOUND))
    try:
        pk = int(application_pk)
    except (TypeError, ValueError):
        raise NotFound(str(NOT_FOUND)) from None
    obj = (
        scope_expert_assignments(actor)
        .select_related("application__enterprise", "application__county")
        .filter(application_id=pk)
        .first()
    )
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def assignable_experts(actor) -> QuerySet:
    """The active experts an officer may assign: those of the accounts they administer (a province officer:
    the provincial pool and the experts of the province's regions)."""
    return scope_accounts(actor).filter(role=Role.EXPERT, is_active=True)


def can_assign_experts(actor, application) -> Decision:
    """Province officers assign (and withdraw) the experts of an application in their scope."""
    if not _application_in_scope(actor, application):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.role != Role.PROVINCE_OFFICER:
        return Decision(False, str(_("仅省级管理员可指派评审专家")))
    return Decision(True)


def can_see_panel_scores(actor, application, *, complete: bool) -> Decision:
    """The experts' individual scores: province officers in scope, once every assigned expert has scored (the
    review is independent). An expert never sees another expert's score."""
    if not _application_in_scope(actor, application) or actor.role != Role.PROVINCE_OFFICER:
        return Decision(False, str(NOT_FOUND), hidden=True)
    if not complete:
        return Decision(False, str(_("专家评分尚未全部完成")))
    return Decision(True)


def scope_pool_records(actor, qs: QuerySet | None = None) -> QuerySet:
    """Cultivation-pool records (admissions, exits) of the applications `actor` may see."""
    from gaoqi.programmes.pool.models import PoolRecord

    qs = PoolRecord.objects.all() if qs is None else qs
    return qs.filter(application_q(actor, "application__"))


# --- Alerts (gaoqi.alerts) and policy simulation (gaoqi.simulation) ---------------------------------------------


def alert_q(actor) -> Q:
    """Alerts an officer sees: those of their region and below (a firm's alert belongs to its county and city, a
    city's alert to the city). A county officer does not see its city's own alerts. Nobody else sees any."""
    if not _officer(actor):
        return NOTHING
    if actor.role == Role.PROVINCE_OFFICER:
        return Q(city__code__startswith=actor.region_id[:2])  # the FK column itself: no join
    if actor.role == Role.CITY_OFFICER:
        return Q(city_id=actor.region_id)
    return Q(county_id=actor.region_id)


def scope_alerts(actor, qs: QuerySet | None = None) -> QuerySet:
    from gaoqi.alerts.models import Alert

    qs = Alert.objects.all() if qs is None else qs
    return qs.filter(alert_q(actor))


def get_alert_for_actor(actor, pk):
    """The alert if `actor` may see it; NotFound alike for missing and forbidden."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(str(NOT_FOUND)) from None
    obj = scope_alerts(actor).select_related("enterprise", "city", "act_region").filter(pk=pk).first()
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def can_handle_alert(actor, alert) -> Decision:
    """Acknowledge or resolve: any officer who sees the alert (the one named to act, or a level above)."""
    if not _officer(actor):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if not scope_alerts(actor).filter(pk=alert.pk).exists():
        return Decision(False, str(NOT_FOUND), hidden=True)
    return Decision(True)


def can_run_alert_scan(actor) -> Decision:
    """The scan covers the whole register: its province officers may start one (it also runs on a schedule)."""
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return Decision(True)
    return Decision(False, str(_("仅省级管理员可发起全省预警扫描")))


def can_manage_schedules(actor) -> Decision:
    """Schedules (定时任务: bulletins, KPI snapshot, alert scan) cover the province: its officers manage them;
    anyone else: the page does not exist."""
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return Decision(True)
    return Decision(False, str(NOT_FOUND), hidden=True)


def can_simulate(actor) -> Decision:
    """Policy simulation (政策模拟): the province's policy officers only; anyone else: the page does not exist."""
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return Decision(True)
    return Decision(False, str(NOT_FOUND), hidden=True)


# --- HTE certification (gaoqi.programmes.hte) -------------------------------------------------------------------


def can_prepare_hte(actor, enterprise) -> Decision:
    """The firm prepares its own HTE application; a city officer may prepare it for a firm of the city. Anyone
    else, or a firm out of reach: not found."""
    if _active(actor) and actor.role == Role.ENTERPRISE and actor.enterprise_id == enterprise.pk:
        return Decision(True)
    if _officer(actor) and actor.role == Role.CITY_OFFICER and _in_scope(actor, enterprise):
        return Decision(True)
    if _officer(actor) and _in_scope(actor, enterprise):
        return Decision(False, str(_("高企认定申请由企业或市级科技部门填报")))
    return Decision(False, str(NOT_FOUND), hidden=True)


def can_draw_hte_panel(actor, application) -> Decision:
    """Province officers draw (and re-draw) the expert panel of an application in their scope."""
    if not _application_in_scope(actor, application):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.role != Role.PROVINCE_OFFICER:
        return Decision(False, str(_("仅省级认定机构可抽取评审专家")))
    return Decision(True)


def can_see_hte_scores(actor, application, *, member: bool, aggregated: bool) -> Decision:
    """The individual scores of an HTE panel: province officers in scope and the panel's members, only once the
    leader has aggregated (until then each expert sees their own scores only)."""
    if not (member or (_application_in_scope(actor, application) and actor.role == Role.PROVINCE_OFFICER)):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if not aggregated:
        return Decision(False, str(_("专家组组长汇总后方可查看各专家评分")))
    return Decision(True)


def can_review_hte_change(actor, application) -> Decision:
    """Change reports of certified HTEs (更名/重大变化) are reviewed by the province's officers in scope."""
    if not _application_in_scope(actor, application) or not _officer(actor):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.role != Role.PROVINCE_OFFICER:
        return Decision(False, str(_("仅省级认定机构可审核变更报告")))
    return Decision(True)


def can_decide_hte(actor, application) -> Decision:
    """The certification body's decisions on an HTE application in scope (on-site checks, cancellation cases):
    province officers; other officers in reach are told why; anyone else: not found."""
    if not _application_in_scope(actor, application) or not _officer(actor):
        return Decision(False, str(NOT_FOUND), hidden=True)
    if actor.role != Role.PROVINCE_OFFICER:
        return Decision(False, str(_("仅省级认定机构可执行此操作")))
    return Decision(True)


def scope_hte_report_batches(actor, qs: QuerySet | None = None) -> QuerySet:
    """认定报备 batches: the province officers of the reporting province; nobody else."""
    from gaoqi.programmes.hte.models import ReportBatch

    qs = ReportBatch.objects.all() if qs is None else qs
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return qs.filter(region__code__startswith=actor.region_id[:2])
    return qs.none()


def get_hte_report_batch_for_actor(actor, pk):
    try:
        obj = scope_hte_report_batches(actor).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def can_report_hte(actor) -> Decision:
    """认定报备 lists are made and marked reported by the province's officers (the certification body)."""
    if _officer(actor) and actor.role == Role.PROVINCE_OFFICER:
        return Decision(True)
    return Decision(False, str(_("仅省级认定机构可办理认定报备")))
