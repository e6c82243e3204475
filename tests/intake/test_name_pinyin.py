"""The enterprise list's pinyin key (Enterprise.name_pinyin) follows the name through every writer: an
import that creates or renames firms, its revert, and the synthetic data loader."""

from __future__ import annotations

from datetime import date

from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.intake import services
from gaoqi.ledger.pinyin import sort_key
from gaoqi.registry.models import Enterprise
from tests import factories
from tests.intake.test_services import _registry_file


def test_import_create_rename_and_revert_keep_the_key(officers, tmp_path):
    actor = officers["suzhou"]
    ks = factories.enterprise("320583", name="昆山恒瑞智能装备有限公司", actor=officers["province"])
    new_code = factories.credit_code("320506", 9101)
    path = _registry_file(
        tmp_path,
        "reg.csv",
        [
            [ks.credit_code, "阿拉丁智能科技有限公司", "昆山市", "2015-03-01", "500"],
            [new_code, "重庆路新设科技有限公司", "吴中区", "2024-05-06", "100"],
        ],
    )
    batch = services.batch_commit(
        actor=actor, batch=services.batch_stage(actor=actor, path=path, profile="market_registry")
    )
    ks.refresh_from_db()
    created = Enterprise.objects.get(credit_code=new_code)
    assert ks.name_pinyin == sort_key("阿拉丁智能科技有限公司") and ks.name_pinyin.startswith("a1 la1 ding1")
    assert created.name_pinyin == sort_key("重庆路新设科技有限公司")
    assert created.name_pinyin.startswith("chong2 qing4")  # the phrase reading, not zhong4
    services.batch_revert(actor=actor, batch=batch, reason="误导入")
    ks.refresh_from_db()
    assert ks.name == "昆山恒瑞智能装备有限公司" and ks.name_pinyin == sort_key(ks.name)


def test_synthetic_loader_writes_the_key(db):
    load(generate(60, 5, date(2025, 6, 30)), progress=False)
    firms = list(Enterprise.objects.values_list("name", "name_pinyin"))
    assert len(firms) == 60 and all(key == sort_key(name) and key for name, key in firms)
