"""Prometheus counters and histograms of this process; served by bot at /metrics.

Counters are per process and start at zero; what must agree across processes (queue depth, the
oldest queued text, the inbox) is computed from the database at scrape time in bot/metrics.py.
"""

from prometheus_client import Counter, Histogram

MESSAGES_OUT = Counter(
    "los_messages_out_total", "Outgoing texts by channel and result", ["channel", "result"]
)
SEND_ERRORS = Counter(
    "los_send_errors_total",
    "Provider errors on sending, by channel and error code",
    ["channel", "code"],
)
SEND_SECONDS = Histogram(
    "los_send_seconds",
    "Time the provider took to take a text",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
ROUTE_SECONDS = Histogram(
    "los_route_seconds",
    "Time to understand and answer one incoming text",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
ROUTE_GAP_SECONDS = Histogram(
    "los_route_gap_seconds",
    "From storing an incoming text to routing it",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
MESSAGES_IN = Counter("los_messages_in_total", "Incoming texts stored", ["channel"])
JOB_RUNS = Counter("los_job_runs_total", "Scheduler job runs", ["job", "result"])
SENDS_UNKNOWN = Counter(
    "los_sends_unknown_total",
    "Texts left unknown: a crash hid the outcome and the provider could not be asked",
    ["channel"],
)
INBOUND_SPOOLED = Counter(
    "los_inbound_spooled_total", "Incoming texts written to the spool: the database was away"
)
INBOUND_FAILED = Counter(
    "los_inbound_failed_total", "Incoming texts that failed to route three times (to the inbox)"
)
