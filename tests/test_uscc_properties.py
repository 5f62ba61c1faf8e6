"""Property tests for the unified social credit code: every valid code passes, every wrong check
character is caught and named, and input noise (spaces, full width, lower case) is normalised."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from apps.registry import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Digits for the registering authority, entity type and region code, then the organisation code.
bodies = st.builds(
    lambda head, tail: head + tail,
    st.text(alphabet="0123456789", min_size=8, max_size=8),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)


@given(bodies)
def test_every_code_with_the_right_check_character_is_valid(body: str) -> None:
    code = body + stdnum_uscc.calc_check_digit(body)
    assert uscc.validate(code) == code


@given(bodies, st.sampled_from(ALPHABET))
def test_a_wrong_check_character_is_refused_with_the_expected_one(body: str, wrong: str) -> None:
    right = stdnum_uscc.calc_check_digit(body)
    if wrong == right:
        return
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(body + wrong)
    assert right in str(caught.value)


@given(bodies)
def test_full_width_lower_case_and_spaces_are_normalised(body: str) -> None:
    code = body + stdnum_uscc.calc_check_digit(body)
    noisy = " ".join("".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in code.lower()))
    assert uscc.validate(noisy) == code


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("", "18"),
        ("91500000MA5U1234", "18"),
        ("91500000MA5U12346TT", "18"),
        ("9150000OMA5U12346T", "前 8 位"),
        ("91500000MA5UI2346T", "不允许的字符"),
    ],
)
def test_malformed_codes_are_refused_with_the_reason(bad: str, says: str) -> None:
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(bad)
    assert says in str(caught.value)


def test_inner_organisation_code_mismatch_is_only_a_warning() -> None:
    assert uscc.validate("91500000MA5U1234X2") == "91500000MA5U1234X2"
    assert uscc.organisation_code_warning("91500000MA5U1234X2") is not None
    assert uscc.organisation_code_warning(uscc.make("91500116MA5U1234")) is None
