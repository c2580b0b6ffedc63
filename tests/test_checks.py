"""retainkit.checks: the helpers behind the exercises' check cells."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from retainkit.checks import answer_hash, check, check_close, check_hash, expect, matches_hash


def sha16(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def test_expect_names_the_missing_variable_and_returns_the_value():
    with pytest.raises(AssertionError, match=r"^define `share` — the fraction of users$"):
        expect({}, "share", "the fraction of users")
    assert expect({"share": 0.5}, "share", "x") == 0.5


def test_expect_checks_the_type():
    with pytest.raises(AssertionError, match=r"`s` should be a Series or dict \(counts\), got a"):
        expect({"s": [1]}, "s", "counts", kind=(pd.Series, dict))
    s = pd.Series([1])
    assert expect({"s": s}, "s", "counts", kind=pd.Series) is s


def test_check_raises_its_message_only_when_false():
    check(np.bool_(True), "never shown")
    with pytest.raises(AssertionError, match="^too small$"):
        check(np.bool_(False), "too small")


def test_check_close_tolerances_and_nan():
    check_close(1.009, 1.0, "x", rtol=0.01)
    with pytest.raises(AssertionError, match="`x` is off by up to 0.011"):
        check_close(1.011, 1.0, "x", rtol=0.01)
    check_close([np.nan, 1.0], [np.nan, 1.05], "row", atol=0.05 + 1e-12)
    with pytest.raises(AssertionError, match="`row`"):
        check_close([0.0, 1.0], [np.nan, 1.0], "row", atol=1)  # NaN against a number fails
    with pytest.raises(AssertionError, match=r"shape \(3,\), expected \(2,\)"):
        check_close([1, 2, 3], [1, 2], "row", atol=1)
    with pytest.raises(ValueError, match="rtol or atol"):
        check_close(1, 1, "x")


def test_answer_hash_matches_the_canonical_text_computed_by_hand():
    assert answer_hash(0.12345, decimals=3) == sha16("0.123")
    assert answer_hash(7) == sha16("7") == answer_hash(np.int64(7)) == answer_hash(7.0)
    assert answer_hash({"b": 2, "a": 1}) == sha16("{a:1,b:2}")
    assert answer_hash(pd.Series({"b": 2, "a": 1})) == sha16("{a:1,b:2}")
    assert answer_hash([0.5, 0.25], decimals=2) == sha16("[0.50,0.25]")
    assert answer_hash("gap") == sha16("'gap'")
    assert answer_hash(True) == sha16("True")
    assert answer_hash(-0.0001, decimals=2) == answer_hash(0.0, decimals=2) == sha16("0.00")


def test_answer_hash_separates_answers_that_differ_after_rounding():
    assert answer_hash(0.123, decimals=3) != answer_hash(0.124, decimals=3)
    assert answer_hash([1, 2]) != answer_hash([2, 1])  # sequences keep their order
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=["x", "y"])
    assert answer_hash(frame, decimals=1) == sha16("{a:{x:1.0,y:2.0}}")


def test_floats_need_decimals():
    with pytest.raises(ValueError, match="decimals"):
        answer_hash(0.5)
    with pytest.raises(TypeError, match="cannot hash"):
        answer_hash(object())


def test_matches_and_check_hash():
    digest = answer_hash(0.2467, decimals=3)
    assert matches_hash(0.24671, digest, decimals=3)
    assert not matches_hash(0.2481, digest, decimals=3)
    check_hash(0.2467, digest, "share", decimals=3)
    with pytest.raises(AssertionError, match=r"^`share` is not the expected value \(compared"):
        check_hash(0.3, digest, "share", decimals=3)
    with pytest.raises(AssertionError, match="`share` cannot be compared"):
        check_hash(object(), digest, "share")
