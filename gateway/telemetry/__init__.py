"""What the process records: accounting (one place for metrics, the window, the
log line and the verification hand-off), Prometheus metrics, structured logs and the
event-loop lag.
"""
