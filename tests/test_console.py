"""The console channel end to end: `los serve` without Twilio, and `los chat PHONE` texting it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"los serve did not become ready at {url}")


def test_los_chat_talks_to_los_serve_through_the_console(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TWILIO_", "TELEGRAM_", "PUBLIC_URL", "HOST"))
        },
        "LOS_CONSOLE": "1",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/los.db",
        "PORT": str(port),
        "QUIET_HOURS": "off",
    }
    demo = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    with open(tmp_path / "serve.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        assert "console channel on" in (tmp_path / "serve.log").read_text()
        chat = subprocess.run(
            [sys.executable, "-m", "bot", "chat", "+4740000100"],
            cwd=ROOT,
            env=env,
            input="hjelp\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert chat.returncode == 0, chat.stderr
        assert "Los: Du kan skrive: JA eller NEI" in chat.stdout
        again = subprocess.run(
            [sys.executable, "-m", "bot", "chat", "+4740000100"],
            cwd=ROOT,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
        )
        earlier, _, after = again.stdout.partition("Texting Los as")
        assert "Sent to +4740000100 before this chat:" in earlier
        assert "Los: Du kan skrive: JA eller NEI" in earlier  # the answer to the first chat
        assert "Los:" not in after  # shown once, not again by the polling
        bad = subprocess.run(
            [sys.executable, "-m", "bot", "chat", "12"],
            cwd=ROOT,
            env=env,
            input="",
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode == 1 and "not a phone number" in bad.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = (tmp_path / "serve.log").read_text()
    assert "POST /console/messages 200" in served  # the texts themselves are logged
    assert "GET /console/messages 200" not in served  # the polling is not (errors are)
