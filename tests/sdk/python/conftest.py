"""Fixtures for the SDK-driven physconn tests.

* ``server``: one physconn process per test session (manual clock at real time, port 0, temp
  data dir); every test gets its own account, so tests do not see each other's circuits.
* ``make_server``: extra processes for tests that need other flags or a restart.
* ``account``: a fresh account (admin API) with its own access key.
* ``client_factory`` / ``client``: SDK clients of kind tea-v3, tea-v2, legacy, old.
* ``physconn``, ``physconn_vpc``: the fixtures of physconn's pytest plugin (python/physconn/
  pytest_plugin.py, loaded here from the source tree): a server of their own, reset before each test.
"""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Server  # noqa: E402
from sdkclients import make_client  # noqa: E402

pytest_plugins = ["physconn.pytest_plugin"]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("physconn")
    s = Server(str(d / "data"), log_path=str(d / "server.log"))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def make_server(tmp_path):
    """make_server(*extra_args, data_dir=None) -> started Server; all are stopped at teardown."""
    started = []

    def factory(*extra_args, data_dir=None):
        n = len(started)
        s = Server(data_dir or str(tmp_path / ("data%d" % n)), extra_args=extra_args,
                   log_path=str(tmp_path / ("server%d.log" % n)))
        s.start()
        started.append(s)
        return s

    factory.started = started
    yield factory
    for s in started:
        s.stop()


@pytest.fixture(autouse=True)
def _clock_near_real_time(request):
    """The shared server's manual clock is advanced by the tests; bring it back near real time so
    tests that compare business times with real time do not depend on each other (signatures do
    not need it: they are checked against real time)."""
    if "server" in request.fixturenames:
        request.getfixturevalue("server").sync_clock()


@pytest.fixture
def account(server):
    return server.create_account(balance="10000.00")


@pytest.fixture
def client_factory(server):
    def factory(kind, acc=None, srv=None, **kw):
        srv = srv or server
        if acc is None:
            return make_client(kind, srv, **kw)
        return make_client(kind, srv, acc["AccessKeyId"], acc["AccessKeySecret"], **kw)
    return factory


@pytest.fixture(params=["tea-v3", "tea-v2", "legacy", "old"])
def kind(request):
    return request.param


@pytest.fixture
def client(kind, account, client_factory):
    return client_factory(kind, account)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of the server log(s) to the report."""
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        s = item.funcargs.get("server")
        if s is not None:
            rep.sections.append(("physconn log tail", s.log_tail(3000)))
        for i, extra in enumerate(getattr(item.funcargs.get("make_server"), "started", [])):
            rep.sections.append(("physconn (make_server #%d) log tail" % i, extra.log_tail(3000)))
