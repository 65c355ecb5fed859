"""Prometheus counters for what the scheduler does; served by bot at /metrics."""

from prometheus_client import Counter

MESSAGES_OUT = Counter(
    "los_messages_out_total", "Outgoing texts by channel and result", ["channel", "result"]
)
MESSAGES_IN = Counter("los_messages_in_total", "Incoming texts stored", ["channel"])
JOB_RUNS = Counter("los_job_runs_total", "Scheduler job runs", ["job", "result"])
