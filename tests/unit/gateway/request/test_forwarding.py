"""An undeclared proxy is noticed: anonymous traffic from a few addresses carrying many
client ids (gateway.request.forwarding), on an injected clock."""

from __future__ import annotations

from jewgo.gateway.request.forwarding import ProxyWatch


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def watch(clock: Clock) -> ProxyWatch:
    return ProxyWatch(window_seconds=60, bucket_seconds=10, min_requests=100, min_keys=20,
                      clock=clock)  # fmt: skip


def test_one_address_with_many_client_ids_is_a_proxy_forwarding_undeclared() -> None:
    clock = Clock()
    proxies = watch(clock)
    for n in range(120):
        proxies.record("10.0.0.1", f"client:device-{n}")
    found = proxies.suspicion()
    assert found is not None
    assert "120 anonymous requests" in found and "1 address(es) (10.0.0.1)" in found
    assert "FORWARDED_ALLOW_IPS" in found


def test_many_addresses_or_few_client_ids_or_few_requests_are_not() -> None:
    clock = Clock()
    many_addresses, few_ids, few_requests = watch(clock), watch(clock), watch(clock)
    for n in range(150):
        many_addresses.record(f"10.0.{n // 50}.{n}", f"client:device-{n}")
        few_ids.record("10.0.0.1", f"client:device-{n % 5}")
    for n in range(60):
        few_requests.record("10.0.0.1", f"client:device-{n}")
    assert many_addresses.suspicion() is None
    assert few_ids.suspicion() is None
    assert few_requests.suspicion() is None


def test_signed_in_callers_are_left_out_the_guard_counts_their_users() -> None:
    proxies = watch(Clock())
    for n in range(150):
        proxies.record("10.0.0.1", f"user:{n}")
    assert proxies.suspicion() is None


def test_it_passes_when_the_window_has() -> None:
    clock = Clock()
    proxies = watch(clock)
    for n in range(120):
        proxies.record("10.0.0.1", f"client:device-{n}")
    assert proxies.suspicion() is not None
    clock.now += 55
    assert proxies.suspicion() is not None  # still within the last minute
    clock.now += 10
    assert proxies.suspicion() is None
    for n in range(120):  # now declared: the callers' own addresses
        proxies.record(f"192.0.2.{n}", f"client:device-{n}")
    assert proxies.suspicion() is None
