"""The migration's part of the contract, for operators: flags with their
decisions, records and figures, rollouts and their health, alerts, decommission
readiness, the operation registry and shadow ignores.
"""
