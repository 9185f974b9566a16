"""Kept-open connections are shared among gunicorn's workers (planner.web.server settings:
worker_connections, four a thread): a worker holding its share leaves new connections to the
others, so one crowded worker does not set everyone's wait (bench/bench_load.py)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from serverhelpers import Server

pytestmark = pytest.mark.slow


def _workers(master: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if parent == master and b"gunicorn" in command:
            found.append(int(entry))
    return sorted(found)


def _tcp_connections(pid: int, port: int) -> int:
    """Established connections to the server's port held by process PID (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    with open(f"/proc/{pid}/net/tcp", encoding="ascii") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


def test_a_worker_holding_its_share_leaves_new_connections_to_the_others(
        tmp_path: Path) -> None:
    """Eight people connect at once and have not sent their request yet (as a phone on a slow
    network): with one thread a worker, a worker holds at most four, so the two workers take
    four each; then each person's request is answered. Without the share, gunicorn's workers
    take whatever they wake for (5 and 3, 6 and 2 ...)."""
    server = Server(tmp_path, workers=2, threads=1).start()
    people: list[socket.socket] = []
    try:
        assert server.proc is not None
        deadline = time.monotonic() + 20
        while len(workers := _workers(server.proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # gunicorn starts its workers one after the other
        assert len(workers) == 2, workers
        time.sleep(1.0)  # and each needs a moment to start listening
        for _ in range(8):
            people.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        deadline = time.monotonic() + 10
        while sum(held := [_tcp_connections(pid, server.port) for pid in workers]) < 8 \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sum(held) == 8, held
        assert max(held) <= 4, held  # neither worker holds more than its share
        for person in people:
            person.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Connection: close\r\n\r\n")
        for person in people:
            answer = b""
            while chunk := person.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    finally:
        for person in people:
            person.close()
        server.stop()
