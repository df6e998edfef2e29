import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.sandboxed import wire


def test_round_trip_keeps_dtype_shape_and_bytes():
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array([np.nan, np.inf], dtype=wire.ALLOWED_DTYPES["bfloat16"]),
              np.zeros((0,), np.int32)]
    header = {"type": "check", "case": "a", "check": "value", "transform": "eager"}
    frames, error = wire.decode(wire.encode(header, arrays))
    assert error is None
    (decoded, got), = frames
    assert decoded == header
    for want, have in zip(arrays, got):
        assert have.dtype == want.dtype and have.shape == want.shape
        assert have.tobytes() == want.tobytes()
        assert type(have) is np.ndarray


def _frame(header_obj, payload=b""):
    return _frame_bytes(json.dumps(header_obj).encode()) + payload


@pytest.mark.parametrize("spec, why", [
    ({"dtype": "object", "shape": [1], "nbytes": 8}, "not allowed"),
    ({"dtype": "float32", "shape": [2], "nbytes": 4}, "byte count"),
    ({"dtype": "float32", "shape": [-1], "nbytes": 4}, "shape"),
    ({"dtype": "float32", "shape": [4], "nbytes": 16}, "truncated"),
])
def test_rejects_bad_array_specs(spec, why):
    frames, error = wire.decode(_frame({"type": "hello", "arrays": [spec]}, b"\0" * 8))
    assert frames == []
    assert why in str(error)


def test_rejects_garbage_and_keeps_frames_before_it():
    good = wire.encode({"type": "hello"})
    frames, error = wire.decode(good + b'{"verdict": "ACCEPTED"}\n')
    assert [h["type"] for h, _ in frames] == ["hello"]
    assert "marker" in str(error)


def test_rejects_oversized_header():
    data = wire.MAGIC + struct.pack("<I", wire.MAX_HEADER_BYTES + 1) + b"{}"
    assert "too long" in str(wire.decode(data)[1])


def test_rejects_header_without_arrays_list():
    assert "arrays" in str(wire.decode(_frame({"type": "check", "arrays": "x"}))[1])


# Everything on this stream may come from the submission: whatever bytes arrive, decode answers.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30)
header_like = st.dictionaries(st.sampled_from(wire.TEXT_FIELDS + ("arrays", "placement")), json_values, max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_decode_answers_any_bytes(data):
    frames, error = wire.decode(data)
    assert error is None or isinstance(error, wire.WireError)
    assert all(isinstance(header, dict) for header, _ in frames)


@settings(max_examples=300, deadline=None)
@given(st.lists(header_like | json_values, max_size=4), st.binary(max_size=64))
def test_decode_answers_any_header(headers, payload):
    data = b"".join(_frame(h, payload) for h in headers)
    frames, error = wire.decode(data)
    assert error is None or isinstance(error, wire.WireError)
    for header, arrays in frames:  # what got through has the types the judge reads
        assert all(isinstance(header[f], str) for f in wire.TEXT_FIELDS if f in header)
        assert all(isinstance(a, np.ndarray) for a in arrays)


def test_a_header_nested_deeper_than_the_stack_is_refused():
    assert "nested" in str(wire.decode(_frame_bytes(b"[" * 300_000 + b"]" * 300_000))[1])
    assert "nested" in str(wire.decode(_frame_bytes(json.dumps({"type": "x", "arrays": [[[[[[[[[[]]]]]]]]]]}).encode()))[1])


def _frame_bytes(head):
    return wire.MAGIC + struct.pack("<I", len(head)) + head
