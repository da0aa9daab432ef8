"""The HTTP surface: the GraphQL view and the runs of a request, middleware, media
types, bodies, refusals, GraphiQL, health and readiness, CORS, the uvicorn protocol and
the operators' internal listener.
"""
