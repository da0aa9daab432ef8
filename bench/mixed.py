"""A mixed load for the response cache: 90 % reads of restaurant pages, 10 % writes that
rename one of those restaurants (as an ADMIN), driven by wrk with a Lua script.

The hit ratio comes from the gateway's /metrics (`jewgo_response_cache_lookups_total`)
before and after; wrk reports the latency percentiles over reads and writes together.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.cache import RESTAURANT

READ = (
    "query($id: ID!) { restaurant(id: $id) { "
    + RESTAURANT
    + " reviews(first: 3) { edges { node { id rating title author { id name } } } } } }"
)
WRITE = "mutation($id: ID!, $n: String!) { updateRestaurant(id: $id, input: {name: $n}) { id } }"

SCRIPT = """
local reads, writes = {}, {}
for id = 1, %(pages)d do
  reads[id] = (%(read)s):gsub("__ID__", tostring(id))
  writes[id] = (%(write)s):gsub("__ID__", tostring(id))
end
local n = 0
request = function()
  n = n + 1
  local id = math.random(1, %(pages)d)
  local headers = {["Content-Type"] = "application/json"}
  if math.random() < %(share)f then
    headers["Authorization"] = %(auth)s
    return wrk.format("POST", "/graphql", headers, (writes[id]:gsub("__N__", "Renamed " .. n)))
  end
  return wrk.format("POST", "/graphql", headers, reads[id])
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%.1f %%.1f %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status + summary.errors.timeout))
end
"""


def lookups(url: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(httpx.get(f"{url}/metrics", timeout=10).text):
        if family.name == "jewgo_response_cache_lookups":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = f"{sample.labels['layer']}:{sample.labels['result']}"
                    totals[key] = totals.get(key, 0.0) + sample.value
    return totals


def run(
    url: str, token: str, *, seconds: float, concurrency: int, pages: int = 20
) -> dict[str, float]:
    """One wrk run of the mix: requests/s, p50 and p99 (ms), hit ratio, failures."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk not found: apt-get install wrk")
    read = json.dumps({"query": READ, "variables": {"id": "__ID__"}})
    write = json.dumps({"query": WRITE, "variables": {"id": "__ID__", "n": "__N__"}})
    script = SCRIPT % {
        "pages": pages,
        "read": json.dumps(read),
        "write": json.dumps(write),
        "share": 0.1,
        "auth": json.dumps(f"Bearer {token}"),
    }
    before = lookups(url)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "mixed.lua"
        path.write_text(script)
        command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(path),
                   f"{url}/graphql"]  # fmt: skip
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = lookups(url)
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    requests, micros, p50, p99, failures = (float(v) for v in line.split()[1:])
    delta = {k: after.get(k, 0.0) - before.get(k, 0.0) for k in after}
    hits = delta.get("near:hit", 0.0) + delta.get("redis:hit", 0.0)
    misses = delta.get("redis:miss", 0.0) + delta.get("near:miss", 0.0)
    return {
        "rps": requests / (micros / 1e6),
        "p50": p50 / 1000,
        "p99": p99 / 1000,
        "hit_ratio": hits / (hits + misses) if hits + misses else 0.0,
        "failures": failures,
    }
