"""The operator console: `/console` on a port of its own, for ADMIN (actions) and
MODERATOR (read-only) in a browser.

Its pages are our own ES modules and CSS, served from the package (no internet, no build
step); its data is the gateway's GraphQL API (`/console/graphql`, the same view, admin API
and audit log as `/graphql`), its liveness a stream of server-sent events (`/console/events`)
that says when anything a console shows has changed anywhere in the fleet.
"""
