"""The decision: a pure function of a snapshot and a subject that never raises.

First rule that applies (SPEC §4):
1. an environment force `API_V4_<NAME>=true|false`            → V4 / V3   (ENV)
2. stage COMPLETE → V4 (STATIC); stage DISABLED → V3           (DISABLED)
3. a user override, from the database or `…_USER_<id>`         → that      (OVERRIDE)
4. TESTING: V4 for ADMIN and MODERATOR callers                 (TARGETING_MATCH / DEFAULT)
5. PARTIAL: V4 iff bucket < percentage (`…_ROLLOUT` replaces)  (SPLIT)
6. FULL → V4                                                   (STATIC)
Any fault answers V3 with reason ERROR, and is logged.
"""

from __future__ import annotations

import hashlib
import logging

from jewgo.flags.snapshot import Snapshot
from jewgo.flags.stages import Decision, Reason, Stage, Variant

log = logging.getLogger("jewgo.flags")

V3, V4 = Variant.V3, Variant.V4
_ENV_ON, _ENV_OFF = Decision(V4, Reason.ENV), Decision(V3, Reason.ENV)
_STATIC, _DISABLED = Decision(V4, Reason.STATIC), Decision(V3, Reason.DISABLED)
_OVERRIDE_ON, _OVERRIDE_OFF = Decision(V4, Reason.OVERRIDE), Decision(V3, Reason.OVERRIDE)
_STAFF, _NOT_STAFF = Decision(V4, Reason.TARGETING_MATCH), Decision(V3, Reason.DEFAULT)
_IN, _OUT = Decision(V4, Reason.SPLIT), Decision(V3, Reason.SPLIT)
_ERROR = Decision(V3, Reason.ERROR)


def bucket(salt: str, key: str) -> float:
    """A stable position in [0, 100) in steps of 0.01 (not Python's per-process hash())."""
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % 10_000) / 100


class Subject:
    """Who a decision is for. The bucket is computed once, on first need, per subject."""

    __slots__ = ("_bucket", "key", "salt", "staff", "user_id")

    def __init__(self, user_id: int | None, staff: bool, key: str, salt: str) -> None:
        self.user_id = user_id
        self.staff = staff
        self.key = key
        self.salt = salt
        self._bucket: float | None = None

    @property
    def bucket(self) -> float:
        if self._bucket is None:
            self._bucket = bucket(self.salt, self.key)
        return self._bucket


def stickiness_key(user_id: int | None, client_id: str | None, address: str | None) -> str:
    """The user id, else the X-Client-Id header, else the client address."""
    if user_id is not None:
        return f"user:{user_id}"
    if client_id:
        return f"client:{client_id}"
    return f"address:{address or 'unknown'}"


def decide(snapshot: Snapshot, name: str, subject: Subject) -> Decision:
    try:
        env = snapshot.env.get(name)
        if env is not None and env.forced is not None:
            return _ENV_ON if env.forced else _ENV_OFF
        state = snapshot.flags[name]
        stage = state.stage
        if stage is Stage.COMPLETE:
            return _STATIC
        if stage is Stage.DISABLED:
            return _DISABLED
        user_id = subject.user_id
        if user_id is not None:
            if env is not None and user_id in env.users:
                return _OVERRIDE_ON if env.users[user_id] else _OVERRIDE_OFF
            overrides = snapshot.overrides.get(name)
            if overrides and user_id in overrides:
                return _OVERRIDE_ON if overrides[user_id] else _OVERRIDE_OFF
        if stage is Stage.TESTING:
            return _STAFF if subject.staff else _NOT_STAFF
        if stage is Stage.PARTIAL:
            percentage = state.percentage
            if env is not None and env.percentage is not None:
                percentage = env.percentage
            return _IN if subject.bucket < percentage else _OUT
        return _STATIC  # FULL
    except Exception:
        log.exception("flag decision failed; answering v3", extra={"flag": name})
        return _ERROR
