"""The operators' settings: alerts, decommission readiness (a part of
gateway.settings.Settings, kept apart for size).

Each rule's thresholds come from the flag's rollout config (rollback threshold, latency
ratio, shadow mismatch limit, minRequests, the window); these settings add the rest.
Each rule's pending and keep-firing durations are its own (flags.alert_rules.TIMINGS);
ALERT_PENDING_SECONDS and ALERT_KEEP_FIRING_SECONDS replace the non-zero ones fleet-wide.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from jewgo.flags.alert_rules import Rule, Timing, parse_rules, timings


class AlertSettings(BaseSettings):
    alert_rules: str = Field(
        default="all", description="`all`, or the rule names to evaluate, comma-separated."
    )
    alert_webhook_urls: str = Field(
        default="", description="Receivers of Alertmanager-format webhooks, comma-separated."
    )
    alert_webhook_secret: SecretStr | None = Field(
        default=None, description="Signs each webhook body (HMAC-SHA256, X-Jewgo-Signature)."
    )
    alert_webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    alert_webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    alert_webhook_backoff_seconds: float = Field(
        default=1.0, gt=0, le=3600, description="First pause before a retry; then doubled."
    )
    alert_webhook_max_backoff_seconds: float = Field(default=300.0, gt=0, le=86400)
    alert_warning_fraction: float = Field(
        default=0.5, gt=0, le=1, description="Warning at this fraction of the rollback threshold."
    )
    alert_hysteresis_percent: float = Field(
        default=20.0,
        ge=0,
        lt=100,
        description="A firing alert resolves only this far (%) below its threshold.",
    )
    alert_pending_seconds: float | None = Field(
        default=None,
        ge=0,
        le=86400,
        description="Replaces each rule's non-zero `for` (breached this long before it "
        "fires; 30 s for figures, 15 s for readiness). Unset: each rule's own.",
    )
    alert_keep_firing_seconds: float | None = Field(
        default=None,
        ge=0,
        le=86400,
        description="Replaces each rule's non-zero `keep_firing_for` (clear this long "
        "before a firing alert resolves; 60 s). Unset: each rule's own.",
    )
    alert_window_seconds: int = Field(
        default=300, ge=1, le=86400, description="The window of a flag with no rollout."
    )
    alert_shadow_candidate_errors: int = Field(
        default=0, ge=0, description="Shadow candidate errors in the window allowed."
    )
    alert_min_shadow_comparisons: int = Field(default=20, ge=1)
    alert_rollback_seconds: float = Field(
        default=3600.0, gt=0, description="How long AutoRollback fires after a rollback."
    )
    alert_rollout_held_seconds: float = Field(
        default=3600.0, gt=0, description="A due step not taken for this long: RolloutHeld."
    )
    alert_leaderless_seconds: float = Field(
        default=60.0, gt=0, description="A gap between controller ticks this long alerts."
    )

    decommission_stable_days: int = Field(
        default=30, ge=1, le=3650, description="COMPLETE and no v3 call this long: v3 may go."
    )
    daily_calls_flush_seconds: float = Field(
        default=10.0, gt=0, le=3600, description="How often each process adds its daily counts."
    )

    @field_validator("alert_rules")
    @classmethod
    def _known_rules(cls, value: str) -> str:
        parse_rules(value)
        return value

    @field_validator("alert_webhook_urls")
    @classmethod
    def _urls(cls, value: str) -> str:
        for url in (part.strip() for part in value.split(",")):
            if not url:
                continue
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 (raises on a malformed port)
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    "must list http:// or https:// URLs with a host, separated by commas"
                )
        return value

    @field_validator("alert_webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("needs at least 16 characters")
        return value

    @property
    def webhook_urls(self) -> list[str]:
        return [url.strip() for url in self.alert_webhook_urls.split(",") if url.strip()]

    @property
    def enabled_rules(self) -> frozenset[Rule]:
        return parse_rules(self.alert_rules)

    @property
    def alert_timings(self) -> dict[Rule, Timing]:
        return timings(self.alert_pending_seconds, self.alert_keep_firing_seconds)
