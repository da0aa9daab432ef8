"""Repeated selections (issue 22): what validation's field merging would compare is
counted before validation, a document past the bounds is refused there
(QUERY_TOO_COMPLEX), and so the whole path to execution grows linearly with the document.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    get_introspection_query,
    parse,
    validate,
)
from graphql.validation.rules import overlapping_fields_can_be_merged as merging

from jewgo.schema import build_schema
from jewgo.schema import schema as default_schema
from jewgo.schema.context import Outcome
from jewgo.schema.extensions.documents import Documents, Rules
from jewgo.schema.extensions.limits import QueryLimits
from jewgo.schema.extensions.overlaps import (
    MAX_COMPARISONS,
    MAX_REPEATS,
    MAX_SELECTIONS,
    SPREADS,
    overlaps,
)

STATISTICS = "statistics { totalRestaurants }"
NAMES = "restaurants { edges { node { name } } }"
CHAINS = [
    "restaurants { edges { node { reviews { edges { node { id } } } } } }",
    "reviews { edges { node { restaurant { reviews { edges { node { id } } } } } } }",
    "users { edges { node { id } } }",
]


def repeated(selection: str, times: int) -> str:
    return "{ " + " ".join([selection] * times) + " }"


def chain(links: int, leaf: str = "id") -> str:
    """`links` fragments, each spreading the next twice (tests/e2e/test_cost.py's attack
    on the depth limit, which is answered)."""
    parts = ['query { review(id: "1") { ...F0 } }']
    for n in range(links):
        inner = f"...F{n + 1} ...F{n + 1}" if n + 1 < links else leaf
        parts.append(f"fragment F{n} on Review {{ id {inner} }}")
    return "\n".join(parts)


def pairs(n: int) -> int:
    return n * (n - 1) // 2


@pytest.mark.parametrize(
    ("query", "repeats", "name", "comparisons"),
    [
        ("{ statistics { totalUsers } }", 1, "statistics", 0),
        (repeated(STATISTICS, 3), 3, "statistics", 2 * pairs(3)),
        # An alias is a response name of its own: nothing to compare.
        ("{ a: statistics { totalUsers } b: statistics { totalUsers } }", 1, "a", 0),
        # Copies nest: 4 x 4 `edges` are 16 fields at one place, though 4 in each selection.
        ("{ " + " ".join(["restaurants { " + "edges { cursor } " * 4 + "}"] * 4) + " }",
         16, "edges", pairs(4) + 2 * pairs(16)),
        # Inline fragments flatten into their selection.
        ("{ statistics { totalUsers ... on Statistics { totalUsers } } }", 2, "totalUsers", 1),
        # A fragment's fields count at every place it is spread...
        ("{ a: statistics { ...S totalUsers } b: statistics { ...S } } "
         "fragment S on Statistics { totalUsers }", 2, "totalUsers", 1),
        # ...once per place, and a spread once per selection it is written in.
        ("{ statistics { ...S ...S } statistics { ...S } } "
         "fragment S on Statistics { totalUsers }", 2, "statistics", 1 + 1),
        # Every two fragments spread at one place are compared too.
        ("{ statistics { ...A ...B ...C } } fragment A on Statistics { totalUsers } "
         "fragment B on Statistics { totalReviews } fragment C on Statistics { averageRating }",
         3, SPREADS, pairs(3)),
        # A fragment nothing spreads is validated (and walked) on its own.
        ("{ __typename } fragment U on Statistics { totalUsers totalUsers totalUsers }",
         3, "totalUsers", pairs(3)),
        # A cycle (refused by validation) is walked once per walk: the walk ends.
        ("{ review(id: 1) { ...C } } fragment C on Review { id ...D } "
         "fragment D on Review { id ...C }", 3, SPREADS, 1 + pairs(3)),
    ],
)  # fmt: skip
def test_fields_of_one_response_name_are_counted_at_each_place(
    query: str, repeats: int, name: str, comparisons: int
) -> None:
    found = overlaps(parse(query))
    assert (found.repeats, found.name, found.comparisons) == (repeats, name, comparisons)


@pytest.mark.parametrize("links", [4, 12, 22, 60])
def test_a_fragment_is_walked_once_per_place_however_often_it_is_spread(links: int) -> None:
    found = overlaps(parse(chain(links)))
    # 2^links spreads expanded; each fragment walked once: `id` and two spreads.
    assert found.selections == 1 + 3 * links
    assert (found.repeats, found.name) == (links + 1, "id")  # each fragment's, the last's two


def doubling(links: int) -> str:
    """Fragments each spread at two places of the one before: 2^links places expanded
    (under `__schema`, where the depth limit does not look)."""
    parts = ["{ __schema { types { ...T0 } } }", f"fragment T{links} on __Type {{ name }}"]
    parts += [
        f"fragment T{n} on __Type {{ fields {{ type {{ ...T{n + 1} }} }} "
        f"inputFields {{ type {{ ...T{n + 1} }} }} }}"
        for n in range(links)
    ]
    return "\n".join(parts)


def test_the_walk_stops_past_its_bound_of_selections() -> None:
    assert overlaps(parse(doubling(12))).selections == MAX_SELECTIONS + 1


def schema_watching_validation() -> tuple[Any, list[str]]:
    """The gateway's schema with its limits, and the queries it validated (validated for
    real, then stopped there: no resolver runs in this tier)."""
    validated: list[str] = []

    class Watched(Documents):
        def validate(
            self, query: str, schema: GraphQLSchema, document: DocumentNode, rules: Rules
        ) -> list[GraphQLError]:
            validated.append(query)
            errors = super().validate(query, schema, document, rules)
            return [*errors, GraphQLError("validated; not run here")]

    documents = Watched()
    limits = QueryLimits(max_depth=10, max_aliases=30, max_tokens=2000, documents=documents)
    return build_schema(limits=lambda: limits, documents=documents), validated


def run(schema: Any, query: str) -> Any:
    context = SimpleNamespace(refusal=None, outcome=Outcome(), request_id="r", versions={})
    return schema.execute_sync(query, context_value=context)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (repeated(STATISTICS, 300),
         f"The query selects 'statistics' 300 times at one place (the top of query); at most "
         f"{MAX_REPEATS} are allowed: merge the repeated selections"),
        ("{ " + " ".join(["restaurants { " + "edges { cursor } " * 16 + "}"] * 16) + " }",
         f"The query selects 'edges' 256 times at one place (restaurants in query); at most "
         f"{MAX_REPEATS} are allowed: merge the repeated selections"),
        ("query Q { statistics { " + " ".join(f"...F{n}" for n in range(40)) + " } }\n"
         + "\n".join(f"fragment F{n} on Statistics {{ totalUsers }}" for n in range(40)),
         "The query spreads 40 fragments at one place (statistics in query Q)"),
        # 32 copies at every place, 1,634 tokens.
        ("{ " + " ".join(chain for chain in CHAINS for _ in range(MAX_REPEATS)) + " }",
         f"validating it takes 9424 comparisons; at most {MAX_COMPARISONS} are allowed (the most "
         "repeated: 'restaurants', 32 times at the top of query)"),
        (doubling(12), f"The query has more than {MAX_SELECTIONS} selections with its fragments "
         "expanded"),
    ],
)  # fmt: skip
def test_a_document_past_the_bounds_is_refused_before_validation(query: str, message: str) -> None:
    schema, validated = schema_watching_validation()
    result = run(schema, query)
    assert [e.extensions["code"] for e in result.errors] == ["QUERY_TOO_COMPLEX"]
    assert message in result.errors[0].message
    assert validated == []


@pytest.mark.parametrize(
    "query",
    [
        repeated("__typename", MAX_REPEATS),
        chain(22),
        get_introspection_query(descriptions=True, specified_by_url=True,
                                directive_is_repeatable=True, schema_description=True,
                                input_value_deprecation=True),
    ],
    ids=["repeats at the bound", "the fragment chain of test_cost", "GraphiQL's introspection"],
)  # fmt: skip
def test_a_document_within_the_bounds_is_validated(query: str) -> None:
    schema, validated = schema_watching_validation()
    run(schema, query)
    assert validated == [query]


@pytest.fixture
def metered() -> Iterator[list[int]]:
    """The work graphql-core's field merging meters (its complexity budget's units)."""
    spent = [0]
    original = merging.spend_complexity_budget

    def spend(context: Any, cost: int) -> None:
        spent[0] += cost
        original(context, cost)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(merging, "spend_complexity_budget", spend)
        yield spent


def fragments_at_places(copies: int, spreads: int) -> str:
    node = "node { " + " ".join(f"...R{n}" for n in range(spreads)) + " }"
    fragments = "\n".join(
        f"fragment R{n} on Restaurant {{ reviews {{ edges {{ node {{ id }} }} }} }}"
        for n in range(spreads)
    )
    return repeated(f"restaurants {{ edges {{ {node} }} }}", copies) + "\n" + fragments


@pytest.mark.parametrize(
    "query",
    [
        repeated(STATISTICS, 60),
        repeated(NAMES, 60),
        "{ " + " ".join(["restaurants { " + "edges { node { name } } " * 8 + "}"] * 8) + " }",
        fragments_at_places(1, 32),
        fragments_at_places(32, 1),
        fragments_at_places(4, 8),
        chain(22),
    ],
)
def test_validation_does_not_compare_more_than_the_walk_counts(
    query: str, metered: list[int]
) -> None:
    found = overlaps(parse(query))
    validate(default_schema._schema, parse(query), [merging.OverlappingFieldsCanBeMergedRule])
    # Two units a pair of fields, one a look-up: the walk's count bounds validation's work.
    assert metered[0] <= 3 * (found.comparisons + found.selections)


def least_cpu(*actions: Callable[[], object], runs: int = 7) -> list[float]:
    """The least CPU time of each action over a few runs, taken in turns: the machine's
    noise only ever adds, and a busy moment falls on all of them alike."""
    best = [float("inf")] * len(actions)
    # Without the collector: a larger document allocates more and so meets more of the
    # test process's collections, whose cost is the process's heap, not the document.
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            for n, action in enumerate(actions):
                started = time.process_time()
                action()
                best[n] = min(best[n], time.process_time() - started)
    finally:
        gc.enable()
    return best


@pytest.mark.parametrize(("selection", "n"), [(STATISTICS, 120), (NAMES, 90)])
def test_the_path_to_execution_grows_linearly_with_repeated_selections(
    selection: str, n: int
) -> None:
    """Parsing, the limits and validation of n and 2n copies. Before the bounds: 38 and
    335 ms for 120 and 240 copies of `statistics { totalRestaurants }`, 88 and 704 ms for
    90 and 180 of `restaurants { edges { node { name } } }`."""
    schema, _ = schema_watching_validation()

    def answer(copies: int) -> Callable[[], object]:
        texts = iter(f"# {run}\n" + repeated(selection, copies) for run in range(100))
        return lambda: run(schema, next(texts))  # a new text each run: no cache answers

    once, twice = least_cpu(answer(n), answer(2 * n))
    assert twice < 3 * once, (once, twice)
