"""Prometheus counters for what the scheduler does; served by bot at /metrics."""

from prometheus_client import Counter

MESSAGES_OUT = Counter(
    "los_messages_out_total", "Outgoing texts by channel and result", ["channel", "result"]
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
