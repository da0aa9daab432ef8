"""JewGo gateway: the GraphQL API of the kosher-restaurant directory.

The repository keeps the design card's folders at its top (`schema/`, `resolvers/`,
`flags/`, `db/`, `gateway/`); installed, they are `jewgo.schema`, `jewgo.resolvers`, ...
(setuptools' package-dir mapping), so no module of ours shares a name with another
distribution. In the source tree this folder links to them, for tools that read it.
"""
