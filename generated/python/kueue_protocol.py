"""The Kueue wire protocol in Python.

Generated from schema/protocol.yaml by codegen/kqgen.py; do not edit.

Every message type of the original Kueue Kueue 0.19.0 as a dataclass, with
the same encoding (byte-identical compact JSON) and the same validation as
the C layer, plus a stream framer and a small blocking connection, so that
a client is a few lines:

    import kueue_protocol as kp
    conn = kp.Connection("localhost", 11236)
    conn.hello_client()
    conn.authenticate("the shared secret")
    conn.send(kp.ClientToServerMessage.ListJobs(num_jobs=10))
    print(conn.recv(kp.ServerToClientMessage))

Structs are dataclasses.  An enum E is a base class; its variants are
dataclasses reachable as E.Variant: unit variants have no fields, newtype
variants one field `value`, struct variants their named fields.

Kueue-C extensions (see the schema): an extension field is optional and
left out of the JSON when None; a variant's `_kq_extension` is the level
that introduced it (0: the original's).  encode() and decode() take the
peer's level: encode(m, level=0) writes what an original peer may receive
(extension fields left out, an extension variant refused with ValueError),
decode(cls, data, level=0) reads as an original peer does (an extension
variant is an unknown variant, extension fields are ignored).
"""

import base64
import dataclasses
import hashlib
import hmac
import json
import math
import os
import re
import socket
import stat
import time as _time
from typing import ClassVar, Dict, List, Optional, Set

SCHEMA_VERSION = 1
EXTENSION_LEVEL = 1
# Kueue-C release that introduced each extension level.
EXTENSIONS = {
    1: '0.20.0',
}
LIMITS = {
    'string': 65536,
    'list': 65536,
    'name': 256,
    'path': 4096,
    'argument': 131072,
    'arguments': 4096,
    'text': 8388608,
    'jobs': 10000000,
    'workers': 1000000,
    'salt': 1024,
    'deps': 100000,
    'attempts': 128,
}
MAX_DEPTH = 64
MAX_NUMBER = 63
DEFAULT_MAX_MESSAGE = 16 << 20


class DecodeError(ValueError):
    """Input that is not valid JSON or not a valid value of the type; the
    message names the path of the first problem, as the C decoder does."""


# ---------------------------------------------------------------- time --


class Timestamp:
    """A UTC instant with nanoseconds, written as the reference writes it.

    nsec >= 1e9 marks a leap second (':60'), as chrono keeps it.
    """

    __slots__ = ("sec", "nsec")
    _RE = re.compile(
        r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
        r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))\Z")

    def __init__(self, sec=0, nsec=0):
        self.sec = sec
        self.nsec = nsec

    @classmethod
    def now(cls):
        ns = _time.time_ns()
        return cls(ns // 1_000_000_000, ns % 1_000_000_000)

    @classmethod
    def parse(cls, text):
        m = cls._RE.match(text)
        if not m:
            raise ValueError("not an RFC 3339 timestamp with a time zone offset")
        year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
        if not 1 <= month <= 12:
            raise ValueError("invalid month")
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days_in = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        if not 1 <= day <= days_in[month - 1]:
            raise ValueError("invalid day")
        if hour > 23 or minute > 59 or second > 60:
            raise ValueError("invalid time")
        frac = m.group(7) or ""
        nsec = int((frac + "000000000")[:9]) if frac else 0
        if second == 60:
            second, nsec = 59, nsec + 1_000_000_000
        offset = 0
        if m.group(9):
            oh, om = int(m.group(10)), int(m.group(11))
            if oh > 23 or om > 59:
                raise ValueError("invalid time zone offset")
            offset = (oh * 3600 + om * 60) * (1 if m.group(9) == "+" else -1)
        sec = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
        return cls(sec - offset, nsec)

    def format(self):
        days, rem = divmod(self.sec, 86400)
        year, month, day = _civil_from_days(days)
        year = min(max(year, 0), 9999)
        second = rem % 60 + (1 if self.nsec >= 1_000_000_000 else 0)
        ns = self.nsec % 1_000_000_000
        if ns == 0:
            frac = ""
        elif ns % 1_000_000 == 0:
            frac = ".%03d" % (ns // 1_000_000)
        elif ns % 1_000 == 0:
            frac = ".%06d" % (ns // 1_000)
        else:
            frac = ".%09d" % ns
        return "%04d-%02d-%02dT%02d:%02d:%02d%sZ" % (
            year, month, day, rem // 3600, rem // 60 % 60, second, frac)

    def __eq__(self, other):
        return isinstance(other, Timestamp) and (self.sec, self.nsec) == (other.sec, other.nsec)

    def __hash__(self):
        return hash((self.sec, self.nsec))

    def __repr__(self):
        return "Timestamp(%r)" % self.format()


def _days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


# -------------------------------------------------------- JSON writing --


def _fmt_f64(x):
    """serde_json's layout of the shortest round-trip digits."""
    if x != x or x in (float("inf"), float("-inf")):
        return "null"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    mant, _, exp = repr(abs(x)).partition("e")
    whole, _, frac = mant.partition(".")
    frac = frac.rstrip("0")
    # digits D and exponent k with value = D * 10^k
    k = (int(exp) if exp else 0) - len(frac)
    digits = (whole + frac).lstrip("0")
    stripped = digits.rstrip("0")
    k += len(digits) - len(stripped)
    digits = stripped
    n = len(digits)
    kk = n + k
    if k >= 0 and kk <= 16:
        return sign + digits + "0" * k + ".0"
    if 0 < kk <= 16:
        return sign + digits[:kk] + "." + digits[kk:]
    if -5 < kk <= 0:
        return sign + "0." + "0" * (-kk) + digits
    if n == 1:
        return "%s%se%d" % (sign, digits, kk - 1)
    return "%s%s.%se%d" % (sign, digits[0], digits[1:], kk - 1)


def _fmt_str(s):
    return json.dumps(s, ensure_ascii=False)


# --------------------------------------------------------- JSON reading --


class _Float:
    """A number literal with a fraction or exponent, kept apart from ints
    so that 1.0 is not accepted where an integer is required."""

    __slots__ = ("text",)

    def __init__(self, text):
        if len(text) > MAX_NUMBER:
            raise DecodeError("number literal longer than %d characters" % MAX_NUMBER)
        self.text = text


def _parse_int(text):
    if len(text) > MAX_NUMBER:
        raise DecodeError("number literal longer than %d characters" % MAX_NUMBER)
    return int(text)


class _Object(list):
    """A JSON object as its list of (key, value) pairs, duplicates kept."""


def _reject_constant(name):
    raise DecodeError("invalid JSON: %s is not a JSON value" % name)


_DECODER = json.JSONDecoder(object_pairs_hook=_Object, parse_float=_Float,
                            parse_int=_parse_int, parse_constant=_reject_constant)


def _check_text(value, depth=1):
    """What Python's json module lets through but the reference rejects:
    lone surrogates, NUL in keys, nesting deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise DecodeError("invalid JSON: nesting deeper than %d levels" % MAX_DEPTH)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise DecodeError("invalid JSON: lone surrogate in string") from None
    elif isinstance(value, _Object):
        for key, item in value:
            if "\0" in key:
                raise DecodeError("invalid JSON: object key contains a NUL character")
            _check_text(key, depth)
            _check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, depth + 1)


def parse_json(data):
    """Parses one JSON value strictly; raises DecodeError."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError("invalid JSON: invalid UTF-8 at byte %d" % exc.start) from None
    try:
        value = _DECODER.decode(data)
    except json.JSONDecodeError as exc:
        raise DecodeError("invalid JSON at character %d: %s" % (exc.pos, exc.msg)) from None
    except RecursionError:
        raise DecodeError("invalid JSON: nesting deeper than %d levels" % MAX_DEPTH) from None
    _check_text(value)
    return value


# ------------------------------------------------- encoding / decoding --
# A field's shape is a tuple: ("u64",), ("i64",), ("i32",), ("f64",),
# ("bool",), ("str", max), ("time",), ("opt", shape), ("list", shape, max),
# ("map", max, key_max), ("set", max), ("ref", "TypeName").

_TYPES = {}


def _describe(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, _Float):
        return v.text
    if isinstance(v, str):
        shown = v if len(v.encode("utf-8")) <= 40 else v.encode("utf-8")[:40].decode("utf-8", "ignore")
        return "the string " + _fmt_str(shown) + ("..." if shown != v else "")
    if v is None:
        return "null"
    if isinstance(v, _Object):
        return "an object"
    return "an array"


class _Path:
    def __init__(self, level=EXTENSION_LEVEL):
        self.parts = []
        self.level = level  # the extensions the decoding peer knows

    def fail(self, msg, got=...):
        text = ""
        for p in self.parts:
            text += "[%d]" % p if isinstance(p, int) else ("." if text else "") + p
        if text:
            text += ": "
        text += msg
        if got is not ...:
            text += ", got " + _describe(got)
        raise DecodeError(text)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _dec(shape, v, path):
    kind = shape[0]
    if kind == "u64":
        if not _is_int(v) or not 0 <= v <= 2**64 - 1:
            path.fail("expected an unsigned integer", v)
        return v
    if kind in ("i64", "i32"):
        bits = 64 if kind == "i64" else 32
        if not _is_int(v) or not -(2**(bits - 1)) <= v < 2**(bits - 1):
            path.fail("expected a %d-bit integer" % bits, v)
        return v
    if kind == "f64":
        if _is_int(v):
            return float(v)
        if not isinstance(v, _Float):
            path.fail("expected a number", v)
        x = float(v.text)
        if x in (float("inf"), float("-inf")):
            path.fail("number out of range", v)
        return x
    if kind == "bool":
        if not isinstance(v, bool):
            path.fail("expected true or false", v)
        return v
    if kind == "str":
        if not isinstance(v, str):
            path.fail("expected a string", v)
        if len(v.encode("utf-8")) > shape[1]:
            path.fail("string longer than %d bytes" % shape[1])
        return v
    if kind == "time":
        if not isinstance(v, str):
            path.fail("expected a timestamp string", v)
        try:
            return Timestamp.parse(v)
        except ValueError as exc:
            path.fail("invalid timestamp (%s)" % exc, v)
    if kind == "opt":
        return None if v is None else _dec(shape[1], v, path)
    if kind in ("list", "set"):
        if not isinstance(v, list) or isinstance(v, _Object):
            path.fail("expected an array", v)
        limit = shape[2] if kind == "list" else shape[1]
        if len(v) > limit:
            path.fail("more than %d items" % limit)
        items = []
        for i, item in enumerate(v):
            path.parts.append(i)
            items.append(_dec(shape[1] if kind == "list" else ("u64",), item, path))
            path.parts.pop()
        return sorted(set(items)) if kind == "set" else items
    if kind == "map":
        if not isinstance(v, _Object):
            path.fail("expected an object of names to numbers", v)
        if len(v) > shape[1]:
            path.fail("more than %d entries" % shape[1])
        out = {}
        for key, item in v:
            path.parts.append(key)
            if len(key.encode("utf-8")) > shape[2]:
                path.fail("name longer than %d bytes" % shape[2])
            out[key] = _dec(("u64",), item, path)
            path.parts.pop()
        return dict(sorted(out.items(), key=lambda kv: kv[0].encode("utf-8")))
    return _TYPES[shape[1]]._kq_decode(v, path)


def _enc(shape, v, out, level):
    kind = shape[0]
    if kind in ("u64", "i64", "i32"):
        out.append(str(int(v)))
    elif kind == "f64":
        out.append(_fmt_f64(float(v)))
    elif kind == "bool":
        out.append("true" if v else "false")
    elif kind == "str":
        out.append(_fmt_str(v))
    elif kind == "time":
        out.append('"%s"' % v.format())
    elif kind == "opt":
        if v is None:
            out.append("null")
        else:
            _enc(shape[1], v, out, level)
    elif kind in ("list", "set"):
        items = sorted(set(v)) if kind == "set" else v
        out.append("[")
        for i, item in enumerate(items):
            if i:
                out.append(",")
            _enc(shape[1] if kind == "list" else ("u64",), item, out, level)
        out.append("]")
    elif kind == "map":
        out.append("{")
        for i, key in enumerate(sorted(v, key=lambda k: k.encode("utf-8"))):
            if i:
                out.append(",")
            out.append(_fmt_str(key) + ":" + str(int(v[key])))
        out.append("}")
    else:
        v._kq_encode(out, level)


def _dec_fields(cls, type_name, v, path):
    names = [f[0] for f in cls._kq_fields]
    base = len([f for f in cls._kq_fields if not f[2]])
    found = {}
    if isinstance(v, _Object):
        for key, item in v:
            if key in names:
                if key in found:
                    path.fail('duplicate field "%s"' % key)
                found[key] = item
    elif isinstance(v, list):
        if not base <= len(v) <= len(names):
            path.fail("expected %s as an array of %s fields, got %d"
                      % (type_name, len(names) if base == len(names) else "%d to %d" % (base, len(names)),
                         len(v)))
        found = dict(zip(names, v))
    else:
        path.fail("expected %s (an object)" % type_name, v)
    values = {}
    for name, shape, ext in cls._kq_fields:
        if ext > path.level:
            continue  # unknown to the peer decoding: ignored
        if name not in found and shape[0] != "opt":
            path.fail('missing field "%s"' % name)
        path.parts.append(name)
        values[name] = _dec(shape, found.get(name), path)
        path.parts.pop()
    return cls(**values)


def _enc_fields(obj, out, level):
    for i, (name, shape, ext) in enumerate(obj._kq_fields):
        value = getattr(obj, name)
        if ext and (value is None or ext > level):
            continue  # an extension field: left out when unset or unknown to the peer
        out.append(('{"' if i == 0 else ',"') + name + '":')
        _enc(shape, value, out, level)
    out.append("}")


class _Struct:
    _kq_fields: ClassVar[tuple] = ()

    @classmethod
    def _kq_decode(cls, v, path):
        return _dec_fields(cls, cls.__name__, v, path)

    def _kq_encode(self, out, level):
        _enc_fields(self, out, level)


class _Enum:
    _kq_variants: ClassVar[dict] = {}
    _kq_extension: ClassVar[int] = 0

    @classmethod
    def _kq_decode(cls, v, path):
        if isinstance(v, str):
            name, payload, bare = v, None, True
        elif isinstance(v, _Object) and len(v) == 1:
            (name, payload), bare = v[0], False
        elif isinstance(v, _Object):
            path.fail("expected %s (an object with exactly one key), got an object with %s keys"
                      % (cls._kq_name, "several" if v else "no"))
        else:
            path.fail("expected %s (a string or an object with one key)" % cls._kq_name, v)
        variant = cls._kq_variants.get(name)
        if variant is None or variant._kq_extension > path.level:
            path.fail("unknown variant %s of %s" % (_fmt_str(name[:64]) + ("..." if len(name) > 64 else ""),
                                                     cls._kq_name))
        path.parts.append(name)
        if variant._kq_form == "unit":
            if payload is not None:
                path.fail("expected no value (unit variant)", payload)
            result = variant()
        elif bare:
            path.fail('expected {"%s": value}, got a bare string' % name)
        elif variant._kq_form == "newtype":
            result = variant(_dec(variant._kq_fields[0][1], payload, path))
        else:
            result = _dec_fields(variant, name, payload, path)
        path.parts.pop()
        return result

    def _kq_encode(self, out, level):
        if self._kq_extension > level:
            raise ValueError("%s.%s is a Kueue-C extension of level %d; the peer speaks level %d"
                             % (self._kq_name, self._kq_variant, self._kq_extension, level))
        if self._kq_form == "unit":
            out.append('"%s"' % self._kq_variant)
        elif self._kq_form == "newtype":
            out.append('{"%s":' % self._kq_variant)
            _enc(self._kq_fields[0][1], self.value, out, level)
            out.append("}")
        else:
            out.append('{"%s":' % self._kq_variant)
            _enc_fields(self, out, level)
            out.append("}")


def encode(value, level=EXTENSION_LEVEL):
    """The reference's compact JSON for a message or struct, as bytes, for
    a peer of extension level `level` (0: the original): extension fields
    above it are left out, and an extension variant above it raises
    ValueError."""
    out = []
    value._kq_encode(out, level)
    return "".join(out).encode("utf-8")


def decode(cls, data, level=EXTENSION_LEVEL):
    """Parses and validates one JSON value (str or bytes) as cls, as a peer
    of extension level `level` does; raises DecodeError naming the path of
    the first problem."""
    return cls._kq_decode(parse_json(data), _Path(level))



@dataclasses.dataclass
class Resources(_Struct):
    """Job slots, CPU cores and RAM; free ones on a worker, required ones for a job."""

    job_slots: int = 0
    cpus: int = 0
    ram_mb: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("job_slots", ("u64",), 0),
        ("cpus", ("u64",), 0),
        ("ram_mb", ("u64",), 0),
    )

_TYPES["Resources"] = Resources


class JobStatus(_Enum):
    """Where a job is in its life cycle, with the times of each step."""

    _kq_name: ClassVar[str] = "JobStatus"


@dataclasses.dataclass
class _JobStatus_Pending(JobStatus):
    """Waiting in the queue for a worker."""

    _kq_variant: ClassVar[str] = "Pending"
    _kq_form: ClassVar[str] = "struct"
    issued: Timestamp = dataclasses.field(default_factory=Timestamp)
    _kq_fields: ClassVar[tuple] = (
        ("issued", ("time",), 0),
    )



@dataclasses.dataclass
class _JobStatus_Offered(JobStatus):
    """Offered to a worker that has not answered yet."""

    _kq_variant: ClassVar[str] = "Offered"
    _kq_form: ClassVar[str] = "struct"
    issued: Timestamp = dataclasses.field(default_factory=Timestamp)
    offered: Timestamp = dataclasses.field(default_factory=Timestamp)
    worker: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("issued", ("time",), 0),
        ("offered", ("time",), 0),
        ("worker", ("str", LIMITS['name']), 0),
    )



@dataclasses.dataclass
class _JobStatus_Running(JobStatus):
    """Accepted by a worker and started."""

    _kq_variant: ClassVar[str] = "Running"
    _kq_form: ClassVar[str] = "struct"
    issued: Timestamp = dataclasses.field(default_factory=Timestamp)
    started: Timestamp = dataclasses.field(default_factory=Timestamp)
    worker: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("issued", ("time",), 0),
        ("started", ("time",), 0),
        ("worker", ("str", LIMITS['name']), 0),
    )



@dataclasses.dataclass
class _JobStatus_Finished(JobStatus):
    """Ran to completion, failed to start, or was killed by a signal."""

    _kq_variant: ClassVar[str] = "Finished"
    _kq_form: ClassVar[str] = "struct"
    issued: Timestamp = dataclasses.field(default_factory=Timestamp)
    started: Timestamp = dataclasses.field(default_factory=Timestamp)
    finished: Timestamp = dataclasses.field(default_factory=Timestamp)
    return_code: int = 0
    worker: str = ""
    run_time_seconds: int = 0
    comment: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("issued", ("time",), 0),
        ("started", ("time",), 0),
        ("finished", ("time",), 0),
        ("return_code", ("i32",), 0),
        ("worker", ("str", LIMITS['name']), 0),
        ("run_time_seconds", ("i64",), 0),
        ("comment", ("str", LIMITS['string']), 0),
    )



@dataclasses.dataclass
class _JobStatus_Canceled(JobStatus):
    """Removed by a user before it finished."""

    _kq_variant: ClassVar[str] = "Canceled"
    _kq_form: ClassVar[str] = "struct"
    issued: Timestamp = dataclasses.field(default_factory=Timestamp)
    canceled: Timestamp = dataclasses.field(default_factory=Timestamp)
    _kq_fields: ClassVar[tuple] = (
        ("issued", ("time",), 0),
        ("canceled", ("time",), 0),
    )



JobStatus.Pending = _JobStatus_Pending
_JobStatus_Pending.__qualname__ = "JobStatus.Pending"
JobStatus.Offered = _JobStatus_Offered
_JobStatus_Offered.__qualname__ = "JobStatus.Offered"
JobStatus.Running = _JobStatus_Running
_JobStatus_Running.__qualname__ = "JobStatus.Running"
JobStatus.Finished = _JobStatus_Finished
_JobStatus_Finished.__qualname__ = "JobStatus.Finished"
JobStatus.Canceled = _JobStatus_Canceled
_JobStatus_Canceled.__qualname__ = "JobStatus.Canceled"
JobStatus._kq_variants = {
    "Pending": _JobStatus_Pending,
    "Offered": _JobStatus_Offered,
    "Running": _JobStatus_Running,
    "Finished": _JobStatus_Finished,
    "Canceled": _JobStatus_Canceled,
}
_TYPES["JobStatus"] = JobStatus


@dataclasses.dataclass
class Attempt(_Struct):
    """Kueue-C: an earlier run of a job that failed and was tried again (--retries)."""

    return_code: int = 0
    worker: str = ""
    finished: Timestamp = dataclasses.field(default_factory=Timestamp)
    _kq_fields: ClassVar[tuple] = (
        ("return_code", ("i32",), 0),
        ("worker", ("str", LIMITS['name']), 0),
        ("finished", ("time",), 0),
    )

_TYPES["Attempt"] = Attempt


@dataclasses.dataclass
class Workflow(_Struct):
    """Kueue-C: what a job asks for beyond the original's JobInfo (dependencies, priority, time limit, retries, name), and what the server adds to it (its array, what it waits for, its earlier attempts)."""

    priority: int = 0
    name: Optional[str] = None
    after: Optional[Set[int]] = None
    after_any: Optional[Set[int]] = None
    time_limit_seconds: Optional[int] = None
    retries: Optional[int] = None
    array_id: Optional[int] = None
    array_index: Optional[int] = None
    waiting: Optional[int] = None
    attempts: Optional[List["Attempt"]] = None
    _kq_fields: ClassVar[tuple] = (
        ("priority", ("i32",), 0),
        ("name", ("opt", ("str", LIMITS['name'])), 1),
        ("after", ("opt", ("set", LIMITS['deps'])), 1),
        ("after_any", ("opt", ("set", LIMITS['deps'])), 1),
        ("time_limit_seconds", ("opt", ("u64",)), 1),
        ("retries", ("opt", ("u64",)), 1),
        ("array_id", ("opt", ("u64",)), 1),
        ("array_index", ("opt", ("u64",)), 1),
        ("waiting", ("opt", ("u64",)), 1),
        ("attempts", ("opt", ("list", ("ref", "Attempt"), LIMITS['attempts'])), 1),
    )

_TYPES["Workflow"] = Workflow


@dataclasses.dataclass
class JobArray(_Struct):
    """Kueue-C: the indices of an array of jobs: first, first + step, ... up to last."""

    first: int = 0
    last: int = 0
    step: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("first", ("u64",), 0),
        ("last", ("u64",), 0),
        ("step", ("u64",), 0),
    )

_TYPES["JobArray"] = JobArray


@dataclasses.dataclass
class JobEnvironment(_Struct):
    """Kueue-C: the environment variables a job runs with (JobInfo.environment)."""

    variables: List[str] = dataclasses.field(default_factory=list)
    add_to_worker: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("variables", ("list", ("str", LIMITS['argument']), LIMITS['list']), 0),
        ("add_to_worker", ("bool",), 0),
    )

_TYPES["JobEnvironment"] = JobEnvironment


@dataclasses.dataclass
class JobInfo(_Struct):
    """Everything about one job; the unit that clients, server and workers exchange."""

    job_id: int = 0
    cmd: List[str] = dataclasses.field(default_factory=list)
    cwd: str = ""
    worker_resources: "Resources" = dataclasses.field(default_factory=lambda: Resources())
    global_resources: Optional[Dict[str, int]] = None
    status: "JobStatus" = None
    stdout_path: Optional[str] = None
    stderr_path: Optional[str] = None
    note: Optional[str] = None
    workflow: Optional["Workflow"] = None
    wait_reason: Optional[str] = None
    queue_anyway: Optional[bool] = None
    environment: Optional["JobEnvironment"] = None
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("cmd", ("list", ("str", LIMITS['argument']), LIMITS['arguments']), 0),
        ("cwd", ("str", LIMITS['path']), 0),
        ("worker_resources", ("ref", "Resources"), 0),
        ("global_resources", ("opt", ("map", 1024, LIMITS['name'])), 0),
        ("status", ("ref", "JobStatus"), 0),
        ("stdout_path", ("opt", ("str", LIMITS['path'])), 0),
        ("stderr_path", ("opt", ("str", LIMITS['path'])), 0),
        ("note", ("opt", ("str", 1024)), 1),
        ("workflow", ("opt", ("ref", "Workflow")), 1),
        ("wait_reason", ("opt", ("str", 1024)), 1),
        ("queue_anyway", ("opt", ("bool",)), 1),
        ("environment", ("opt", ("ref", "JobEnvironment")), 1),
    )

_TYPES["JobInfo"] = JobInfo


@dataclasses.dataclass
class LoadInfo(_Struct):
    """Load averages of a worker."""

    one: float = 0.0
    five: float = 0.0
    fifteen: float = 0.0
    _kq_fields: ClassVar[tuple] = (
        ("one", ("f64",), 0),
        ("five", ("f64",), 0),
        ("fifteen", ("f64",), 0),
    )

_TYPES["LoadInfo"] = LoadInfo


@dataclasses.dataclass
class WorkerLifetime(_Struct):
    """Kueue-C: how much longer a worker with an end (its allocation's) takes jobs, as of its report."""

    seconds_left: int = 0
    no_limit_seconds_left: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("seconds_left", ("u64",), 0),
        ("no_limit_seconds_left", ("u64",), 0),
    )

_TYPES["WorkerLifetime"] = WorkerLifetime


@dataclasses.dataclass
class Allocation(_Struct):
    """Kueue-C: one allocation an allocation queue asked the batch system for, as long as it has not ended."""

    alloc_id: int = 0
    state: str = ""
    submitted: Timestamp = dataclasses.field(default_factory=Timestamp)
    workers: int = 0
    connections: int = 0
    batch_id: Optional[str] = None
    started: Optional[Timestamp] = None
    reason: Optional[str] = None
    _kq_fields: ClassVar[tuple] = (
        ("alloc_id", ("u64",), 0),
        ("state", ("str", LIMITS['name']), 0),
        ("submitted", ("time",), 0),
        ("workers", ("u64",), 0),
        ("connections", ("u64",), 0),
        ("batch_id", ("opt", ("str", LIMITS['name'])), 1),
        ("started", ("opt", ("time",)), 1),
        ("reason", ("opt", ("str", 1024)), 1),
    )

_TYPES["Allocation"] = Allocation


@dataclasses.dataclass
class AllocEvent(_Struct):
    """Kueue-C: something that happened to an allocation queue or one of its allocations."""

    time: Timestamp = dataclasses.field(default_factory=Timestamp)
    kind: str = ""
    text: str = ""
    alloc_id: Optional[int] = None
    _kq_fields: ClassVar[tuple] = (
        ("time", ("time",), 0),
        ("kind", ("str", LIMITS['name']), 0),
        ("text", ("str", 4096), 0),
        ("alloc_id", ("opt", ("u64",)), 1),
    )

_TYPES["AllocEvent"] = AllocEvent


@dataclasses.dataclass
class AllocQueue(_Struct):
    """Kueue-C: an allocation queue: while jobs wait that no connected worker can take, the server submits allocations of this shape to the batch system, each starting workers that connect back, up to max_workers at a time."""

    queue_id: int = 0
    backend: str = ""
    max_workers: int = 0
    workers_per_alloc: int = 0
    time_limit_seconds: int = 0
    idle_exit_seconds: int = 0
    max_failures: int = 0
    connect_timeout_seconds: int = 0
    server_address: str = ""
    worker_program: str = ""
    worker_config: str = ""
    backend_args: List[str] = dataclasses.field(default_factory=list)
    failures: int = 0
    allocations: List["Allocation"] = dataclasses.field(default_factory=list)
    stopped: Optional[str] = None
    margin_seconds: Optional[int] = None
    events: Optional[List["AllocEvent"]] = None
    script: Optional[str] = None
    _kq_fields: ClassVar[tuple] = (
        ("queue_id", ("u64",), 0),
        ("backend", ("str", LIMITS['name']), 0),
        ("max_workers", ("u64",), 0),
        ("workers_per_alloc", ("u64",), 0),
        ("time_limit_seconds", ("u64",), 0),
        ("idle_exit_seconds", ("u64",), 0),
        ("max_failures", ("u64",), 0),
        ("connect_timeout_seconds", ("u64",), 0),
        ("server_address", ("str", 1024), 0),
        ("worker_program", ("str", LIMITS['path']), 0),
        ("worker_config", ("str", LIMITS['path']), 0),
        ("backend_args", ("list", ("str", 4096), 256), 0),
        ("failures", ("u64",), 0),
        ("allocations", ("list", ("ref", "Allocation"), 100000), 0),
        ("stopped", ("opt", ("str", 4096)), 1),
        ("margin_seconds", ("opt", ("u64",)), 1),
        ("events", ("opt", ("list", ("ref", "AllocEvent"), 100000)), 1),
        ("script", ("opt", ("str", 1048576)), 1),
    )

_TYPES["AllocQueue"] = AllocQueue


@dataclasses.dataclass
class SystemInfo(_Struct):
    """What a worker reports about its machine."""

    kernel: str = ""
    distribution: str = ""
    cpu_cores: int = 0
    cpu_frequency: int = 0
    total_ram_mb: int = 0
    load_info: "LoadInfo" = dataclasses.field(default_factory=lambda: LoadInfo())
    lifetime: Optional["WorkerLifetime"] = None
    _kq_fields: ClassVar[tuple] = (
        ("kernel", ("str", 1024), 0),
        ("distribution", ("str", 1024), 0),
        ("cpu_cores", ("u64",), 0),
        ("cpu_frequency", ("u64",), 0),
        ("total_ram_mb", ("u64",), 0),
        ("load_info", ("ref", "LoadInfo"), 0),
        ("lifetime", ("opt", ("ref", "WorkerLifetime")), 1),
    )

_TYPES["SystemInfo"] = SystemInfo


@dataclasses.dataclass
class WorkerInfo(_Struct):
    """A worker as the server sees it."""

    worker_id: int = 0
    worker_name: str = ""
    connected_since: Timestamp = dataclasses.field(default_factory=Timestamp)
    system_info: "SystemInfo" = dataclasses.field(default_factory=lambda: SystemInfo())
    last_updated: Timestamp = dataclasses.field(default_factory=Timestamp)
    jobs_offered: Set[int] = dataclasses.field(default_factory=set)
    jobs_running: Set[int] = dataclasses.field(default_factory=set)
    free_resources: "Resources" = dataclasses.field(default_factory=lambda: Resources())
    drained: Optional[bool] = None
    allocation: Optional[str] = None
    _kq_fields: ClassVar[tuple] = (
        ("worker_id", ("u64",), 0),
        ("worker_name", ("str", LIMITS['name']), 0),
        ("connected_since", ("time",), 0),
        ("system_info", ("ref", "SystemInfo"), 0),
        ("last_updated", ("time",), 0),
        ("jobs_offered", ("set", LIMITS['jobs']), 0),
        ("jobs_running", ("set", LIMITS['jobs']), 0),
        ("free_resources", ("ref", "Resources"), 0),
        ("drained", ("opt", ("bool",)), 1),
        ("allocation", ("opt", ("str", 1024)), 1),
    )

_TYPES["WorkerInfo"] = WorkerInfo


@dataclasses.dataclass
class StreamText(_Struct):
    """Kueue-C: new text of one output stream (stdout or stderr) of a running job."""

    offset: int = 0
    text: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("offset", ("u64",), 0),
        ("text", ("str", LIMITS['text']), 0),
    )

_TYPES["StreamText"] = StreamText


class HelloMessage(_Enum):
    """First message on every connection, sent by the side that connected."""

    _kq_name: ClassVar[str] = "HelloMessage"


@dataclasses.dataclass
class _HelloMessage_HelloFromClient(HelloMessage):
    """A kueue client."""

    _kq_variant: ClassVar[str] = "HelloFromClient"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _HelloMessage_HelloFromWorker(HelloMessage):
    """A worker, with its name."""

    _kq_variant: ClassVar[str] = "HelloFromWorker"
    _kq_form: ClassVar[str] = "struct"
    worker_name: str = ""
    extension_level: Optional[int] = None
    output_limit: Optional[int] = None
    allocation: Optional[str] = None
    _kq_fields: ClassVar[tuple] = (
        ("worker_name", ("str", LIMITS['name']), 0),
        ("extension_level", ("opt", ("u64",)), 1),
        ("output_limit", ("opt", ("u64",)), 1),
        ("allocation", ("opt", ("str", 128)), 1),
    )



HelloMessage.HelloFromClient = _HelloMessage_HelloFromClient
_HelloMessage_HelloFromClient.__qualname__ = "HelloMessage.HelloFromClient"
HelloMessage.HelloFromWorker = _HelloMessage_HelloFromWorker
_HelloMessage_HelloFromWorker.__qualname__ = "HelloMessage.HelloFromWorker"
HelloMessage._kq_variants = {
    "HelloFromClient": _HelloMessage_HelloFromClient,
    "HelloFromWorker": _HelloMessage_HelloFromWorker,
}
_TYPES["HelloMessage"] = HelloMessage


class ClientToServerMessage(_Enum):
    """Requests from a client; the server answers each in order."""

    _kq_name: ClassVar[str] = "ClientToServerMessage"


@dataclasses.dataclass
class _ClientToServerMessage_AuthRequest(ClientToServerMessage):
    """Ask for a challenge."""

    _kq_variant: ClassVar[str] = "AuthRequest"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ClientToServerMessage_AuthResponse(ClientToServerMessage):
    """Answer to the last challenge."""

    _kq_variant: ClassVar[str] = "AuthResponse"
    _kq_form: ClassVar[str] = "newtype"
    value: str = ""
    _kq_fields: ClassVar[tuple] = (("value", ("str", LIMITS['salt']), 0),)


@dataclasses.dataclass
class _ClientToServerMessage_IssueJob(ClientToServerMessage):
    """Queue a job (needs auth)."""

    _kq_variant: ClassVar[str] = "IssueJob"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ClientToServerMessage_ListJobs(ClientToServerMessage):
    """Counters and the most recent jobs of the selected kinds (all kinds if none is set)."""

    _kq_variant: ClassVar[str] = "ListJobs"
    _kq_form: ClassVar[str] = "struct"
    num_jobs: int = 0
    pending: bool = False
    offered: bool = False
    running: bool = False
    succeeded: bool = False
    failed: bool = False
    canceled: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("num_jobs", ("u64",), 0),
        ("pending", ("bool",), 0),
        ("offered", ("bool",), 0),
        ("running", ("bool",), 0),
        ("succeeded", ("bool",), 0),
        ("failed", ("bool",), 0),
        ("canceled", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_ShowJob(ClientToServerMessage):
    """One job with its captured output."""

    _kq_variant: ClassVar[str] = "ShowJob"
    _kq_form: ClassVar[str] = "struct"
    job_id: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_ObserveJob(ClientToServerMessage):
    """The job now, then a JobUpdated at each change."""

    _kq_variant: ClassVar[str] = "ObserveJob"
    _kq_form: ClassVar[str] = "struct"
    job_id: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_RemoveJob(ClientToServerMessage):
    """Cancel a job; kill it if it runs and kill is set (needs auth)."""

    _kq_variant: ClassVar[str] = "RemoveJob"
    _kq_form: ClassVar[str] = "struct"
    job_id: int = 0
    kill: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("kill", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_CleanJobs(ClientToServerMessage):
    """Drop finished and canceled jobs (needs auth)."""

    _kq_variant: ClassVar[str] = "CleanJobs"
    _kq_form: ClassVar[str] = "struct"
    all: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("all", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_ListWorkers(ClientToServerMessage):
    """All connected workers."""

    _kq_variant: ClassVar[str] = "ListWorkers"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ClientToServerMessage_ShowWorker(ClientToServerMessage):
    """One worker."""

    _kq_variant: ClassVar[str] = "ShowWorker"
    _kq_form: ClassVar[str] = "struct"
    worker_id: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("worker_id", ("u64",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_ListResources(ClientToServerMessage):
    """Global resources configured and in use."""

    _kq_variant: ClassVar[str] = "ListResources"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ClientToServerMessage_Bye(ClientToServerMessage):
    """The client leaves."""

    _kq_variant: ClassVar[str] = "Bye"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ClientToServerMessage_DrainWorker(ClientToServerMessage):
    """Kueue-C: stop offering jobs to a worker, whose running jobs finish (drain true), or offer them again (false); needs auth, answered with RequestResponse.  The original closes the connection instead."""

    _kq_variant: ClassVar[str] = "DrainWorker"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    worker: str = ""
    drain: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("worker", ("str", LIMITS['name']), 0),
        ("drain", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_SubmitJob(ClientToServerMessage):
    """Kueue-C: queue a job that uses workflow fields (JobInfo.workflow), or an array of jobs, each with {index} in its command, stdout and stderr paths and name replaced by its index.  Answered as IssueJob is: AcceptJob (the job, or the array's first job, whose id is the array's; the array's jobs have consecutive ids) or RejectJob.  Needs auth.  The original closes the connection instead, so a job is never run without what it asked for."""

    _kq_variant: ClassVar[str] = "SubmitJob"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_info: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    array: Optional["JobArray"] = None
    _kq_fields: ClassVar[tuple] = (
        ("job_info", ("ref", "JobInfo"), 0),
        ("array", ("opt", ("ref", "JobArray")), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_SetJobPriority(ClientToServerMessage):
    """Kueue-C: change the priority of a pending job (needs auth); answered with RequestResponse."""

    _kq_variant: ClassVar[str] = "SetJobPriority"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    priority: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("priority", ("i32",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_ListJobsMatching(ClientToServerMessage):
    """Kueue-C: ListJobs of the jobs that match the filters (an original server would ignore a filter field and list everything); answered with a JobList whose counters cover the matching jobs."""

    _kq_variant: ClassVar[str] = "ListJobsMatching"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    num_jobs: int = 0
    pending: bool = False
    offered: bool = False
    running: bool = False
    succeeded: bool = False
    failed: bool = False
    canceled: bool = False
    name: Optional[str] = None
    array_id: Optional[int] = None
    _kq_fields: ClassVar[tuple] = (
        ("num_jobs", ("u64",), 0),
        ("pending", ("bool",), 0),
        ("offered", ("bool",), 0),
        ("running", ("bool",), 0),
        ("succeeded", ("bool",), 0),
        ("failed", ("bool",), 0),
        ("canceled", ("bool",), 0),
        ("name", ("opt", ("str", 1024)), 0),
        ("array_id", ("opt", ("u64",)), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_RemoveArray(ClientToServerMessage):
    """Kueue-C: cancel every job of an array that has not ended, killing running ones if kill is set (needs auth); answered with RequestResponse."""

    _kq_variant: ClassVar[str] = "RemoveArray"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    array_id: int = 0
    kill: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("array_id", ("u64",), 0),
        ("kill", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_FollowJob(ClientToServerMessage):
    """Kueue-C: the job now (JobUpdated), then its output as it is written (JobOutput, the first with the last of what it wrote so far) and each change of it (JobUpdated), until a JobOutput with done; RequestResponse if the job is unknown.  Needs no auth.  The original closes the connection instead."""

    _kq_variant: ClassVar[str] = "FollowJob"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    want_stdout: bool = False
    want_stderr: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("want_stdout", ("bool",), 0),
        ("want_stderr", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_AddAllocQueue(ClientToServerMessage):
    """Kueue-C: declare an allocation queue (needs auth); answered with AllocQueueList holding it, with its id, or RequestResponse with the reason it was refused."""

    _kq_variant: ClassVar[str] = "AddAllocQueue"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    queue: "AllocQueue" = dataclasses.field(default_factory=lambda: AllocQueue())
    _kq_fields: ClassVar[tuple] = (
        ("queue", ("ref", "AllocQueue"), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_ListAllocQueues(ClientToServerMessage):
    """Kueue-C: the allocation queues (or one); answered with AllocQueueList, or RequestResponse when the queue does not exist."""

    _kq_variant: ClassVar[str] = "ListAllocQueues"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    queue_id: Optional[int] = None
    events: bool = False
    script: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("queue_id", ("opt", ("u64",)), 0),
        ("events", ("bool",), 0),
        ("script", ("bool",), 0),
    )



@dataclasses.dataclass
class _ClientToServerMessage_RemoveAllocQueue(ClientToServerMessage):
    """Kueue-C: remove an allocation queue (needs auth): its allocations still waiting are canceled, running ones too if cancel is set (their jobs go back to the queue), else their workers exit once idle.  Answered with RequestResponse."""

    _kq_variant: ClassVar[str] = "RemoveAllocQueue"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    queue_id: int = 0
    cancel: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("queue_id", ("u64",), 0),
        ("cancel", ("bool",), 0),
    )



ClientToServerMessage.AuthRequest = _ClientToServerMessage_AuthRequest
_ClientToServerMessage_AuthRequest.__qualname__ = "ClientToServerMessage.AuthRequest"
ClientToServerMessage.AuthResponse = _ClientToServerMessage_AuthResponse
_ClientToServerMessage_AuthResponse.__qualname__ = "ClientToServerMessage.AuthResponse"
ClientToServerMessage.IssueJob = _ClientToServerMessage_IssueJob
_ClientToServerMessage_IssueJob.__qualname__ = "ClientToServerMessage.IssueJob"
ClientToServerMessage.ListJobs = _ClientToServerMessage_ListJobs
_ClientToServerMessage_ListJobs.__qualname__ = "ClientToServerMessage.ListJobs"
ClientToServerMessage.ShowJob = _ClientToServerMessage_ShowJob
_ClientToServerMessage_ShowJob.__qualname__ = "ClientToServerMessage.ShowJob"
ClientToServerMessage.ObserveJob = _ClientToServerMessage_ObserveJob
_ClientToServerMessage_ObserveJob.__qualname__ = "ClientToServerMessage.ObserveJob"
ClientToServerMessage.RemoveJob = _ClientToServerMessage_RemoveJob
_ClientToServerMessage_RemoveJob.__qualname__ = "ClientToServerMessage.RemoveJob"
ClientToServerMessage.CleanJobs = _ClientToServerMessage_CleanJobs
_ClientToServerMessage_CleanJobs.__qualname__ = "ClientToServerMessage.CleanJobs"
ClientToServerMessage.ListWorkers = _ClientToServerMessage_ListWorkers
_ClientToServerMessage_ListWorkers.__qualname__ = "ClientToServerMessage.ListWorkers"
ClientToServerMessage.ShowWorker = _ClientToServerMessage_ShowWorker
_ClientToServerMessage_ShowWorker.__qualname__ = "ClientToServerMessage.ShowWorker"
ClientToServerMessage.ListResources = _ClientToServerMessage_ListResources
_ClientToServerMessage_ListResources.__qualname__ = "ClientToServerMessage.ListResources"
ClientToServerMessage.Bye = _ClientToServerMessage_Bye
_ClientToServerMessage_Bye.__qualname__ = "ClientToServerMessage.Bye"
ClientToServerMessage.DrainWorker = _ClientToServerMessage_DrainWorker
_ClientToServerMessage_DrainWorker.__qualname__ = "ClientToServerMessage.DrainWorker"
ClientToServerMessage.SubmitJob = _ClientToServerMessage_SubmitJob
_ClientToServerMessage_SubmitJob.__qualname__ = "ClientToServerMessage.SubmitJob"
ClientToServerMessage.SetJobPriority = _ClientToServerMessage_SetJobPriority
_ClientToServerMessage_SetJobPriority.__qualname__ = "ClientToServerMessage.SetJobPriority"
ClientToServerMessage.ListJobsMatching = _ClientToServerMessage_ListJobsMatching
_ClientToServerMessage_ListJobsMatching.__qualname__ = "ClientToServerMessage.ListJobsMatching"
ClientToServerMessage.RemoveArray = _ClientToServerMessage_RemoveArray
_ClientToServerMessage_RemoveArray.__qualname__ = "ClientToServerMessage.RemoveArray"
ClientToServerMessage.FollowJob = _ClientToServerMessage_FollowJob
_ClientToServerMessage_FollowJob.__qualname__ = "ClientToServerMessage.FollowJob"
ClientToServerMessage.AddAllocQueue = _ClientToServerMessage_AddAllocQueue
_ClientToServerMessage_AddAllocQueue.__qualname__ = "ClientToServerMessage.AddAllocQueue"
ClientToServerMessage.ListAllocQueues = _ClientToServerMessage_ListAllocQueues
_ClientToServerMessage_ListAllocQueues.__qualname__ = "ClientToServerMessage.ListAllocQueues"
ClientToServerMessage.RemoveAllocQueue = _ClientToServerMessage_RemoveAllocQueue
_ClientToServerMessage_RemoveAllocQueue.__qualname__ = "ClientToServerMessage.RemoveAllocQueue"
ClientToServerMessage._kq_variants = {
    "AuthRequest": _ClientToServerMessage_AuthRequest,
    "AuthResponse": _ClientToServerMessage_AuthResponse,
    "IssueJob": _ClientToServerMessage_IssueJob,
    "ListJobs": _ClientToServerMessage_ListJobs,
    "ShowJob": _ClientToServerMessage_ShowJob,
    "ObserveJob": _ClientToServerMessage_ObserveJob,
    "RemoveJob": _ClientToServerMessage_RemoveJob,
    "CleanJobs": _ClientToServerMessage_CleanJobs,
    "ListWorkers": _ClientToServerMessage_ListWorkers,
    "ShowWorker": _ClientToServerMessage_ShowWorker,
    "ListResources": _ClientToServerMessage_ListResources,
    "Bye": _ClientToServerMessage_Bye,
    "DrainWorker": _ClientToServerMessage_DrainWorker,
    "SubmitJob": _ClientToServerMessage_SubmitJob,
    "SetJobPriority": _ClientToServerMessage_SetJobPriority,
    "ListJobsMatching": _ClientToServerMessage_ListJobsMatching,
    "RemoveArray": _ClientToServerMessage_RemoveArray,
    "FollowJob": _ClientToServerMessage_FollowJob,
    "AddAllocQueue": _ClientToServerMessage_AddAllocQueue,
    "ListAllocQueues": _ClientToServerMessage_ListAllocQueues,
    "RemoveAllocQueue": _ClientToServerMessage_RemoveAllocQueue,
}
_TYPES["ClientToServerMessage"] = ClientToServerMessage


class ServerToClientMessage(_Enum):
    """Answers and notifications from the server to a client."""

    _kq_name: ClassVar[str] = "ServerToClientMessage"


@dataclasses.dataclass
class _ServerToClientMessage_WelcomeClient(ServerToClientMessage):
    """Answer to HelloFromClient."""

    _kq_variant: ClassVar[str] = "WelcomeClient"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ServerToClientMessage_AuthChallenge(ServerToClientMessage):
    """A challenge to answer with AuthResponse."""

    _kq_variant: ClassVar[str] = "AuthChallenge"
    _kq_form: ClassVar[str] = "struct"
    salt: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("salt", ("str", LIMITS['salt']), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_AuthAccepted(ServerToClientMessage):
    """Whether the connection is authenticated now."""

    _kq_variant: ClassVar[str] = "AuthAccepted"
    _kq_form: ClassVar[str] = "newtype"
    value: bool = False
    _kq_fields: ClassVar[tuple] = (("value", ("bool",), 0),)


@dataclasses.dataclass
class _ServerToClientMessage_AcceptJob(ServerToClientMessage):
    """The job as queued, with its id."""

    _kq_variant: ClassVar[str] = "AcceptJob"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ServerToClientMessage_RejectJob(ServerToClientMessage):
    """The job was not queued."""

    _kq_variant: ClassVar[str] = "RejectJob"
    _kq_form: ClassVar[str] = "struct"
    job_info: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    reason: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("job_info", ("ref", "JobInfo"), 0),
        ("reason", ("str", LIMITS['string']), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_JobList(ServerToClientMessage):
    """Answer to ListJobs; counters cover every job in the table."""

    _kq_variant: ClassVar[str] = "JobList"
    _kq_form: ClassVar[str] = "struct"
    job_infos: List["JobInfo"] = dataclasses.field(default_factory=list)
    jobs_pending: int = 0
    jobs_offered: int = 0
    jobs_running: int = 0
    jobs_succeeded: int = 0
    jobs_failed: int = 0
    jobs_canceled: int = 0
    job_avg_run_time_seconds: int = 0
    remaining_jobs_eta_seconds: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("job_infos", ("list", ("ref", "JobInfo"), LIMITS['jobs']), 0),
        ("jobs_pending", ("u64",), 0),
        ("jobs_offered", ("u64",), 0),
        ("jobs_running", ("u64",), 0),
        ("jobs_succeeded", ("u64",), 0),
        ("jobs_failed", ("u64",), 0),
        ("jobs_canceled", ("u64",), 0),
        ("job_avg_run_time_seconds", ("i64",), 0),
        ("remaining_jobs_eta_seconds", ("i64",), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_JobInfo(ServerToClientMessage):
    """Answer to ShowJob."""

    _kq_variant: ClassVar[str] = "JobInfo"
    _kq_form: ClassVar[str] = "struct"
    job_info: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    stdout_text: Optional[str] = None
    stderr_text: Optional[str] = None
    _kq_fields: ClassVar[tuple] = (
        ("job_info", ("ref", "JobInfo"), 0),
        ("stdout_text", ("opt", ("str", LIMITS['text'])), 0),
        ("stderr_text", ("opt", ("str", LIMITS['text'])), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_JobUpdated(ServerToClientMessage):
    """An observed job changed."""

    _kq_variant: ClassVar[str] = "JobUpdated"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ServerToClientMessage_WorkerList(ServerToClientMessage):
    """Answer to ListWorkers."""

    _kq_variant: ClassVar[str] = "WorkerList"
    _kq_form: ClassVar[str] = "newtype"
    value: List["WorkerInfo"] = dataclasses.field(default_factory=list)
    _kq_fields: ClassVar[tuple] = (("value", ("list", ("ref", "WorkerInfo"), LIMITS['workers']), 0),)


@dataclasses.dataclass
class _ServerToClientMessage_WorkerInfo(ServerToClientMessage):
    """Answer to ShowWorker."""

    _kq_variant: ClassVar[str] = "WorkerInfo"
    _kq_form: ClassVar[str] = "newtype"
    value: "WorkerInfo" = dataclasses.field(default_factory=lambda: WorkerInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "WorkerInfo"), 0),)


@dataclasses.dataclass
class _ServerToClientMessage_ResourceList(ServerToClientMessage):
    """Answer to ListResources."""

    _kq_variant: ClassVar[str] = "ResourceList"
    _kq_form: ClassVar[str] = "struct"
    used_resources: Optional[Dict[str, int]] = None
    total_resources: Optional[Dict[str, int]] = None
    _kq_fields: ClassVar[tuple] = (
        ("used_resources", ("opt", ("map", 1024, LIMITS['name'])), 0),
        ("total_resources", ("opt", ("map", 1024, LIMITS['name'])), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_RequestResponse(ServerToClientMessage):
    """Outcome of a request that has no other answer."""

    _kq_variant: ClassVar[str] = "RequestResponse"
    _kq_form: ClassVar[str] = "struct"
    success: bool = False
    text: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("success", ("bool",), 0),
        ("text", ("str", LIMITS['string']), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_Bye(ServerToClientMessage):
    """The server shuts down."""

    _kq_variant: ClassVar[str] = "Bye"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ServerToClientMessage_JobOutput(ServerToClientMessage):
    """Kueue-C: output of a job the client follows (FollowJob): nothing promised durable, except with done."""

    _kq_variant: ClassVar[str] = "JobOutput"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    stdout_chunk: Optional["StreamText"] = None
    stderr_chunk: Optional["StreamText"] = None
    live: bool = False
    done: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("stdout_chunk", ("opt", ("ref", "StreamText")), 0),
        ("stderr_chunk", ("opt", ("ref", "StreamText")), 0),
        ("live", ("bool",), 0),
        ("done", ("bool",), 0),
    )



@dataclasses.dataclass
class _ServerToClientMessage_AllocQueueList(ServerToClientMessage):
    """Kueue-C (allocations): answer to AddAllocQueue and ListAllocQueues."""

    _kq_variant: ClassVar[str] = "AllocQueueList"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    queues: List["AllocQueue"] = dataclasses.field(default_factory=list)
    _kq_fields: ClassVar[tuple] = (
        ("queues", ("list", ("ref", "AllocQueue"), 100000), 0),
    )



ServerToClientMessage.WelcomeClient = _ServerToClientMessage_WelcomeClient
_ServerToClientMessage_WelcomeClient.__qualname__ = "ServerToClientMessage.WelcomeClient"
ServerToClientMessage.AuthChallenge = _ServerToClientMessage_AuthChallenge
_ServerToClientMessage_AuthChallenge.__qualname__ = "ServerToClientMessage.AuthChallenge"
ServerToClientMessage.AuthAccepted = _ServerToClientMessage_AuthAccepted
_ServerToClientMessage_AuthAccepted.__qualname__ = "ServerToClientMessage.AuthAccepted"
ServerToClientMessage.AcceptJob = _ServerToClientMessage_AcceptJob
_ServerToClientMessage_AcceptJob.__qualname__ = "ServerToClientMessage.AcceptJob"
ServerToClientMessage.RejectJob = _ServerToClientMessage_RejectJob
_ServerToClientMessage_RejectJob.__qualname__ = "ServerToClientMessage.RejectJob"
ServerToClientMessage.JobList = _ServerToClientMessage_JobList
_ServerToClientMessage_JobList.__qualname__ = "ServerToClientMessage.JobList"
ServerToClientMessage.JobInfo = _ServerToClientMessage_JobInfo
_ServerToClientMessage_JobInfo.__qualname__ = "ServerToClientMessage.JobInfo"
ServerToClientMessage.JobUpdated = _ServerToClientMessage_JobUpdated
_ServerToClientMessage_JobUpdated.__qualname__ = "ServerToClientMessage.JobUpdated"
ServerToClientMessage.WorkerList = _ServerToClientMessage_WorkerList
_ServerToClientMessage_WorkerList.__qualname__ = "ServerToClientMessage.WorkerList"
ServerToClientMessage.WorkerInfo = _ServerToClientMessage_WorkerInfo
_ServerToClientMessage_WorkerInfo.__qualname__ = "ServerToClientMessage.WorkerInfo"
ServerToClientMessage.ResourceList = _ServerToClientMessage_ResourceList
_ServerToClientMessage_ResourceList.__qualname__ = "ServerToClientMessage.ResourceList"
ServerToClientMessage.RequestResponse = _ServerToClientMessage_RequestResponse
_ServerToClientMessage_RequestResponse.__qualname__ = "ServerToClientMessage.RequestResponse"
ServerToClientMessage.Bye = _ServerToClientMessage_Bye
_ServerToClientMessage_Bye.__qualname__ = "ServerToClientMessage.Bye"
ServerToClientMessage.JobOutput = _ServerToClientMessage_JobOutput
_ServerToClientMessage_JobOutput.__qualname__ = "ServerToClientMessage.JobOutput"
ServerToClientMessage.AllocQueueList = _ServerToClientMessage_AllocQueueList
_ServerToClientMessage_AllocQueueList.__qualname__ = "ServerToClientMessage.AllocQueueList"
ServerToClientMessage._kq_variants = {
    "WelcomeClient": _ServerToClientMessage_WelcomeClient,
    "AuthChallenge": _ServerToClientMessage_AuthChallenge,
    "AuthAccepted": _ServerToClientMessage_AuthAccepted,
    "AcceptJob": _ServerToClientMessage_AcceptJob,
    "RejectJob": _ServerToClientMessage_RejectJob,
    "JobList": _ServerToClientMessage_JobList,
    "JobInfo": _ServerToClientMessage_JobInfo,
    "JobUpdated": _ServerToClientMessage_JobUpdated,
    "WorkerList": _ServerToClientMessage_WorkerList,
    "WorkerInfo": _ServerToClientMessage_WorkerInfo,
    "ResourceList": _ServerToClientMessage_ResourceList,
    "RequestResponse": _ServerToClientMessage_RequestResponse,
    "Bye": _ServerToClientMessage_Bye,
    "JobOutput": _ServerToClientMessage_JobOutput,
    "AllocQueueList": _ServerToClientMessage_AllocQueueList,
}
_TYPES["ServerToClientMessage"] = ServerToClientMessage


class WorkerToServerMessage(_Enum):
    """Reports and answers from a worker."""

    _kq_name: ClassVar[str] = "WorkerToServerMessage"


@dataclasses.dataclass
class _WorkerToServerMessage_AuthResponse(WorkerToServerMessage):
    """Answer to the challenge."""

    _kq_variant: ClassVar[str] = "AuthResponse"
    _kq_form: ClassVar[str] = "newtype"
    value: str = ""
    _kq_fields: ClassVar[tuple] = (("value", ("str", LIMITS['salt']), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_UpdateSystemInfo(WorkerToServerMessage):
    """Machine information; also the keep-alive."""

    _kq_variant: ClassVar[str] = "UpdateSystemInfo"
    _kq_form: ClassVar[str] = "newtype"
    value: "SystemInfo" = dataclasses.field(default_factory=lambda: SystemInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "SystemInfo"), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_UpdateJobStatus(WorkerToServerMessage):
    """A job finished or was canceled (or, after a reconnect, still runs)."""

    _kq_variant: ClassVar[str] = "UpdateJobStatus"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_UpdateJobResults(WorkerToServerMessage):
    """Captured output of a job that ended."""

    _kq_variant: ClassVar[str] = "UpdateJobResults"
    _kq_form: ClassVar[str] = "struct"
    job_id: int = 0
    stdout_text: Optional[str] = None
    stderr_text: Optional[str] = None
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("stdout_text", ("opt", ("str", LIMITS['text'])), 0),
        ("stderr_text", ("opt", ("str", LIMITS['text'])), 0),
    )



@dataclasses.dataclass
class _WorkerToServerMessage_UpdateResources(WorkerToServerMessage):
    """Free resources now."""

    _kq_variant: ClassVar[str] = "UpdateResources"
    _kq_form: ClassVar[str] = "newtype"
    value: "Resources" = dataclasses.field(default_factory=lambda: Resources())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "Resources"), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_AcceptJobOffer(WorkerToServerMessage):
    """The offered job will run here."""

    _kq_variant: ClassVar[str] = "AcceptJobOffer"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_DeferJobOffer(WorkerToServerMessage):
    """Not enough free resources now."""

    _kq_variant: ClassVar[str] = "DeferJobOffer"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_RejectJobOffer(WorkerToServerMessage):
    """This worker can never run the job (no such cwd)."""

    _kq_variant: ClassVar[str] = "RejectJobOffer"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _WorkerToServerMessage_Bye(WorkerToServerMessage):
    """The worker leaves."""

    _kq_variant: ClassVar[str] = "Bye"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _WorkerToServerMessage_RequeueJob(WorkerToServerMessage):
    """Kueue-C: the worker gave the job up before its end (it shut down, with on_shutdown = requeue): queue it again.  Acknowledged with ReportStored, as a report."""

    _kq_variant: ClassVar[str] = "RequeueJob"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    reason: str = ""
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("reason", ("str", 1024), 0),
    )



@dataclasses.dataclass
class _WorkerToServerMessage_OutputChunk(WorkerToServerMessage):
    """Kueue-C: new output of a running job, only to a server of level 1: at most every 200 ms while the job is watched (WatchOutput), else once a second and no more than the server keeps.  Promises nothing: the final output (UpdateJobResults) replaces it."""

    _kq_variant: ClassVar[str] = "OutputChunk"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    stdout_chunk: Optional["StreamText"] = None
    stderr_chunk: Optional["StreamText"] = None
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("stdout_chunk", ("opt", ("ref", "StreamText")), 0),
        ("stderr_chunk", ("opt", ("ref", "StreamText")), 0),
    )



WorkerToServerMessage.AuthResponse = _WorkerToServerMessage_AuthResponse
_WorkerToServerMessage_AuthResponse.__qualname__ = "WorkerToServerMessage.AuthResponse"
WorkerToServerMessage.UpdateSystemInfo = _WorkerToServerMessage_UpdateSystemInfo
_WorkerToServerMessage_UpdateSystemInfo.__qualname__ = "WorkerToServerMessage.UpdateSystemInfo"
WorkerToServerMessage.UpdateJobStatus = _WorkerToServerMessage_UpdateJobStatus
_WorkerToServerMessage_UpdateJobStatus.__qualname__ = "WorkerToServerMessage.UpdateJobStatus"
WorkerToServerMessage.UpdateJobResults = _WorkerToServerMessage_UpdateJobResults
_WorkerToServerMessage_UpdateJobResults.__qualname__ = "WorkerToServerMessage.UpdateJobResults"
WorkerToServerMessage.UpdateResources = _WorkerToServerMessage_UpdateResources
_WorkerToServerMessage_UpdateResources.__qualname__ = "WorkerToServerMessage.UpdateResources"
WorkerToServerMessage.AcceptJobOffer = _WorkerToServerMessage_AcceptJobOffer
_WorkerToServerMessage_AcceptJobOffer.__qualname__ = "WorkerToServerMessage.AcceptJobOffer"
WorkerToServerMessage.DeferJobOffer = _WorkerToServerMessage_DeferJobOffer
_WorkerToServerMessage_DeferJobOffer.__qualname__ = "WorkerToServerMessage.DeferJobOffer"
WorkerToServerMessage.RejectJobOffer = _WorkerToServerMessage_RejectJobOffer
_WorkerToServerMessage_RejectJobOffer.__qualname__ = "WorkerToServerMessage.RejectJobOffer"
WorkerToServerMessage.Bye = _WorkerToServerMessage_Bye
_WorkerToServerMessage_Bye.__qualname__ = "WorkerToServerMessage.Bye"
WorkerToServerMessage.RequeueJob = _WorkerToServerMessage_RequeueJob
_WorkerToServerMessage_RequeueJob.__qualname__ = "WorkerToServerMessage.RequeueJob"
WorkerToServerMessage.OutputChunk = _WorkerToServerMessage_OutputChunk
_WorkerToServerMessage_OutputChunk.__qualname__ = "WorkerToServerMessage.OutputChunk"
WorkerToServerMessage._kq_variants = {
    "AuthResponse": _WorkerToServerMessage_AuthResponse,
    "UpdateSystemInfo": _WorkerToServerMessage_UpdateSystemInfo,
    "UpdateJobStatus": _WorkerToServerMessage_UpdateJobStatus,
    "UpdateJobResults": _WorkerToServerMessage_UpdateJobResults,
    "UpdateResources": _WorkerToServerMessage_UpdateResources,
    "AcceptJobOffer": _WorkerToServerMessage_AcceptJobOffer,
    "DeferJobOffer": _WorkerToServerMessage_DeferJobOffer,
    "RejectJobOffer": _WorkerToServerMessage_RejectJobOffer,
    "Bye": _WorkerToServerMessage_Bye,
    "RequeueJob": _WorkerToServerMessage_RequeueJob,
    "OutputChunk": _WorkerToServerMessage_OutputChunk,
}
_TYPES["WorkerToServerMessage"] = WorkerToServerMessage


class ServerToWorkerMessage(_Enum):
    """Offers and orders from the server to a worker."""

    _kq_name: ClassVar[str] = "ServerToWorkerMessage"


@dataclasses.dataclass
class _ServerToWorkerMessage_WelcomeWorker(ServerToWorkerMessage):
    """Answer to HelloFromWorker."""

    _kq_variant: ClassVar[str] = "WelcomeWorker"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ServerToWorkerMessage_AuthChallenge(ServerToWorkerMessage):
    """The challenge, sent unprompted after WelcomeWorker."""

    _kq_variant: ClassVar[str] = "AuthChallenge"
    _kq_form: ClassVar[str] = "struct"
    salt: str = ""
    extension_level: Optional[int] = None
    state_id: Optional[str] = None
    output_keep: Optional[int] = None
    _kq_fields: ClassVar[tuple] = (
        ("salt", ("str", LIMITS['salt']), 0),
        ("extension_level", ("opt", ("u64",)), 1),
        ("state_id", ("opt", ("str", 64)), 1),
        ("output_keep", ("opt", ("u64",)), 1),
    )



@dataclasses.dataclass
class _ServerToWorkerMessage_AuthAccepted(ServerToWorkerMessage):
    """Whether authentication succeeded."""

    _kq_variant: ClassVar[str] = "AuthAccepted"
    _kq_form: ClassVar[str] = "newtype"
    value: bool = False
    _kq_fields: ClassVar[tuple] = (("value", ("bool",), 0),)


@dataclasses.dataclass
class _ServerToWorkerMessage_OfferJob(ServerToWorkerMessage):
    """A job that fits; answer with Accept, Defer or Reject."""

    _kq_variant: ClassVar[str] = "OfferJob"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ServerToWorkerMessage_ConfirmJobOffer(ServerToWorkerMessage):
    """Start the accepted job (status Running)."""

    _kq_variant: ClassVar[str] = "ConfirmJobOffer"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ServerToWorkerMessage_WithdrawJobOffer(ServerToWorkerMessage):
    """Forget the offer; the job was canceled."""

    _kq_variant: ClassVar[str] = "WithdrawJobOffer"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ServerToWorkerMessage_KillJob(ServerToWorkerMessage):
    """Kill the running job (status Canceled)."""

    _kq_variant: ClassVar[str] = "KillJob"
    _kq_form: ClassVar[str] = "newtype"
    value: "JobInfo" = dataclasses.field(default_factory=lambda: JobInfo())
    _kq_fields: ClassVar[tuple] = (("value", ("ref", "JobInfo"), 0),)


@dataclasses.dataclass
class _ServerToWorkerMessage_Bye(ServerToWorkerMessage):
    """The server shuts down."""

    _kq_variant: ClassVar[str] = "Bye"
    _kq_form: ClassVar[str] = "unit"


@dataclasses.dataclass
class _ServerToWorkerMessage_ReportStored(ServerToWorkerMessage):
    """Kueue-C: the worker's report of the job (UpdateJobStatus then UpdateJobResults) is handled for good: stored, or known already, or refused; the worker forgets it.  Sent after the server's state holds it; a report not acknowledged is sent again after a reconnect."""

    _kq_variant: ClassVar[str] = "ReportStored"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
    )



@dataclasses.dataclass
class _ServerToWorkerMessage_WatchOutput(ServerToWorkerMessage):
    """Kueue-C: whether clients follow the job (it runs, or is about to run, on this worker): watched, send its output as it is written (OutputChunk, at most every 200 ms); not (the default), only the last output_keep bytes of each stream, once a second, for show-job and a new follower's first lines."""

    _kq_variant: ClassVar[str] = "WatchOutput"
    _kq_form: ClassVar[str] = "struct"
    _kq_extension: ClassVar[int] = 1
    job_id: int = 0
    watched: bool = False
    _kq_fields: ClassVar[tuple] = (
        ("job_id", ("u64",), 0),
        ("watched", ("bool",), 0),
    )



ServerToWorkerMessage.WelcomeWorker = _ServerToWorkerMessage_WelcomeWorker
_ServerToWorkerMessage_WelcomeWorker.__qualname__ = "ServerToWorkerMessage.WelcomeWorker"
ServerToWorkerMessage.AuthChallenge = _ServerToWorkerMessage_AuthChallenge
_ServerToWorkerMessage_AuthChallenge.__qualname__ = "ServerToWorkerMessage.AuthChallenge"
ServerToWorkerMessage.AuthAccepted = _ServerToWorkerMessage_AuthAccepted
_ServerToWorkerMessage_AuthAccepted.__qualname__ = "ServerToWorkerMessage.AuthAccepted"
ServerToWorkerMessage.OfferJob = _ServerToWorkerMessage_OfferJob
_ServerToWorkerMessage_OfferJob.__qualname__ = "ServerToWorkerMessage.OfferJob"
ServerToWorkerMessage.ConfirmJobOffer = _ServerToWorkerMessage_ConfirmJobOffer
_ServerToWorkerMessage_ConfirmJobOffer.__qualname__ = "ServerToWorkerMessage.ConfirmJobOffer"
ServerToWorkerMessage.WithdrawJobOffer = _ServerToWorkerMessage_WithdrawJobOffer
_ServerToWorkerMessage_WithdrawJobOffer.__qualname__ = "ServerToWorkerMessage.WithdrawJobOffer"
ServerToWorkerMessage.KillJob = _ServerToWorkerMessage_KillJob
_ServerToWorkerMessage_KillJob.__qualname__ = "ServerToWorkerMessage.KillJob"
ServerToWorkerMessage.Bye = _ServerToWorkerMessage_Bye
_ServerToWorkerMessage_Bye.__qualname__ = "ServerToWorkerMessage.Bye"
ServerToWorkerMessage.ReportStored = _ServerToWorkerMessage_ReportStored
_ServerToWorkerMessage_ReportStored.__qualname__ = "ServerToWorkerMessage.ReportStored"
ServerToWorkerMessage.WatchOutput = _ServerToWorkerMessage_WatchOutput
_ServerToWorkerMessage_WatchOutput.__qualname__ = "ServerToWorkerMessage.WatchOutput"
ServerToWorkerMessage._kq_variants = {
    "WelcomeWorker": _ServerToWorkerMessage_WelcomeWorker,
    "AuthChallenge": _ServerToWorkerMessage_AuthChallenge,
    "AuthAccepted": _ServerToWorkerMessage_AuthAccepted,
    "OfferJob": _ServerToWorkerMessage_OfferJob,
    "ConfirmJobOffer": _ServerToWorkerMessage_ConfirmJobOffer,
    "WithdrawJobOffer": _ServerToWorkerMessage_WithdrawJobOffer,
    "KillJob": _ServerToWorkerMessage_KillJob,
    "Bye": _ServerToWorkerMessage_Bye,
    "ReportStored": _ServerToWorkerMessage_ReportStored,
    "WatchOutput": _ServerToWorkerMessage_WatchOutput,
}
_TYPES["ServerToWorkerMessage"] = ServerToWorkerMessage


# ------------------------------------------------------------- framing --


class Framer:
    """Splits a byte stream into consecutive JSON values (no delimiters on
    the wire; whitespace between values allowed).  feed() returns the
    complete values received so far, as bytes.  Raises DecodeError for a
    value longer than max_message or a stream that is not JSON."""

    def __init__(self, max_message=DEFAULT_MAX_MESSAGE):
        self.buf = bytearray()
        self.max_message = max_message
        self._reset()

    def _reset(self):
        self.pos = 0
        self.depth = 0
        self.in_string = False
        self.escape = False
        self.started = False
        self.scalar = False

    def feed(self, data):
        self.buf += data
        values = []
        while True:
            end = self._scan()
            if end is None:
                if self.pos > self.max_message:
                    raise DecodeError("message larger than %d bytes" % self.max_message)
                return values
            if end > self.max_message:
                raise DecodeError("message larger than %d bytes" % self.max_message)
            values.append(bytes(self.buf[:end]))
            del self.buf[:end]
            self._reset()

    def _scan(self):
        buf = self.buf
        while not self.started and self.pos < len(buf) and buf[self.pos] in b" \t\r\n":
            self.pos += 1
        if not self.started:
            del buf[:self.pos]
            self.pos = 0
        while self.pos < len(buf):
            c = buf[self.pos]
            if self.in_string:
                if self.escape:
                    self.escape = False
                elif c == 0x5C:
                    self.escape = True
                elif c == 0x22:
                    self.in_string = False
                    if self.depth == 0:
                        self.pos += 1
                        return self.pos
            elif self.scalar:
                if c in b" \t\r\n,]}[{\"":
                    return self.pos
            elif c == 0x22:
                self.in_string = True
                self.started = True
            elif c in b"[{":
                self.depth += 1
                self.started = True
                if self.depth > MAX_DEPTH:
                    raise DecodeError("invalid JSON: nesting deeper than %d levels" % MAX_DEPTH)
            elif c in b"]}":
                self.depth -= 1
                if self.depth < 0:
                    raise DecodeError("invalid JSON: unexpected %r" % chr(c))
                if self.depth == 0:
                    self.pos += 1
                    return self.pos
            elif not self.started:
                if c not in b"-0123456789tfn":
                    raise DecodeError("invalid JSON: unexpected byte 0x%02x" % c)
                self.started = True
                self.scalar = True
            self.pos += 1
        return None


# ---------------------------------------------------------- connection --


def auth_response(secret, salt):
    """base64 (no padding) of SHA-256(secret || salt): the answer to an
    AuthChallenge."""
    digest = hashlib.sha256(secret.encode("utf-8") + salt.encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii").rstrip("=")


RELAY_HELLO = b'{"KueueRelay":1}'
RELAY_READY = b'{"KueueRelay":"ready"}'


def relay_socket(host, port, secret):
    """Where this user's kueue relay for host:port and secret listens
    (docs/encryption.md), or None when its directory is not a private one
    of this user (then no relay is trusted)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    try:
        st = os.stat(runtime) if runtime.startswith("/") else None
    except OSError:
        st = None
    if st and stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
        directory = os.path.join(runtime, "kueue")
    else:
        directory = "/tmp/kueue-%d" % os.geteuid()
    try:
        st = os.lstat(directory)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
        return None
    prk = hmac.new(b"kueue-c tls", secret.encode("utf-8"), hashlib.sha256).digest()
    key = hmac.new(prk, b"kueue-c tls13 psk v1\x01", hashlib.sha256).digest()
    name = hmac.new(key, b"kueue-c relay v1\n%s\n%d" % (host.encode("utf-8"), port),
                    hashlib.sha256).hexdigest()[:16]
    return os.path.join(directory, "relay-%s.sock" % name)


class ProtocolError(RuntimeError):
    """The peer sent something unexpected or closed the connection."""


class ServerUnreachable(OSError):
    """No Kueue server could be reached: the message names the address and
    what to check; errno is the cause's."""


class Connection:
    """A blocking connection to a Kueue server (TCP_NODELAY on).  `level`
    is the extension level used to encode and decode (see encode and
    decode): lower it to speak as an original peer does.

    `encryption` is common_settings.encryption.  Kueue-C's TLS uses a TLS
    1.3 external pre-shared key, which Python's ssl module cannot do before
    3.13 (SSLContext.set_psk_client_callback), so this module has no TLS of
    its own.  Given the `secret`, "auto" and "required" go through this
    user's kueue relay for the server when one runs (kueue relay: TLS to
    the server, already authenticated; hello_client and authenticate then
    do nothing).  Without one, "auto" connects in plain text (a Kueue-C
    server accepts it unless allow_plaintext = false, and an attacker on
    the path can read and change it), and "required" refuses to connect
    (ProtocolError); "off" always speaks plain text.  `config` is the file
    host and port came from, named in errors."""

    # Whether through a relay: set by __init__; False also for a Connection
    # put around a socket of its own without __init__ (as tests do).
    relayed = False

    def __init__(self, host="localhost", port=11236, timeout=None, level=EXTENSION_LEVEL,
                 config=None, encryption="auto", secret=None):
        if encryption not in ("auto", "required", "off"):
            raise ValueError("encryption must be auto, required or off, not %r" % (encryption,))
        self.framer = Framer()
        self.pending = []
        self.level = level
        if encryption != "off" and secret is not None and self._via_relay(host, port, secret):
            return
        if encryption == "required":
            raise ProtocolError(
                'encryption = "required", but no kueue relay runs for %s:%d, and this '
                "module has no TLS of its own (no TLS 1.3 external PSK in Python's ssl "
                "module before 3.13): start one with  kueue%s relay  , or use \"auto\" or "
                '"off"' % (host, port, " -c " + config if config else ""))
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as e:
            where = ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)
            error = ServerUnreachable("connect %s: %s: is kueue_server running on %s?%s" % (
                where, e.strerror or e, where,
                " (server_name/server_port in %s)" % config if config else ""))
            error.errno = e.errno
            raise error from e
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _via_relay(self, host, port, secret, timeout=12):
        """Connects through the relay, if one runs and hands out a session."""
        path = relay_socket(host, port, secret)
        if not path:
            return False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(RELAY_HELLO)
            framer, got = Framer(), []
            while not got:
                data = sock.recv(65536)
                if not data:
                    raise OSError("the relay closed the connection")
                got = framer.feed(data)
        except (OSError, DecodeError):
            sock.close()
            return False
        if got[0] != RELAY_READY:
            sock.close()
            return False
        sock.settimeout(None)
        self.sock, self.relayed, self.pending = sock, True, got[1:]
        self.framer = framer
        return True

    def send(self, message):
        self.sock.sendall(encode(message, self.level))

    def recv_raw(self):
        """The next message's bytes, as received."""
        while not self.pending:
            data = self.sock.recv(65536)
            if not data:
                raise ProtocolError("connection closed by the server")
            self.pending.extend(self.framer.feed(data))
        return self.pending.pop(0)

    def recv(self, cls):
        """The next message, decoded as cls."""
        return decode(cls, self.recv_raw(), self.level)

    def hello_client(self):
        if self.relayed:
            return
        self.send(HelloMessage.HelloFromClient())
        reply = self.recv(ServerToClientMessage)
        if not isinstance(reply, ServerToClientMessage.WelcomeClient):
            raise ProtocolError("expected WelcomeClient, got %r" % (reply,))

    def authenticate(self, secret):
        """Client authentication; raises ProtocolError when refused."""
        if self.relayed:
            return
        self.send(ClientToServerMessage.AuthRequest())
        challenge = self.recv(ServerToClientMessage)
        if not isinstance(challenge, ServerToClientMessage.AuthChallenge):
            raise ProtocolError("expected AuthChallenge, got %r" % (challenge,))
        self.send(ClientToServerMessage.AuthResponse(auth_response(secret, challenge.salt)))
        accepted = self.recv(ServerToClientMessage)
        if not (isinstance(accepted, ServerToClientMessage.AuthAccepted) and accepted.value):
            raise ProtocolError("authentication failed")

    def close(self):
        try:
            self.send(ClientToServerMessage.Bye())
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
