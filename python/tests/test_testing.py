"""Unit tests of physconn.testing: start, failure, stop on every path, side by side."""
from __future__ import annotations

import datetime as dt
import gc
import os
import subprocess
import sys
import textwrap
import urllib.request

import pytest

from physconn import BinaryNotFound, find_binary
from physconn.testing import AdminError, PhysconnServer, StartError, to_toml


def alive(pid: int) -> bool:
    """True while a process with this pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_bad_flag_raises_with_log_tail():
    with pytest.raises(StartError) as info:
        PhysconnServer(extra_args=["--no-such-flag"])
    err = info.value
    assert err.returncode == 2, err
    assert "--no-such-flag" in err.log_tail
    assert "--no-such-flag" in str(err) and "last lines of the physconn log" in str(err)


def test_bad_value_raises_with_the_servers_reason():
    with pytest.raises(StartError, match="invalid value 'sometimes' for '--clock"):
        PhysconnServer(clock="sometimes")


def test_missing_binary_is_named():
    with pytest.raises(BinaryNotFound, match="/nonexistent/physconn"):
        PhysconnServer(binary="/nonexistent/physconn")


def test_no_process_left_after_a_test_that_raised():
    with pytest.raises(RuntimeError, match="the test failed"):
        with PhysconnServer() as srv:
            pid, workdir = srv.pid, os.path.dirname(srv.log_path)
            assert pid is not None and alive(pid)
            raise RuntimeError("the test failed")
    assert not alive(pid)
    assert not os.path.exists(workdir), "the temporary directory was left behind"


def test_garbage_collection_stops_the_server():
    srv = PhysconnServer()
    pid = srv.pid
    assert pid is not None and alive(pid)
    del srv
    gc.collect()
    assert not alive(pid)


def test_interpreter_exit_stops_the_server(tmp_path):
    script = textwrap.dedent("""
        from physconn.testing import PhysconnServer
        srv = PhysconnServer()
        print(srv.pid, flush=True)
        # no close(): the interpreter's exit must stop it
    """)
    env = dict(os.environ, PHYSCONN_BIN=find_binary())
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env,
                         cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert not alive(int(out.stdout.strip()))


def test_two_servers_side_by_side():
    with PhysconnServer() as a, PhysconnServer(clock="system") as b:
        assert a.endpoint != b.endpoint and a.admin_url != b.admin_url
        assert a.access_key_id != b.access_key_id
        acc = a.create_account(name="only-in-a", balance="12.34")
        assert a.account(acc["AccountId"])["Balance"] == "12.34"
        with pytest.raises(AdminError) as info:
            b.account(acc["AccountId"])
        assert info.value.status == 404
        assert a.clock()["mode"] == "manual" and b.clock()["mode"] == "system"
        for srv in (a, b):
            with urllib.request.urlopen(f"http://{srv.endpoint}/health", timeout=10) as r:
                assert r.status == 200


def test_keyword_arguments_reach_the_server():
    with PhysconnServer(provisioning="manual", provisioning_delay=0.25, api_profile="current",
                        config={"default_balance": "50.00"}) as srv:
        assert srv.provisioning() == {"mode": "manual", "delay": 0.25}
        assert srv.account("default")["Balance"] == "50.00"
        assert "--api-profile" in srv.args and "current" in srv.args


def test_clock_advance_and_reset():
    start = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    with PhysconnServer(clock_start=start) as srv:
        assert srv.now() == start
        srv.advance(86400)
        assert srv.now() == start + dt.timedelta(days=1)
        acc = srv.create_account()
        srv.set_balance("default", "1.00")
        srv.reset()
        assert srv.now() == start
        assert srv.account("default")["Balance"] == "1000000.00"
        with pytest.raises(AdminError):
            srv.account(acc["AccountId"])


def test_restart_keeps_the_store():
    with PhysconnServer() as srv:
        acc = srv.create_account(name="kept")
        old = srv.admin_url
        srv.restart()
        assert srv.running and srv.admin_url != old
        assert srv.account(acc["AccountId"])["Name"] == "kept"


def test_toml_of_config_keys():
    assert to_toml({"a": 1, "b": "x\"y", "prices": {"1000Base-LX": {"month": 5}}}) == (
        'a = 1\nb = "x\\"y"\n\n[prices]\n\n[prices.1000Base-LX]\nmonth = 5\n')


FIXTURES = """
[[accounts]]
name = "acc-ci"
balance = "50000.00"

[[physical_connections]]
account = "acc-ci"
name = "preserved-NODELETING-1"
access_point_id = "ap-cn-hangzhou-yh-B"
line_operator = "CT"
port_type = "1000Base-LX"
status = "Enabled"
"""


def _fixture_lines(srv):
    acc = next(a for a in srv.accounts() if a["Name"] == "acc-ci")
    lines = srv.admin("GET", "/admin/physical-connections?account=" + acc["AccountId"])
    return [(c["Name"], c["Status"]) for c in lines["PhysicalConnections"]]


def test_fixtures_file_through_start_reset_and_restart(tmp_path):
    path = tmp_path / "fixtures.toml"
    path.write_text(FIXTURES)
    with PhysconnServer(fixtures=path) as srv:
        assert "--fixtures" in srv.args
        assert _fixture_lines(srv) == [("preserved-NODELETING-1", "Enabled")]
        srv.reset()
        assert _fixture_lines(srv) == [("preserved-NODELETING-1", "Enabled")]
        srv.restart()
        assert _fixture_lines(srv) == [("preserved-NODELETING-1", "Enabled")]


def test_bad_fixtures_file_raises_naming_the_entry(tmp_path):
    path = tmp_path / "fixtures.toml"
    path.write_text(FIXTURES.replace("ap-cn-hangzhou-yh-B", "ap-nowhere"))
    with pytest.raises(StartError, match=r'physical_connections\[0\] \(name "preserved-NODELETING-1"\): '
                                         r'unknown access point "ap-nowhere"'):
        PhysconnServer(fixtures=path)
