"""Under pytest-xdist the plugin starts one server per worker."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

INNER = '''
import os

def record(srv):
    with open(os.environ["PHYSCONN_RECORD"], "a") as f:
        f.write("%s %s\\n" % (os.environ.get("PYTEST_XDIST_WORKER"), srv.pid))

def test_a(physconn): record(physconn)
def test_b(physconn): record(physconn)
def test_c(physconn): record(physconn)
def test_d(physconn): record(physconn)
'''


def test_one_server_per_worker(tmp_path):
    pytest.importorskip("xdist")
    (tmp_path / "test_inner.py").write_text(INNER)
    record = tmp_path / "record.txt"
    # -p: for a run from the source tree; beside the installed wheel it is the same plugin
    args = [sys.executable, "-m", "pytest", "-n", "2", "-p", "physconn.pytest_plugin", "-p", "no:cacheprovider",
            "-q", "test_inner.py"]
    out = subprocess.run(args, cwd=str(tmp_path), capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, PHYSCONN_RECORD=str(record)))
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line.split() for line in record.read_text().splitlines()]
    assert len(rows) == 4, rows
    servers = {worker: {pid for w, pid in rows if w == worker} for worker, _ in rows}
    assert set(servers) == {"gw0", "gw1"}, rows
    assert all(len(pids) == 1 for pids in servers.values()), rows
    assert servers["gw0"] != servers["gw1"], rows
