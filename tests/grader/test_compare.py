import numpy as np
import pytest

from grader.compare import DEFAULT_TOLERANCES, Tolerance, compare_array
from grader.sandboxed.wire import ALLOWED_DTYPES

BF16 = ALLOWED_DTYPES["bfloat16"]


def test_equal_arrays_match_including_nan_and_inf():
    a = np.array([1.0, np.nan, np.inf, -np.inf], np.float32)
    assert compare_array(a, a.copy()) is None


def test_nan_must_be_nan_in_the_same_places():
    want = np.array([1.0, np.nan], np.float32)
    got = np.array([np.nan, 1.0], np.float32)
    mismatch = compare_array(want, got)
    assert "NaN" in mismatch.reason and mismatch.index == (0,)


def test_number_instead_of_nan_fails():
    # |a - b| > eps is False for NaN, so a naive check would pass this.
    assert compare_array(np.array([np.nan], np.float32), np.array([0.0], np.float32)) is not None


def test_infinities_must_match_in_sign():
    assert compare_array(np.array([np.inf], np.float32), np.array([-np.inf], np.float32)) is not None
    assert compare_array(np.array([np.inf], np.float32), np.array([3e38], np.float32)) is not None


def test_dtype_and_shape_are_part_of_the_answer():
    a = np.zeros(3, np.float32)
    assert "dtype" in compare_array(a, a.astype(BF16)).reason
    assert "shape" in compare_array(a, np.zeros((1, 3), np.float32)).reason


def test_tolerance_is_per_dtype():
    want = np.array([1.0], np.float32)
    assert compare_array(want, np.array([1.0 + 5e-7], np.float32)) is None
    assert compare_array(want, np.array([1.001], np.float32)) is not None
    # bfloat16 has 8 mantissa bits: one ulp at 1.0 is 2**-7, within its default tolerance.
    assert compare_array(want.astype(BF16), np.array([1.0078125], BF16)) is None
    assert DEFAULT_TOLERANCES["bfloat16"].rtol > DEFAULT_TOLERANCES["float32"].rtol


def test_bfloat16_nan_compares_as_nan():
    a = np.array([np.nan, 1.0], BF16)
    assert compare_array(a, a.copy()) is None


def test_integers_compare_exactly():
    assert compare_array(np.array([1, 2]), np.array([1, 3])).index == (1,)


@pytest.mark.parametrize("rtol, atol, ok", [(0.0, 0.0, False), (0.1, 0.0, True), (0.0, 0.2, True)])
def test_explicit_tolerance(rtol, atol, ok):
    tolerances = {"float32": Tolerance(rtol=rtol, atol=atol)}
    result = compare_array(np.array([1.0], np.float32), np.array([1.05], np.float32), tolerances)
    assert (result is None) is ok


def test_norm_mode_holds_every_entry_to_the_largest_expected():
    expected = np.array([1e3, 1e-3, -5.0], np.float32)
    got = np.array([1e3, 2e-3, -5.0], np.float32)
    elementwise = Tolerance(rtol=1e-5, atol=0.0)
    assert compare_array(expected, got, {"float32": elementwise}) is not None  # 1e-3 off a 1e-3 entry
    norm = Tolerance(rtol=1e-5, atol=0.0, mode="norm")
    assert compare_array(expected, got, {"float32": norm}) is None  # 1e-3 <= 1e-5 * 1e3
    far = np.array([1e3, 0.5, -5.0], np.float32)
    mismatch = compare_array(expected, far, {"float32": norm})
    assert mismatch.index == (1,) and "rtol (of max|expected|)=1e-05" in mismatch.reason
