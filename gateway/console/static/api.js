// The console's calls: GraphQL with the token in a header (never a cookie), sign-in,
// and the stream of fleet changes (server-sent events read with fetch, which can send
// the Authorization header that EventSource cannot).

const KEY = "jewgo.console.token";

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

function headers() {
  const found = { "Content-Type": "application/json", Accept: "application/json" };
  const current = token.get();
  if (current) found.Authorization = `Bearer ${current}`;
  return found;
}

async function json(response) {
  try {
    return await response.json();
  } catch {
    throw new ApiError(`The gateway answered HTTP ${response.status}`, "HTTP", response.status);
  }
}

export async function graphql(query, variables = {}) {
  const response = await fetch("/console/graphql", {
    method: "POST",
    headers: headers(),
    body: JSON.stringify({ query, variables }),
  });
  const body = await json(response);
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code ?? "ERROR";
    throw new ApiError(error.message, code, response.status);
  }
  if (!response.ok || !body.data) {
    throw new ApiError(`The gateway answered HTTP ${response.status}`, "HTTP", response.status);
  }
  return body.data;
}

// Who a token (pasted, or the one stored) or a one-time link's secret belongs to.
export async function signIn({ link, pasted }) {
  const sent = { "Content-Type": "application/json" };
  if (pasted) sent.Authorization = `Bearer ${pasted}`;
  const response = await fetch("/console/session", {
    method: "POST",
    headers: sent,
    body: link ? JSON.stringify({ link }) : "{}",
  });
  const body = await json(response);
  if (!response.ok) throw new ApiError(body.error ?? "Sign-in failed", body.code, response.status);
  token.set(body.token ?? pasted);
  return body;
}

// Calls `changed()` whenever the fleet changed something a console shows; `state(text)`
// says whether the stream is up. Reconnects with backoff. Returns a function that stops it.
export function follow({ changed, state, signedOut }) {
  let stopped = false;
  let controller = null;
  let pause = 500;
  let connected = false; // the first connection follows a fresh load: nothing to catch up

  async function once() {
    controller = new AbortController();
    const response = await fetch("/console/events", {
      headers: { Authorization: `Bearer ${token.get()}`, Accept: "text/event-stream" },
      signal: controller.signal,
      cache: "no-store",
    });
    if (response.status === 401 || response.status === 403) {
      signedOut();
      return false;
    }
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffer += value.replace(/\r\n?/g, "\n"); // a proxy may have made the lines CRLF
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = block.split("\n").find((line) => line.startsWith("event:"));
        const name = event?.slice(6).trim();
        if (name === "ready") {
          pause = 500;
          state("Live");
          if (connected) changed(); // whatever happened while the stream was down
          connected = true;
        } else if (name === "change") {
          changed();
        } else if (name === "signed-out") {
          signedOut();
          return false;
        }
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        if (!(await once())) return;
      } catch (error) {
        if (stopped) return;
      }
      if (stopped) return;
      state("Reconnecting…");
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 5000);
    }
  })();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
