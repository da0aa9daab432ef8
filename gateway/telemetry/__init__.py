"""What the process records: Prometheus metrics, structured logs and the event-loop lag
(accounting, which writes them for each request, lives in gateway/execution/).
"""
