"""The framed result stream from the sandbox to the judge: JSON headers and raw array bytes.

A frame is ``MAGIC | u32 header length | header JSON | payload``. The header names each array's dtype,
shape and byte count; the payload is the arrays' bytes, back to back, in C order. No pickle, no object
dtypes: the reader accepts only the dtypes in `ALLOWED_DTYPES`, checks every length against its cap, and
the nesting and field types of every header, because everything on this stream may have been written by
the submission: `decode` never raises on any input, it says where the stream stopped making sense.
"""

import json
import struct

import numpy as np

MAGIC = b"JJ1\n"
_LENGTH = struct.Struct("<I")
MAX_HEADER_BYTES = 1 << 20
MAX_HEADER_DEPTH = 8  # a header is an object of text, numbers and short lists; arrays' specs are depth 3
# Header fields the judge reads, which must be text whenever they are present.
TEXT_FIELDS = ("type", "case", "check", "transform", "status", "kind", "error_type", "message", "traceback",
               "platform", "device_kind", "jax_version", "python", "program", "witness", "structure")

# bfloat16 has no NumPy name; jax ships it (through ml_dtypes) as a NumPy dtype.
try:
    from ml_dtypes import bfloat16 as _bfloat16
except ImportError:  # pragma: no cover - jax always brings ml_dtypes
    _bfloat16 = None

ALLOWED_DTYPES = {
    name: np.dtype(name)
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64", "complex64", "complex128",
    )
}
if _bfloat16 is not None:
    ALLOWED_DTYPES["bfloat16"] = np.dtype(_bfloat16)


class WireError(ValueError):
    """The stream does not follow the protocol (truncated, oversized or malformed)."""


class Truncated(WireError):
    """The stream ends inside a frame: the rest may still be on its way."""


def encode(header, arrays=()):
    """One frame: `header` (a JSON-able dict) and `arrays` (NumPy arrays) as bytes."""
    arrays = [np.ascontiguousarray(a).reshape(np.shape(a)) for a in arrays]  # (ascontiguousarray makes 0-d 1-d)
    header = dict(header)
    header["arrays"] = [
        {"dtype": a.dtype.name, "shape": list(a.shape), "nbytes": int(a.nbytes)} for a in arrays
    ]
    head = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([MAGIC, _LENGTH.pack(len(head)), head] + [a.tobytes() for a in arrays])


def decode(buffer):
    """Split a whole stream into (header, arrays) frames.

    Returns ``(frames, error)``: the frames that parsed, and a `WireError` describing where the stream
    stopped following the protocol (None when it ended cleanly on a frame boundary).
    """
    frames = []
    view = memoryview(buffer)
    pos = 0
    try:
        while pos < len(view):
            frame, pos = _decode_one(view, pos)
            frames.append(frame)
    except WireError as error:
        return frames, error
    return frames, None


class StreamReader:
    """Frames of a stream as it arrives: `feed` each chunk, get back the frames it completed. After a
    malformed frame `error` is set and nothing more is read (a frame cut short is only waited for)."""

    def __init__(self):
        self._buffer = bytearray()
        self._pos = 0
        self.error = None

    def feed(self, chunk):
        if self.error is not None:
            return []
        self._buffer += chunk
        frames = []
        view = memoryview(self._buffer)
        try:
            while self._pos < len(view):
                frame, self._pos = _decode_one(view, self._pos)
                frames.append(frame)
        except Truncated:
            pass
        except WireError as error:
            self.error = error
        finally:
            view.release()
        return frames


def _decode_one(view, pos):
    if len(view) - pos < len(MAGIC) and MAGIC.startswith(bytes(view[pos:])):
        raise Truncated("truncated frame marker")
    if bytes(view[pos:pos + len(MAGIC)]) != MAGIC:
        raise WireError(f"bad frame marker at byte {pos}")
    pos += len(MAGIC)
    if pos + _LENGTH.size > len(view):
        raise Truncated("truncated frame length")
    (head_len,) = _LENGTH.unpack(view[pos:pos + _LENGTH.size])
    pos += _LENGTH.size
    if head_len > MAX_HEADER_BYTES:
        raise WireError("frame header too long")
    if pos + head_len > len(view):
        raise Truncated("truncated frame header")
    try:
        header = json.loads(bytes(view[pos:pos + head_len]))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"frame header is not JSON: {error}") from None
    except RecursionError:  # json nests by recursion: 300,000 brackets once crashed the judge here
        raise WireError("frame header is nested too deeply") from None
    pos += head_len
    if not isinstance(header, dict) or not isinstance(header.get("arrays"), list):
        raise WireError("frame header is not an object with an 'arrays' list")
    _check_header(header)
    arrays = []
    for spec in header.pop("arrays"):
        array, pos = _decode_array(view, pos, spec)
        arrays.append(array)
    return (header, arrays), pos


def _depth(value):
    """How deeply `value` nests lists and objects (iteratively: the value may nest deeper than the stack)."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (list, dict)):
            deepest = max(deepest, depth)
            if depth <= MAX_HEADER_DEPTH:
                pending.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def _check_header(header):
    """The header's fields have the types the judge reads them as, so no frame can make it raise."""
    if _depth(header) > MAX_HEADER_DEPTH:
        raise WireError("frame header is nested too deeply")
    for field in TEXT_FIELDS:
        if field in header and not isinstance(header[field], str):
            raise WireError(f"frame header field {field!r} is not text")
    if not isinstance(header.get("type"), str):
        raise WireError("frame header has no type")
    if header["type"] == "check" and not all(isinstance(header.get(f), str) for f in ("case", "check", "transform")):
        raise WireError("check frame without case, check and transform")
    for field in ("placement", "paths"):
        texts = header.get(field, [])
        if not isinstance(texts, list) or not all(isinstance(p, str) for p in texts):
            raise WireError(f"frame header field {field!r} is not a list of text")


def _decode_array(view, pos, spec):
    if not isinstance(spec, dict):
        raise WireError("array spec is not an object")
    dtype = ALLOWED_DTYPES.get(spec.get("dtype"))
    shape = spec.get("shape")
    nbytes = spec.get("nbytes")
    if dtype is None:
        raise WireError(f"dtype {spec.get('dtype')!r} is not allowed")
    if (not isinstance(shape, list) or len(shape) > 32
            or not all(type(d) is int and 0 <= d < 1 << 40 for d in shape)):
        raise WireError("bad array shape")
    count = 1
    for d in shape:
        count *= d
    if type(nbytes) is not int or nbytes != count * dtype.itemsize:
        raise WireError("array byte count does not match its dtype and shape")
    if pos + nbytes > len(view):
        raise Truncated("truncated array payload")
    # A copy: the result must not keep the whole stream alive, and must be an ordinary writable ndarray.
    array = np.frombuffer(view[pos:pos + nbytes], dtype=dtype).reshape(shape).copy()
    return array, pos + nbytes
