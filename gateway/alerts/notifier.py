"""Delivering the webhook outbox: the controller's leader POSTs each pending notification
to its receiver, off the request path, at least once.

Each POST has ALERT_WEBHOOK_TIMEOUT_SECONDS and runs beside the others (at most
`concurrency` at once), so a receiver that hangs holds up no other and no rollout. A
failure (no answer, or a status other than 2xx) is tried again after a backoff that
doubles from ALERT_WEBHOOK_BACKOFF_SECONDS up to ALERT_WEBHOOK_MAX_BACKOFF_SECONDS, at
most ALERT_WEBHOOK_MAX_ATTEMPTS times in all; then the notification is FAILED.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta

import httpx
import structlog

from jewgo.flags import tasks
from jewgo.flags.alerts.outbox import Notification, Outbox
from jewgo.flags.alerts.payload import SIGNATURE_HEADER, signature
from jewgo.flags.clock import Clock, utc_now
from jewgo.gateway.telemetry.metrics import ALERT_NOTIFICATIONS

log = structlog.get_logger("jewgo.alerts")


class Notifier:
    def __init__(
        self,
        outbox: Outbox,
        *,
        leading: Callable[[], bool],
        secret: str | None = None,
        timeout: float = 5.0,
        max_attempts: int = 10,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
        interval_seconds: float = 1.0,
        concurrency: int = 8,
        batch: int = 100,
        clock: Clock = utc_now,
    ) -> None:
        self._outbox = outbox
        self._leading = leading
        self._secret = secret
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._interval = interval_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._batch = batch
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def poke(self) -> None:
        """Something was put in the outbox: deliver now rather than at the next interval."""
        self._wake.set()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after `attempts` failed ones."""
        return float(min(self._backoff * 2 ** max(attempts - 1, 0), self._max_backoff))

    async def deliver_due(self) -> int:
        """POST every notification that is due; how many were delivered."""
        due = await self._outbox.due(self._clock(), self._batch)
        if not due:
            return 0
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout, follow_redirects=False)
        results = await asyncio.gather(*(self._deliver(n) for n in due))
        return sum(results)

    async def _deliver(self, notification: Notification) -> bool:
        assert self._client is not None
        payload = notification.body.encode()
        headers = {"Content-Type": "application/json", "User-Agent": "jewgo-alerts"}
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, payload)
        async with self._slots:
            try:
                response = await self._client.post(
                    notification.url, content=payload, headers=headers
                )
                error = None if response.is_success else f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
        now = self._clock()
        if error is None:
            await self._outbox.delivered(notification, now)
            ALERT_NOTIFICATIONS.labels("delivered").inc()
            return True
        attempts = notification.attempts + 1
        if attempts >= self._max_attempts:
            await self._outbox.failed(notification, error)
            ALERT_NOTIFICATIONS.labels("failed").inc()
            log.error("alert notification failed", url=_host(notification.url), error=error)
        else:
            later = now + timedelta(seconds=self.backoff(attempts))
            await self._outbox.retry(notification, later, error)
            ALERT_NOTIFICATIONS.labels("retry").inc()
            log.warning(
                "alert notification will be retried", url=_host(notification.url), error=error
            )
        return False

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval):
                    await self._wake.wait()
            self._wake.clear()
            if not self._leading():
                continue
            try:
                await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away: try again at the next interval
                log.exception("alert delivery failed")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="alert-notifier")

    async def stop(self) -> None:
        await tasks.stop(self._task)
        self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _host(url: str) -> str:
    """A receiver named in logs by its host alone: its path or query may hold a token."""
    return httpx.URL(url).host
