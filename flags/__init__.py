"""Feature flags: stages, pure decisions, the store, the admin, propagation and rollouts.

The decision core (stages, decide) and the rules of a change (rules) are pure; the
decision core imports nothing of ours.
"""
