"""The deployment files, checked by parsing them (no Docker engine or systemd needed)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
GRACE = 20  # LOS_SHUTDOWN_GRACE's default


def seconds(value: str) -> int:
    found = re.fullmatch(r"(\d+)(s|m)?", str(value))
    assert found, value
    return int(found.group(1)) * (60 if found.group(2) == "m" else 1)


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_compose_heals_keeps_secrets_out_and_splits_web_and_worker() -> None:
    services = compose()["services"]
    los = {name: services[name] for name in ("los", "web", "worker")}
    for name, service in los.items():
        assert service["restart"] == "unless-stopped", name
        assert "/readyz" in " ".join(service["healthcheck"]["test"]), name
        assert seconds(service["stop_grace_period"]) > GRACE, name
        assert service["env_file"] == ".env", name
        assert service["logging"]["options"]["max-size"], name
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert los["los"]["command"][-2:] == ["--role", "all"]
    assert los["web"]["command"][-2:] == ["--role", "web"]
    assert los["worker"]["command"][-2:] == ["--role", "worker"]
    assert los["los"]["profiles"] == ["single"] and los["worker"]["profiles"] == ["split"]
    assert services["db"]["restart"] == "unless-stopped"
    assert "pg_dump -Fc" in services["backup"]["command"][0]
    text = (ROOT / "docker-compose.yml").read_text()
    for password in re.findall(r"^\s*\w*PASSWORD:\s*(\S+)", text, re.MULTILINE):
        assert password.startswith("${"), f"a password written into the file: {password}"
    assert "http://localhost" not in text, "PUBLIC_URL has no loopback default"


def test_systemd_unit_runs_unprivileged_restarts_and_outlasts_the_grace() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(DEPLOY / "los.service")
    service = unit["Service"]
    assert service["User"] not in ("", "root")
    assert service["ExecStart"].endswith("los serve")
    assert service["Restart"] == "on-failure"
    assert seconds(service["TimeoutStopSec"]) > GRACE
    assert service["KillSignal"] == "SIGTERM"
    assert service["EnvironmentFile"].startswith("/etc/")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_image_is_pinned_locked_unprivileged_and_has_a_data_volume() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM \S+@sha256:[0-9a-f]{64}$", dockerfile, re.MULTILINE)
    assert "--require-hashes -r requirements-prod.lock" in dockerfile
    assert re.search(r"^USER los$", dockerfile, re.MULTILINE)
    assert 'VOLUME ["/data"]' in dockerfile
    assert re.search(r"chown (-R )?los:los /data", dockerfile)
    assert "/readyz" in dockerfile


def requirement_names(lock: Path) -> dict[str, bool]:
    """Each pinned package in a lock file, and whether every pin carries a hash."""
    text = lock.read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
    found = {}
    for block in blocks:
        head = re.match(r"([A-Za-z0-9_.\-]+)==\S+", block)
        if head:
            found[head.group(1).lower().replace("_", "-")] = "--hash=sha256:" in block
    return found


def test_lock_files_pin_every_dependency_with_hashes() -> None:
    project = (ROOT / "pyproject.toml").read_text()
    wanted = {
        re.split(r"[<>=\[]", dep)[0].lower().replace("_", "-")
        for dep in re.findall(r'^\s+"([A-Za-z][^"]+)",$', project, re.MULTILINE)
    }
    everything = requirement_names(ROOT / "requirements.lock")
    assert wanted <= set(everything), wanted - set(everything)
    assert all(everything.values()), [n for n, hashed in everything.items() if not hashed]
    prod = requirement_names(ROOT / "requirements-prod.lock")
    assert "pytest" not in prod and "aiohttp" in prod and all(prod.values())


def test_alert_rules_use_metrics_los_exports() -> None:
    from prometheus_client import REGISTRY

    from bot import metrics  # noqa: F401  (registers the gauges)

    families = list(REGISTRY.collect())
    exported = {m.name for m in families} | {s.name for m in families for s in m.samples}
    exported |= {f"{m.name}_total" for m in families if m.type == "counter"}
    rules = yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"][0]["rules"]
    assert len(rules) >= 5
    for rule in rules:
        for name in re.findall(r"\blos_[a-z_0-9]+", rule["expr"]):
            assert name in exported, f"{rule['alert']} uses {name}, which Los does not export"
