"""The cache of parsed and validated query texts is bounded in bytes, not in entries: many
large distinct documents leave it no larger than its budget, and an entry's weight is an
upper bound of what it really retains (measured with tracemalloc)."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from graphql import GraphQLSchema

from jewgo.schema import schema
from jewgo.schema.extensions.documents import Documents, token_count

GRAPHQL: GraphQLSchema = schema._schema


def aliases(n: int, size: int) -> str:
    """A dense document: ~`size` characters of aliased fields, distinct by `n`."""
    fields: list[str] = []
    text = ""
    while len(text) < size:
        fields.append(f"r{n}_{len(fields)}: restaurant(id: {len(fields) + 1}) {{ id name city }}")
        text = "{ " + " ".join(fields) + " }"
    return text


def comments(n: int, size: int) -> str:
    """A document that is almost all comment: few tokens, many characters."""
    line = "# " + "x" * 97 + "\n"
    return f"# {n}\n" + line * (size // len(line)) + "{ statistics { totalUsers } }"


def strings(n: int, size: int) -> str:
    return f'{{ restaurants(filter: {{search: "{n}{"s" * size}"}}) {{ totalCount }} }}'


def nonascii(n: int, size: int) -> str:
    return f"# {n} " + "€" * size + "\n{ statistics { totalUsers } }"


KINDS: dict[str, Callable[[int, int], str]] = {
    "aliases": aliases,
    "comments": comments,
    "strings": strings,
    "non-ASCII": nonascii,
}


def use(documents: Documents, query: str) -> None:
    """What a request does with a text: count its tokens, and unless there are too many
    (MAX_TOKENS), parse it and validate it."""
    if documents.tokens(query, 2000) > 2000:
        return
    document = documents.parse(query)
    documents.validate(query, GRAPHQL, document, ())


@contextmanager
def retained() -> Iterator[list[int]]:
    """Bytes allocated inside the block and still alive after it (and a collection).
    What lived before is frozen out of the collections meanwhile: they then scan only
    what the block made (a collection of a whole test process takes seconds)."""
    found: list[int] = []
    gc.freeze()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        yield found
        gc.collect()
        found.append(tracemalloc.get_traced_memory()[0] - before)
    finally:
        tracemalloc.stop()
        gc.unfreeze()


def warm_up() -> None:
    # graphql-core builds some things once (rule instances' caches, enum lookups).
    scratch = Documents()
    for kind in KINDS.values():
        use(scratch, kind(10**6, 2000))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_entry_weighs_at_least_what_it_retains(kind: str) -> None:
    warm_up()
    make = KINDS[kind]
    documents = Documents(budget_bytes=10**9)
    with retained() as found:
        for n in range(10):
            use(documents, make(n, 4000))
    assert len(documents) == 10
    assert found[0] <= documents.weight


def test_many_large_distinct_documents_leave_the_cache_within_its_budget() -> None:
    warm_up()
    budget = 512 * 1024
    documents = Documents(budget_bytes=budget, max_length=16 * 1024)
    makers = [KINDS[kind] for kind in sorted(KINDS)]
    with retained() as found:
        for n in range(48):
            use(documents, makers[n % len(makers)](n, 15_000))
    assert 0 < len(documents) < 48
    assert documents.weight <= budget
    assert found[0] <= budget


def test_texts_over_the_length_bound_are_not_kept_at_all() -> None:
    warm_up()
    documents = Documents(budget_bytes=10**9, max_length=16 * 1024)
    with retained() as found:
        for n in range(5):
            use(documents, comments(n, 100_000))
    assert len(documents) == 0 and documents.weight == 0
    assert found[0] < 32 * 1024  # a single 100 KB text would be more


def test_the_least_recently_used_text_goes_first() -> None:
    first, second, third = (f"{{ a{n}: statistics {{ totalUsers }} }}" for n in range(3))
    documents = Documents(budget_bytes=10**9)
    for query in (first, second):
        use(documents, query)
    per_entry = documents.weight // 2
    documents.budget_bytes = per_entry * 2 + per_entry // 2
    use(documents, first)  # now the most recent
    use(documents, third)
    assert first in documents and third in documents
    assert second not in documents and len(documents) == 2


def test_a_short_text_is_counted_parsed_and_validated_once() -> None:
    documents = Documents()
    query = "{ statistics { totalUsers } }"
    document = documents.parse(query)
    assert documents.parse(query) is document
    errors = documents.validate(query, GRAPHQL, document, ())
    assert errors == [] and documents.validate(query, GRAPHQL, document, ()) is errors
    assert documents.tokens(query, 2000) == token_count(query) == 6
    assert documents.tokens(query, 3) == 4  # as the limit counts: no further than ceiling + 1


def test_a_syntax_error_is_raised_every_time_and_not_kept_as_a_document() -> None:
    documents = Documents()
    for _ in range(2):
        with pytest.raises(Exception, match="Syntax Error"):
            documents.parse("{ statistics { ")
