"""The webhook body of an alert event, in Alertmanager's webhook format (version 4), so
receivers written for Alertmanager take it as it is, and its HMAC-SHA256 signature.

One POST carries one alert (its firing, or its resolution): `status` is `firing` or
`resolved`, `endsAt` is the zero time while it fires, as Alertmanager sends it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from jewgo.flags.alerts.lifecycle import AlertState, labels

SIGNATURE_HEADER = "X-Jewgo-Signature"
ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def dedup_key(fingerprint: str, state: AlertState, starts_at: datetime) -> str:
    """One per event: a firing and its resolution are two, the same event twice is one."""
    return f"{fingerprint}:{state.value.lower()}:{rfc3339(starts_at)}"


def body(
    *,
    rule: str,
    flag: str,
    state: AlertState,
    fingerprint: str,
    starts_at: datetime,
    at: datetime,
    summary: str,
    figures: Mapping[str, Any],
    external_url: str = "",
) -> str:
    status = state.value.lower()
    found = labels(rule, flag)
    annotations = {
        "summary": summary,
        "description": json.dumps(dict(figures), sort_keys=True, default=str),
    }
    alert = {
        "status": status,
        "labels": found,
        "annotations": annotations,
        "startsAt": rfc3339(starts_at),
        "endsAt": rfc3339(at) if state is AlertState.RESOLVED else ZERO_TIME,
        "generatorURL": external_url,
        "fingerprint": fingerprint,
    }
    group = {"alertname": rule} | ({"flag": flag} if flag else {})
    document = {
        "version": "4",
        "groupKey": "{}:{" + ",".join(f'{k}="{v}"' for k, v in sorted(group.items())) + "}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "jewgo",
        "groupLabels": group,
        "commonLabels": found,
        "commonAnnotations": annotations,
        "externalURL": external_url,
        "alerts": [alert],
    }
    return json.dumps(document, sort_keys=True)


def signature(secret: str, payload: bytes) -> str:
    """The `X-Jewgo-Signature` header: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify(secret: str, payload: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(secret, payload), header)
