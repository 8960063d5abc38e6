"""Starts and drives a physconn server process for the SDK tests (stdlib only).

The server is the binary named by $PHYSCONN_BIN (default <repo>/target/debug/physconn),
started with a manual clock set to the current UTC time so that the SDKs' real-time
request timestamps are accepted.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import queue
import random
import re
import secrets
import signal
import string
import subprocess
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_BIN = os.path.join(REPO, "target", "debug", "physconn")

REGION = "cn-hangzhou"
ACCESS_POINT = "ap-cn-hangzhou-yh-B"

LISTEN_RE = re.compile(r"^listening: api=http://(\S+):(\d+) admin=http://(\S+):(\d+)\s*$")
STARTUP_TIMEOUT = 30.0


def physconn_bin() -> str:
    return os.environ.get("PHYSCONN_BIN") or DEFAULT_BIN


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s: str) -> dt.datetime:
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def random_key_id() -> str:
    return "LTAI" + "".join(random.choice(string.ascii_letters + string.digits) for _ in range(20))


def random_secret() -> str:
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(30))


class AdminError(AssertionError):
    def __init__(self, method, path, status, body):
        super().__init__("admin %s %s -> %s %s" % (method, path, status, body))
        self.status = status
        self.body = body


class Server:
    """One physconn process. Use start()/stop(); restart() keeps the data dir."""

    def __init__(self, data_dir: str, extra_args=(), key_id=None, key_secret=None, admin_token=None,
                 log_path=None):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.key_id = key_id or random_key_id()
        self.key_secret = key_secret or random_secret()
        self.admin_token = admin_token or secrets.token_hex(16)
        self.log_path = log_path or os.path.join(data_dir, "..", os.path.basename(data_dir) + ".log")
        self.proc = None
        self.api_host = self.api_port = self.admin_url = None

    # ------------------------------------------------------------------ process
    def start(self, clock_start: dt.datetime | None = None):
        assert self.proc is None, "already running"
        binary = physconn_bin()
        if not os.path.isfile(binary):
            raise AssertionError("physconn binary not found at %s (build it with `cargo build -p physconn` "
                                 "or set PHYSCONN_BIN)" % binary)
        os.makedirs(self.data_dir, exist_ok=True)
        args = [binary, "serve", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--data-dir", self.data_dir, "--clock", "manual",
                "--clock-start", rfc3339(clock_start or utc_now()),
                "--provisioning-delay", "1"] + self.extra_args
        env = dict(os.environ, PHYSCONN_ACCESS_KEY_ID=self.key_id, PHYSCONN_ACCESS_KEY_SECRET=self.key_secret,
                   PHYSCONN_ADMIN_TOKEN=self.admin_token)
        env.pop("PHYSCONN_CONFIG", None)
        env.pop("PHYSCONN_DATABASE_URL", None)
        self._log = open(self.log_path, "ab")
        self._log.write(("\n=== start: %s\n" % " ".join(args)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._log, env=env,
                                     start_new_session=True)
        lines: queue.Queue = queue.Queue()

        def pump(stream, log):
            for raw in iter(stream.readline, b""):
                log.write(b"[stdout] " + raw)
                log.flush()
                lines.put(raw.decode("utf-8", "replace"))
            lines.put(None)

        threading.Thread(target=pump, args=(self.proc.stdout, self._log), daemon=True).start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise AssertionError("physconn did not print its listening line within %ss; stdout: %r; log: %s"
                                     % (STARTUP_TIMEOUT, seen, self.log_tail()))
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait()
                self.proc = None
                raise AssertionError("physconn exited (rc=%s) before listening; stdout: %r; log: %s"
                                     % (rc, seen, self.log_tail()))
            seen.append(line)
            m = LISTEN_RE.match(line.strip())
            if m:
                self.api_host, self.api_port = m.group(1), int(m.group(2))
                self.admin_url = "http://%s:%s" % (m.group(3), m.group(4))
                break
        # both listeners answer /health
        assert self.http("GET", "/health", auth=False)[0] == 200
        with urllib.request.urlopen("http://%s:%d/health" % (self.api_host, self.api_port), timeout=10) as r:
            assert r.status == 200
        return self

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        finally:
            self.proc = None
            self._log.close()

    def restart(self):
        self.stop()
        return self.start()

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return data[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    @property
    def endpoint(self) -> str:
        return "%s:%d" % (self.api_host, self.api_port)

    # ------------------------------------------------------------------ admin API
    def http(self, method, path, body=None, auth=True):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.admin_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", "Bearer " + self.admin_token)
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode("utf-8", "replace")
        return status, parsed

    def admin(self, method, path, body=None, expect=(200, 201)):
        status, parsed = self.http(method, path, body)
        if expect is not None and status not in ((expect,) if isinstance(expect, int) else expect):
            raise AdminError(method, path, status, parsed)
        return parsed

    def create_account(self, name=None, balance="10000.00", credit_limit="0"):
        name = name or "t-" + secrets.token_hex(4)
        status, acc = self.http("POST", "/admin/accounts",
                                {"name": name, "balance": balance, "credit_limit": credit_limit})
        if status != 201:
            raise AdminError("POST", "/admin/accounts", status, acc)
        for k in ("AccountId", "AccessKeyId", "AccessKeySecret"):
            assert acc.get(k), "admin create account: missing %s in %r" % (k, acc)
        return acc

    def account(self, account_id):
        return self.admin("GET", "/admin/accounts/%s" % account_id)

    def balance(self, account_id) -> str:
        return self.account(account_id)["Balance"]

    def set_balance(self, account_id, balance):
        return self.admin("PUT", "/admin/accounts/%s/balance" % account_id, {"balance": balance})

    def ledger(self, account_id):
        return self.admin("GET", "/admin/accounts/%s/ledger" % account_id)

    def sts(self, account_id, seconds=3600):
        return self.admin("POST", "/admin/accounts/%s/sts" % account_id, {"seconds": seconds})

    def circuit(self, pc_id):
        return self.admin("GET", "/admin/physical-connections/%s" % pc_id)

    def force_status(self, pc_id, status):
        return self.admin("POST", "/admin/physical-connections/%s/status" % pc_id, {"status": status})

    def orders(self, account_id):
        return self.admin("GET", "/admin/orders?account=%s" % account_id)["Orders"]

    def clock(self):
        return self.admin("GET", "/admin/clock")

    def now(self) -> dt.datetime:
        return parse_time(self.clock()["now"][:19] + "Z")

    def advance(self, seconds):
        return self.admin("POST", "/admin/clock/advance", {"seconds": seconds})

    def set_clock(self, t: dt.datetime):
        return self.admin("POST", "/admin/clock/set", {"now": rfc3339(t)})

    def sync_clock(self, max_ahead=240, max_behind=30):
        """Keep the manual clock near real time, so SDK timestamps stay within +-15 min."""
        real = utc_now()
        now = self.now()
        if now < real - dt.timedelta(seconds=max_behind) or now > real + dt.timedelta(seconds=max_ahead):
            self.set_clock(real)

    # ------------------------------------------------------------------ provider simulator (D8)
    def provisioning(self):
        return self.admin("GET", "/admin/provisioning")

    def set_provisioning(self, mode=None, delay=None):
        body = {}
        if mode is not None:
            body["mode"] = mode
        if delay is not None:
            body["delay"] = delay
        return self.admin("PUT", "/admin/provisioning", body)

    def set_account(self, account_id, **fields):
        """PUT /admin/accounts/{id} with e.g. bypass_sp=True, provisioning_mode="manual"."""
        return self.admin("PUT", "/admin/accounts/%s" % account_id, fields)

    def set_circuit_mode(self, pc_id, mode):
        return self.admin("PUT", "/admin/physical-connections/%s/provisioning" % pc_id, {"mode": mode})

    def step(self, pc_id, times=1):
        """POST /admin/physical-connections/{id}/advance: the next pending provider step, now."""
        out = None
        for _ in range(times):
            out = self.admin("POST", "/admin/physical-connections/%s/advance" % pc_id)
        return out

    def add_fault(self, scope, outcome, target=None, count=None, share=None):
        body = {"scope": scope, "outcome": outcome}
        for k, v in (("target", target), ("count", count), ("share", share)):
            if v is not None:
                body[k] = v
        return self.admin("POST", "/admin/faults", body, expect=201)

    def faults(self):
        return self.admin("GET", "/admin/faults")["Faults"]

    def delete_fault(self, fault_id):
        return self.admin("DELETE", "/admin/faults/%s" % fault_id, expect=204)

    def reset(self):
        return self.admin("POST", "/admin/reset")

    def wait_status(self, pc_id, status, max_steps=12, step=1):
        """Advance the manual clock step by step until the circuit reaches `status`."""
        seen = []
        for _ in range(max_steps + 1):
            cur = self.circuit(pc_id)["Status"]
            seen.append(cur)
            if cur == status:
                return cur
            self.advance(step)
        raise AssertionError("circuit %s never reached %s; statuses seen while advancing the clock: %s"
                             % (pc_id, status, seen))
