"""What a person may type: TenantInput, InspectorInput and ParkInput, refused field by field."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from forms import china_time
from forms.errors import field_messages, message
from forms.i18n import t
from forms.inspector import InspectorInput
from forms.park import ParkInput
from forms.tenant import MAX_HEADCOUNT, TenantInput
from tests.conftest import tenant_values


def parse(**overrides) -> TenantInput:
    return TenantInput.model_validate(tenant_values(**overrides))


def refusal(model=TenantInput, values: dict | None = None, lang: str = "zh_CN") -> dict[str, str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(values)
    return field_messages(refused.value, lang)


# --- typed values that parse --------------------------------------------------------------------


def test_the_default_tenant_values_parse():
    tenant = parse()
    assert tenant.name == "平湖测试精密机械有限公司1"
    assert tenant.contact_phone == "13812345678"


@pytest.mark.parametrize(
    "typed", ["1200", "1,200", "1,200㎡", "1200平方米", "1200 m²", "１，２００㎡", "1200.0"]
)
def test_rented_area_reads_thousands_separators_units_and_full_width_digits(typed):
    assert parse(rented_area_m2=typed).rented_area_m2 == Decimal(1200)


def test_rented_area_keeps_decimals():
    assert parse(rented_area_m2="85.5㎡").rented_area_m2 == Decimal("85.5")


@pytest.mark.parametrize("typed", ["35", "35人", "３５", "３５人", " 35 ", "35名"])
def test_headcount_reads_digits_with_or_without_the_unit(typed):
    assert parse(headcount=typed).headcount == 35


def test_zero_headcount_is_allowed_for_an_empty_warehouse():
    assert parse(headcount="0").headcount == 0


@pytest.mark.parametrize(
    ("typed", "code"), [("规上", "above"), ("规下", "below"), ("Above size", "above"), ("below", "below")]
)
def test_scale_reads_chinese_and_english_labels_and_codes(typed, code):
    assert parse(scale=typed).scale == code


def test_risk_points_read_a_list_separated_by_the_enumeration_comma():
    assert parse(risk_points="粉尘、动火作业").risk_points == ["dust", "hot_work"]


def test_risk_points_read_commas_and_drop_repeats():
    assert parse(risk_points="粉尘, 锂电池，粉尘").risk_points == ["dust", "lithium"]


def test_no_risk_points_is_an_empty_list():
    assert parse(risk_points="").risk_points == []


@pytest.mark.parametrize(
    "typed", ["2026-03-01", "2026/3/1", "2026年3月1日", "2026.3.1", "20260301", "２０２６年３月１日"]
)
def test_dates_read_the_forms_people_write(typed):
    assert parse(lease_start=typed).lease_start == date(2026, 3, 1)


def test_lease_use_reads_the_chinese_label():
    assert parse(lease_use="仓储").lease_use == "storage"


def test_landline_with_area_code_is_accepted():
    assert parse(contact_phone="0573-85012345").contact_phone == "0573-85012345"


def test_mobile_with_spaces_is_stored_without_them():
    assert parse(contact_phone="138 1234 5678").contact_phone == "13812345678"


def test_empty_phone_is_no_phone():
    assert parse(contact_phone="").contact_phone is None


def test_sublet_with_subtenant_is_accepted():
    tenant = parse(sublet="是", subtenant_name="嘉兴某某贸易有限公司")
    assert tenant.sublet is True
    assert tenant.subtenant_name == "嘉兴某某贸易有限公司"


def test_agreement_date_with_signature_is_accepted():
    tenant = parse(safety_agreement_signed="已签", safety_agreement_date="2026-01-05")
    assert tenant.safety_agreement_date == date(2026, 1, 5)


def test_fire_hazard_class_reads_the_chinese_class():
    assert parse(fire_hazard_class="戊").fire_hazard_class == "E"


# --- bad values: refused next to the right field, in both languages -----------------------------

REFUSALS = [
    # (overrides, field, catalogue key, values in the message)
    pytest.param({"name": ""}, "name", "required", {}, id="missing-name"),
    pytest.param({"name": "   "}, "name", "required", {}, id="blank-name"),
    pytest.param({"rented_area_m2": "-20"}, "rented_area_m2", "must_be_positive", {}, id="negative-area"),
    pytest.param({"rented_area_m2": "0"}, "rented_area_m2", "must_be_positive", {}, id="zero-area"),
    pytest.param(
        {"rented_area_m2": "一千二"}, "rented_area_m2", "number_format", {"value": "一千二"}, id="area-words"
    ),
    pytest.param({"rented_area_m2": ""}, "rented_area_m2", "required", {}, id="missing-area"),
    pytest.param(
        {"headcount": "三十"}, "headcount", "integer_format", {"value": "三十"}, id="headcount-words"
    ),
    pytest.param(
        {"headcount": "35.5"}, "headcount", "integer_format", {"value": "35.5"}, id="headcount-fraction"
    ),
    pytest.param(
        {"headcount": str(MAX_HEADCOUNT + 1)},
        "headcount",
        "too_large",
        {"max": MAX_HEADCOUNT},
        id="headcount-above-max",
    ),
    pytest.param({"headcount": "-1"}, "headcount", "too_small", {"min": 0}, id="negative-headcount"),
    pytest.param(
        {"contact_phone": "1381234567"},
        "contact_phone",
        "mobile_length",
        {"length": 10},
        id="10-digit-mobile",
    ),
    pytest.param(
        {"contact_phone": "85012345"}, "contact_phone", "phone_format", {}, id="landline-without-area-code"
    ),
    pytest.param(
        {"lease_start": "2026-03-01", "lease_end": "2026-02-28"},
        "lease_end",
        "lease_end_before_start",
        {"start": "2026-03-01"},
        id="lease-end-before-start",
    ),
    pytest.param(
        {"lease_start": "2026-03-01", "lease_end": "2026-03-01"},
        "lease_end",
        "lease_end_before_start",
        {"start": "2026-03-01"},
        id="lease-end-on-start",
    ),
    pytest.param(
        {"lease_start": "2026-02-30"},
        "lease_start",
        "date_format",
        {"value": "2026-02-30"},
        id="impossible-date",
    ),
    pytest.param(
        {"sublet": "是", "subtenant_name": ""},
        "subtenant_name",
        "subtenant_required",
        {},
        id="sublet-with-empty-subtenant",
    ),
    pytest.param({"sublet": "是"}, "subtenant_name", "subtenant_required", {}, id="sublet-without-subtenant"),
    pytest.param(
        {"safety_agreement_date": "2026-01-05"},
        "safety_agreement_date",
        "agreement_date_without_signature",
        {},
        id="agreement-date-without-signature",
    ),
    pytest.param({"lease_use": "养殖"}, "lease_use", "choice", {"value": "养殖", "list": "lease_use"},
                 id="unknown-lease-use"),
    pytest.param({"scale": "中型"}, "scale", "choice", {"value": "中型", "list": "scale"}, id="unknown-scale"),
    pytest.param(
        {"risk_points": "粉尘、闹鬼"}, "risk_points", "choice", {"value": "闹鬼", "list": "risk_point"},
        id="unknown-risk-point"
    ),
    pytest.param({"sublet": "也许"}, "sublet", "yes_no", {"value": "也许"}, id="sublet-not-yes-or-no"),
    pytest.param({"name": "公" * 101}, "name", "too_long", {"max": 100}, id="name-too-long"),
]


@pytest.mark.parametrize(("overrides", "field", "key", "values"), REFUSALS)
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_bad_value_is_refused_next_to_its_field(overrides, field, key, values, lang):
    messages = refusal(values=tenant_values(**overrides), lang=lang)
    assert messages == {field: message(key, dict(values), lang)}


@pytest.mark.parametrize(("overrides", "field", "key", "values"), REFUSALS)
def test_refusal_messages_differ_between_chinese_and_english(overrides, field, key, values):
    assert refusal(values=tenant_values(**overrides), lang="zh_CN") != refusal(
        values=tenant_values(**overrides), lang="en"
    )


@pytest.mark.parametrize(("lang", "wanted"), [
    ("zh_CN", "“规模以内”不在可选值中：规上、规下"),
    ("en", "\"规模以内\" is not one of the accepted values: Above size, Below size"),
])
def test_a_value_outside_a_closed_list_is_refused_with_the_accepted_values(lang, wanted):
    assert refusal(values=tenant_values(scale="规模以内"), lang=lang) == {"scale": wanted}


@pytest.mark.parametrize(("field", "word", "code"), [
    ("scale", "规模以下", "below"), ("scale", "规模以上", "above"), ("lease_use", "仓库", "storage"),
    ("status", "已退租", "left"), ("fire_hazard_class", "丙类", "C"),
])
def test_a_parks_own_word_for_a_closed_list_value_is_read_as_that_value(field, word, code):
    assert getattr(TenantInput.model_validate(tenant_values(**{field: word})), field) == code


def test_missing_name_key_is_refused_as_required():
    values = tenant_values()
    del values["name"]
    assert refusal(values=values, lang="en") == {"name": "Required; may not be empty"}


def test_agreement_date_in_the_future_is_refused():
    tomorrow = (china_time.today() + timedelta(days=1)).isoformat()
    messages = refusal(
        values=tenant_values(safety_agreement_signed="是", safety_agreement_date=tomorrow), lang="en"
    )
    assert messages == {"safety_agreement_date": t("errors.date_in_future", lang="en")}


def test_every_bad_field_gets_its_own_message():
    messages = refusal(values=tenant_values(name="", headcount="三十", contact_phone="12345"))
    assert set(messages) == {"name", "headcount", "contact_phone"}


# --- properties ---------------------------------------------------------------------------------


@given(st.text())
def test_any_text_typed_as_a_phone_is_either_accepted_or_refused_with_a_message(text):
    try:
        tenant = parse(contact_phone=text)
    except ValidationError as refused:
        assert set(field_messages(refused)) == {"contact_phone"}
    else:
        assert tenant.contact_phone is None or tenant.contact_phone.replace("-", "").isascii()


@given(st.text(alphabet="0123456789-() \u3000１３８", max_size=20))
def test_an_accepted_phone_is_a_mobile_or_a_landline_in_ascii_digits(text):
    try:
        phone = parse(contact_phone=text).contact_phone
    except ValidationError:
        return
    if phone is not None:
        digits = phone.replace("-", "")
        assert digits.isascii() and digits.isdigit()
        assert (len(digits) == 11 and digits[0] == "1") or digits[0] == "0"


def test_a_mobile_number_in_non_latin_digits_is_refused():
    # NFKC leaves Arabic-Indic digits alone; a stored phone must be dialable as typed.
    messages = refusal(values=tenant_values(contact_phone="13٨١٢٣٤٥٦٧٨"), lang="en")
    assert messages == {"contact_phone": t("errors.phone_format", lang="en")}


@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_headcount_is_accepted_exactly_from_zero_to_the_maximum(n):
    try:
        accepted = parse(headcount=str(n)).headcount
    except ValidationError as refused:
        assert not 0 <= n <= MAX_HEADCOUNT
        assert set(field_messages(refused)) == {"headcount"}
    else:
        assert 0 <= n <= MAX_HEADCOUNT
        assert accepted == n


@given(st.text(max_size=30))
def test_any_text_typed_as_a_headcount_is_either_a_number_or_refused_with_a_message(text):
    try:
        headcount = parse(headcount=text).headcount
    except ValidationError as refused:
        assert set(field_messages(refused)) == {"headcount"}
    else:
        assert 0 <= headcount <= MAX_HEADCOUNT


# --- inspector profile --------------------------------------------------------------------------


def inspector_values(**overrides) -> dict:
    values = {
        "name": "王建国",
        "id_number": "zj-330482-0017",
        "agency": "平湖市经济和信息化局",
        "phone": "13912345678",
    }
    values.update(overrides)
    return values


def test_inspector_profile_parses_and_upper_cases_the_id_number():
    inspector = InspectorInput.model_validate(inspector_values())
    assert inspector.id_number == "ZJ-330482-0017"
    assert inspector.phone == "13912345678"


def test_inspector_phone_is_optional():
    assert InspectorInput.model_validate(inspector_values(phone="")).phone is None


@pytest.mark.parametrize("id_number", ["ab1", "33 04 82", "ZJ/0017", "A" * 31])
def test_inspector_id_number_of_wrong_shape_is_refused(id_number):
    messages = refusal(InspectorInput, inspector_values(id_number=id_number), "en")
    assert set(messages) == {"id_number"}


@pytest.mark.parametrize("field", ["name", "agency"])
def test_inspector_name_and_agency_are_required(field):
    assert refusal(InspectorInput, inspector_values(**{field: ""}), "en") == {
        field: "Required; may not be empty"
    }


# --- park ---------------------------------------------------------------------------------------


def park_values(**overrides) -> dict:
    values = {
        "code": "ph-002",
        "name": "钟埭街道小微企业园",
        "district": "平湖市",
        "street": "钟埭街道",
        "function_type": "生产制造类",
        "developer_type": "龙头企业",
        "star_rating": "四星",
        "provincially_certified": "是",
        "land_area_mu": "85.3亩",
        "floor_area_m2": "62,000㎡",
    }
    values.update(overrides)
    return values


def test_park_parses_chinese_labels_stars_and_units():
    park = ParkInput.model_validate(park_values())
    assert park.code == "PH-002"
    assert (park.function_type, park.developer_type) == ("manufacturing", "leading_enterprise")
    assert park.star_rating == 4
    assert park.provincially_certified is True
    assert park.land_area_mu == Decimal("85.3")
    assert park.floor_area_m2 == Decimal(62000)
    assert park.property_company is None


@pytest.mark.parametrize(("typed", "stars"), [("", 0), ("无", 0), ("3", 3), ("五星", 5)])
def test_park_star_rating_reads_none_digits_and_words(typed, stars):
    assert ParkInput.model_validate(park_values(star_rating=typed)).star_rating == stars


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "PH 002"}, "code"),
        ({"star_rating": "二星"}, "star_rating"),
        ({"function_type": "养殖类"}, "function_type"),
        ({"land_area_mu": "0"}, "land_area_mu"),
        ({"floor_area_m2": ""}, "floor_area_m2"),
        ({"street": ""}, "street"),
    ],
)
def test_park_bad_value_is_refused_next_to_its_field(overrides, field):
    assert set(refusal(ParkInput, park_values(**overrides), "en")) == {field}


@pytest.mark.parametrize("field", ["land_area_mu", "floor_area_m2"])
def test_park_areas_left_empty_are_refused_as_required(field):
    assert refusal(ParkInput, park_values(**{field: ""}), "en") == {field: "Required; may not be empty"}


def test_mobile_numbers_as_spreadsheets_write_them_are_accepted():
    from forms.fields import phone

    for written in ("+86 138 1234 5678", "138-1234-5678", "0086-13812345678"):
        assert phone(written) == "13812345678"


def test_inspector_id_numbers_are_ascii_letters_digits_and_dashes():
    import pytest
    from pydantic import ValidationError

    from forms.inspector import InspectorInput

    with pytest.raises(ValidationError):
        InspectorInput(name="李明", id_number="证号12345", agency="平湖市应急管理局")
    assert InspectorInput(name="李明", id_number="zj-2020-0187", agency="平湖市应急管理局").id_number == "ZJ-2020-0187"


def test_free_text_keeps_chinese_punctuation_and_full_width_brackets():
    from forms.rectification import RectificationInput
    from forms.tenant import TenantInput
    from tests.conftest import tenant_values

    tenant = TenantInput.model_validate(tenant_values(1, name="平湖市恒达机械有限公司（分公司）"))
    assert tenant.name == "平湖市恒达机械有限公司（分公司）"
    item = RectificationInput(measures="清理通道，搬离货物；设置警示标志")
    assert item.measures == "清理通道，搬离货物；设置警示标志"


@pytest.mark.parametrize("floor, limit", [(-10**4301, "-5"), (10**5000, "100")], ids=["minus 10^4301", "10^5000"])
def test_a_floor_of_thousands_of_digits_is_refused_naming_the_limit(floor, limit):
    # Found by the form fuzzer: str() of an int over 4,300 digits raised a bare ValueError, shown
    # as the catch-all "输入无效" instead of the floors a ledger may hold.
    with pytest.raises(ValidationError) as refused:
        TenantInput.model_validate(tenant_values(1, floor=floor))
    messages = field_messages(refused.value)
    assert list(messages) == ["floor"] and limit in messages["floor"]
