"""pytest plugin (entry point ``pytest11``): physconn fixtures.

- ``physconn_server`` (session): one :class:`~physconn.testing.PhysconnServer`
  per test session; under pytest-xdist one per worker.
- ``physconn`` (function): that server after :meth:`~physconn.testing.PhysconnServer.reset`,
  so each test starts from the same state without paying for a new process.
- ``physconn_vpc`` (function): an ``alibabacloud_vpc20160428`` client for the
  default account of ``physconn``.

By default the server runs a manual clock (started at the real time) and the
automatic provider at its default step delay: ``physconn.advance(seconds)``
drives every provider step, activation, expiry and metering, and no test
sleeps. Options (command line, or the ini key in brackets):
``--physconn-bin`` (``physconn_bin``), ``--physconn-clock`` (``physconn_clock``),
``--physconn-provisioning`` (``physconn_provisioning``),
``--physconn-provisioning-delay`` (``physconn_provisioning_delay``),
``--physconn-api-profile`` (``physconn_api_profile``),
``--physconn-response-style`` (``physconn_response_style``),
``--physconn-fixtures`` (``physconn_fixtures``), ``--physconn-tls``
(``physconn_tls``), ``--physconn-database-url`` (``physconn_database_url``),
``--physconn-args`` (``physconn_args``, more ``physconn serve`` flags).
"""
from __future__ import annotations

import shlex
from collections.abc import Iterator
from typing import Any, Optional

import pytest

from .testing import PhysconnServer

# (option name after --physconn-, help, is a flag); the ini key is physconn_<name>
_OPTIONS = (
    ("bin", "physconn binary (default: $PHYSCONN_BIN, else the one installed with the physconn package)", False),
    ("clock", "manual (default) or system", False),
    ("provisioning", "the simulated provider's mode: auto (default) or manual", False),
    ("provisioning-delay", "seconds per provider step (default: the server's, 1)", False),
    ("api-profile", "seed (default) or current", False),
    ("response-style", "union (default), sdk or seed", False),
    ("fixtures", "a fixtures TOML file loaded at start and after every reset", False),
    ("tls", "serve HTTPS with a generated local CA", True),
    ("database-url", "postgres://... instead of the embedded SQLite store", False),
    ("args", "more `physconn serve` flags (shell syntax)", False),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("physconn", "physconn server fixtures")
    for name, help_text, is_flag in _OPTIONS:
        ini = "physconn_" + name.replace("-", "_")
        if is_flag:
            group.addoption("--physconn-" + name, action="store_true", default=None, dest=ini, help=help_text)
            parser.addini(ini, help_text, type="bool", default=False)
        else:
            group.addoption("--physconn-" + name, default=None, dest=ini, metavar="VALUE", help=help_text)
            parser.addini(ini, help_text)


def _option(config: pytest.Config, name: str) -> Any:
    key = "physconn_" + name.replace("-", "_")
    value = config.getoption(key)
    if value is None:
        value = config.getini(key)
    return value if value not in ("", None) else None


def server_kwargs(config: pytest.Config) -> dict[str, Any]:
    """PhysconnServer keyword arguments from the command line and ini options."""
    delay = _option(config, "provisioning-delay")
    args = _option(config, "args")
    kwargs: dict[str, Any] = {
        "binary": _option(config, "bin"),
        "clock": _option(config, "clock") or "manual",
        "provisioning": _option(config, "provisioning"),
        "provisioning_delay": float(delay) if delay is not None else None,
        "api_profile": _option(config, "api-profile"),
        "response_style": _option(config, "response-style"),
        "fixtures": _option(config, "fixtures"),
        "tls": bool(_option(config, "tls")),
        "database_url": _option(config, "database-url"),
        "extra_args": shlex.split(args) if args else (),
    }
    return kwargs


@pytest.fixture(scope="session")
def physconn_server(request: pytest.FixtureRequest) -> Iterator[PhysconnServer]:
    """One physconn process for the session (for each xdist worker)."""
    srv = PhysconnServer(**server_kwargs(request.config))
    try:
        yield srv
    finally:
        srv.close()


@pytest.fixture
def physconn(physconn_server: PhysconnServer) -> PhysconnServer:
    """The session's physconn server, reset to its start state for this test."""
    physconn_server.reset()
    return physconn_server


@pytest.fixture
def physconn_vpc(physconn: PhysconnServer) -> Any:
    """An ``alibabacloud_vpc20160428`` Client for the default account of ``physconn``."""
    return physconn.vpc_client()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used the server gets the server log's last lines in its report."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" and report.failed:
        srv: Optional[PhysconnServer] = getattr(item, "funcargs", {}).get("physconn") or \
            getattr(item, "funcargs", {}).get("physconn_server")
        if srv is not None:
            report.sections.append(("physconn log (last lines)", srv.log_tail(60)))


__all__ = ["physconn", "physconn_server", "physconn_vpc", "server_kwargs"]
