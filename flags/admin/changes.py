"""The flag admin: every change people make to flags, user overrides and rollouts.

GraphQL's admin mutations and the CLI both come here, so a change follows the same rules
(flags.rules) whichever door it came through. Each change is one transaction: lock, check,
persist through the stores. A change of flags bumps the fleet's revision and, once
committed, the admin announces it itself with the propagation's `changed()` (flags.admin.sync):
in force in this process at once, published to the others. A rejected change writes and
announces nothing. Pausing, resuming or stopping a rollout changes no flag: its revision
stays, and there is nothing to announce.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from jewgo.flags import rules
from jewgo.flags.admin import replays
from jewgo.flags.admin.users import UserRole
from jewgo.flags.clock import Clock, utc_now
from jewgo.flags.errors import UnknownFlag
from jewgo.flags.rollouts.model import Rollout, RolloutConfig
from jewgo.flags.rollouts.store import RolloutStore
from jewgo.flags.rules import Move
from jewgo.flags.snapshot import FlagState
from jewgo.flags.stages import FLAG_NAMES, Stage
from jewgo.flags.store import FlagEvent, FlagStore


class FlagAdmin:
    def __init__(
        self,
        flags: FlagStore,
        rollouts: RolloutStore,
        *,
        changed: Callable[[], Awaitable[object]],
        user_role: UserRole,
        clock: Clock = utc_now,
        replay_max_age: timedelta = timedelta(days=1),
    ) -> None:
        self._flags = flags
        self._rollouts = rollouts
        self._changed = changed
        self._user_role = user_role
        self._clock = clock
        self._replay_max_age = replay_max_age

    @asynccontextmanager
    async def _change(self) -> AsyncIterator[AsyncConnection]:
        """One change of flags: a transaction, announced once it has committed (a `return`
        inside the block hands its value back after the announcement)."""
        async with self._flags.change() as conn:
            yield conn
        await self._changed()

    async def set_stage(
        self,
        name: str,
        stage: Stage,
        *,
        actor: str,
        reason: str | None = None,
        force: bool = False,
        expected_version: int | None = None,
    ) -> FlagState:
        rules.check_note(reason)
        async with self._change() as conn:
            before = await self._flags.locked(conn, name)
            rules.check_version(before, expected_version)
            rules.check_stage(before, stage, force=force, reason=reason)
            await self._rollouts.stop_by_hand(conn, name, actor=actor, now=self._clock())
            return await self._flags.write(
                conn, before, actor=actor, action="SET_STAGE", stage=stage, reason=reason,
                details=rules.forced(before, stage, force=force),
            )  # fmt: skip

    async def set_percentage(
        self,
        name: str,
        percentage: float,
        *,
        actor: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> FlagState:
        rules.check_percentage(percentage)
        rules.check_note(reason)
        async with self._change() as conn:
            before = await self._flags.locked(conn, name)
            rules.check_version(before, expected_version)
            await self._rollouts.stop_by_hand(conn, name, actor=actor, now=self._clock())
            return await self._flags.write(
                conn, before, actor=actor, action="SET_PERCENTAGE", percentage=percentage,
                reason=reason,
            )  # fmt: skip

    async def set_user_override(
        self, name: str, user_id: int, enabled: bool | None, *, actor: str
    ) -> FlagState:
        """`enabled` None removes the override."""
        # Looked up before the transaction, so that no change holds the revision lock
        # while it waits for a second connection; judged once the flag is read, so that
        # an unknown flag is NOT_FOUND whoever the user.
        role = await self._user_role(user_id)
        async with self._change() as conn:
            before = await self._flags.locked(conn, name)
            rules.check_user(user_id, role)
            await self._flags.put_override(conn, name, user_id, enabled, actor=actor)
            words = "cleared" if enabled is None else ("V4" if enabled else "V3")
            return await self._flags.write(
                conn,
                before,
                actor=actor,
                action="SET_OVERRIDE" if enabled is not None else "CLEAR_OVERRIDE",
                reason=f"user {user_id}: {words}",
                details={"userId": user_id, "enabled": enabled},
            )

    async def set_shadow_ignore(
        self, name: str, target: str, reason: str | None, *, actor: str
    ) -> FlagState:
        """`target` left out of the flag's shadow comparisons (`reason` None: back in)."""
        rules.check_ignore_target(target)
        if reason is not None:
            rules.check_ignore_reason(reason)
        async with self._change() as conn:
            before = await self._flags.locked(conn, name)
            await self._flags.put_ignore(conn, name, target, reason, actor=actor)
            return await self._flags.write(
                conn,
                before,
                actor=actor,
                action="SHADOW_IGNORE" if reason is not None else "SHADOW_UNIGNORE",
                reason=f"{target}: {reason}" if reason is not None else target,
                details={"target": target},
            )

    async def rollback(self, name: str | None, *, actor: str, reason: str) -> list[FlagState]:
        """Every named (or every) flag back to DISABLED at 0 %, COMPLETE ones excepted."""
        rules.check_reason(reason)
        changed = []
        async with self._change() as conn:
            for flag in list(FLAG_NAMES) if name is None else [name]:
                before = await self._flags.locked(conn, flag)
                if not rules.rolls_back(before):
                    continue
                await self._rollouts.stop_by_hand(conn, flag, actor=actor, now=self._clock())
                state = await self._flags.write(
                    conn, before, actor=actor, action="ROLLBACK", stage=Stage.DISABLED,
                    percentage=0.0, reason=reason,
                )  # fmt: skip
                changed.append(state)
        return changed

    async def start_rollout(
        self, name: str, config: RolloutConfig, *, actor: str, allow_lowering: bool = False
    ) -> Rollout:
        """The flag to PARTIAL at the initial percentage, and a RUNNING rollout of it; below
        what the flag serves now only with `allow_lowering`."""
        rules.check_known(name)
        rules.check_config(config)
        now = self._clock()
        async with self._change() as conn:
            flag = await self._flags.locked(conn, name)
            last = await replays.latest(conn, name) if config.require_replay else None
            rules.check_replay(name, config, last, now, self._replay_max_age)
            rules.check_start(flag, await self._rollouts.newest(conn, name))
            rules.check_lowering(flag, config, allow_lowering=allow_lowering)
            rollout = rules.started(name, config, actor=actor, now=now)
            await self._flags.write(
                conn, flag, actor=actor, action="START_ROLLOUT", stage=Stage.PARTIAL,
                percentage=config.initial_percentage, reason=rollout.last_decision,
                details={"config": config.to_json()},
            )  # fmt: skip
            return await self._rollouts.add(conn, rollout)

    async def move_rollout(self, name: str, move: Move, *, actor: str) -> Rollout:
        """Pause, resume or stop the flag's rollout (flags.rules.TRANSITIONS)."""
        rules.check_known(name)
        now = self._clock()
        async with self._flags.transaction() as conn:
            before = await self._rollouts.newest(conn, name, lock=True)
            if before is None:
                raise UnknownFlag(f"{name} has no rollout")
            done = rules.moved(before, move, actor=actor, now=now)
            await self._rollouts.save(conn, before, done)
            flag = await self._flags.locked(conn, name)
            await self._flags.note(
                conn, flag, actor=actor, action=f"ROLLOUT_{done.state.value}",
                reason=done.last_decision,
            )  # fmt: skip
        return done

    async def pause_rollout(self, name: str, *, actor: str) -> Rollout:
        return await self.move_rollout(name, Move.PAUSE, actor=actor)

    async def resume_rollout(self, name: str, *, actor: str) -> Rollout:
        return await self.move_rollout(name, Move.RESUME, actor=actor)

    async def stop_rollout(self, name: str, *, actor: str) -> Rollout:
        return await self.move_rollout(name, Move.STOP, actor=actor)

    # What an admin reads beside the snapshot: the audit log, the rollouts, a user's role.

    async def history(self, name: str, first: int) -> list[FlagEvent]:
        return await self._flags.history(name, first)

    async def rollouts(self) -> dict[str, Rollout]:
        """The newest rollout of every flag that has had one."""
        return await self._rollouts.current()

    async def user_role(self, user_id: int) -> str | None:
        return await self._user_role(user_id)
