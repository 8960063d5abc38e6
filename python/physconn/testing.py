"""Run a physconn server from Python tests.

    from physconn.testing import PhysconnServer

    with PhysconnServer() as srv:            # free ports, a temporary data dir
        client = srv.vpc_client()            # the official VPC SDK, configured
        ...
        srv.advance(3)                       # the manual clock; due steps run
        srv.set_status(pc_id, "Allocated")   # the simulated provider
        srv.reset()                          # back to the start state

The standard library only is imported here; :meth:`PhysconnServer.vpc_client`
imports the official SDK (``alibabacloud-vpc20160428``) when it is called.
The process is always stopped: on leaving the ``with`` block, on
:meth:`~PhysconnServer.close`, when the object is garbage-collected, and when
the interpreter exits.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import string
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from . import BinaryNotFound, find_binary

__all__ = [
    "AdminError",
    "BinaryNotFound",
    "PhysconnError",
    "PhysconnServer",
    "StartError",
]

DEFAULT_REGION = "cn-hangzhou"
STOP_TIMEOUT = 15.0

# The line `physconn serve` prints once both listeners are bound.
_LISTENING = re.compile(rb"^listening: api=(https?)://(\S+) admin=(https?)://(\S+)\s*$", re.M)
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class PhysconnError(Exception):
    """Base class of this module's errors."""


class StartError(PhysconnError):
    """The server did not start; the message ends with its last log lines."""

    def __init__(self, message: str, log_tail: str, returncode: Optional[int] = None) -> None:
        message += _error_of(log_tail)
        super().__init__(f"{message}\n--- last lines of the physconn log ---\n{log_tail}")
        self.log_tail = log_tail
        self.returncode = returncode


def _error_of(log: str) -> str:
    """``": what; why"`` from the last ``Error: ...`` report (and its ``Caused by:`` lines) in
    the log, else ``""``."""
    lines = log.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Error: ")]
    if not starts:
        return ""
    parts = [lines[starts[-1]][len("Error: "):]]
    for line in lines[starts[-1] + 1:]:
        text = re.sub(r"^\s*\d+:\s*", "", line).strip()
        if text and text != "Caused by:":
            parts.append(text)
    return ": " + "; ".join(parts)


class AdminError(PhysconnError):
    """An admin API call answered with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        super().__init__(f"admin {method} {path} -> {status} {body}")
        self.method = method
        self.path = path
        self.status = status
        self.body = body


def rfc3339(t: dt.datetime) -> str:
    """``t`` (naive means UTC) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s: str) -> dt.datetime:
    """An RFC 3339 time as the server writes it, as an aware UTC datetime."""
    return dt.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def random_access_key_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "LTAI" + "".join(secrets.choice(alphabet) for _ in range(20))


def random_secret(n: int = 30) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        # JSON's escapes (\" \\ \n \uXXXX ...) are all valid in TOML basic strings.
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"config value {v!r} has no TOML form here")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k)


def to_toml(table: Mapping[str, Any], prefix: str = "") -> str:
    """A TOML document of ``table`` (scalars, lists of scalars, nested tables)."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, Mapping)]
    out = "\n".join(lines) + ("\n" if lines else "")
    for k, v in table.items():
        if isinstance(v, Mapping):
            name = prefix + _toml_key(k)
            out += f"\n[{name}]\n" + to_toml(v, name + ".")
    return out


class _Process:
    """What the finalizer needs; holds no reference to the server object."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.workdir: Optional[str] = None

    def stop(self) -> Optional[int]:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)  # lets requests in flight finish, closes the store
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except ProcessLookupError:
                pass
        return proc.returncode

    def close(self) -> None:
        self.stop()
        workdir, self.workdir = self.workdir, None
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


class PhysconnServer:
    """One ``physconn serve`` process on free loopback ports.

    Keyword arguments mirror the server's flags and configuration keys
    (docs/configuration.md); ``None`` leaves the server's default:

    - ``clock``: ``"manual"`` (default here, so tests never sleep: time moves
      with :meth:`advance`) or ``"system"``; ``clock_start``: where a manual
      clock starts (a datetime or RFC 3339 string; default: now).
    - ``provisioning``: ``"auto"`` or ``"manual"`` (the simulated provider's
      mode); ``provisioning_delay``: seconds per provider step.
    - ``api_profile`` (``"seed"``/``"current"``), ``response_style``
      (``"union"``/``"sdk"``/``"seed"``), ``fixtures`` (a fixtures TOML file).
    - ``tls=True`` serves HTTPS with a CA generated in the data dir
      (:attr:`ca_file` once started); ``tls_san`` adds names to its
      certificate; ``tls_cert``/``tls_key`` use your own (then ``tls_ca``
      names its CA, else the system's trust store is used).
    - ``database_url``: PostgreSQL instead of the embedded SQLite store
      (``master_key`` for its secrets).
    - ``config``: any other configuration keys, e.g.
      ``{"default_balance": "50.00"}``; or ``config_file``: your own TOML file.
    - ``access_key_id``/``access_key_secret``/``admin_token``: the default
      account's key and the admin token (random by default).
    - ``binary``: the physconn executable (default: ``$PHYSCONN_BIN``, else
      the one installed with this package); ``extra_args``: more flags.
    - ``data_dir``/``log_path``: keep the store or log somewhere of yours
      (default: a temporary directory removed by :meth:`close`).

    The server starts in the constructor unless ``start=False``.
    """

    def __init__(
        self,
        *,
        clock: Optional[str] = "manual",
        clock_start: "dt.datetime | str | None" = None,
        provisioning: Optional[str] = None,
        provisioning_delay: Optional[float] = None,
        api_profile: Optional[str] = None,
        response_style: Optional[str] = None,
        fixtures: "str | os.PathLike[str] | None" = None,
        tls: bool = False,
        tls_san: Iterable[str] = (),
        tls_cert: "str | os.PathLike[str] | None" = None,
        tls_key: "str | os.PathLike[str] | None" = None,
        tls_ca: "str | os.PathLike[str] | None" = None,
        database_url: Optional[str] = None,
        master_key: Optional[str] = None,
        config: Optional[Mapping[str, Any]] = None,
        config_file: "str | os.PathLike[str] | None" = None,
        access_key_id: Optional[str] = None,
        access_key_secret: Optional[str] = None,
        admin_token: Optional[str] = None,
        binary: "str | os.PathLike[str] | None" = None,
        extra_args: Iterable[str] = (),
        env: Optional[Mapping[str, str]] = None,
        data_dir: "str | os.PathLike[str] | None" = None,
        log_path: "str | os.PathLike[str] | None" = None,
        region_id: str = DEFAULT_REGION,
        startup_timeout: float = 60.0,
        start: bool = True,
    ) -> None:
        settings = dict(config or {})
        if provisioning is not None:
            settings["provisioning"] = provisioning
        if settings and config_file is not None:
            raise TypeError("give configuration keys either in config_file or as config=/provisioning=, not both")
        self._state = _Process()
        self._finalizer = weakref.finalize(self, _Process.close, self._state)
        self._binary = binary
        self.clock_mode = clock
        self._clock_start = rfc3339(clock_start) if isinstance(clock_start, dt.datetime) else clock_start
        self.tls = bool(tls or tls_cert)
        self.region_id = region_id
        self.access_key_id = access_key_id or random_access_key_id()
        self.access_key_secret = access_key_secret or random_secret()
        self.admin_token = admin_token or secrets.token_hex(16)
        self.startup_timeout = startup_timeout
        self.database_url = database_url

        self._state.workdir = tempfile.mkdtemp(prefix="physconn-")
        self.data_dir = os.fspath(data_dir) if data_dir is not None else os.path.join(self._state.workdir, "data")
        self.log_path = os.fspath(log_path) if log_path is not None else os.path.join(self._state.workdir, "server.log")
        if settings:
            config_file = os.path.join(self._state.workdir, "physconn.toml")
            with open(config_file, "w", encoding="utf-8") as f:
                f.write(to_toml(settings))

        args = ["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if config_file is not None:
            args += ["--config", os.fspath(config_file)]
        if database_url is not None:
            args += ["--database-url", database_url]
        for flag, value in (("--clock", clock), ("--api-profile", api_profile),
                            ("--response-style", response_style)):
            if value is not None:
                args += [flag, value]
        if provisioning_delay is not None:
            args += ["--provisioning-delay", repr(float(provisioning_delay))]
        if fixtures is not None:
            args += ["--fixtures", os.fspath(fixtures)]
        if self.tls:
            args.append("--tls")
            for name in tls_san:
                args += ["--tls-san", name]
            if tls_cert is not None:
                args += ["--tls-cert", os.fspath(tls_cert)]
            if tls_key is not None:
                args += ["--tls-key", os.fspath(tls_key)]
        self._args = args + list(extra_args)
        self._own_cert = tls_cert is not None
        self.ca_file: Optional[str] = os.fspath(tls_ca) if tls_ca is not None else None

        base = dict(os.environ)
        # Settings of the caller's own physconn must not leak into a test server.
        for name in ("PHYSCONN_CONFIG", "PHYSCONN_DATABASE_URL", "PHYSCONN_MASTER_KEY", "PHYSCONN_TLS",
                     "PHYSCONN_TLS_SAN", "PHYSCONN_TLS_CERT", "PHYSCONN_TLS_KEY"):
            base.pop(name, None)
        base.update(PHYSCONN_ACCESS_KEY_ID=self.access_key_id, PHYSCONN_ACCESS_KEY_SECRET=self.access_key_secret,
                    PHYSCONN_ADMIN_TOKEN=self.admin_token)
        if master_key is not None:
            base["PHYSCONN_MASTER_KEY"] = master_key
        # A start error's log is its message, not a backtrace of where it was made
        # (panics still follow RUST_BACKTRACE).
        base.setdefault("RUST_LIB_BACKTRACE", "0")
        base.update(env or {})
        self._env = base

        self.api_host: Optional[str] = None
        self.api_port: Optional[int] = None
        self.admin_url: Optional[str] = None
        self.api_url: Optional[str] = None
        self._ssl: Optional[ssl.SSLContext] = None
        if start:
            self.start()

    # ------------------------------------------------------------------ process
    @property
    def binary(self) -> str:
        """The executable this server runs."""
        return find_binary(self._binary)

    @property
    def args(self) -> list[str]:
        """The ``physconn serve`` arguments (the clock start is added at each start)."""
        return ["serve", *self._args]

    @property
    def pid(self) -> Optional[int]:
        proc = self._state.proc
        return proc.pid if proc is not None else None

    @property
    def running(self) -> bool:
        proc = self._state.proc
        return proc is not None and proc.poll() is None

    def start(self, clock_start: "dt.datetime | str | None" = None) -> "PhysconnServer":
        """Starts the process and waits for both listeners; raises :class:`StartError`."""
        if self._state.proc is not None:
            raise PhysconnError("physconn is already running")
        if self._state.workdir is None:
            raise PhysconnError("this PhysconnServer was closed")
        binary = self.binary
        argv = [binary, *self.args]
        if self.clock_mode == "manual":
            start = clock_start if clock_start is not None else self._clock_start
            if isinstance(start, dt.datetime):
                start = rfc3339(start)
            argv += ["--clock-start", start or rfc3339(utc_now())]
        if self.database_url is None:
            os.makedirs(self.data_dir, exist_ok=True)
        log_dir = os.path.dirname(os.path.abspath(self.log_path))
        os.makedirs(log_dir, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(("\n=== start: %s\n" % " ".join(argv)).encode())
            log.flush()
            offset = log.tell()
            self._state.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self._env,
                # its own session: a Ctrl-C meant for the test run reaches the
                # server only through stop(), after the tests' last requests
                start_new_session=True)
        self._wait_listening(offset)
        return self

    def _wait_listening(self, offset: int) -> None:
        proc = self._state.proc
        assert proc is not None
        deadline = time.monotonic() + self.startup_timeout
        pause = 0.005
        while True:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                m = _LISTENING.search(f.read())
            if m:
                break
            rc = proc.poll()
            if rc is not None:
                self._state.proc = None
                raise StartError(f"physconn exited with status {rc} before listening", self.log_tail(), rc)
            if time.monotonic() > deadline:
                self._state.stop()
                raise StartError(f"physconn did not listen within {self.startup_timeout:g} s", self.log_tail())
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
        api_scheme, api, admin_scheme, admin = (g.decode() for g in m.groups())
        host, _, port = api.rpartition(":")
        self.api_host, self.api_port = host.strip("[]"), int(port)
        self.api_url = f"{api_scheme}://{api}"
        self.admin_url = f"{admin_scheme}://{admin}"
        # What the server says it serves decides (`--tls` may come in extra_args or a config file).
        self.tls = api_scheme == "https"
        self._ssl = None
        if "https" in (api_scheme, admin_scheme):
            if self.ca_file is None and not self._own_cert:
                self.ca_file = os.path.join(self.data_dir, "tls", "ca.pem")
            self._ssl = ssl.create_default_context(cafile=self.ca_file)
        status, _ = self.http("GET", "/health", auth=False)
        if status != 200:
            self._state.stop()
            raise StartError(f"physconn's admin /health answered {status}", self.log_tail())

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL after a grace period); the data dir stays."""
        self._state.stop()

    def restart(self) -> "PhysconnServer":
        """Stops and starts again on the same store (new ports)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stops the process and removes the temporary directory. Idempotent."""
        self._finalizer()

    def __enter__(self) -> "PhysconnServer":
        if self._state.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server's log (its stdout and stderr)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 64 * 1024))
                data = f.read()
        except OSError:
            return ""
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])

    # ------------------------------------------------------------------ clients
    @property
    def endpoint(self) -> str:
        """``HOST:PORT`` of the API listener, as the SDKs' ``Config(endpoint=...)`` takes it."""
        if self.api_host is None:
            raise PhysconnError("physconn is not running")
        host = f"[{self.api_host}]" if ":" in self.api_host else self.api_host
        return f"{host}:{self.api_port}"

    @property
    def protocol(self) -> str:
        """``"https"`` with ``tls``, else ``"http"`` (the SDKs' ``Config(protocol=...)``)."""
        return "https" if self.tls else "http"

    def credentials(self, account: "Mapping[str, str] | tuple[str, str] | None" = None) -> tuple[str, str]:
        """``(AccessKeyId, AccessKeySecret)`` of ``account`` (a dict from :meth:`create_account`,
        a pair, or ``None`` for the default account)."""
        if account is None:
            return self.access_key_id, self.access_key_secret
        if isinstance(account, Mapping):
            return account["AccessKeyId"], account["AccessKeySecret"]
        key_id, secret = account
        return key_id, secret

    def vpc_client(self, account: "Mapping[str, str] | tuple[str, str] | None" = None, **config: Any) -> Any:
        """An ``alibabacloud_vpc20160428`` ``Client`` for ``account`` (default: the default
        account); ``config`` sets further ``Config`` fields (e.g. ``signature_algorithm="v2"``).
        With ``tls``, it speaks HTTPS and trusts :attr:`ca_file`."""
        try:
            from alibabacloud_tea_openapi.models import Config  # type: ignore[import-not-found,unused-ignore]
            from alibabacloud_vpc20160428.client import Client  # type: ignore[import-not-found,unused-ignore]
        except ImportError as e:
            raise ImportError("vpc_client() needs the official SDK: pip install alibabacloud-vpc20160428") from e
        key_id, secret = self.credentials(account)
        fields: dict[str, Any] = dict(access_key_id=key_id, access_key_secret=secret, endpoint=self.endpoint,
                                      protocol=self.protocol, region_id=self.region_id)
        fields.update(config)
        ca = self.ca_file if self.tls else None
        if ca is None:
            return Client(Config(**fields))

        # The Tea SDK takes a CA only per call (RuntimeOptions.ca): every call that
        # names none gets the server's.
        class TrustingClient(Client):  # type: ignore[misc,valid-type,unused-ignore]
            def call_api(self, params: Any, request: Any, runtime: Any) -> Any:
                if runtime is not None and getattr(runtime, "ca", None) is None:
                    runtime.ca = ca
                return super().call_api(params, request, runtime)

            async def call_api_async(self, params: Any, request: Any, runtime: Any) -> Any:
                if runtime is not None and getattr(runtime, "ca", None) is None:
                    runtime.ca = ca
                return await super().call_api_async(params, request, runtime)

        return TrustingClient(Config(**fields))

    # ------------------------------------------------------------------ admin API
    def http(self, method: str, path: str, body: Any = None, auth: bool = True) -> tuple[int, Any]:
        """One admin API request; ``(status, decoded JSON body or text or None)``."""
        if self.admin_url is None:
            raise PhysconnError("physconn is not running")
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.admin_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", "Bearer " + self.admin_token)
        try:
            with urllib.request.urlopen(req, timeout=30, context=self._ssl) as r:
                raw, status = r.read(), r.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return status, parsed

    def admin(self, method: str, path: str, body: Any = None, expect: "int | Iterable[int]" = (200, 201, 204)) -> Any:
        """An admin API request that must answer ``expect``, else :class:`AdminError`."""
        status, parsed = self.http(method, path, body)
        allowed = (expect,) if isinstance(expect, int) else tuple(expect)
        if status not in allowed:
            raise AdminError(method, path, status, parsed)
        return parsed

    def _obj(self, method: str, path: str, body: Any = None, expect: "int | Iterable[int]" = (200, 201)
             ) -> dict[str, Any]:
        parsed = self.admin(method, path, body, expect)
        if not isinstance(parsed, dict):
            raise AdminError(method, path, 200, parsed)
        return parsed

    # time
    def clock(self) -> dict[str, Any]:
        """``{"now", "mode"}``."""
        return self._obj("GET", "/admin/clock")

    def now(self) -> dt.datetime:
        """The server's current time (aware, UTC)."""
        return parse_time(self.clock()["now"])

    def advance(self, seconds: float) -> dict[str, Any]:
        """Moves the manual clock forward, running every step that falls due (provider steps,
        activation, expiry, metering) at its own due time."""
        return self._obj("POST", "/admin/clock/advance", {"seconds": seconds})

    def set_clock(self, when: "dt.datetime | str") -> dict[str, Any]:
        """Sets the manual clock (forward runs due steps; backward is allowed)."""
        return self._obj("POST", "/admin/clock/set", {"now": rfc3339(when) if isinstance(when, dt.datetime) else when})

    # accounts and money
    def create_account(self, name: Optional[str] = None, balance: str = "10000.00",
                       credit_limit: str = "0") -> dict[str, Any]:
        """A new account: ``{"AccountId", "AccessKeyId", "AccessKeySecret"}`` (name random by default)."""
        body = {"name": name or "t-" + secrets.token_hex(4), "balance": balance, "credit_limit": credit_limit}
        return self._obj("POST", "/admin/accounts", body, expect=201)

    def account(self, account_id: str = "default") -> dict[str, Any]:
        """``{"AccountId", "Name", "Balance" (a decimal string), "CreditLimit", ...}``."""
        return self._obj("GET", f"/admin/accounts/{account_id}")

    def accounts(self) -> list[dict[str, Any]]:
        return list(self._obj("GET", "/admin/accounts")["Accounts"])

    def balance(self, account_id: str = "default") -> str:
        return str(self.account(account_id)["Balance"])

    def set_balance(self, account_id: str, balance: str) -> dict[str, Any]:
        return self._obj("PUT", f"/admin/accounts/{account_id}/balance", {"balance": balance})

    def top_up(self, account_id: str, amount: str) -> dict[str, Any]:
        return self._obj("POST", f"/admin/accounts/{account_id}/topup", {"amount": amount})

    def set_account(self, account_id: str, **fields: Any) -> dict[str, Any]:
        """E.g. ``set_account(id, bypass_sp=True, provisioning_mode="manual", credit_limit="5.00")``."""
        return self._obj("PUT", f"/admin/accounts/{account_id}", fields)

    def ledger(self, account_id: str = "default") -> list[dict[str, Any]]:
        """The account's ledger entries, newest first."""
        return list(self._obj("GET", f"/admin/accounts/{account_id}/ledger")["Entries"])

    def sts(self, account_id: str = "default", seconds: int = 3600) -> dict[str, Any]:
        """Temporary credentials ``{"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}``."""
        return self._obj("POST", f"/admin/accounts/{account_id}/sts", {"seconds": seconds})

    def orders(self, account_id: str = "default") -> list[dict[str, Any]]:
        return list(self._obj("GET", f"/admin/orders?account={account_id}")["Orders"])

    def pay_order(self, order_id: str) -> Any:
        return self._obj("POST", f"/admin/orders/{order_id}/pay")

    # circuits and the simulated provider
    def circuit(self, pc_id: str) -> dict[str, Any]:
        """The circuit as DescribePhysicalConnections shows it, plus ``AccountId``, ``Timeline``, ``Timers``."""
        return self._obj("GET", f"/admin/physical-connections/{pc_id}")

    def status(self, pc_id: str) -> str:
        return str(self.circuit(pc_id)["Status"])

    def set_status(self, pc_id: str, status: str) -> dict[str, Any]:
        """Moves the circuit along the provider's transitions (``"Allocated"``, ``"Rejected"``,
        ``"Enabled"`` once paid, ``"Terminated"``); :class:`AdminError` (409) otherwise."""
        return self._obj("POST", f"/admin/physical-connections/{pc_id}/status", {"status": status})

    def step(self, pc_id: str) -> dict[str, Any]:
        """Runs the circuit's next pending provider step now."""
        return self._obj("POST", f"/admin/physical-connections/{pc_id}/advance")

    def set_circuit_mode(self, pc_id: str, mode: Optional[str]) -> dict[str, Any]:
        return self._obj("PUT", f"/admin/physical-connections/{pc_id}/provisioning", {"mode": mode})

    def provisioning(self) -> dict[str, Any]:
        """``{"mode": "auto"|"manual", "delay": seconds}``."""
        return self._obj("GET", "/admin/provisioning")

    def set_provisioning(self, mode: Optional[str] = None, delay: Optional[float] = None) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if mode is not None:
            body["mode"] = mode
        if delay is not None:
            body["delay"] = delay
        return self._obj("PUT", "/admin/provisioning", body)

    def add_fault(self, scope: str, outcome: str, target: Optional[str] = None, count: Optional[int] = None,
                  share: Optional[float] = None) -> dict[str, Any]:
        """The next matching provider step ends in ``outcome`` (``"Rejected"``, ``"Allocation Failed"``), or the
        next matching CreateVirtualBorderRouter / CreateBgpGroup calls answer it (``"TaskConflict"``,
        ``"OperationConflict"``; scope ``"vbr"`` aims the latter at one VBR)."""
        body: dict[str, Any] = {"scope": scope, "outcome": outcome}
        for k, v in (("target", target), ("count", count), ("share", share)):
            if v is not None:
                body[k] = v
        return self._obj("POST", "/admin/faults", body, expect=201)

    def faults(self) -> list[dict[str, Any]]:
        return list(self._obj("GET", "/admin/faults")["Faults"])

    def delete_fault(self, fault_id: str) -> None:
        self.admin("DELETE", f"/admin/faults/{fault_id}", expect=204)

    def reset(self) -> dict[str, Any]:
        """Back to the start state: a manual clock returns to its start (``clock_start``, else
        now), then every account but ``default`` and every circuit, order and fault is gone
        and ``default`` has its opening balance (``POST /admin/reset``)."""
        if self.clock_mode == "manual":
            self.set_clock(self._clock_start or utc_now())
        return self._obj("POST", "/admin/reset")
