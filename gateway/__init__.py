"""The gateway process: everything that is neither GraphQL nor a resolver version, in rooms
by responsibility.

    settings.py       one typed Settings object, from the environment
    wiring/           the composition root: the app factory, the services, the flag parts
    http/             the HTTP surface: the view, middleware, bodies, refusals, GraphiQL,
                      health, CORS, the uvicorn protocol, the internal listener
    request/          one request's caller: auth, roles, rate limit, demand, decisions,
                      context, the undeclared-proxy watch
    operations/       persisted queries, the operation registry, Apollo manifests
    response_cache/   whole answers: fast path, door, store, CDN GETs
    data_cache/       the v4 data cache's store: tiers, near tier, Redis channels
    verification/     v3 against v4: shadow, confirmation, replay, comparisons, coverage
    telemetry/        accounting, Prometheus metrics, logs, event-loop lag
    alerts/           alert operators and the webhook notifier
    console/          the operator console (its own origin)
    cli/              the `jewgo` command line
"""
