"""统一社会信用代码 (GB 32100-2015): check characters, normalisation, and how refusals read."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from forms import credit_code as cc
from forms.errors import field_messages
from forms.tenant import TenantInput
from tests.conftest import make_credit_code, tenant_values

# --- an independent reference implementation, written from docs (domain.md), not from forms ---

REF_CHARSET = "".join(c for c in string.digits + string.ascii_uppercase if c not in "IOSVZ")
REF_WEIGHTS = [3 ** (i - 1) % 31 for i in range(1, 18)]  # W_i = 3^(i-1) mod 31
DOMAIN_MD_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def ref_check_character(first17: str) -> str:
    """c18 = charset[(31 - Σ value(c_i)·W_i mod 31) mod 31]."""
    total = sum(REF_CHARSET.index(c) * w for c, w in zip(first17, REF_WEIGHTS, strict=True))
    return REF_CHARSET[(31 - total % 31) % 31]


def ref_org_check_character(body8: str) -> str:
    """GB 11714: digits 0-9, A=10 … Z=35; weights 3 7 9 10 5 8 4 2; k = 11 - (Σ mod 11)."""
    total = sum(int(c, 36) * w for c, w in zip(body8, [3, 7, 9, 10, 5, 8, 4, 2], strict=True))
    k = 11 - total % 11
    return {10: "X", 11: "0"}.get(k, str(k))


def full_width(text: str) -> str:
    """What spreadsheets send: ASCII letters and digits as their FULLWIDTH forms (U+FF01…)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


first17s = st.text(alphabet=cc.CHARSET, min_size=17, max_size=17)
valid_codes = first17s.map(cc.complete)
org_bodies = st.text(alphabet=string.digits + string.ascii_uppercase, min_size=8, max_size=8)


# --- the reference itself matches the published constants --------------------------------------


def test_reference_charset_is_the_31_characters_without_i_o_s_v_z():
    assert REF_CHARSET == cc.CHARSET
    assert len(REF_CHARSET) == 31


def test_weights_are_powers_of_three_mod_31_as_listed_in_the_domain_notes():
    assert REF_WEIGHTS == DOMAIN_MD_WEIGHTS == cc.WEIGHTS


# --- published codes, and one worked by hand ----------------------------------------------------

PUBLISHED_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
]


@pytest.mark.parametrize("code", PUBLISHED_CODES)
def test_published_codes_are_accepted(code):
    assert cc.problem(code) is None
    assert ref_check_character(code[:17]) == code[17] == cc.check_character(code[:17])


def test_check_character_worked_by_hand():
    # 9 1 4 4 0 3 0 0 1 9 2 2 0 3 8 2 1 · W
    # = 9+3+36+108+0+78+0+0+20+261+50+26+0+72+80+60+28 = 831; 831 mod 31 = 25; 31 - 25 = 6 -> '6'
    assert cc.check_character("91440300192203821") == "6"


def test_organisation_check_worked_by_hand():
    # 7 0 8 4 6 1 1 3 · (3 7 9 10 5 8 4 2) = 21+0+72+40+30+8+4+6 = 181; 181 mod 11 = 5; 11 - 5 = 6
    assert cc.org_check_character("70846113") == "6"
    # 1 9 2 2 0 3 8 2 · W = 3+63+18+20+0+24+32+4 = 164; 164 mod 11 = 10; 11 - 10 = 1
    assert cc.org_check_character("19220382") == "1"


@given(first17s)
def test_check_character_agrees_with_the_reference(first17):
    assert cc.check_character(first17) == ref_check_character(first17)


@given(org_bodies)
def test_organisation_check_character_agrees_with_the_reference(body):
    assert cc.org_check_character(body) == ref_org_check_character(body)


# --- the final check character ------------------------------------------------------------------


@given(first17s)
def test_any_17_characters_completed_give_an_accepted_code(first17):
    code = first17 + cc.check_character(first17)
    assert cc.problem(code) is None
    assert cc.complete(first17) == code


def test_mod_31_with_these_weights_detects_every_single_substitution():
    # Changing value a to b at position i shifts the sum by (b - a)·W_i; 31 is prime and no weight
    # is 0 mod 31, so the shift is never 0 mod 31. The check character itself has weight 1.
    for weight in [*REF_WEIGHTS, 1]:
        for a in range(31):
            for b in range(31):
                if a != b:
                    assert (b - a) * weight % 31 != 0


@given(valid_codes, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_one_character_of_a_valid_code_is_refused(code, position, data):
    replacement = data.draw(st.sampled_from([c for c in cc.CHARSET if c != code[position]]))
    typo = code[:position] + replacement + code[position + 1 :]
    found = cc.problem(typo)
    assert found is not None
    assert found.kind == "credit_code_checksum"


@given(valid_codes, st.integers(min_value=0, max_value=16))
def test_swapping_two_different_neighbouring_characters_is_refused(code, position):
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    assert cc.problem(swapped) is not None


# --- what people type ---------------------------------------------------------------------------


@given(valid_codes)
def test_lower_case_full_width_and_surrounding_spaces_normalise_to_the_same_valid_code(code):
    typed = [
        code.lower(),
        full_width(code),
        full_width(code.lower()),
        f"  {code}\t",
        f"\u3000{full_width(code)} ",
    ]
    for text in typed:
        assert cc.normalise(text) == code
        assert TenantInput.model_validate(tenant_values(credit_code=text)).credit_code == code


def test_full_width_helper_really_produces_full_width_characters():
    import unicodedata

    assert unicodedata.name(full_width("9")[0]) == "FULLWIDTH DIGIT NINE"
    assert full_width("91") == "９１"


@pytest.mark.parametrize("length", [0, 1, 17, 19, 36])
def test_a_code_of_the_wrong_length_is_refused_for_its_length(length):
    found = cc.problem(("9133048200000001" * 3)[:length])
    assert found is not None
    assert found.kind == "credit_code_length"
    assert found.context == {"length": length}


@given(valid_codes, st.integers(min_value=0, max_value=17), st.sampled_from("IOSVZ"))
def test_letters_i_o_s_v_z_are_refused_as_forbidden_characters(code, position, letter):
    bad = code[:position] + letter + code[position + 1 :]
    found = cc.problem(bad)
    assert found is not None
    assert found.kind == "credit_code_charset"
    assert found.context == {"chars": letter}


def test_wrong_length_is_reported_before_forbidden_letters():
    assert cc.problem("91330482OOO").kind == "credit_code_length"


# --- the message next to the field --------------------------------------------------------------


def _credit_code_message(text: str, lang: str) -> str:
    with pytest.raises(ValidationError) as refused:
        TenantInput.model_validate(tenant_values(credit_code=text))
    messages = field_messages(refused.value, lang)
    assert set(messages) == {"credit_code"}
    return messages["credit_code"]


def _with_wrong_check_character(code: str) -> tuple[str, str]:
    wrong = "0" if code[17] != "0" else "1"
    return code[:17] + wrong, wrong


def test_checksum_message_names_the_expected_character_in_chinese():
    code = make_credit_code(7)
    typo, wrong = _with_wrong_check_character(code)
    message = _credit_code_message(typo, "zh_CN")
    assert "校验位" in message
    assert f"应为 {code[17]}" in message
    assert f"不是 {wrong}" in message


def test_checksum_message_names_the_expected_character_in_english():
    code = make_credit_code(7)
    typo, wrong = _with_wrong_check_character(code)
    message = _credit_code_message(typo, "en")
    assert f"should be {code[17]}, not {wrong}" in message


def test_length_message_gives_the_length_found_in_both_languages():
    assert "现为 17 位" in _credit_code_message("91330482000000019", "zh_CN")
    assert "this one has 17" in _credit_code_message("91330482000000019", "en")


def test_forbidden_letter_message_names_the_letter_in_both_languages():
    code = make_credit_code(3)
    bad = code[:10] + "O" + code[11:]
    assert "：O" in _credit_code_message(bad, "zh_CN")
    assert "allowed: O" in _credit_code_message(bad, "en")


def test_an_empty_code_is_required():
    assert _credit_code_message("  ", "en") == "Required; may not be empty"


# --- the inner organisation-code check is a warning only ----------------------------------------


@given(st.integers(min_value=0, max_value=99_999_999))
def test_organisation_check_raises_no_warning_on_a_valid_all_digit_code(n):
    code = make_credit_code(n)
    assert code[8:16].isdigit()
    assert cc.organisation_code_warning(code) is False


@given(st.integers(min_value=0, max_value=99_999_999), st.data())
def test_a_code_with_a_wrong_organisation_check_warns_but_is_accepted(n, data):
    good = make_credit_code(n)
    other = data.draw(st.sampled_from([c for c in cc.CHARSET if c != good[16]]))
    tampered = cc.complete(good[:16] + other)  # the final check is right again
    assert cc.problem(tampered) is None
    assert cc.organisation_code_warning(tampered) is True
    assert TenantInput.model_validate(tenant_values(credit_code=tampered)).credit_code == tampered
