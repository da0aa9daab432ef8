"""What verification reads of the records accounting publishes, as protocols: verification
subscribes to accounting (gateway/execution/accounting.py's `Accounted`) without
importing it, so accounting's call into a subscriber never goes back up a layer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from jewgo.resolvers.domain import Domain
from jewgo.schema.context import Context


class Operation(Protocol):
    @property
    def query(self) -> str | None: ...
    @property
    def variables(self) -> Mapping[str, Any] | None: ...
    @property
    def data(self) -> Any: ...


class Published(Protocol):
    """An executed operation as accounting recorded it."""

    @property
    def context(self) -> Context: ...
    @property
    def operation(self) -> Operation: ...
    @property
    def awaiting_verdict(self) -> Sequence[Domain]: ...
