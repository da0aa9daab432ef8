"""What validation's field merging compares, measured before validation runs.

graphql-core's OverlappingFieldsCanBeMerged compares every two fields that give one
response name at one place of the response (one response path; inline fragments and
fragments flattened into their selection), recursing into the selections of each pair,
and every two fragments spread at one place. `n` fields of one name at one place are
n(n-1)/2 comparisons: 480 copies of `statistics { totalRestaurants }` (15 KB) took 0.8 s
of CPU. A bound per selection set is not enough, as copies nest: 16 `restaurants` of 16
`edges` each are 256 fields at `restaurants.edges` (6 KB, 0.5 s).

So the walk here counts, for each operation, the fields of each response name and the
fragment spreads at each place, fragments expanded: a spread counts once in each
selection it is written in (twice in one, it merges), and its fragment is walked once
per place (spread again at the same place, it adds pairs validation has compared
already). Validation visits each fragment definition on its own too, but compares what
it finds there once (memoized), and the walk of an operation spreading the fragment has
counted those pairs: a fragment is walked on its own only when nothing spreads it. One
on a cycle (refused by validation) is walked once per walk, which is enough to stop.
QueryLimits refuses (QUERY_TOO_COMPLEX) a document with more than MAX_REPEATS fields of
one response name, or fragment spreads, at one place, more than MAX_COMPARISONS pairs of
them in all, or more than MAX_SELECTIONS selections walked.

Why that makes validation linear: the pairs of fields compared at a place are at most
n(n-1)/2 for each name, with n <= MAX_REPEATS, so at most (MAX_REPEATS - 1) / 2 for each
field walked; the work of a pair besides its sub-pairs (counted at the places below) is
its arguments and a look-up per name of its selections, and the pairs of fragment
spreads compared under a pair of fields are pairs of spreads at one place, counted the
same way. The selections walked are the document's own when it has no fragments (and
never more than MAX_SELECTIONS), so the comparisons grow at most linearly with the
document, and never past MAX_COMPARISONS: about 50 ms of validation on the 2-vCPU
machine. The walk itself stops past MAX_SELECTIONS, and a fragment walked once per place
cannot make it exponential.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from jewgo.schema.extensions.fragments import in_dependency_order

# Fields of one response name, or spreads, at one place: a fragment chain of 22 links
# each selecting `id` (tests/e2e/test_cost.py), or Apollo's `__typename` in each of a
# score of fragments spread on one object, stays within it.
MAX_REPEATS = 32
# Pairs compared in all: 8,000 take about 50 ms (bench/RESULTS.md, issue 22). 2,000
# tokens (MAX_TOKENS) written as 24 copies at every place come to about 8,000.
MAX_COMPARISONS = 8_000
# Selections walked: 2,000 tokens write at most about 2,000; GraphiQL's introspection
# query walks 239.
MAX_SELECTIONS = 5_000
SPREADS = "..."  # the name the fragment spreads at a place are counted under


@dataclass(frozen=True, slots=True)
class Overlaps:
    """The walk's findings: the name most repeated at one place (SPREADS for fragment
    spreads), how often and where; the selections walked and the pairs validation
    compares. The walk stops past MAX_SELECTIONS: then they are at least these."""

    repeats: int
    name: str
    where: str
    selections: int
    comparisons: int


class _Walk:
    def __init__(self, document: DocumentNode) -> None:
        ordered = in_dependency_order(document)
        self.acyclic = {f.name.value for f in ordered}
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        # Operations, then fragments each before those it spreads (one that nothing spreads
        # is walked whole, once), then those on a cycle.
        self.definitions: list[OperationDefinitionNode | FragmentDefinitionNode] = [
            *(d for d in document.definitions if isinstance(d, OperationDefinitionNode)),
            *reversed(ordered),
            *(f for name, f in self.fragments.items() if name not in self.acyclic),
        ]
        self.reached: set[str] = set()  # fragments walked from another definition
        # A place is a response path, by number: (place, response name) -> the place of
        # the fields of that name, whose count is theirs; (place, SPREADS) counts spreads.
        self.places: dict[tuple[int, str], int] = {}
        self.parents: list[tuple[int, str]] = []
        self.counts: list[int] = []
        self.walked: set[tuple[int, str]] = set()  # (place, fragment) walked there
        self.selections = self.comparisons = 0
        self.worst = (0, "", -1)  # repeats, name, the place they are at

    def count(self, parent: int, name: str) -> int:
        """One more selection of `name` at `parent`; the place of its own selections."""
        place = self.places.get((parent, name))
        if place is None:
            place = self.places[(parent, name)] = self.place(parent, name)
        self.comparisons += self.counts[place]
        self.counts[place] += 1
        if self.counts[place] > self.worst[0]:
            self.worst = (self.counts[place], name, parent)
        return place

    def place(self, parent: int, name: str) -> int:
        self.parents.append((parent, name))
        self.counts.append(0)
        return len(self.counts) - 1

    def root(self, definition: OperationDefinitionNode | FragmentDefinitionNode) -> bool:
        """Walks one definition; False past MAX_SELECTIONS."""
        root = self.place(-1, _label(definition))
        if isinstance(definition, FragmentDefinitionNode):
            self.walked.add((root, definition.name.value))
        stack: list[tuple[SelectionSetNode | None, int]] = [(definition.selection_set, root)]
        while stack:
            selection, place = stack.pop()
            spread: set[str] = set()
            for node in selection.selections if selection is not None else ():
                self.selections += 1
                if self.selections > MAX_SELECTIONS:
                    return False
                if isinstance(node, FieldNode):
                    name = node.alias.value if node.alias is not None else node.name.value
                    stack.append((node.selection_set, self.count(place, name)))
                elif isinstance(node, InlineFragmentNode):
                    stack.append((node.selection_set, place))
                elif isinstance(node, FragmentSpreadNode) and node.name.value not in spread:
                    name = node.name.value
                    spread.add(name)
                    fragment = self.fragments.get(name)
                    if fragment is None:
                        continue  # unknown: refused by validation, and compared with nothing
                    self.count(place, SPREADS)
                    key = (place if name in self.acyclic else root, name)
                    if key not in self.walked:
                        self.walked.add(key)
                        self.reached.add(name)
                        stack.append((fragment.selection_set, place))
        return True

    def where(self, place: int) -> str:
        """A place for people: `restaurants.edges in query Page`."""
        names = []
        while place >= 0 and self.parents[place][0] >= 0:
            place, name = self.parents[place]
            names.append(name)
        label = self.parents[place][1] if place >= 0 else "the document"
        return f"{'.'.join(reversed(names))} in {label}" if names else f"the top of {label}"


def _label(definition: OperationDefinitionNode | FragmentDefinitionNode) -> str:
    name = definition.name.value if definition.name is not None else ""
    if isinstance(definition, FragmentDefinitionNode):
        return f"fragment {name}"
    return f"{definition.operation.value} {name}".rstrip()


def excess(found: Overlaps) -> str | None:
    """Why a document is refused before validation, if it is (see the module)."""
    if found.selections > MAX_SELECTIONS:
        return (
            f"The query has more than {MAX_SELECTIONS} selections with its fragments "
            "expanded; at most that many are allowed"
        )
    if found.repeats > MAX_REPEATS:
        what = (
            f"spreads {found.repeats} fragments"
            if found.name == SPREADS
            else f"selects '{found.name}' {found.repeats} times"
        )
        return (
            f"The query {what} at one place ({found.where}); at most {MAX_REPEATS} are "
            "allowed: merge the repeated selections"
        )
    if found.comparisons > MAX_COMPARISONS:
        return (
            f"The query repeats selections at one place so often that validating it takes "
            f"{found.comparisons} comparisons; at most {MAX_COMPARISONS} are allowed "
            f"(the most repeated: '{found.name}', {found.repeats} times at {found.where})"
        )
    return None


def overlaps(document: DocumentNode) -> Overlaps:
    """Walks every operation and fragment definition of `document` (see the module)."""
    walk = _Walk(document)
    for definition in walk.definitions:
        spread = isinstance(definition, FragmentDefinitionNode) and (
            definition.name.value in walk.reached
        )
        if not spread and not walk.root(definition):
            break
    repeats, name, place = walk.worst
    return Overlaps(repeats, name, walk.where(place), walk.selections, walk.comparisons)
