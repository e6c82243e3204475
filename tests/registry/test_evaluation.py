"""The registry's evaluation adapter takes the list of policies and what they declare from the engine."""

from dataclasses import replace
from datetime import date

from gaoqi.policy import ENTERPRISE_POLICIES, load_policy
from gaoqi.registry.evaluation import PAGE_POLICIES, PolicyResult, latest_titles

AS_OF = date.today()  # the versions in force now are the latest


def _without_placeholders(policy):
    criteria = {
        cid: replace(c, source=replace(c.source, illustrative=False)) if c.source else c
        for cid, c in policy.criteria.items()
    }
    return replace(policy, criteria=criteria)


def test_page_policies_are_the_engine_list():
    assert PAGE_POLICIES == ENTERPRISE_POLICIES


def test_illustrative_follows_the_structured_source_not_the_citation_text():
    pool = load_policy("pool", AS_OF)
    assert pool.illustrative
    assert PolicyResult("pool", pool.title_zh, pool.title_en, pool, None).illustrative
    confirmed = _without_placeholders(pool)  # same citation texts, sources confirmed by an officer
    assert not PolicyResult("pool", pool.title_zh, pool.title_en, confirmed, None).illustrative
    sme = load_policy("tech_sme", AS_OF)
    assert not PolicyResult("tech_sme", sme.title_zh, sme.title_en, sme, None).illustrative
    assert not PolicyResult("pool", "", "", None, None).illustrative


def test_a_policy_not_in_force_is_titled_by_its_latest_version():
    for name in ENTERPRISE_POLICIES:
        current = load_policy(name, AS_OF)
        assert latest_titles(name) == (current.title_zh, current.title_en)
