// One flag: its state and actions, charts of v3 against v4 with the rollout's steps and the
// automatic decisions on the time axis, the shadow's comparisons, audit history, overrides.

import { graphql } from "./api.js";
import { changeFlag, override, rollback, startRollout } from "./actions.js";
import { lineChart } from "./chart.js";
import { badge, h, percent, table, when } from "./dom.js";
import { FLAG_FIELDS, MASTER, ROLLOUT_FIELDS, alertsTable, percentageOf, rolloutButtons,
  switchMeaning } from "./overview.js";

export const RANGES = [
  { minutes: 15, step: 15, label: "15 minutes" },
  { minutes: 60, step: 60, label: "1 hour" },
  { minutes: 180, step: 180, label: "3 hours" },
];
const FIGURES = "version requests errors errorRatePercent p95Ms";

const FLAG = `query ConsoleFlag($name: String!, $minutes: Int!, $step: Int!) {
  flag(name: $name) {
    ${FLAG_FIELDS}
    updatedByUser { name email }
    userOverrides { userId enabled }
    shadowIgnores { target reason }
    history(first: 100) { id at actor actorUser { name email } action fromStage toStage fromPercentage toPercentage reason }
    alerts(first: 10) { id rule flag severity state startsAt at value threshold summary }
    metrics {
      windowSeconds
      versions { ${FIGURES} }
      shadow { comparisons matches mismatches candidateErrors ignored mismatchesBeyondNoise
        byField { field count noise rawRatePercent beyondNoise examples { at operationName path v3 v4 } } }
      series(minutes: $minutes, stepSeconds: $step) { at versions { ${FIGURES} } shadowComparisons shadowMismatches }
    }
  }
  migration { rollouts { ${ROLLOUT_FIELDS} } }
}`;

export const load = (name, range) => graphql(FLAG, { name, minutes: range.minutes, step: range.step });

const MARKED = { ROLLBACK: "rollback", ROLLOUT_ROLLBACK: "rollback", ROLLOUT_STEP: "step",
  START_ROLLOUT: "step", ROLLOUT_COMPLETE: "step", ROLLOUT_PAUSED: "decision", ROLLOUT_GATE: "decision",
  ROLLOUT_STOPPED: "decision", ROLLOUT_RUNNING: "decision", ROLLOUT_PAUSED_BY_HAND: "decision",
  SET_STAGE: "change", SET_PERCENTAGE: "change" };

// Who made a change: the person (their email to an ADMIN), else the actor as logged
// (`cli:<login>`, `rollout-controller`).
const person = (actor, user) => (user ? (user.email ? `${user.name} (${user.email})` : user.name) : actor ?? "—");

function markers(history) {
  return history.filter((e) => e.action in MARKED || e.action.startsWith("ROLLOUT_")).map((e) => ({
    at: new Date(e.at).getTime(),
    kind: MARKED[e.action] ?? "decision",
    label: `${e.action} ${e.toStage ?? ""} ${e.toPercentage ?? ""} (${person(e.actor, e.actorUser)})${e.reason ? `: ${e.reason}` : ""}`,
  }));
}

// The steps from the first with a request, or with an event marked if that is earlier: the
// range fits data younger than the range (a new server's), instead of holding it against
// the right edge. With no request at all, the whole range.
function sinceFirst(series, marks) {
  const starts = series.map((p) => new Date(p.at).getTime());
  const busy = series.findIndex((p) => p.versions.some((v) => v.requests > 0));
  if (busy < 0) return series;
  const event = Math.min(...marks.map((m) => m.at).filter((at) => at >= starts[0])); // none: Infinity
  const first = Math.min(busy, starts.findLastIndex((start) => start <= event));
  return series.slice(first);
}

function charts(all, history, stepSeconds) {
  const marks = markers(history);
  const series = sinceFirst(all, marks);
  const times = series.map((p) => new Date(p.at).getTime());
  // A rate over the part of its step gone by: the last step is still running.
  const seconds = (i) => Math.min(stepSeconds, Math.max(1, (Date.now() - times[i]) / 1000));
  const of = (version, key) => series.map((p, i) => {
    const found = p.versions.find((v) => v.version === version);
    if (!found) return key === "requests" ? 0 : null;
    if (key === "errorRatePercent" && !found.requests) return null;
    if (key === "requests") return found.requests / seconds(i);
    return found[key];
  });
  const chart = (title, unit, key, id, axis = {}) => lineChart({ title, unit, times, step: stepSeconds * 1000,
    markers: marks, id, ...axis,
    series: [{ name: "v3", values: of("V3", key) }, { name: "v4", values: of("V4", key) }] });
  return [
    chart("Requests", "requests/s", "requests", "chart-requests"),
    // A percentage: at least 0–1 % (no error is a flat line at the bottom), at most 0–100 %.
    chart("Error rate", "%", "errorRatePercent", "chart-errors", { floor: 1, ceiling: 100 }),
    chart("p95 latency", "ms", "p95Ms", "chart-latency"),
  ];
}

function shadow(m) {
  const s = m.shadow;
  const rate = s.comparisons ? (s.matches / s.comparisons) * 100 : null;
  const examples = s.byField.flatMap((f) => f.examples.map((e) => ({ ...e, field: f.field })))
    .sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 10);
  return h("section", { "aria-labelledby": "h-shadow" },
    h("h2", { id: "h-shadow" }, "Shadow comparisons"),
    h("dl", { class: "figures" },
      h("div", {}, h("dt", {}, "Comparisons"), h("dd", {}, s.comparisons)),
      h("div", {}, h("dt", {}, "Match rate"), h("dd", { id: "match-rate" }, rate === null ? "—" : percent(rate))),
      h("div", {}, h("dt", {}, "Mismatches"), h("dd", {}, s.mismatches)),
      h("div", {}, h("dt", {}, "Beyond noise"), h("dd", {}, s.mismatchesBeyondNoise)),
      h("div", {}, h("dt", {}, "v4 errors"), h("dd", {}, s.candidateErrors)),
      h("div", {}, h("dt", {}, "Ignored"), h("dd", {}, s.ignored))),
    table("Mismatches per schema field", ["Field", "Mismatches", "Rate", "Noise", "Beyond noise"],
      s.byField.map((f) => [h("code", {}, f.field), f.count, percent(f.rawRatePercent), f.noise,
        f.beyondNoise ? badge("yes", "critical") : "no"]), "No field has differed."),
    table("Latest differences", ["When", "Operation", "Path", "v3", "v4"],
      examples.map((e) => [when(e.at), e.operationName ?? "—", h("code", {}, e.path),
        h("code", {}, e.v3), h("code", {}, e.v4)]), "No example yet."));
}

export function render(data, name, range, canAct, onRange) {
  const f = data.flag;
  if (!f) return [h("h2", {}, "No such flag"), h("p", {}, h("a", { href: "#/" }, "Back to the overview"))];
  const rollout = data.migration.rollouts.find((r) => r.flag === name);
  const active = rollout && ["RUNNING", "PAUSED"].includes(rollout.state);
  const m = f.metrics;
  const select = h("select", { id: "range" }, RANGES.map((r) =>
    h("option", { value: r.minutes, selected: r.minutes === range.minutes }, r.label)));
  select.addEventListener("change", () => onRange(RANGES.find((r) => String(r.minutes) === select.value)));

  const head = h("section", { "aria-labelledby": "h-flag" },
    h("p", {}, h("a", { href: "#/" }, "← Overview")),
    h("h2", { id: "h-flag" }, f.name),
    h("p", {}, f.description),
    h("dl", { class: "figures" },
      h("div", {}, h("dt", {}, "Stage"), h("dd", { id: "flag-stage" }, badge(f.stage))),
      h("div", {}, h("dt", {}, "Percentage"), h("dd", { id: "flag-percentage" }, percentageOf(f))),
      f.name === MASTER ? h("div", {}, h("dt", {}, "Means"), h("dd", { id: "flag-meaning" }, switchMeaning(f)))
        : h("div", {}, h("dt", {}, "v4 share"), h("dd", {}, percent(f.effectivePercentage))),
      h("div", {}, h("dt", {}, "Version"), h("dd", { id: "flag-version" }, f.version)),
      h("div", {}, h("dt", {}, "Changed"), h("dd", { id: "flag-changed" }, `${when(f.updatedAt)} by ${person(f.updatedBy, f.updatedByUser)}`)),
      f.envOverride ? h("div", {}, h("dt", {}, "Environment"), h("dd", {}, f.envOverride)) : null),
    canAct ? h("p", { class: "buttons" },
      h("button", { type: "button", onclick: () => changeFlag(f) }, "Change stage or percentage"),
      active ? null : h("button", { type: "button", onclick: () => startRollout(f) }, "Start rollout"),
      h("button", { type: "button", onclick: () => override(f) }, "Override for a user"),
      h("button", { type: "button", class: "danger", onclick: () => rollback(f) }, "Roll back")) : null);

  const rolloutPart = h("section", { "aria-labelledby": "h-rollout", id: "rollout" },
    h("h2", { id: "h-rollout" }, "Rollout"),
    rollout ? [
      h("dl", { class: "figures" },
        h("div", {}, h("dt", {}, "State"), h("dd", { id: "rollout-state" }, badge(rollout.state))),
        h("div", {}, h("dt", {}, "Percentage"), h("dd", { class: "rollout-percentage", dataset: { flag: name } }, percent(rollout.currentPercentage))),
        h("div", {}, h("dt", {}, "Next step"), h("dd", {}, rollout.state === "RUNNING" ? when(rollout.nextStepAt) : "—")),
        h("div", {}, h("dt", {}, "Step"), h("dd", {}, `+${rollout.config.incrementPercentage} every ${rollout.config.incrementIntervalSeconds} s to ${rollout.config.maxPercentage} %`)),
        h("div", {}, h("dt", {}, "Rolls back above"), h("dd", {}, `${rollout.config.autoRollbackThresholdPercent} % errors (≥ ${rollout.config.minRequests} requests)`))),
      h("p", {}, h("strong", {}, "Last decision: "), h("span", { id: "last-decision" }, rollout.lastDecision ?? "—")),
      h("p", { class: "buttons" }, rolloutButtons(rollout, canAct)),
    ] : h("p", { class: "empty" }, "This flag has had no rollout."));

  const now = m.versions.map((v) => [v.version, v.requests, v.errors, percent(v.errorRatePercent),
    v.p95Ms === null ? "—" : `${v.p95Ms.toFixed(1)} ms`]);
  const traffic = h("section", { "aria-labelledby": "h-traffic" },
    h("h2", { id: "h-traffic" }, "v3 against v4"),
    h("p", {}, h("label", { for: "range" }, "Range "), select),
    table(`The monitoring window (${m.windowSeconds} s)`, ["Version", "Requests", "Errors", "Error rate", "p95"], now, "No requests in the window."),
    h("div", { class: "charts" }, charts(m.series, f.history, range.step)));

  const history = h("section", { "aria-labelledby": "h-history" },
    h("h2", { id: "h-history" }, "Audit history"),
    table("Every change of this flag, newest first", ["When", "Who", "What", "From", "To", "Reason"],
      f.history.map((e) => [when(e.at), person(e.actor, e.actorUser), e.action,
        [e.fromStage, e.fromPercentage === null ? null : percent(e.fromPercentage)].filter(Boolean).join(" ") || "—",
        [e.toStage, e.toPercentage === null ? null : percent(e.toPercentage)].filter(Boolean).join(" ") || "—",
        e.reason ?? "—"]), "No change yet."));

  const overrides = h("section", { "aria-labelledby": "h-overrides" },
    h("h2", { id: "h-overrides" }, "User overrides"),
    table("Users this flag always sends to one version", ["User id", "Serves"],
      f.userOverrides.map((o) => [o.userId, o.enabled ? "v4" : "v3"]), "No user override."),
    f.shadowIgnores.length ? table("Left out of shadow comparisons", ["Target", "Reason"],
      f.shadowIgnores.map((i) => [h("code", {}, i.target), i.reason]), "") : null);

  const alerts = h("section", { "aria-labelledby": "h-flag-alerts", id: "flag-alerts" },
    h("h2", { id: "h-flag-alerts" }, "Alerts"),
    alertsTable(f.alerts, "This flag's latest alert events, newest first", true));

  return [head, alerts, rolloutPart, traffic, shadow(m), history, overrides];
}
