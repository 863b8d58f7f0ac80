"""The unified social credit code (GB 32100-2015)."""

import pytest
from hypothesis import given, strategies as st

from tracker import uscc

VALID = ["91350100M000100Y43", "91110000600037341L", "91110108551385082Q"]


@pytest.mark.parametrize("code", VALID)
def test_known_valid_codes(code):
    assert uscc.validate(code) == code


def test_codes_starting_with_letters_are_valid():
    # stdnum.cn.uscc refuses these because it wants 8 leading digits; the standard does not.
    for first in "ANY":
        code = uscc.make(first + "1440112MA5A00001")
        assert uscc.is_valid(code)


def test_embedded_organisation_code_check_digit_is_not_grounds_for_refusal():
    # Positions 9-17 hold the organisation code 00000000-X; by GB 11714 the check digit of
    # 00000000 is 0, so X is wrong. The code's own 18th character is right: it is valid.
    code = uscc.make("9144011200000000X")
    assert uscc.is_valid(code)


@pytest.mark.parametrize("code,reason", [
    ("", "为空"),
    ("9111000060003734", "18位"),
    ("91110000600037341I", "不允许的字符"),
    ("91110000600037341O", "不允许的字符"),
    ("91110000600037341M", "校验位错误"),
])
def test_refusals_say_why(code, reason):
    with pytest.raises(uscc.InvalidCode, match=reason):
        uscc.validate(code)


def test_normalize_handles_spaces_full_width_and_case():
    assert uscc.validate("９１１１００００６０００３７３４１ｌ") == "91110000600037341L"
    assert uscc.validate(" 9111 0000 6000 3734 1l ") == "91110000600037341L"


@given(st.text(alphabet=uscc.ALPHABET, min_size=17, max_size=17))
def test_made_codes_validate_and_any_single_change_of_the_check_fails(body):
    code = uscc.make(body)
    assert uscc.is_valid(code)
    for other in uscc.ALPHABET:
        if other != code[-1]:
            assert not uscc.is_valid(code[:-1] + other)


@given(st.text(max_size=30))
def test_validate_never_raises_anything_but_invalid_code(text):
    try:
        uscc.validate(text)
    except uscc.InvalidCode:
        pass
