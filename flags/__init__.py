"""Feature flags: stages, pure decisions, the store, propagation and rollouts.

The decision core (stages, decide) is pure and imports nothing of ours.
"""
