"""The office's settings written into config.toml: only the edited keys change, comments and other
tables stay, a refused field writes nothing, an unreadable file is never overwritten."""

from __future__ import annotations

import tomllib

import pytest

from db.errors import UserError
from inspect_app import config
from inspect_app.config_writer import update_config
from inspect_app.services import office_settings
from inspect_app.services.notices import Agency, agency_from_config
from inspect_app.services.office_settings import SettingsRefused

WRITTEN = """\
# 平湖市消防安全检查办公室的配置：改动前请告知信息科
lang = "zh_CN"

[pdf]
font = "/usr/share/fonts/simsun.ttc"  # 宋体：与纸质存档一致

[agency]
name = "旧单位"
reinspection_note = "期满后复查。"  # 保留
number_words = {rectification = "责改"}

[agency.contact]
address = "旧地址"

[calendar]
holidays = ["2027-01-01"]
"""


def values(**changes) -> dict:
    base = {"name": "平湖市经济开发区消防安全委员会办公室", "short": "平经开消", "region": "平湖市",
            "basis": "《中华人民共和国消防法》第十六条\n\n《浙江省消防条例》\n", "contact_address": "平湖市新华北路 1 号",
            "contact_phone": "0573-85012345", "contact_person": "陈科长", "review_body": "平湖市人民政府",
            "court": "平湖市人民法院", "administrative_organ": True, "decline_pct": "25",
            "zombie_output_wan": "1", "zombie_power_pct": "5", "zombie_quarters": "3"}
    return {**base, **changes}


def written() -> dict:
    with config.config_path().open("rb") as handle:
        return tomllib.load(handle)


def test_saving_writes_the_edited_keys_and_keeps_comments_and_other_tables():
    path = config.config_path()
    path.parent.mkdir(parents=True)
    path.write_text(WRITTEN, encoding="utf-8")
    office_settings.save(values())
    text = path.read_text(encoding="utf-8")
    for kept in ("# 平湖市消防安全检查办公室的配置：改动前请告知信息科", "# 宋体：与纸质存档一致", "# 保留"):
        assert kept in text
    data = written()
    assert data["lang"] == "zh_CN" and data["pdf"]["font"] == "/usr/share/fonts/simsun.ttc"
    assert data["calendar"]["holidays"] == ["2027-01-01"]
    agency = data["agency"]
    assert agency["name"] == "平湖市经济开发区消防安全委员会办公室" and agency["short"] == "平经开消"
    assert agency["basis"] == ["《中华人民共和国消防法》第十六条", "《浙江省消防条例》"]  # blank lines dropped
    assert agency["region"] == "平湖市"
    assert agency["reinspection_note"] == "期满后复查。" and agency["number_words"] == {"rectification": "责改"}
    assert agency["contact"] == {"address": "平湖市新华北路 1 号", "phone": "0573-85012345", "person": "陈科长"}
    assert "administrative_organ" not in agency  # the default, not written
    # Only what differs from the defaults is written among the thresholds.
    assert data["risk_flags"] == {"decline_pct": 25, "zombie_quarters": 3}
    assert config.risk_flag_thresholds().decline_pct == 25.0
    # Read back the way issuing reads it.
    issued_by = agency_from_config(config.agency_config(), Agency(name=""))
    assert issued_by.short == "平经开消" and issued_by.contact_phone == "0573-85012345"
    assert not list(path.parent.glob("*.partial"))
    # What the screen shows next time.
    shown = office_settings.current_values()
    assert shown["short"] == "平经开消" and shown["basis"] == "《中华人民共和国消防法》第十六条\n《浙江省消防条例》"
    assert shown["decline_pct"] == "25" and shown["zombie_quarters"] == "3"


def test_emptied_fields_are_taken_out_and_a_new_file_is_made():
    office_settings.save(values(court="", contact_address="", contact_phone="", contact_person="",
                                administrative_organ=False, decline_pct="30", zombie_quarters="2"))
    agency = written()["agency"]
    assert "court" not in agency and "contact" not in agency
    assert agency["administrative_organ"] is False
    assert "risk_flags" not in written()
    office_settings.save(values(name="", short="", region="", basis="", review_body="", court="", contact_address="",
                                contact_phone="", contact_person="", decline_pct="30", zombie_quarters="2"))
    assert written()["agency"] == {"administrative_organ": True}  # the file said something: kept, now true


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("short", "平 经", "单位简称用于文书编号开头"),
    ("short", "平经〔开〕", "单位简称用于文书编号开头"),
    ("short", "平经2", "单位简称用于文书编号开头"),
    ("short", "平湖市经济开发区消防安全委", "不能超过 10 个字"),
    ("name", "平湖市\x07消防", "控制字符"),
    ("name", "平湖市\u202e消防", "控制字符"),
    ("name", "甲" * 61, "不能超过 60 个字"),
    ("basis", "《消防法》\n《浙江省\x00消防条例》", "控制字符"),
    ("basis", "\n".join(f"第{n}条" for n in range(21)), "最多 20 行"),
    ("contact_phone", "office", "电话号码格式不对"),
    ("court", "乙" * 61, "不能超过 60 个字"),
    ("region", "平湖\n市", "控制字符"),
    ("decline_pct", "0", "必须大于 0"),
    ("decline_pct", "120", "不能大于 100"),
    ("zombie_output_wan", "-1", "不能小于 0"),
    ("zombie_power_pct", "五", "不是数字"),
    ("zombie_quarters", "5", "不能大于 4"),
    ("zombie_quarters", "1.5", "不是整数"),
    ("zombie_quarters", "", "必填项"),
])
def test_a_refused_field_names_why_and_nothing_is_written(field, value, expected):
    path = config.config_path()
    path.parent.mkdir(parents=True)
    path.write_text(WRITTEN, encoding="utf-8")
    with pytest.raises(SettingsRefused) as refused:
        office_settings.save(values(**{field: value}))
    assert list(refused.value.messages) == [field]
    assert expected in refused.value.messages[field]
    assert path.read_text(encoding="utf-8") == WRITTEN


def test_english_refusals():
    from forms.i18n import set_language

    set_language("en")
    with pytest.raises(SettingsRefused) as refused:
        office_settings.save(values(short="P E", zombie_quarters="9"))
    assert refused.value.messages == {"short": "The short name starts document numbers: 1-10 characters, "
                                               "no spaces, brackets or digits", "zombie_quarters": "May not be more than 4"}
    assert not config.config_path().exists()


def test_an_unreadable_file_is_refused_and_left_alone():
    path = config.config_path()
    path.parent.mkdir(parents=True)
    broken = "[agency\nname = 'x'\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(UserError) as refused:
        office_settings.save(values())
    assert "无法读取" in refused.value.message() and str(path) in refused.value.message()
    assert path.read_text(encoding="utf-8") == broken


def test_a_key_that_is_not_a_table_is_replaced_by_one(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('agency = "平湖"  # a typo\nlang = "en"\n', encoding="utf-8")
    update_config(path, {"agency": {"name": "平湖市应急管理局", "contact": {"phone": None}}})
    with path.open("rb") as handle:
        assert tomllib.load(handle) == {"lang": "en", "agency": {"name": "平湖市应急管理局"}}


def test_an_inline_contact_table_is_updated_in_place(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[agency]\ncontact = {address = "旧地址", phone = "0573-1"}\n', encoding="utf-8")
    update_config(path, {"agency": {"contact": {"phone": "0573-85012345", "person": "陈"}}})
    with path.open("rb") as handle:
        assert tomllib.load(handle)["agency"]["contact"] == {"address": "旧地址", "phone": "0573-85012345",
                                                             "person": "陈"}
