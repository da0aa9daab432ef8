"""The hostile requests of `bench.hostile`: issue 10's, issue 22's, and the most expensive
per byte found while fuzzing. Each is a name and a function of the live server's facts (an
admin token, the kind and list of a real cursor) giving the HTTP request to send; SERIES
double the copies of one selection, to show how the cost grows with the document."""

from __future__ import annotations

import base64
import itertools
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote


@dataclass(frozen=True)
class Facts:
    admin: str  # a bearer token of the seeded admin
    sign: Callable[[object], str]  # a correctly signed token with this `sub`
    lists: dict[str, tuple[str, str]]  # a cursor's kind and list digest, by ordering


@dataclass(frozen=True)
class Hostile:
    method: str
    url: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.url) + len(self.body)


# Each request's document is new (a comment of its own), as an attacker's would be: a
# repeated one would be answered from the parse and validation caches.
RUNS = itertools.count()


def post(document: str, variables: str = "{}", name: str = "null", **headers: str) -> Hostile:
    document += f"\n# run {next(RUNS)}"
    body = '{"query":' + json.dumps(document) + ',"variables":' + variables
    body += ',"operationName":' + name + "}"
    sent = {"content-type": "application/json", **headers}
    return Hostile("POST", "/graphql", body.encode("utf-8", "surrogatepass"), sent)


def chain(links: int, spreads: int = 2) -> str:
    """`links` fragments, each spreading the next `spreads` times: 2**links expansions."""
    parts = ["{ ...F0 }"]
    for i in range(links):
        inner = " ".join([f"...F{i + 1}"] * spreads) if i + 1 < links else "__typename"
        parts.append(f"fragment F{i} on Query {{ {inner} }}")
    return "\n".join(parts)


ALIASED = " ".join(f"r{i}: reviews(first: 100) {{ totalCount }}" for i in range(30))
AMPLIFIER = (
    "{ restaurants(first: 100) { edges { node { reviews(first: 100) { edges { node { "
    "restaurant { ...A } } } } } } } }\nfragment A on Restaurant { " + ALIASED + " }"
)
LIST = "query($f: RestaurantFilter) { restaurants(filter: $f, first: 1) { totalCount } }"
PAGE = (
    "query($a: String, $o: RestaurantOrder!) { restaurants(first: 2, after: $a, orderBy: $o) "
    "{ pageInfo { endCursor } edges { node { id } } } }"
)
# Within every limit: the costliest reads a client may still send (cost close to 10,000).
WIDE = (
    "{ restaurants(first: 100) { totalCount edges { node { name reviewCount averageRating "
    "reviews(first: 30) { totalCount edges { node { title author { name } } } } } } } }"
)
# 30 aliased counts of each of 100 restaurants' reviews: v3 runs two statements for each.
COUNTS = (
    "{restaurants(first:100){edges{node{"
    + "".join(f"a{i}:reviews(first:0){{totalCount}}" for i in range(30))
    + "}}}}"
)
WIDE_SEARCH = (
    '{ restaurants(first: 100, filter: {search: "%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_"}) '
    "{ totalCount edges { node { name reviews(first: 10) { totalCount } } } } }"
)


LOOK_AHEAD = (
    "{ restaurants(first: 100) { edges { node { ...F0 } } } }\n"
    + "\n".join(f"fragment F{i} on Restaurant {{ ...F{i + 1} ...F{i + 1} }}" for i in range(21))
    + "\nfragment F21 on Restaurant { reviews(first: 10) { edges { node { author { name } } } } }"
)
NESTED = "{ " + "... on Query { " * 390 + "__typename" + " }" * 390 + " }"
NESTED_LIST = "{ restaurants(filter: {minRating: " + "[" * 900 + "]" * 900 + "}) { totalCount } }"


def cursor(facts: Facts, order: str, *key: str) -> str:
    kind, scope = facts.lists[order]
    raw = "[" + ",".join([json.dumps(kind), json.dumps(scope), *key]) + "]"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def paged(facts: Facts, order: str, version: str, *key: str) -> Hostile:
    variables = json.dumps({"a": cursor(facts, order, *key), "o": order})
    return post(PAGE, variables, **{"Authorization": facts.admin, "X-Resolver-Version": version})


def get(query: str, variables: str) -> Hostile:
    query += f"\n# run {next(RUNS)}"
    return Hostile("GET", f"/graphql?query={quote(query)}&variables={quote(variables)}")


def create(facts: Facts, version: str, name: str) -> Hostile:
    document = "mutation($i: CreateRestaurantInput!) { createRestaurant(input: $i) { id } }"
    variables = json.dumps({"i": {"name": name, "kosherCategory": "MEAT"}})
    return post(document, variables, Authorization=facts.admin, **{"X-Resolver-Version": version})


def me(facts: Facts, sub: object) -> Hostile:
    return post("{ me { id } }", Authorization=facts.sign(sub))


def copies(selection: str, times: int) -> str:
    return "{ " + " ".join([selection] * times) + " }"


def batch(*documents: str) -> Hostile:
    runs = [{"query": f"{document}\n# run {next(RUNS)}"} for document in documents]
    return Hostile(
        "POST", "/graphql", json.dumps(runs).encode(), {"content-type": "application/json"}
    )


# Issue 22: copies of one selection, n, 2n, 4n and 8n of them (8n within MAX_TOKENS), which
# validation's field merging once compared pairwise; the last up to the bound of copies
# (schema.extensions.overlaps.MAX_REPEATS), all answered.
SERIES: dict[str, tuple[int, ...]] = {
    "statistics { totalRestaurants }": (60, 120, 240, 480),
    "restaurants { edges { node { name } } }": (24, 48, 96, 192),
    "reviews { edges { node { title } } }": (4, 8, 16, 32),
}
NESTED_COPIES = copies("statistics { " + "restaurantsByCategory { count } " * 16 + "}", 16)


# Random hex: PostgreSQL compresses "A" * 2701 under the btree row limit, not this.
NAME = random.Random(10).randbytes(1_351).hex()[:2_701]
DEEP = "[" * 2_000 + "]" * 2_000
DIGITS = "1" * 4_400
REQUESTS: dict[str, Callable[[Facts], Hostile]] = {
    "22 fragments, each spreading the next twice": lambda f: post(chain(22)),
    "30 aliased reviews(first:100) in a fragment under 100 x 100": lambda f: post(AMPLIFIER),
    "22 fragments on Restaurant, each spreading the next twice, under 100 restaurants (v3)": (
        lambda f: post(LOOK_AHEAD)
    ),
    "the same (v4)": lambda f: post(
        LOOK_AHEAD, Authorization=f.admin, **{"X-Resolver-Version": "v4"}
    ),
    "inline fragments nested 390 deep": lambda f: post(NESTED),
    "a list literal nested 900 deep": lambda f: post(NESTED_LIST),
    "a 900 KB city filter": lambda f: post(LIST, json.dumps({"f": {"city": "a" * 900_000}})),
    "a 900 KB search filter": lambda f: post(LIST, json.dumps({"f": {"search": "%a" * 450_000}})),
    "a 4,400-digit integer in the body": lambda f: post(LIST, '{"n": ' + DIGITS + "}"),
    "a 4,400-digit integer in GET variables": lambda f: get(LIST, '{"n": ' + DIGITS + "}"),
    "a 4,400-digit integer literal": lambda f: post(
        "{ restaurants(first: " + DIGITS + ") { totalCount } }"
    ),
    "JSON nested 2,000 deep (body)": lambda f: post(LIST, '{"a": ' + DEEP + "}"),
    "JSON nested 2,000 deep (GET variables)": lambda f: get(LIST, '{"a": ' + DEEP + "}"),
    "variables nested 600 deep": lambda f: post(
        LIST, '{"f": ' + '{"near": ' * 600 + "null" + "}" * 601
    ),
    "bytes that are not UTF-8": lambda f: Hostile(
        "POST",
        "/graphql",
        b'{"query": "{ __typename \xff }"}',
        {"content-type": "application/json"},
    ),
    "a lone surrogate in operationName": lambda f: post("query A { __typename }", name='"\\ud800"'),
    "a restaurant name of 2,701 random bytes (v3)": lambda f: create(f, "v3", NAME),
    "a restaurant name of 2,701 random bytes (v4)": lambda f: create(f, "v4", NAME),
    "a cursor with id 2^31 (v3)": lambda f: paged(f, "NAME", "v3", '"a"', str(2**31)),
    "a cursor with id 2^31 (v4)": lambda f: paged(f, "NAME", "v4", '"a"', str(2**31)),
    "a cursor dated 9999-12-31T23:59:59-14:00 (v4)": lambda f: paged(
        f, "NEWEST", "v4", '"9999-12-31T23:59:59-14:00"', "1"
    ),
    "a cursor rating of 10**400 (v3)": lambda f: paged(f, "RATING", "v3", "1" + "0" * 400, "1"),
    "a cursor name with NUL (v4)": lambda f: paged(f, "NAME", "v4", '"a\\u0000"', "1"),
    'a cursor of "[" * 2000 (v3)': lambda f: post(
        PAGE, json.dumps({"a": base64.urlsafe_b64encode(b"[" * 2_000).decode(), "o": "NAME"})
    ),
    "a token whose sub is 2^31": lambda f: me(f, str(2**31)),
    'a token whose sub is "01"': lambda f: me(f, "01"),
    'a token whose sub is "\\u0661"': lambda f: me(f, "\u0661"),
    "100 restaurants x 30 reviews with authors, within the cost limit (v3)": lambda f: post(WIDE),
    "100 restaurants x 30 reviews with authors (v4)": lambda f: post(
        WIDE, Authorization=f.admin, **{"X-Resolver-Version": "v4"}
    ),
    "30 aliased review counts of 100 restaurants (v3)": lambda f: post(COUNTS),
    "30 aliased review counts of 100 restaurants (v4)": lambda f: post(
        COUNTS, Authorization=f.admin, **{"X-Resolver-Version": "v4"}
    ),
    "100 restaurants matching a pattern of wildcards, 10 reviews counted": lambda f: post(
        WIDE_SEARCH
    ),
    "a batch of 10 operations of 300 copies of one field (issue 22)": lambda f: batch(
        *[copies("statistics { totalRestaurants }", 300)] * 10
    ),
    "16 copies of 16 copies: 256 at one place (issue 22)": lambda f: post(NESTED_COPIES),
    "a batch of 10 pages of 100 restaurants with 10 review counts each": lambda f: Hostile(
        "POST",
        "/graphql",
        json.dumps(
            [
                {
                    "query": "{ restaurants(first: 100) { edges { node { reviews(first: 10) "
                    "{ totalCount } } } } }"
                }
            ]
            * 10
        ).encode(),
        {"content-type": "application/json"},
    ),
}
