"""Every app's main pages in English, as each role that uses them: the page's own UI text has no Chinese left.

Data stays Chinese and is taken out before looking: firm, agency, institution, region and user names, file names,
notice titles, background jobs' stored notes, and the texts of the Chinese parameter and profile files that pages
show as they are. So are the official Chinese
originals the pages show on purpose: legal citations (class "cite") and tooltips (title attributes) with a
threshold's or a parameter source's Chinese wording."""

from __future__ import annotations

import ast
import re
from datetime import date
from html import escape
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gaoqi.accounts.models import ServiceAgency, User
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.intake.profiles import load_profiles
from gaoqi.jobs.models import Job
from gaoqi.jobs.testing import run_queued_jobs
from gaoqi.policy import ENTERPRISE_POLICIES, load_policy
from gaoqi.programmes.pool import params as pool_params
from gaoqi.regions.models import Region
from gaoqi.registry.models import DataSource, Enterprise
from gaoqi.rnd.models import RndInstitution
from gaoqi.rnd.services import institution_create
from gaoqi.simulation import services as simulation_services
from gaoqi.workflow.models import PublicNotice
from tests import factories
from tests.pool.conftest import noticed as pool_noticed
from tests.pool.conftest import pool_world, today  # noqa: F401 - fixtures
from tests.pool.conftest import scored as pool_scored
from tests.workflow.conftest import sme_world, submitted  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
SIMULATION_DAY = date(2025, 6, 30)

IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
NOT_UI = re.compile(
    r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->"
    # the logo's glyph and the language switch's own name for Chinese
    r'|<span class="brand-mark" aria-hidden="true">高</span>|value="zh-hans"[^>]*>中文</button>'
    # legal citations and tooltips with the Chinese original
    r'|<span class="cite[^"]*"[^>]*>[^<]*</span>| title="[^"]*"'
    # the simulation's parameter table body: the parameter files' own descriptions and sources
    r'|(?<=data-testid="param-table">).*?</table>',
    re.S,
)


def english(user) -> Client:
    client = Client()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    return client


def _parameter_texts() -> list[str]:
    """Texts of the Chinese parameter and profile files, shown as they are: the departments' file formats
    (import profiles: titles, notes, the headers and units their files use), the cultivation pool's
    illustrative score sheet (its items' labels), and the policies' parameters (sources, descriptions)."""
    texts = []
    for profile in load_profiles().values():
        texts += [profile.title, profile.note]
        for col in profile.columns.values():
            texts += ["、".join(col.headers), f"<td>{col.unit}</td>" if col.unit else ""]
    texts += [f">{item['label']}（" for item in pool_params.score_items(timezone.localdate())]
    for as_of in (timezone.localdate(), SIMULATION_DAY):  # the policies' parameters: sources, descriptions
        for name in ENTERPRISE_POLICIES:
            for param in load_policy(name, as_of).params.values():
                texts += [param.source.cite(), param.description]
    return texts


def _job_texts() -> list[str]:
    """A background job's progress note and result summary are stored as the job ran (in the platform's
    language, whoever reads them later)."""
    texts = []
    for message, result in Job.objects.values_list("message", "result"):
        texts += [message, (result or {}).get("summary", "")]
    return texts


def data_strings() -> list[str]:
    """Values that are data, not UI: they stay Chinese in English pages (as written and HTML-escaped)."""
    values = [
        *Enterprise.objects.values_list("name", flat=True),
        *ServiceAgency.objects.values_list("name", flat=True),
        *PublicNotice.objects.values_list("title", flat=True),
        *Region.objects.values_list("name", flat=True),
        *(u.get_full_name() for u in User.objects.all()),
        *DataSource.objects.values_list("file_name", flat=True),
        *RndInstitution.objects.values_list("name", flat=True),
        *_job_texts(),
        *_parameter_texts(),
    ]
    found = {v for v in values if v} | {escape(v, quote=False) for v in values if v}
    return sorted(found, key=len, reverse=True)  # longest first: a name inside a name


def leftovers(html: str) -> list[str]:
    """The Chinese runs left in a page's UI text, each with a little context."""
    text = NOT_UI.sub("", html)
    for value in data_strings():
        text = text.replace(value, "")
    return [text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ") for m in IDEOGRAPH.finditer(text)]


def check(client: Client, urls: list[str]) -> dict[str, list[str]]:
    """{url: Chinese left} over `urls`, each answering 200 in English."""
    found = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        page = response.content.decode()
        assert 'lang="en"' in page, url
        if rest := leftovers(page):
            found[url] = rest
    return found


def test_the_check_finds_chinese_ui_text_and_ignores_data(world):
    html = (
        f'<p>{world["ks"].name} · 苏州市</p><script>var a = "中文";</script>'
        '<span class="cite" title="科技部">国科发政〔2017〕115号</span><p>Grade 分级</p>'
    )
    found = leftovers(html)
    assert len(found) == 1 and "分级" in found[0]
    assert "苏州" not in found[0] and "中文" not in found[0] and "科技部" not in found[0]
    assert leftovers("<p>Grade</p>") == []


OFFICER_PAGES = [
    "web:home",
    "web:enterprise_list",
    "web:follow_up_list",
    "web:agency_list",
    "web:account_list",
    "web:account_new",
    "ledger:ledger",
    "intake:batch_list",
    "jobs:list",
    "workflow:inbox",
    "workflow:notice_list",
    "workflow:notifications",
    "programmes:queue",
    "programmes:campaign",
    "pool:queue",
    "pool:admissions",
    "pool:exits",
    "hte:home",
    "hte:after",
    "rewards:list",
    "rewards:budgets",
    "rewards:payouts",
    "rnd:list",
    "rnd:new",
    "rnd:coverage",
    "rnd:coverage_missing",
    "rnd:evaluation",
    "targets:progress",
    "targets:edit",
    "monitoring:dashboard",
    "monitoring:bulletins",
    "alerts:list",
]


def test_a_city_officers_pages_speak_english(request):
    w = request.getfixturevalue("sme_world")
    app = submitted(w)
    ks = w["ks"].credit_code
    urls = [reverse(n) for n in OFFICER_PAGES] + [
        reverse("programmes:application", args=[app.pk]),
        reverse("programmes:queue") + "?phase=submitted",
        reverse("targets:history", args=["320500"]),
        reverse("monitoring:kpi", args=["valid_hte"]),
        reverse("monitoring:kpi_missing", args=["valid_hte"]),  # the list's page of its own (no script)
        reverse("web:enterprise_tab", args=[ks, "evaluation"]),
        reverse("web:enterprise_tab", args=[ks, "facts"]),
        reverse("web:enterprise_tab", args=[ks, "certificates"]),
        reverse("web:account_detail", args=[w["ks_user"].pk]),
    ]
    client = english(w["suzhou"])
    assert check(client, urls) == {}
    imports = client.get(reverse("intake:batch_list")).content.decode()
    assert "Enterprise name" in imports and "City" in imports  # the profiles' field names, translated
    targets = client.get(reverse("targets:progress")).content.decode()
    assert ">Overall completion rate</option>" in targets


def test_a_province_officers_pages_speak_english(world):
    from gaoqi.jobs import scheduler
    from gaoqi.jobs.models import Schedule

    schedule = Schedule.objects.get(code="bulletins-monthly")
    scheduler.set_enabled(actor=world["province"], schedule=schedule, enabled=True)
    scheduler.run_now(actor=world["province"], schedule=schedule)
    _decided_hte_application(world["ks"])
    urls = [
        reverse(n)
        for n in (
            "web:home",
            "simulation:index",
            "simulation:new",
            "alerts:list",
            "monitoring:dashboard",
            "monitoring:forecast",
            "jobs:schedules",
        )
    ]
    client = english(world["province"])
    assert check(client, urls) == {}
    forecast = client.get(reverse("monitoring:forecast")).content.decode()
    assert "Pass rates by stage" in forecast  # the application-based method and its rates are shown
    assert (
        "Monthly progress bulletins (province and cities)"
        in client.get(reverse("jobs:schedules")).content.decode()
    )
    simulation = client.get(reverse("simulation:index")).content.decode()
    assert "科技型中小企业评价办法" not in simulation  # the policies' English titles


def _decided_hte_application(firm):
    """One HTE application certified last year, so that the forecast page shows its application-based method."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from gaoqi.workflow.models import Application, Decision

    day = timezone.localdate() - timedelta(days=200)
    at = datetime.combine(day, time(10), timezone.get_default_timezone())
    app = Application.objects.create(
        programme="hte",
        year=day.year,
        enterprise=firm,
        city_id=firm.city_id,
        county_id=firm.county_id,
        phase="certified",
        phase_since=at,
        submitted_at=at,
    )
    for k, (source, target) in enumerate((("draft", "submitted"), ("submitted", "certified"))):
        Decision.objects.create(
            application=app,
            action="x",
            from_phase=source,
            to_phase=target,
            at=at + timedelta(days=k),
            version=k + 2,
        )


def test_an_enterprises_pages_speak_english(request):
    w = request.getfixturevalue("sme_world")
    app = submitted(w)
    names = (
        "web:home",
        "workflow:inbox",
        "workflow:notifications",
        "programmes:tech_sme",
        "pool:home",
        "hte:home",
    )
    urls = [reverse(n) for n in names] + [
        reverse("rewards:list"),
        reverse("programmes:application", args=[app.pk]),
        reverse("web:enterprise_detail", args=[w["ks"].credit_code]),
    ]
    assert check(english(w["ks_user"]), urls) == {}


def test_an_experts_and_an_agencys_pages_speak_english(world):
    expert_pages = [reverse(n) for n in ("web:home", "pool:expert_home", "hte:expert_home")]
    assert check(english(world["expert"]), expert_pages) == {}
    agency_pages = [reverse(n) for n in ("web:home", "web:enterprise_list", "web:follow_up_list")]
    assert check(english(world["agency"]), agency_pages) == {}


def test_the_cultivation_pool_pages_speak_english(request):
    w = request.getfixturevalue("pool_world")
    app = pool_scored(w)
    officer = [reverse("pool:application", args=[app.pk]), reverse("pool:queue") + "?phase=expert_review"]
    assert check(english(w["province"]), officer) == {}
    expert = [reverse("pool:expert_home"), reverse("pool:expert_review", args=[app.pk])]
    assert check(english(w["e1"]), expert) == {}
    firm = [reverse("pool:home"), reverse("pool:application", args=[app.pk])]
    assert check(english(w["ks_user"]), firm) == {}


def test_a_public_notice_speaks_english(request):
    w = request.getfixturevalue("pool_world")
    notice, _apps = pool_noticed(w, keys=("wz",))
    urls = [reverse("workflow:notice_list"), reverse("workflow:notice_detail", args=[notice.pk])]
    assert check(english(w["province"]), urls) == {}


def test_a_policy_simulation_and_its_job_speak_english(db):
    as_of = SIMULATION_DAY
    load(generate(40, 7, as_of), progress=False)  # a small synthetic register (its firm names are data)
    province = factories.province_admin()
    reform = simulation_services.reform_save(
        actor=province, name="reform-a", policy="pool", as_of=as_of, values={"rnd.min_ratio": "5"}
    )
    run = simulation_services.run_start(actor=province, reform=reform)
    run_queued_jobs()
    run.refresh_from_db()
    assert run.job.status == "succeeded", run.job.error
    urls = [
        reverse("simulation:reform", args=[reform.pk]),
        reverse("simulation:edit", args=[reform.pk]),
        reverse("simulation:run", args=[run.pk]),
        reverse("jobs:detail", args=[run.job.pk]),
    ]
    assert check(english(province), urls) == {}


def test_an_rnd_institution_speaks_english(world):
    firm = world["ks"]
    institution = institution_create(
        actor=world["province"],
        enterprise=firm,
        name="昆山测试企业技术中心",
        kind="enterprise_tech_center",
        level="provincial",
        recognized_on=date(2024, 5, 6),
    )
    urls = [reverse("rnd:detail", args=[institution.pk]), reverse("rnd:list")]
    assert check(english(world["suzhou"]), urls) == {}


def test_the_login_and_error_pages_speak_english(world):
    client = Client()
    client.cookies["django_language"] = "en"
    login = client.get(reverse("web:login"))
    assert login.status_code == 200
    assert leftovers(login.content.decode()) == [] and "Sign in" in login.content.decode()
    missing = english(world["suzhou"]).get("/no-such-page/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()
    assert leftovers(missing.content.decode()) == []


# --- the catalogue itself ---------------------------------------------------------------------------------------

PO = Path(__file__).resolve().parents[2] / "src/gaoqi/locale/en/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%%")


def _po_entries() -> list[dict]:
    """The catalogue's entries: flags, msgctxt, msgid, msgid_plural and msgstr[...] as plain strings."""
    entries, entry, key = [], None, None
    for line in PO.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry if entry is not None else {"flags": ""}
        if line.startswith("#,"):
            entry["flags"] += line[2:]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += ast.literal_eval(line)
        else:
            key, _sep, value = line.partition(" ")
            entry[key] = ast.literal_eval(value)
    return entries


def test_every_catalogue_entry_is_translated_with_its_placeholders():
    entries = [e for e in _po_entries() if e["msgid"]]  # the header has an empty msgid
    assert len(entries) > 1500
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []
    untranslated = [e["msgid"] for e in entries if not any(v for k, v in e.items() if k.startswith("msgstr"))]
    assert untranslated == []
    for e in entries:
        sources = [e["msgid"], e.get("msgid_plural", e["msgid"])]
        targets = [v for k, v in e.items() if k.startswith("msgstr")]
        for source, target in zip(sources if len(targets) == 2 else sources[:1], targets, strict=True):
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), e["msgid"]
        assert not IDEOGRAPH.search("".join(targets)), e["msgid"]  # an English text, not a copied source
