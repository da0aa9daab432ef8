"""Hypothesis strategies of hostile input for the fuzz suite (tests/e2e/test_fuzz.py).

Each reaches a class of defect that input from a client could reach: text of any length and
any code point (lone surrogates and NUL included, up to about a megabyte), ids that are not
the canonical form of an int32, JSON nested a couple of thousand levels or holding numbers
of thousands of digits, bytes that are not UTF-8, structured cursors whose decoded values
are out of range, fragment graphs that multiply, and signed tokens with odd subjects.

JSON is written as text here, not by `json.dumps`, where Python itself would refuse the
value (an integer past 4300 digits, nesting past its recursion limit, a lone surrogate in
UTF-8): the point is to send what Python's own encoder would never produce.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import jwt
from hypothesis import example
from hypothesis import strategies as st

T = TypeVar("T", bound=Callable[..., Any])

SURROGATES = st.characters(categories=["Cs"])
ODD = ["\x00", "\ud800", "\udfff", "\ufeff", "\u202e", "\uffff", "\u0661", "😀", "'", "\\", "%"]
char = st.characters() | SURROGATES | st.sampled_from(ODD)
short_text = st.text(char, max_size=40)
plain_text = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 -"), max_size=30)
# Around the bounds a column might have (255, 256, 2,700 bytes where a btree row stops) and
# far past any (the body limit is 1,000,000 bytes): a short run repeated to that length, or
# random hex, which PostgreSQL cannot compress below an index's row limit.
SIZES = (255, 256, 257, 1_000, 2_701, 10_001, 100_000, 300_000, 999_000)
long_text = st.tuples(st.text(char, min_size=1, max_size=4), st.sampled_from(SIZES)).map(
    lambda run: (run[0] * (run[1] // len(run[0]) + 1))[: run[1]]
) | st.tuples(st.randoms(use_true_random=False), st.sampled_from(SIZES)).map(
    lambda r: r[0].randbytes(r[1] // 2 + 1).hex()[: r[1]]
)
special_text = st.sampled_from(["", " ", *ODD, "a\x00b", "\ud800\udc00", "A" * 2_701, "9f" * 1_351])
text = short_text | special_text | long_text

# Ids: everything that is not the canonical decimal form of an id that can exist.
id_text = (
    st.integers(-(2**70), 2**70).map(str)
    | st.sampled_from(
        ["0", "-1", "01", "\u0661", "+1", " 1", "1 ", "1e3", "0x1", "1.0", "2147483647",
         "2147483648", "4294967296", "9223372036854775808", "9" * 4_400, "999999"]
    )
    | text
)  # fmt: skip


def examples(cases: list[dict[str, Any]]) -> Callable[[T], T]:
    """Known cases (issue 10's) as explicit examples: tried whatever FUZZ_EXAMPLES is."""

    def add(test: T) -> T:
        for case in reversed(cases):
            test = example(**case)(test)
        return test

    return add


def dumps(value: Any) -> str:
    """JSON with every non-ASCII character escaped, so lone surrogates survive as `\\ud800`."""
    return json.dumps(value, ensure_ascii=True)


# JSON fragments (text) that no Python encoder writes.
def big_integer(digits: int, sign: str = "") -> str:
    return sign + "1" + "0" * (digits - 1)


nesting = st.sampled_from([31, 32, 33, 100, 500, 985, 990, 1_000, 2_000])
deep_json = st.tuples(nesting, st.sampled_from(["[]", "{}", "near"])).map(
    lambda d: (
        "[" * d[0] + "]" * d[0]
        if d[1] == "[]"
        else '{"a":' * d[0] + "1" + "}" * d[0]
        if d[1] == "{}"
        else '{"near":' * d[0] + "null" + "}" * d[0]
    )
)
huge_number = st.sampled_from(
    [big_integer(d, s) for d in (19, 20, 309, 400, 4_300, 4_301, 4_400, 5_000) for s in ("", "-")]
    + ["1e400", "-1e400", "1E-400", "1" * 400 + ".5", "NaN", "Infinity", "-Infinity", "-0"]
)
plain_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_text, inner, max_size=4),
    max_leaves=12,
).map(dumps)
json_text = plain_json | deep_json | huge_number
# Bytes that are not UTF-8: invalid, overlong, an encoded surrogate, past U+10FFFF.
BAD_BYTES = [b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80"]


@st.composite
def corrupted(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` with a sequence that is not UTF-8 somewhere in it."""
    at = draw(st.integers(0, len(body)))
    return body[:at] + draw(st.sampled_from(BAD_BYTES)) + body[at:]


# Cursors: url-safe base64 of JSON `[kind, list, *key]`, as resolvers/pagination.py writes
# them, with the kind and list of a real page and key values out of range or of the wrong
# type (or the kind, the list, the count or the framing wrong).
INTEGERS = [2**31 - 1, 2**31, -(2**31) - 1, 2**32, 2**63 - 1, 2**63, -(2**63) - 1, 0, -1]
key_integer = st.sampled_from([str(i) for i in INTEGERS]) | st.integers().map(str) | huge_number
DATES = (  # noqa: SIM905 (a list literal of these takes 11 lines)
    "9999-12-31T23:59:59-14:00 0001-01-01T00:00:00+14:00 9999-12-31T23:59:59Z 2026-01-01 "
    "0001-01-01T00:00:00+00:00 2026-01-01T00:00:00 2026-13-01T00:00:00+00:00 20260101T000000Z "
    "2026-01-01T00:00:00+23:59 2026-01-01T24:00Z 2026-01-01T00:00:00.123456789+00:00"
).split()
key_date = st.sampled_from(DATES).map(dumps) | st.datetimes(timezones=st.timezones()).map(
    lambda d: dumps(d.isoformat())
)
key_number = key_integer | st.floats().map(lambda f: json.dumps(f))
key_text = text.map(dumps)
key_any = (
    key_integer
    | key_date
    | key_number
    | key_text
    | st.sampled_from(["null", "true", "[]", "{}", '"1"', "[" * 2_000 + "]" * 2_000])
)
FIRST_KEY = {"NAME": key_text, "USERS": key_text, "RATING": key_number,
             "DISTANCE": key_number, "NEWEST": key_date, "REVIEWS": key_date}  # fmt: skip


@dataclass(frozen=True)
class Cursor:
    """How to build a hostile cursor: `head` None is the real kind and list of the page."""

    key: tuple[str, ...]
    head: tuple[str, ...] | None = None
    framing: str = "url"  # url-safe unpadded; padded; standard; raw (no base64); deep

    def of(self, kind: str, scope: str) -> str:
        head = [dumps(kind), dumps(scope)] if self.head is None else list(self.head)
        raw = ("[" + ",".join(head + list(self.key)) + "]").encode("utf-8", "surrogatepass")
        if self.framing == "deep":
            raw = b"[" * 2_000
        if self.framing == "raw":
            return raw.decode("utf-8", "surrogatepass")
        encode = (
            base64.standard_b64encode if self.framing == "standard" else base64.urlsafe_b64encode
        )
        encoded = encode(raw).decode()
        return encoded if self.framing in ("padded", "standard") else encoded.rstrip("=")


@st.composite
def cursors(draw: st.DrawFn, kind: str) -> Cursor:
    """A cursor of a list of `kind`, with a hostile sort key (or head, count, framing)."""
    head = None
    if draw(st.integers(0, 9)) == 0:  # the wrong list, or not a list at all
        head = tuple(draw(st.lists(key_any | st.just(dumps(kind)), max_size=3)))
    key: tuple[str, ...] = (draw(FIRST_KEY[kind] | key_any), draw(key_integer | key_any))
    if draw(st.integers(0, 9)) == 0:
        key = tuple(draw(st.lists(key_any, max_size=4)))
    framing = draw(st.sampled_from(["url", "url", "url", "padded", "standard", "raw", "deep"]))
    return Cursor(key, head, framing)


def cursor_parts(cursor: str) -> tuple[str, str]:
    """The kind and list of a real cursor."""
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return str(data[0]), str(data[1])


# Fragment graphs: a chain of fragments, each spreading the next one to three times (the
# expansion doubles or triples per link), with aliased fields in each, and now and then a
# spread back to an earlier fragment (a cycle, which validation must refuse).
first_literal = st.integers(0, 100).map(str) | st.sampled_from(
    ["101", "-1", "2147483648", big_integer(101), big_integer(4_400), "1.5", '"1"']
)
FIELDS = {
    "Query": ["restaurants(first: {n}) {{ totalCount }}", "statistics {{ totalReviews }}",
              "reviews(first: {n}) {{ edges {{ node {{ id }} }} }}", "__typename"],
    "Restaurant": ["reviews(first: {n}) {{ totalCount }}", "name", "averageRating",
                   "reviews(first: {n}) {{ edges {{ node {{ author {{ name }} }} }} }}"],
}  # fmt: skip
ROOTS = {
    "Query": "{{ ...F0 }}",
    "Restaurant": "{{ restaurants(first: {n}) {{ edges {{ node {{ reviews(first: {n}) {{ edges "
    "{{ node {{ restaurant {{ ...F0 }} }} }} }} }} }} }} }}",
}


@st.composite
def fragment_documents(draw: st.DrawFn) -> str:
    on = draw(st.sampled_from(sorted(FIELDS)))
    count = draw(st.integers(1, 24))
    parts = [ROOTS[on].format(n=draw(first_literal))]
    for i in range(count):
        body = [
            f"a{j}: " + draw(st.sampled_from(FIELDS[on])).format(n=draw(first_literal))
            for j in range(draw(st.integers(0, 31)))
        ] or ["__typename"]
        if i + 1 < count:
            body += [f"...F{i + 1}"] * draw(st.integers(1, 3))
        if draw(st.integers(0, 19)) == 0:
            body.append(f"...F{draw(st.integers(0, i))}")
        parts.append(f"fragment F{i} on {on} {{ {' '.join(body)} }}")
    return "\n".join(parts)


# Header values (X-Client-Id, X-Request-Id: a stickiness key, echoed in logs and answers):
# any byte HTTP allows in a value, up to past the header limit.
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
).map(lambda value: value.strip().encode("latin-1")) | st.sampled_from(
    [b"a" * 40_000, b"\xff" * 300]
)


# Signed tokens, correctly signed, whose claims are odd: `sub` past int32, not canonical,
# not decimal, not a string; `exp` and `iat` out of any range.
ODD_SUBJECTS = ["01", "\u0661", "\u0663", "1.0", "+1", " 1", "1\n", "0", "2147483648", "",
                "\x00", "\ud800", "9" * 400, "\uff11"]  # fmt: skip
subjects = (
    st.integers(-(2**70), 2**70).map(str)
    | st.sampled_from(ODD_SUBJECTS)
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([None, True, 1.0, [1], {"id": 1}])
    | short_text
)


def canonical_subject(sub: object) -> int | None:
    """The user id a token with this `sub` names, or None when it must be refused."""
    if not isinstance(sub, str) or not sub.isascii() or not sub.isdigit() or sub[0] == "0":
        return None
    return int(sub) if int(sub) < 2**31 else None


def sign(sub: object, secret: str) -> str:
    now = int(time.time())
    return jwt.encode({"sub": sub, "iat": now, "exp": now + 3600}, secret, algorithm="HS256")


@st.composite
def odd_tokens(draw: st.DrawFn, secret: str) -> tuple[str, object]:
    now = int(time.time())
    exp = draw(st.just(now + 3600) | st.sampled_from([2**31, 2**63, 10**30, -1, "soon"]))
    claims = {"sub": draw(subjects), "iat": draw(st.just(now) | st.sampled_from([10**30, -1])),
              "exp": exp}  # fmt: skip
    return jwt.encode(claims, secret, algorithm="HS256"), claims["sub"]
