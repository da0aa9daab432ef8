"""Closed-loop HTTP load on loopback with wrk (Debian's `wrk`), a compiled load generator:
a Python client on the same two cores would spend as much CPU as the server it measures
and flatten every ratio.

Each round is one `wrk` run of a fixed duration: `concurrency` connections, each sending
the same GraphQL POST as soon as its previous answer is in. A Lua script counts answers
that are not HTTP 200 or that carry `"errors"`, and prints the latency percentiles.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = %s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) failed = 0; first = nil end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failed = failed + 1
    if first == nil then first = status .. ": " .. string.sub(body, 1, 300) end
  end
end
function done(summary, latency, requests)
  local failures, sample = 0, ""
  for _, thread in ipairs(threads) do
    failures = failures + thread:get("failed")
    local seen = thread:get("first")
    if seen ~= nil and sample == "" then sample = seen end
  end
  failures = failures + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %%d %%d %%.1f %%.1f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99), failures))
  io.write("FIRST " .. sample .. "\\n")
end
"""


@dataclass(frozen=True)
class Round:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    first_failure: str | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a Lua string literal here (ASCII)


def run(
    url: str,
    body: dict[str, Any],
    *,
    seconds: float,
    concurrency: int,
    headers: dict[str, str] | None = None,
) -> Round:
    """`concurrency` connections POSTing `body` to `url`/graphql for `seconds`."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    script = SCRIPT % _lua_string(json.dumps(body, ensure_ascii=True))
    for name, value in (headers or {}).items():
        script += f"\nwrk.headers[{_lua_string(name)}] = {_lua_string(value)}"
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "post.lua"
        path.write_text(script)
        command = [
            wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", str(path), f"{url}/graphql",
        ]  # fmt: skip
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, micros, p50, p99, failures = result.split()[1:]
    if int(requests) == 0:
        raise SystemExit(f"wrk finished no request in {seconds:g} s against {url}: longer rounds")
    first = next((line[6:] for line in output.splitlines() if line.startswith("FIRST ")), "")
    return Round(
        requests=int(requests),
        seconds=int(micros) / 1e6,
        p50_ms=float(p50) / 1000,
        p99_ms=float(p99) / 1000,
        failures=int(failures),
        first_failure=first or None,
    )


def alternate(
    servers: dict[str, str],
    body: dict[str, Any],
    *,
    rounds: int,
    seconds: float,
    concurrency: int,
    warmup: float,
) -> dict[str, list[Round]]:
    """Each server warmed up for `warmup` seconds, then `rounds` rounds in which every
    server in turn takes `seconds` of load: side by side, so noise falls on all of them
    alike. Any failed request stops the benchmark."""
    for url in servers.values():
        run(url, body, seconds=warmup, concurrency=concurrency)
    results: dict[str, list[Round]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, url in servers.items():
            result = run(url, body, seconds=seconds, concurrency=concurrency)
            assert result.failures == 0, (
                f"{name}: {result.failures} failed, the first: {result.first_failure}"
            )
            results[name].append(result)
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)
