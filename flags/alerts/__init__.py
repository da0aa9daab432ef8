"""Alerts and the reports that read them: the pure rules and lifecycle, the store of
firings and resolutions, the webhook payload and outbox, the engine the controller's
leader runs at each tick; each rollout's health and decommission readiness.
"""
