"""deploy/: the Prometheus rules pass promtool (syntax and their own unit tests), and
every metric the rules and the Grafana dashboard name is one the gateway exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Templates, clone, unavailable
from tests.support import ADMIN_ID, gateway_client

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "jewgo.rules.yml"
RULE_TESTS = DEPLOY / "prometheus" / "jewgo.rules.test.yml"
DASHBOARD = DEPLOY / "grafana" / "jewgo-gateway.json"
PROMTOOL = shutil.which("promtool")
METRIC = re.compile(r"\bjewgo_[a-z0-9_]+")
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count")}


def promtool(*args: str) -> str:
    if PROMTOOL is None:
        unavailable("promtool", "not installed (Debian's prometheus package)")
    assert PROMTOOL is not None
    done = subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_rules_pass_promtool() -> None:
    assert "SUCCESS" in promtool("check", "rules", str(RULES))
    assert "SUCCESS" in promtool("test", "rules", str(RULE_TESTS))


def named_in_rules() -> set[str]:
    document = yaml.safe_load(RULES.read_text())
    return {
        name
        for group in document["groups"]
        for rule in group["rules"]
        for name in METRIC.findall(rule["expr"])
    }


def named_in_dashboard() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    found = set(METRIC.findall(json.dumps(dashboard["templating"])))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            found.update(METRIC.findall(target["expr"]))
    return found


async def test_every_metric_the_rules_and_the_dashboard_name_is_exported(
    templates: Templates, tmp_path: Path
) -> None:
    database = await clone("sqlite", templates, tmp_path)  # the metrics are the same on both
    async with gateway_client(database, tmp_path, {}) as gql:
        (await gql("{ restaurants(first: 1) { totalCount } }")).ok()
        (await gql("{ migration { totalFeatures } }", as_user=ADMIN_ID)).ok()
        text = (await gql.http.get("/metrics")).text
    exported: set[str] = set()
    for family in text_string_to_metric_families(text):
        exported.add(family.name)
        exported.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ()))
        exported.update(sample.name for sample in family.samples)
    named = named_in_rules() | named_in_dashboard()
    assert {"jewgo_alerts_firing", "jewgo_rollout_controller_leading"} <= named
    assert named - exported == set()
