import os

import pytest
from hypothesis import settings as hypothesis_settings

from gaoqi.accounts.models import Role
from tests import factories

# Tests stay deterministic: property tests draw the same examples on every run (`make test`, CI).
# HYPOTHESIS_PROFILE=explore searches afresh with more examples when hunting for new edge cases.
hypothesis_settings.register_profile("default", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", max_examples=500, derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """PBKDF2 at production strength costs ~0.5 s per user; tests create thousands of users."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """Two cities' firms and one actor of every role: the cast of the scope tests.

    Suzhou (320500): Kunshan (320583) firm `ks`, Wuzhong (320506) firm `wz`; Nanjing (320100): `nj`.
    """
    province = factories.province_admin()
    ks = factories.enterprise("320583", name="昆山测试科技有限公司", actor=province)
    wz = factories.enterprise("320506", name="吴中测试科技有限公司", actor=province)
    nj = factories.enterprise("320115", name="南京江宁测试科技有限公司", actor=province)
    w = {
        "province": province,
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
        "nanjing": factories.officer(Role.CITY_OFFICER, "320100"),
        "kunshan": factories.officer(Role.COUNTY_OFFICER, "320583"),
        "ks": ks,
        "wz": wz,
        "nj": nj,
        "ks_user": factories.enterprise_user(ks),
        "expert": factories.expert_user(),
        "agency": factories.agency_user([wz]),
    }
    return w
