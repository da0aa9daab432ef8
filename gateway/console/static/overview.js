// The overview: every flag, every rollout, alerts firing, component health, the summary.

import { graphql } from "./api.js";
import { changeFlag, describe, rollback, rolloutAction, startRollout } from "./actions.js";
import { ago, badge, h, percent, table, when } from "./dom.js";

export const FLAG_FIELDS = `name description stage rolloutPercentage effectivePercentage version
  envOverride updatedAt updatedBy`;
export const ROLLOUT_FIELDS = `id flag state currentPercentage nextStepAt lastDecision startedBy
  updatedAt startedAt config { incrementPercentage maxPercentage incrementIntervalSeconds
  monitoringPeriodSeconds autoRollbackThresholdPercent minRequests }`;
const ALERT_FIELDS = "id rule flag severity state startsAt at value threshold summary";
export const MASTER = "api_v4_enabled";
const EACH = "(each domain by its own flag)";

// The master flag is a switch over the domain flags: say what its state means, not a share
// of callers it serves nothing to by itself. A force by API_V4_ENABLED (flags/env.py's
// words in envOverride) wins over the stage, as in decide().
export function switchMeaning(flag) {
  const forced = /forced to (V3|V4)/.exec(flag.envOverride ?? "")?.[1];
  const stage = forced ? { V3: "DISABLED", V4: "FULL" }[forced] : flag.stage;
  if (stage === "DISABLED") return "OFF: every domain on v3";
  if (stage === "TESTING") return `TESTING: v4 may serve ADMIN and MODERATOR callers only ${EACH}`;
  if (stage === "PARTIAL") return `PARTIAL: v4 may serve ${percent(flag.effectivePercentage)} of callers ${EACH}`;
  return `ON: v4 may serve ${EACH}`;
}

// The percentage a flag uses: the master's only at PARTIAL.
export const percentageOf = (flag) =>
  (flag.name !== MASTER || flag.stage === "PARTIAL" ? percent(flag.rolloutPercentage) : "—");

const OVERVIEW = `query ConsoleOverview {
  migration {
    enabledFeatures totalFeatures migrationPercentage
    stages { disabled testing partial full complete }
    flags { ${FLAG_FIELDS} }
    rollouts { ${ROLLOUT_FIELDS} }
    alerts(state: FIRING, first: 50) { ${ALERT_FIELDS} }
    health { name status detail }
    rolloutHealth { isHealthy errorRatePercent usersAffected alertsCount }
  }
}`;

export const load = () => graphql(OVERVIEW);

const ACTIVE = new Set(["RUNNING", "PAUSED"]);

export function rolloutButtons(rollout, canAct) {
  if (!canAct || !ACTIVE.has(rollout.state)) return [];
  const pauseOrResume = rollout.state === "RUNNING" ? "pause" : "resume";
  return [pauseOrResume, "stop"].map((action) =>
    h("button", { type: "button", class: "small", "aria-label": `${action} the rollout of ${rollout.flag}`,
      onclick: () => rolloutAction(rollout, action) }, action[0].toUpperCase() + action.slice(1)));
}

export function alertsTable(alerts, caption, events = false) {
  const columns = ["Severity", "Rule", "Flag", "Since", "Value / threshold", "Summary"];
  return table(caption, events ? ["State", "At", ...columns] : columns,
    alerts.map((a) => [
      ...(events ? [badge(a.state), when(a.at)] : []),
      badge(a.severity), a.rule, a.flag ?? "fleet", when(a.startsAt),
      `${a.value.toFixed(2)} / ${a.threshold.toFixed(2)}`, a.summary]),
    events ? "No alert has fired for this flag." : "No alert is firing.");
}

export function render(data, canAct) {
  const m = data.migration;
  const rolloutOf = Object.fromEntries(m.rollouts.map((r) => [r.flag, r]));
  const summary = h("section", { "aria-labelledby": "h-summary", class: "cards" },
    h("h2", { id: "h-summary" }, "Migration"),
    h("dl", { class: "figures" },
      h("div", {}, h("dt", {}, "Migration"), h("dd", { id: "migration-percentage" }, percent(m.migrationPercentage))),
      h("div", {}, h("dt", {}, "Features on"), h("dd", {}, `${m.enabledFeatures} of ${m.totalFeatures}`)),
      ["disabled", "testing", "partial", "full", "complete"].map((stage) =>
        h("div", {}, h("dt", {}, stage.toUpperCase()), h("dd", {}, m.stages[stage]))),
      h("div", {}, h("dt", {}, "v4 error rate"), h("dd", {}, percent(m.rolloutHealth.errorRatePercent))),
      h("div", {}, h("dt", {}, "Users on v4 (rollouts)"), h("dd", {}, m.rolloutHealth.usersAffected))));

  const health = h("section", { "aria-labelledby": "h-health" },
    h("h2", { id: "h-health" }, "Components"),
    h("ul", { class: "health" }, m.health.map((c) =>
      h("li", { dataset: { component: c.name } }, h("strong", {}, c.name), " ", badge(c.status),
        c.detail ? h("small", {}, ` ${c.detail}`) : null))));

  const alerts = h("section", { "aria-labelledby": "h-alerts", id: "alerts" },
    h("h2", { id: "h-alerts" }, `Alerts firing (${m.alerts.length})`),
    alertsTable(m.alerts, "Alerts firing now"));

  const flags = h("section", { "aria-labelledby": "h-flags" },
    h("h2", { id: "h-flags" }, "Flags"),
    table("Every flag: its stage, percentage and the share of callers v4 serves",
      ["Flag", "Stage", "Percentage", "v4 share", "Rollout", "Version", canAct ? "Actions" : null].filter(Boolean),
      m.flags.map((f) => {
        const rollout = rolloutOf[f.name];
        const cells = [
          h("a", { href: `#/flag/${f.name}`, class: "flag-link" }, f.name),
          h("span", { class: "stage", dataset: { flag: f.name } }, badge(f.stage), f.envOverride ? h("small", {}, ` env: ${f.envOverride}`) : null),
          percentageOf(f),
          f.name === MASTER ? h("span", { class: "switch" }, switchMeaning(f))
            : h("span", { class: "share" }, percent(f.effectivePercentage)),
          rollout && ACTIVE.has(rollout.state) ? `${rollout.state} ${percent(rollout.currentPercentage)}` : "—",
          f.version,
        ];
        if (canAct) {
          cells.push(h("span", { class: "buttons" },
            h("button", { type: "button", class: "small", "aria-label": `Change ${f.name}`, onclick: () => changeFlag(f) }, "Change"),
            rollout && ACTIVE.has(rollout.state) ? null : h("button", { type: "button", class: "small",
              "aria-label": `Start a rollout of ${f.name}`, onclick: () => startRollout(f) }, "Rollout")));
        }
        return cells;
      }), "No flags."));

  const running = m.rollouts.filter((r) => ACTIVE.has(r.state));
  const rollouts = h("section", { "aria-labelledby": "h-rollouts", id: "rollouts" },
    h("h2", { id: "h-rollouts" }, `Rollouts (${running.length} active)`),
    table("Every flag's newest rollout",
      ["Flag", "State", "Percentage", "Next step", "Last decision", canAct ? "Actions" : null].filter(Boolean),
      m.rollouts.map((r) => [
        h("a", { href: `#/flag/${r.flag}` }, r.flag),
        badge(r.state),
        h("span", { class: "rollout-percentage", dataset: { flag: r.flag } }, percent(r.currentPercentage)),
        r.state === "RUNNING" && r.nextStepAt ? ago(r.nextStepAt) : "—",
        r.lastDecision ?? "—",
        ...(canAct ? [h("span", { class: "buttons" }, rolloutButtons(r, canAct))] : []),
      ]), "No rollout has run yet."));

  const danger = canAct ? h("section", { "aria-labelledby": "h-danger", class: "danger" },
    h("h2", { id: "h-danger" }, "Emergency"),
    h("p", {}, "Send every caller back to v3 at once (flags at COMPLETE stay)."),
    h("button", { type: "button", class: "danger", onclick: () => rollback(null) }, "Roll back every flag")) : null;

  // A component that warns (an undeclared proxy, say) is said at the top, not only in its list.
  const warnings = m.health.filter((c) => c.status === "warning");
  const banner = warnings.length ? h("div", { class: "banner", role: "alert" },
    warnings.map((c) => h("p", {}, h("strong", {}, `${c.name}: `), c.detail))) : null;

  return [h("h2", { class: "visually-hidden" }, "Overview"), banner, summary, alerts, flags, rollouts, health, danger];
}

export { describe };
