// The console: sign-in, the two views (#/ and #/flag/NAME), and keeping them current.

import { ApiError, follow, graphql, signIn, token } from "./api.js";
import { dialogOpen, onSettled } from "./actions.js";
import { h } from "./dom.js";
import * as flagView from "./flag.js";
import * as overview from "./overview.js";

const view = document.getElementById("view");
const live = document.getElementById("live");
const who = document.getElementById("who");
const notice = document.getElementById("notice");
const ME = "query ConsoleMe { me { id name email role } }";
const CHART_REFRESH_MS = 10000;

let me = null;
let stopFollowing = null;
let range = flagView.RANGES[1];
let pending = false;
let loading = null;
let timer = null;

function say(text) {
  notice.textContent = text ?? "";
}

function route() {
  const match = /^#\/flag\/([A-Za-z0-9_]+)$/.exec(location.hash);
  return match ? { flag: match[1] } : { flag: null };
}

// What identifies a control across a re-render (they are rebuilt from data each time).
const FOCUSABLE = "a, button, select, input, summary, [tabindex]";
const keyOf = (e) => e.getAttribute("aria-label") || e.id || `${e.tagName}:${e.textContent.trim()}`;

// Replace the view's content, keeping the focus and the open figure tables where they were.
function show(children, title) {
  const focused = document.activeElement;
  const key = focused && focused !== view && view.contains(focused) ? keyOf(focused) : null;
  const opened = new Set([...view.querySelectorAll("details[open] > summary")].map((e) => e.textContent));
  view.replaceChildren(...children.flat().filter(Boolean));
  document.title = `${title} · JewGo migration console`;
  for (const summary of view.querySelectorAll("details > summary")) {
    if (opened.has(summary.textContent)) summary.parentElement.open = true;
  }
  if (key) [...view.querySelectorAll(FOCUSABLE)].find((e) => keyOf(e) === key)?.focus();
}

async function refresh() {
  if (dialogOpen()) {
    pending = true; // an open dialog keeps the figures it was opened with
    return;
  }
  if (loading) {
    pending = true;
    return;
  }
  pending = false;
  const { flag } = route();
  const canAct = me.role === "ADMIN";
  loading = (async () => {
    try {
      if (flag) {
        const data = await flagView.load(flag, range);
        show(flagView.render(data, flag, range, canAct, (chosen) => { range = chosen; refresh(); }), flag);
      } else {
        show(overview.render(await overview.load(), canAct), "Overview");
      }
      view.dataset.loadedAt = String(Date.now());
    } catch (error) {
      if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
        signOut("Your session has ended; sign in again.");
        return;
      }
      say(error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));
    }
  })();
  await loading;
  loading = null;
  if (pending) refresh();
}

onSettled(() => {
  refresh(); // after an action, or a cancel: show what is true now
});

function header() {
  who.replaceChildren(
    h("span", {}, `${me.name} (${me.role}${me.role === "MODERATOR" ? ", read-only" : ""})`),
    h("button", { type: "button", class: "small", onclick: () => signOut("Signed out.") }, "Sign out"),
  );
}

function signOut(message) {
  stopFollowing?.();
  stopFollowing = null;
  clearInterval(timer);
  token.clear();
  me = null;
  who.replaceChildren();
  live.textContent = "";
  signInPage(message);
}

async function start() {
  const data = await graphql(ME);
  me = data.me;
  if (!me || (me.role !== "ADMIN" && me.role !== "MODERATOR")) {
    signOut("The console is for ADMIN and MODERATOR users.");
    return;
  }
  header();
  say("");
  await refresh();
  view.focus();
  stopFollowing = follow({
    changed: refresh,
    state: (text) => { live.textContent = text; },
    signedOut: () => signOut("Your session has ended; sign in again."),
  });
  timer = setInterval(() => { if (route().flag) refresh(); }, CHART_REFRESH_MS);
}

function signInPage(message) {
  const input = h("input", { id: "token", type: "password", autocomplete: "off", spellcheck: "false", required: true });
  const error = h("p", { class: "error", role: "alert" }, message ?? "");
  const form = h("form", { class: "signin", "aria-labelledby": "h-signin" },
    h("h2", { id: "h-signin" }, "Sign in"),
    h("p", {}, "For ADMIN (actions) and MODERATOR (read-only) users. Paste a bearer token, ",
      "or open a one-time link from ", h("code", {}, "jewgo console-link --email you@example.com"), "."),
    h("p", { class: "field" }, h("label", { for: "token" }, "Bearer token"), input),
    error,
    h("p", {}, h("button", { type: "submit", class: "primary" }, "Sign in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await signIn({ pasted: input.value.trim() });
      await start();
    } catch (failure) {
      token.clear();
      error.textContent = failure.message;
    }
  });
  view.replaceChildren(form);
  document.title = "Sign in · JewGo migration console";
  input.focus();
}

async function boot() {
  const link = /^#link=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (link) {
    history.replaceState(null, "", `${location.pathname}#/`); // the secret leaves the address bar
    try {
      await signIn({ link: link[1] });
    } catch (failure) {
      signInPage(failure.message);
      return;
    }
  }
  if (!token.get()) {
    signInPage();
    return;
  }
  try {
    await start();
  } catch (failure) {
    signOut(failure.message);
  }
}

window.addEventListener("hashchange", () => {
  if (me && (location.hash === "#/" || route().flag)) {
    refresh();
    view.focus();
  }
});
// The skip link moves the focus, not the route.
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  view.focus();
});
boot();
