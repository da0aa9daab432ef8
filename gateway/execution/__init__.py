"""Running one HTTP request's operations (one, or each of a batch on its own) and
accounting for each in one place: the metrics window, the log line, Prometheus; then a
record of it published to whoever subscribed (verification's shadow and confirmation,
subscribed in gateway/wiring/services.py)."""
