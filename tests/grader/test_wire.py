import json
import struct

import numpy as np
import pytest

from grader.sandboxed import wire


def test_round_trip_keeps_dtype_shape_and_bytes():
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array([np.nan, np.inf], dtype=wire.ALLOWED_DTYPES["bfloat16"]),
              np.zeros((0,), np.int32)]
    frames, error = wire.decode(wire.encode({"type": "check", "case": "a"}, arrays))
    assert error is None
    (header, got), = frames
    assert header == {"type": "check", "case": "a"}
    for want, have in zip(arrays, got):
        assert have.dtype == want.dtype and have.shape == want.shape
        assert have.tobytes() == want.tobytes()
        assert type(have) is np.ndarray


def _frame(header_obj, payload=b""):
    head = json.dumps(header_obj).encode()
    return wire.MAGIC + struct.pack("<I", len(head)) + head + payload


@pytest.mark.parametrize("spec, why", [
    ({"dtype": "object", "shape": [1], "nbytes": 8}, "not allowed"),
    ({"dtype": "float32", "shape": [2], "nbytes": 4}, "byte count"),
    ({"dtype": "float32", "shape": [-1], "nbytes": 4}, "shape"),
    ({"dtype": "float32", "shape": [4], "nbytes": 16}, "truncated"),
])
def test_rejects_bad_array_specs(spec, why):
    frames, error = wire.decode(_frame({"type": "check", "arrays": [spec]}, b"\0" * 8))
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
