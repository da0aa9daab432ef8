"""The gateway process: settings, the Starlette app and its composition root, auth,
HTTP middleware, health, logging and the `jewgo` CLI."""
