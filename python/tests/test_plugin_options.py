"""The plugin's options, on the command line and in pytest.ini, reach the server."""
from __future__ import annotations

import os
import subprocess
import sys

from physconn import find_binary

INNER = '''
def test_options(physconn):
    assert physconn.clock()["mode"] == "system"
    assert physconn.provisioning() == {"mode": "manual", "delay": 0.5}
    assert physconn.account("default")["Balance"] == "1000000.00"
    physconn.reset()        # restores the configured mode and delay
    assert physconn.provisioning() == {"mode": "manual", "delay": 0.5}
'''


def run_inner(tmp_path, *args):
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if k != "PHYSCONN_BIN"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "physconn.pytest_plugin", "-p", "no:cacheprovider",
                          "-q", *args, "test_inner.py"], cwd=str(tmp_path), capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout, out.stdout


def test_command_line_options(tmp_path):
    run_inner(tmp_path, "--physconn-clock", "system", "--physconn-provisioning", "manual",
              "--physconn-provisioning-delay", "0.5", "--physconn-bin", find_binary())


def test_ini_options(tmp_path):
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nphysconn_clock = system\nphysconn_provisioning = manual\n"
        "physconn_args = --provisioning-delay 0.5\nphysconn_bin = %s\n" % find_binary())
    run_inner(tmp_path)
