"""Every flag decision one request needs, taken once (pure, like `decide`).

A request asks the flags several questions: which version serves each domain it touches
(the master flag and the domain's flag both, or an ADMIN's forced version), and whether
v4's capabilities are on (cache, strict validation, detailed errors). `RequestDecisions`
answers each from one snapshot and one subject, and remembers the answer, so the router
and the context builder never disagree and no question is asked twice. A shadow run of
the same request pins its versions instead (`pinned`).
"""

from __future__ import annotations

from collections.abc import Mapping

from jewgo.flags.decide import Subject, decide
from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import CACHE, DOMAIN_FLAGS, ERROR_HANDLING, MASTER, VALIDATION, Variant


class RequestDecisions:
    __slots__ = ("_on", "_pinned", "_versions", "forced", "snapshot", "subject")

    def __init__(
        self,
        snapshot: Snapshot,
        subject: Subject,
        forced: Variant | None = None,
        *,
        pinned: Mapping[str, bool] | None = None,
    ) -> None:
        """`forced`: the version an ADMIN forces for every domain of this request."""
        self.snapshot = snapshot
        self.subject = subject
        self.forced = forced
        self._pinned = dict(pinned or {})
        self._versions: dict[str, Variant] = {}
        self._on: dict[str, bool] = {}

    def on(self, flag: str) -> bool:
        """Whether `flag` decides V4 for this request's subject."""
        found = self._on.get(flag)
        if found is None:
            found = self._pinned.get(flag)
            if found is None:
                found = decide(self.snapshot, flag, self.subject).variant is Variant.V4
            self._on[flag] = found
        return found

    def version(self, domain: str) -> Variant:
        """The version serving `domain`: forced, else V4 iff the master and the domain's
        flag both decide V4."""
        found = self._versions.get(domain)
        if found is None:
            if self.forced is not None:
                found = self.forced
            else:
                both = self.on(MASTER) and self.on(DOMAIN_FLAGS[domain])
                found = Variant.V4 if both else Variant.V3
            self._versions[domain] = found
        return found

    @property
    def cache(self) -> bool:
        return self.on(CACHE)

    @property
    def validation(self) -> bool:
        return self.on(VALIDATION)

    @property
    def error_handling(self) -> bool:
        return self.on(ERROR_HANDLING)

    def pinned(self, versions: Mapping[str, Variant], *, cache: bool) -> RequestDecisions:
        """The same subject's decisions with each domain's version fixed (unlisted domains
        on v3) and the cache fixed: a shadow run of this request."""
        capabilities = {VALIDATION: self.validation, ERROR_HANDLING: self.error_handling}
        twin = RequestDecisions(self.snapshot, self.subject, pinned={CACHE: cache, **capabilities})
        for domain in DOMAIN_FLAGS:
            twin._versions[domain] = versions.get(domain, Variant.V3)
        return twin
