"""The operations the gateway knows: persisted queries and the safelist, the
operation registry with its samples, and Apollo's manifest format.
"""
