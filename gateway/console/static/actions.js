// Every action: a dialog that names its effect, then the same admin API as GraphQL and the
// CLI (so the same checks and audit log). A stale page's change carries the version it saw
// (`expectedVersion`) and gets a conflict, never overwriting somebody else's change.

import { ApiError, graphql } from "./api.js";
import { h, percent } from "./dom.js";

const STAGES = ["DISABLED", "TESTING", "PARTIAL", "FULL", "COMPLETE"];
const FLAG = "name stage rolloutPercentage version";
const SET_STAGE = `mutation SetStage($name: String!, $stage: MigrationStage!, $reason: String,
  $force: Boolean!, $expected: Int) { setFlagStage(name: $name, stage: $stage, reason: $reason,
  force: $force, expectedVersion: $expected) { ${FLAG} } }`;
const SET_PERCENTAGE = `mutation SetPercentage($name: String!, $percentage: Float!,
  $reason: String, $expected: Int) { setRolloutPercentage(name: $name, percentage: $percentage,
  reason: $reason, expectedVersion: $expected) { ${FLAG} } }`;
const START = `mutation StartRollout($name: String!, $config: RolloutConfigInput,
  $allowLowering: Boolean!) { startRollout(name: $name, config: $config,
  allowLowering: $allowLowering) { state currentPercentage } }`;
const ROLLOUT = {
  pause: "mutation PauseRollout($name: String!) { pauseRollout(name: $name) { state } }",
  resume: "mutation ResumeRollout($name: String!) { resumeRollout(name: $name) { state } }",
  stop: "mutation StopRollout($name: String!) { stopRollout(name: $name) { state } }",
};
const OVERRIDE = `mutation Override($name: String!, $user: ID!, $enabled: Boolean) {
  setUserOverride(name: $name, userId: $user, enabled: $enabled) { name } }`;
const ROLLBACK = `mutation Rollback($reason: String!, $name: String) {
  rollback(reason: $reason, name: $name) { name stage } }`;

let open = 0;
export const dialogOpen = () => open > 0;
let settled = () => {};
export const onSettled = (callback) => { settled = callback; };

// The stages a move passes over on the way up (none for one stage up, or any move down).
export const skipped = (from, to) => STAGES.slice(STAGES.indexOf(from) + 1, STAGES.indexOf(to));

export function describe(flag) {
  return flag.stage === "PARTIAL" ? `PARTIAL ${percent(flag.rolloutPercentage)}` : flag.stage;
}

function explain(error) {
  if (error instanceof ApiError && error.code === "CONFLICT") {
    return `Conflict: ${error.message}. Somebody changed it meanwhile and nothing was ` +
      "overwritten: cancel to see its current state, then try again.";
  }
  if (error instanceof ApiError) return `${error.code}: ${error.message}`;
  return `Failed: ${error.message}`;
}

// An input's number; NaN when it is empty (Number("") would be 0).
const number = (input) => (input.value.trim() === "" ? NaN : Number(input.value));

function field(label, control, hint) {
  const id = `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h("p", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("small", {}, hint) : null);
}

// A modal dialog: `body` (inputs), an effect line kept current by `effect()`, and a
// confirm button that runs `run()`; with `word`, typing it is needed to confirm, and the
// button waits for `ready()` too (a confirmation the effect asks for).
function dialog({ title, body = [], effect, word, confirm = "Confirm", run, ready = () => true }) {
  const effectLine = h("p", { class: "effect", "aria-live": "polite" });
  const error = h("p", { class: "error", role: "alert" });
  const typed = word ? h("input", { type: "text", autocomplete: "off", spellcheck: "false" }) : null;
  const ok = h("button", { type: "submit", class: "primary" }, confirm);
  const cancel = h("button", { type: "button" }, "Cancel");
  const form = h("form", { method: "dialog" },
    h("h2", {}, title), body, effectLine,
    typed ? field(`Type “${word}” to confirm`, typed) : null,
    error, h("p", { class: "buttons" }, cancel, ok));
  const box = h("dialog", { "aria-label": title }, form);

  function refresh() {
    const text = effect();
    effectLine.textContent = text ?? "Nothing would change.";
    ok.disabled = !text || !ready() || (typed !== null && typed.value.trim() !== word);
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  let running = false;
  cancel.addEventListener("click", () => { if (!running) box.close(); });
  box.addEventListener("cancel", (event) => { if (running) event.preventDefault(); }); // Escape
  box.addEventListener("close", () => {
    box.remove();
    open -= 1;
    settled();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    ok.disabled = true;
    cancel.disabled = true;
    running = true;
    error.textContent = "";
    try {
      await run();
      running = false;
      box.close();
    } catch (failure) {
      running = false;
      error.textContent = explain(failure);
      ok.disabled = false;
      cancel.disabled = false;
    }
  });
  open += 1;
  document.body.append(box);
  refresh();
  box.showModal();
  return box;
}

export function changeFlag(flag) {
  const stage = h("select", {}, STAGES.map((s) => h("option", { value: s, selected: s === flag.stage }, s)));
  const percentage = h("input", { type: "number", min: 0, max: 100, step: "any",
    value: flag.rolloutPercentage, inputmode: "decimal" });
  const force = h("input", { type: "checkbox" });
  const reason = h("input", { type: "text", maxlength: 1000 });
  let seen = flag.version; // what this page showed: a change made since is a conflict
  flag = { ...flag }; // this dialog's own idea of the flag, moved by what it applied
  const target = () => ({ stage: stage.value, pct: number(percentage) });
  // Force is offered where the rules ask for it: leaving COMPLETE, or skipping a stage.
  const forcing = () => (flag.stage === "COMPLETE" && stage.value !== "COMPLETE") ||
    skipped(flag.stage, stage.value).length > 0;
  const forceField = field("Force (leave COMPLETE, or skip ahead with a reason)", force);
  return dialog({
    title: `Change ${flag.name}`,
    body: [
      field("Stage", stage),
      field("Rollout percentage (PARTIAL)", percentage, "0 to 100"),
      forceField,
      field("Reason (audit log)", reason),
    ],
    effect() {
      const { stage: to, pct } = target();
      forceField.hidden = !forcing();
      if (stage.value === "PARTIAL" && !(pct >= 0 && pct <= 100)) return null;
      const after = { stage: to, rolloutPercentage: to === "PARTIAL" ? pct : flag.rolloutPercentage };
      if (to === flag.stage && (to !== "PARTIAL" || pct === flag.rolloutPercentage)) return null;
      const jumped = skipped(flag.stage, to);
      const skips = jumped.length ? ` (skips ${jumped.join(", ")}: needs force and a reason)` : "";
      return `${flag.name}: ${describe(flag)} → ${describe(after)}${skips}`;
    },
    async run() {
      const { stage: to, pct } = target();
      const why = reason.value.trim() || null;
      if (to !== flag.stage) {
        const done = await graphql(SET_STAGE, { name: flag.name, stage: to, reason: why,
          force: force.checked && forcing(), expected: seen });
        // Applied: a retry after the percentage failed only sends the percentage.
        ({ stage: flag.stage, version: seen } = done.setFlagStage);
      }
      if (to === "PARTIAL" && pct !== flag.rolloutPercentage) {
        await graphql(SET_PERCENTAGE, { name: flag.name, percentage: pct, reason: why,
          expected: seen });
      }
    },
  });
}

// What a flag serves ordinary callers on v4 now (flags.rules.exposure): TESTING is staff only.
const exposure = (flag) => ({ PARTIAL: flag.rolloutPercentage, FULL: 100, COMPLETE: 100 })[flag.stage] ?? 0;

// The initial percentage is where the flag is when PARTIAL, else the default (as `jewgo
// rollout start` does, flags.rules.initial_percentage): starting with what the dialog
// offers sends nobody back to v3, but from FULL, where any start lowers.
const CONFIG = [
  ["initialPercentage", "Initial percentage", 5],
  ["incrementPercentage", "Increment (percentage points)", 10],
  ["maxPercentage", "Up to (percentage)", 100],
  ["incrementIntervalSeconds", "Step every (seconds)", 86400],
  ["monitoringPeriodSeconds", "Monitoring window (seconds)", 7200],
  ["autoRollbackThresholdPercent", "Roll back above v4 error rate (%)", 5],
  ["minRequests", "Minimum v4 requests to judge", 100],
];

export function startRollout(flag) {
  const initial = flag.stage === "PARTIAL" ? flag.rolloutPercentage : CONFIG[0][2];
  const inputs = Object.fromEntries(CONFIG.map(([key, , value]) => [key, h("input",
    { type: "number", min: 0, step: "any", inputmode: "decimal",
      value: key === "initialPercentage" ? initial : value })]));
  const rollback = h("input", { type: "checkbox", checked: true });
  const increment = h("input", { type: "checkbox", checked: true });
  // Starting below what the flag serves sends callers back to v3: confirmed by a tick that
  // names how many (the server refuses it otherwise, as it refuses `jewgo rollout start`).
  const lower = h("input", { type: "checkbox" });
  const lowerField = field("", lower);
  const lowerLabel = lowerField.querySelector("label");
  const config = () => ({
    ...Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, number(input)])),
    enableAutoRollback: rollback.checked,
    enableAutoIncrement: increment.checked,
  });
  const lowering = () => {
    const start = number(inputs.initialPercentage);
    return Number.isFinite(start) && start < exposure(flag) ? exposure(flag) - start : 0;
  };
  return dialog({
    title: `Start a rollout of ${flag.name}`,
    body: [
      CONFIG.map(([key, label]) => field(label, inputs[key])),
      lowerField,
      field("Roll back automatically", rollback),
      field("Step up automatically", increment),
    ],
    effect() {
      const c = config();
      const sent = lowering();
      lowerField.hidden = sent === 0;
      lowerLabel.textContent = `Lower ${flag.name} from ${percent(exposure(flag))} to ` +
        `${percent(c.initialPercentage)}: this sends ${percent(sent)} of callers back to v3`;
      if (CONFIG.some(([key]) => !Number.isFinite(c[key]))) return null;
      const steps = c.enableAutoIncrement
        ? `, +${c.incrementPercentage} every ${c.incrementIntervalSeconds} s up to ${c.maxPercentage} %`
        : ", no automatic steps";
      return `${flag.name}: ${describe(flag)} → PARTIAL ${percent(c.initialPercentage)} (rollout${steps})`;
    },
    ready: () => lowering() === 0 || lower.checked,
    confirm: "Start rollout",
    run: () => graphql(START, { name: flag.name, config: config(),
      allowLowering: lowering() > 0 && lower.checked }),
  });
}

export function rolloutAction(rollout, action) {
  const effects = {
    pause: `${rollout.flag}: rollout ${rollout.state} → PAUSED at ${percent(rollout.currentPercentage)}`,
    resume: `${rollout.flag}: rollout ${rollout.state} → RUNNING from ${percent(rollout.currentPercentage)}`,
    stop: `${rollout.flag}: rollout ${rollout.state} → STOPPED; the flag stays at ${percent(rollout.currentPercentage)}`,
  };
  return dialog({
    title: `${action[0].toUpperCase()}${action.slice(1)} the rollout of ${rollout.flag}`,
    effect: () => effects[action],
    confirm: `${action[0].toUpperCase()}${action.slice(1)} rollout`,
    run: () => graphql(ROLLOUT[action], { name: rollout.flag }),
  });
}

export function override(flag) {
  const user = h("input", { type: "text", inputmode: "numeric", autocomplete: "off" });
  const choice = h("select", {},
    h("option", { value: "true" }, "always v4"),
    h("option", { value: "false" }, "always v3"),
    h("option", { value: "" }, "no override (remove)"));
  const enabled = () => (choice.value === "" ? null : choice.value === "true");
  return dialog({
    title: `Override ${flag.name} for one user`,
    body: [field("User id", user), field("Serve", choice)],
    effect() {
      if (!/^\d+$/.test(user.value.trim())) return null;
      const e = enabled();
      const what = e === null ? "no override" : e ? "always v4" : "always v3";
      return `${flag.name}: user ${user.value.trim()} → ${what}`;
    },
    run: () => graphql(OVERRIDE, { name: flag.name, user: user.value.trim(), enabled: enabled() }),
  });
}

export function rollback(flag) {
  const reason = h("input", { type: "text", maxlength: 1000, value: "rolled back from the console" });
  const scope = flag ? `${flag.name}: ${describe(flag)} → DISABLED` : "every flag → DISABLED (COMPLETE flags stay)";
  return dialog({
    title: flag ? `Roll back ${flag.name}` : "Roll back every flag",
    body: [field("Reason (audit log)", reason)],
    effect: () => (reason.value.trim() ? scope : null),
    word: "rollback",
    confirm: "Roll back",
    run: () => graphql(ROLLBACK, { reason: reason.value.trim(), name: flag ? flag.name : null }),
  });
}
