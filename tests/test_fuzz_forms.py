"""Fuzz: every form validator (issue 8, item 2).

Random text, unicode, numbers, huge and empty values for every field of every input model end in
either a valid model or a ValidationError whose every error has a catalogue message in zh_CN and
en (the kind is a key of both catalogues, its placeholders are filled); never another exception.
"""

from __future__ import annotations

import string
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from forms import credit_code as cc
from forms import fields
from forms.errors import PYDANTIC_KINDS, field_messages, message
from forms.i18n import catalogue
from forms.inspector import InspectorInput
from forms.park import ParkInput
from forms.quarterly import QuarterlyInput, parse_period, parse_year, quarter_warnings, warnings_by_field
from forms.rectification import HazardInput, RectificationInput
from forms.tenant import TenantInput
from tests.conftest import make_credit_code, tenant_values
from tests.fuzz import fuzz_settings

LANGUAGES = ("zh_CN", "en")

# What people and spreadsheets really put in cells, to mix with plain random values.
SHAPES = ["", " ", "\u3000", "0", "-1", "1,200㎡", "１２００", "35人", "1.2万度", "35万元", "12000kWh", "—", "无",
          "2026-02-30", "2026年13月1日", "20261126", "0000-00-00", "9999-12-31", "是", "否", "已签订", "规上",
          "生产", "仓储", "粉尘、动火作业", "NaN", "inf", "-inf", "1e999999", "1e-999999", "+86 138-1234-5678",
          "0573-85123456", "１３８１２３４５６７８", "٣٣", "Ⅻ", "²", "2026Q5", "第五季度", "三季度", "一般", "重大",
          "PH-001", "ph 001", "\x00", "\ud800", "A" * 5000, make_credit_code(7), make_credit_code(7).lower(),
          make_credit_code(7)[:17] + "X", "{value}", "{0}", "%s", "9" * 5000, "２" * 5000]

huge_text = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(100, 3000))
scalar = st.one_of(
    st.sampled_from(SHAPES), st.text(), st.text(alphabet=string.digits + ".,-+e万元㎡人年月日 "), huge_text,
    st.none(), st.booleans(), st.integers(), st.integers(-(10**30), 10**30), st.floats(),
    st.decimals(allow_nan=True, allow_infinity=True), st.dates(),
    st.integers(4301, 6000).map(lambda digits: -(10**digits)),  # past what str() of an int prints
)
# Lists only reach a model from code (risk points), never with a 4300-digit number inside.
value = st.one_of(scalar, st.lists(scalar.filter(lambda v: not isinstance(v, int) or abs(v) < 10**4000), max_size=4))

MODELS: list[type[BaseModel]] = [TenantInput, ParkInput, InspectorInput, HazardInput, RectificationInput,
                                 QuarterlyInput]


def assert_message(kind: str, context: dict | None, lang: str) -> None:
    """`kind` is a key of the catalogue and every {placeholder} of its text is given a value
    (t() formats only when values are given, so a missing one would show as "{max}")."""
    key = "errors." + PYDANTIC_KINDS.get(kind, kind)
    template = catalogue(lang).get(key)
    assert template, (lang, kind, context)
    wanted = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    given_ = set(context or {}) | ({"max"} if "max_length" in (context or {}) else set())
    # A closed list's refusal names its accepted values, looked up from the list's name (forms/errors.py).
    given_ |= {"choices"} if {"list", "options"} & set(context or {}) else set()
    assert wanted <= given_, (lang, kind, wanted, context)
    assert message(kind, context, lang)


def assert_translated(error: ValidationError) -> None:
    for lang in LANGUAGES:
        for err in error.errors():
            assert_message(err["type"], err.get("ctx"), lang)
        assert all(field_messages(error, lang).values())


def validate(model: type[BaseModel], values: dict) -> BaseModel | None:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        assert error.errors()
        assert_translated(error)
        return None


def model_values(model: type[BaseModel], base: dict | None = None):
    """Every field of `model` given a random value (or left out), on top of `base`."""
    names = list(model.model_fields)
    return st.fixed_dictionaries({}, optional={name: value for name in names}).map(
        lambda drawn: {**(base or {}), **drawn})


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@fuzz_settings(60)
@given(data=st.data())
def test_any_values_give_a_model_or_translated_errors(model, data):
    validate(model, data.draw(model_values(model)))


@fuzz_settings(80)
@given(values=model_values(TenantInput, tenant_values(1)))
@example(values=tenant_values(1, headcount=10**5000))  # more digits than int() may print
@example(values=tenant_values(1, rented_area_m2=Decimal("1e999999999")))
@example(values=tenant_values(1, lease_start="2026-01-01", lease_end="2025-01-01"))
def test_a_valid_tenant_with_random_fields_changed(values):
    """Starting from a valid row, so the cross-field rules (lease dates, sublet) are reached."""
    validate(TenantInput, values)


@fuzz_settings(40)
@given(values=model_values(QuarterlyInput), area=st.one_of(st.none(), st.floats(0, 1e7)),
       heads=st.one_of(st.none(), st.integers(0, 20_000)), previous=model_values(QuarterlyInput))
def test_quarterly_warnings_translate_for_any_accepted_figures(values, area, heads, previous):
    data, before = validate(QuarterlyInput, values), validate(QuarterlyInput, previous)
    if data is None:
        return
    warnings = quarter_warnings(data, rented_area_m2=area, headcount=heads, previous=before)
    for lang in LANGUAGES:
        shown = warnings_by_field(warnings, lang)
        assert all(shown.values())
        for warning in warnings:
            assert warning.message(lang) != warning.kind


PARSERS = [
    ("credit_code", fields.credit_code), ("phone", fields.phone), ("parse_date", fields.parse_date),
    ("yes_no", fields.yes_no), ("parse_period", parse_period), ("parse_year", parse_year),
    ("number", lambda v: fields.number(v, minimum=Decimal(0), maximum=Decimal(10**6), strictly_positive=False,
                                       integer=True)),
]


class _OneField(BaseModel):
    value: object = None


@pytest.mark.parametrize("name, parse", PARSERS, ids=[p[0] for p in PARSERS])
@fuzz_settings(60)
@given(raw=scalar)
def test_single_value_parsers_raise_only_translated_field_errors(name, parse, raw):
    """The parsers the importers call one cell at a time, outside any model."""
    from pydantic_core import PydanticCustomError

    try:
        parse(raw)
    except PydanticCustomError as error:
        for lang in LANGUAGES:
            assert_message(error.type, error.context, lang)


@fuzz_settings(60)
@given(raw=st.text())
def test_credit_code_problems_name_a_catalogue_key(raw):
    code = cc.normalise(raw)
    found = cc.problem(code)
    if found is None:
        assert len(code) == cc.LENGTH
        cc.organisation_code_warning(code)
    else:
        for lang in LANGUAGES:
            assert_message(found.kind, found.context, lang)


def test_an_integer_too_long_to_print_is_too_large_not_a_crash():
    """Found by the fuzzer: str() of an int over 4300 digits raised ValueError inside the parsers,
    which pydantic turned into an untranslated `value_error`."""
    huge = 10**5000
    with pytest.raises(ValidationError) as refused:
        TenantInput.model_validate(tenant_values(1, headcount=huge))
    assert [e["type"] for e in refused.value.errors()] == ["too_large"]
    with pytest.raises(ValidationError) as refused:
        QuarterlyInput.model_validate({"output_value_wan": huge})
    assert [e["type"] for e in refused.value.errors()] == ["too_large"]
    with pytest.raises(ValidationError) as refused:
        ParkInput.model_validate({"code": huge})
    assert "value_error" not in {e["type"] for e in refused.value.errors()}


def test_a_lone_surrogate_is_refused_with_a_message():
    """Found by the fuzzer: an undecodable byte of a command-line argument arrives as a lone
    surrogate; in an error's context it made pydantic fail while listing the errors."""
    for values in ({"code": "PH\udcff", "star_rating": "\udcff"}, {"name": "\ud800"}):
        with pytest.raises(ValidationError) as refused:
            ParkInput.model_validate(values)
        assert_translated(refused.value)


def test_digit_strings_too_long_for_int_are_refused_with_a_message():
    """Found by the fuzzer: int() of a string of over 4300 digits raised ValueError (a year cell in a
    quarterly file; a star rating)."""
    from pydantic_core import PydanticCustomError

    with pytest.raises(PydanticCustomError) as refused:
        parse_year("9" * 5000)
    assert refused.value.type == "year_range"
    with pytest.raises(ValidationError) as refused:
        ParkInput.model_validate({"star_rating": "9" * 5000})
    assert {e["loc"][0]: e["type"] for e in refused.value.errors()}["star_rating"] == "choice"
