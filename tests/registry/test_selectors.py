"""Merging several departments' reports with provenance, and building the engine's input from it."""

from datetime import UTC, date, datetime

import pytest

from gaoqi.errors import NotFound
from gaoqi.registry.models import IntellectualProperty
from gaoqi.registry.selectors import EnterpriseFilter, enterprise_list, facts_for_policy, merged_facts
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories


def _dt(day):
    return datetime(2025, 1, day, tzinfo=UTC)


@pytest.fixture
def reports(world):
    ks, actor = world["ks"], world["province"]
    tax = factories.source("tax", "税务.xlsx", imported_at=_dt(1))
    sci = factories.source("science_tech", "科技.xlsx", imported_at=_dt(2))
    sci_new = factories.source("science_tech", "科技-更正.xlsx", imported_at=_dt(3))
    for year, revenue in ((2022, 8_000_000), (2023, 9_000_000), (2024, 10_000_000)):
        annual_report_record(
            actor=actor,
            enterprise=ks,
            year=year,
            source=tax,
            source_row=year - 2020,
            values={"revenue": revenue, "rnd_expense": revenue // 20, "net_assets": revenue // 2},
        )
        annual_report_record(
            actor=actor,
            enterprise=ks,
            year=year,
            source=sci,
            values={
                "revenue": 1,
                "employees": 100,
                "tech_staff": 12,
                "ip_class2": 3,
                "achievement_conversions": 2,
            },
        )
    annual_report_record(actor=actor, enterprise=ks, year=2024, source=sci_new, values={"tech_staff": 15})
    return {"tax": tax, "sci": sci, "sci_new": sci_new}


def test_tax_figures_win_for_money_and_newest_science_source_for_staff(world, reports):
    merged = merged_facts(actor=world["kunshan"], enterprise=world["ks"])
    assert merged[2024]["revenue"].value == 10_000_000
    assert merged[2024]["revenue"].source == reports["tax"] and merged[2024]["revenue"].source_row == 4
    assert merged[2024]["tech_staff"].value == 15 and merged[2024]["tech_staff"].source == reports["sci_new"]
    assert merged[2024]["employees"].source == reports["sci"]


def test_facts_for_policy_reads_the_three_years_before_as_of(world, reports):
    certificate_record(
        actor=world["province"],
        enterprise=world["ks"],
        kind="hte",
        number="GR1",
        issued_on=date(2023, 1, 1),
        expires_on=date(2025, 12, 31),
    )
    facts = facts_for_policy(actor=world["kunshan"], enterprise=world["ks"], as_of=date(2025, 6, 30))
    assert (facts.revenue_y1, facts.revenue_y2, facts.revenue_y3) == (8_000_000, 9_000_000, 10_000_000)
    assert facts.rnd_expense_y3 == 500_000 and facts.net_assets_y1 == 4_000_000
    assert facts.tech_staff == 15 and facts.employees == 100
    assert facts.achievement_conversions == 6  # three years' total
    assert facts.has_hte_certificate is True and facts.region_code == "320583"
    later = facts_for_policy(actor=world["kunshan"], enterprise=world["ks"], as_of=date(2026, 6, 30))
    assert later.revenue_y1 == 9_000_000 and later.revenue_y3 is None and later.has_hte_certificate is False


def test_facts_are_not_readable_outside_scope(world, reports):
    with pytest.raises(NotFound):
        facts_for_policy(actor=world["nanjing"], enterprise=world["ks"], as_of=date(2025, 6, 30))


def test_status_filter_is_date_correct(world, time_machine):
    certificate_record(
        actor=world["province"],
        enterprise=world["ks"],
        kind="hte",
        number="GR9",
        issued_on=date(2022, 1, 1),
        expires_on=date(2024, 12, 31),
    )
    time_machine.move_to(date(2024, 12, 31))
    hte = enterprise_list(actor=world["suzhou"], filters=EnterpriseFilter(status="hte"))
    assert [e.pk for e in hte] == [world["ks"].pk]
    time_machine.move_to(date(2025, 1, 1))
    assert not list(enterprise_list(actor=world["suzhou"], filters=EnterpriseFilter(status="hte")))
    candidates = enterprise_list(actor=world["suzhou"], filters=EnterpriseFilter(status="candidate"))
    assert {e.pk for e in candidates} == {world["ks"].pk, world["wz"].pk}


def test_tech_field_filter_matches_sub_fields(world):
    firm = factories.enterprise("320583", actor=world["province"], tech_field="101")
    page = enterprise_list(actor=world["suzhou"], filters=EnterpriseFilter(tech_field="10"))
    assert [e.pk for e in page] == [firm.pk]


def test_list_count_is_capped_but_exact_below_the_cap(world, monkeypatch):
    from gaoqi.registry.selectors import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "COUNT_CAP", 2)
    suzhou = enterprise_list(actor=world["suzhou"], per_page=1)
    assert (suzhou.paginator.count, suzhou.paginator.capped) == (2, False)
    factories.enterprise("320583", actor=world["province"])
    suzhou = enterprise_list(actor=world["suzhou"], per_page=1)
    assert (suzhou.paginator.count, suzhou.paginator.capped, suzhou.paginator.num_pages) == (2, True, 2)
    kunshan = enterprise_list(actor=world["kunshan"], per_page=1)
    assert (kunshan.paginator.count, kunshan.paginator.capped) == (2, False)


def test_sub_field_codes_extend_their_field_code(db):
    """The list filter relies on it: a top-level field is a code prefix."""
    from gaoqi.registry.models import TechField

    subs = TechField.objects.filter(parent__isnull=False)
    assert subs.count() == 52
    assert all(t.code.startswith(t.parent_id) and len(t.parent_id) == 2 for t in subs)


def test_page_one_counts_without_a_count_query_when_it_holds_everything(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        page = enterprise_list(actor=world["suzhou"], per_page=5)
        assert (page.paginator.count, page.paginator.num_pages, page.has_next()) == (2, 1, False)
    with django_assert_num_queries(2):
        page = enterprise_list(actor=world["suzhou"], per_page=1)
        assert (page.paginator.count, page.paginator.num_pages, len(page.object_list)) == (2, 2, 1)
    second = enterprise_list(actor=world["suzhou"], per_page=1, page=2)
    assert second.number == 2 and len(second.object_list) == 1 and not second.has_next()


def _ip(firm, number, ip_class, kind, *, used, granted=date(2022, 1, 1), expires=None):
    return IntellectualProperty.objects.create(
        enterprise=firm,
        ip_class=ip_class,
        kind=kind,
        number=number,
        granted_on=granted,
        expires_on=expires,
        used_in_hte_application=used,
    )


def test_class2_ip_already_used_comes_from_the_ip_items(world, reports):
    as_of = date(2025, 6, 30)
    facts = facts_for_policy(actor=world["kunshan"], enterprise=world["ks"], as_of=as_of)
    assert facts.ip_class2_used is None  # the registry holds no IP item: not reported
    _ip(world["ks"], "U1", 2, "utility_model", used=True)
    _ip(world["ks"], "U2", 2, "utility_model", used=True, expires=date(2024, 12, 31))  # expired on as_of
    _ip(world["ks"], "U3", 2, "software_copyright", used=True, granted=date(2025, 7, 1))  # granted later
    _ip(world["ks"], "U4", 2, "design", used=False)
    _ip(world["ks"], "P1", 1, "invention_patent", used=True)
    _ip(world["wz"], "U5", 2, "utility_model", used=True)  # another firm
    facts = facts_for_policy(actor=world["kunshan"], enterprise=world["ks"], as_of=as_of)
    assert facts.ip_class2_used == 1 and facts.ip_class2 == 3
    # The facts the registry does not hold stay not reported.
    assert facts.rnd_expense_deductible_y3 is None and facts.research_misconduct is None
