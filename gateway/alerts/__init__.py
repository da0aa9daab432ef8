"""What operators are told: the alert operators built from settings and the
webhook notifier.
"""
