"""What the HTTP benchmarks share: a port of their own and gunicorn serving Accord on it.

A fixed port once made CI measure another program: a demo left running on it answered the health
check while gunicorn, unable to bind, retried and gave up. The port is now free when chosen (any
free one, unless ACCORD_BENCH_PORT names one), and a server that exits before answering fails the
run instead of letting another one stand in for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def bench_port() -> int:
    """ACCORD_BENCH_PORT if set and free, else any free port (refused if the named one is taken)."""
    wanted = int(os.environ.get("ACCORD_BENCH_PORT", "0"))
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted))
        except OSError as err:
            raise SystemExit(f"ACCORD_BENCH_PORT={wanted}: the port is in use ({err.strerror})") from None
        return int(probe.getsockname()[1])


def start_gunicorn(port: int, workers: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "gunicorn", "accord.web.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers)]
    server = subprocess.Popen([*command, "--threads", "4", "--log-level", "warning"], cwd=cwd, env=env)
    for _ in range(150):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}) before serving on port {port}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn did not answer on port {port}")
