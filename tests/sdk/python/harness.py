"""The SDK tests' server: physconn.testing.PhysconnServer (python/physconn/testing.py, imported
from the source tree) with the suite's defaults and a few helpers of its own.

The server is the binary named by $PHYSCONN_BIN (default <repo>/target/debug/physconn),
started with a manual clock set to the current UTC time (signatures are checked against real
time whatever the manual clock says, so this only keeps business times familiar).
"""
from __future__ import annotations

import datetime as dt
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DEFAULT_BIN = os.path.join(REPO, "target", "debug", "physconn")
if os.path.join(REPO, "python") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "python"))

from physconn.testing import (  # noqa: E402
    AdminError,
    PhysconnServer,
    parse_time,
    rfc3339,
    utc_now,
)
from physconn.testing import random_access_key_id as random_key_id  # noqa: E402
from physconn.testing import random_secret  # noqa: E402

REGION = "cn-hangzhou"
ACCESS_POINT = "ap-cn-hangzhou-yh-B"

__all__ = ["ACCESS_POINT", "AdminError", "REGION", "REPO", "Server", "parse_time", "random_key_id",
           "random_secret", "rfc3339", "utc_now"]


def physconn_bin() -> str:
    return os.environ.get("PHYSCONN_BIN") or DEFAULT_BIN


class Server(PhysconnServer):
    """One physconn process. Use start()/stop(); restart() keeps the data dir."""

    def __init__(self, data_dir: str, extra_args=(), key_id=None, key_secret=None, admin_token=None,
                 log_path=None):
        super().__init__(binary=physconn_bin(), clock="manual", provisioning_delay=1, extra_args=extra_args,
                         access_key_id=key_id, access_key_secret=key_secret, admin_token=admin_token,
                         data_dir=data_dir,
                         log_path=log_path or os.path.join(data_dir, "..", os.path.basename(data_dir) + ".log"),
                         start=False)

    @property
    def key_id(self) -> str:
        return self.access_key_id

    @property
    def key_secret(self) -> str:
        return self.access_key_secret

    @property
    def scheme(self) -> str:
        return self.protocol

    @property
    def ca(self):
        """<data_dir>/tls/ca.pem when the server serves HTTPS with its own CA, else None."""
        return self.ca_file if self.tls else None

    def ledger(self, account_id):
        return {"Entries": super().ledger(account_id)}

    def force_status(self, pc_id, status):
        return self.set_status(pc_id, status)

    def step(self, pc_id, times=1):
        """POST /admin/physical-connections/{id}/advance: the next pending provider step, now."""
        out = None
        for _ in range(times):
            out = super().step(pc_id)
        return out

    def sync_clock(self, max_ahead=240, max_behind=30):
        """Bring the manual clock back near real time (for tests that compare business times)."""
        real = utc_now()
        now = self.now()
        if now < real - dt.timedelta(seconds=max_behind) or now > real + dt.timedelta(seconds=max_ahead):
            self.set_clock(real)

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
