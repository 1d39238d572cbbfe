"""What operators see: a request id, the user and the GraphQL operation on every log line
(text by default, JSON with LOG_FORMAT=json), and Prometheus metrics at /metrics.

fields.py      the per-request fields (request id, user id, operation) every line carries
logs.py        the logging set-up: the filter that adds them, the text and JSON formats
metrics.py     the Prometheus metrics and the /metrics endpoint (METRICS_TOKEN)
middleware.py  the ASGI middleware: request id in and out, one access line, the counts
extension.py   the strawberry extension: the operation's name and its errors by code
"""
