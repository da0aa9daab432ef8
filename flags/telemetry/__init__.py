"""The figures flags are judged by: the per-domain x version window and its weighting by
caller, the reach of a rollout (usersAffected), durable daily counts and the shadow's
noise baseline.
"""
