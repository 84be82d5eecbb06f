"""A CPU load to run tests beside: ``busy_cores(n)`` keeps ``n`` processes spinning for as long
as the ``with`` block runs, so that races are tried on a machine whose cores are all busy (as a
shared CI runner's are), not on an idle one."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager


def _spin(stop: multiprocessing.synchronize.Event) -> None:  # pragma: no cover - runs in a child
    n = 0
    while not stop.is_set():
        for _ in range(100_000):
            n += 1


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def busy_cores(n: int | None = None) -> Iterator[list[multiprocessing.process.BaseProcess]]:
    """Keep ``n`` cores (default: all of them) busy while the block runs. The processes are
    stopped, and killed if they do not stop, whatever the block raises."""
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads and connections
    stop = context.Event()
    spinners = [context.Process(target=_spin, args=(stop,), daemon=True) for _ in range(cores() if n is None else n)]
    try:
        for spinner in spinners:
            spinner.start()
        yield spinners
    finally:
        stop.set()
        for spinner in spinners:
            if spinner.pid is None:
                continue
            spinner.join(timeout=2)
            if spinner.is_alive():
                spinner.kill()
                spinner.join(timeout=2)
