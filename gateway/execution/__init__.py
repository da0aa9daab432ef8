"""Running one HTTP request's operations (one, or each of a batch on its own) and
accounting for each in one place: the metrics window, the log line, Prometheus, and the
hand-off to verification (shadow, confirmation)."""
