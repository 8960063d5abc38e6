"""Uniform wrappers around the official, unmodified Alibaba Cloud VPC SDKs.

Every wrapper exposes ``call(action, params) -> Result`` where ``params`` uses the API's
wire names (``PhysicalConnectionId``, ``Filter: [{"Key", "Value": [...]}]``, ``Tags``, ``Tag``)
and lets the SDK's own exception propagate (for the old tea-rpc SDK, which runs in another
virtualenv, the exception is rebuilt from its fields: see ``RemoteTeaException``).

Kinds:
  tea-v3   alibabacloud-vpc20160428 7.2.2, default config: ACS3-HMAC-SHA256 (V3), query params
  tea-v2   same SDK with Config(signature_algorithm='v2'): HMAC-SHA1 (V1) query
  legacy   aliyun-python-sdk-vpc 3.0.48 + aliyun-python-sdk-core 2.16.1: V1 query, AcsClient
  old      alibabacloud-vpc20160428 1.0.1 on alibabacloud_tea_rpc: V1, every parameter in a form body
"""
from __future__ import annotations

import atexit
import importlib
import json
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field

from harness import REGION, REPO

HERE = os.path.dirname(os.path.abspath(__file__))
OLD_PYTHON = os.environ.get("PHYSCONN_SDK_OLD_PYTHON") or os.path.join(REPO, "target", "sdk-env", "venv-old", "bin",
                                                                      "python")
ALL_KINDS = ("tea-v3", "tea-v2", "legacy", "old")


def snake(action: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", action)
    return s.lower()


@dataclass
class Result:
    status: int | None
    body: dict
    raw: bytes | None = None          # the undecoded body (legacy SDK only)
    headers: dict = field(default_factory=dict)


class Client:
    kind = "?"
    # what this SDK generation can send / read
    reads_order_id = True
    supports_tags = True

    def call(self, action: str, params: dict | None = None) -> Result:
        raise NotImplementedError

    def __repr__(self):
        return "<%s client>" % self.kind


# ---------------------------------------------------------------------------- Tea (V3 / V2)
class TeaClient(Client):
    def __init__(self, endpoint, ak, sk, security_token=None, v2=False, region_id=REGION, protocol="http", ca=None):
        from alibabacloud_tea_openapi.utils_models import Config
        from alibabacloud_vpc20160428.client import Client as Vpc
        cfg = Config(access_key_id=ak, access_key_secret=sk, endpoint=endpoint, protocol=protocol,
                     region_id=region_id)
        # HTTPS against physconn's own CA (docs/tls.md): the CA file goes into each call's RuntimeOptions
        self.ca = ca
        if security_token:
            cfg.security_token = security_token
        if v2:
            cfg.signature_algorithm = "v2"
        self.kind = "tea-v2" if v2 else "tea-v3"
        self.sdk = Vpc(cfg)

    def method(self, action):
        """The generated `<snake>_with_options` method; for actions ending in an acronym the
        generator drops the underscore (ApplyPhysicalConnectionLOA -> apply_physical_connection_loawith_options)."""
        fn = getattr(self.sdk, snake(action) + "_with_options", None) or getattr(self.sdk, snake(action) + "with_options",
                                                                                None)
        if fn is None:
            raise AttributeError("%s has no method for %s" % (type(self.sdk).__name__, action))
        return fn

    def call(self, action, params=None):
        from alibabacloud_vpc20160428 import models
        from darabonba.runtime import RuntimeOptions
        req = getattr(models, action + "Request")().from_map(dict(params or {}))
        resp = self.method(action)(req, RuntimeOptions(ca=self.ca))
        body = resp.body.to_map() if resp.body is not None else None
        return Result(status=resp.status_code, body=body, headers=dict(resp.headers or {}))


# ---------------------------------------------------------------------------- legacy AcsClient
class LegacyClient(Client):
    kind = "legacy"

    def __init__(self, host, port, ak, sk, security_token=None, region_id=REGION, protocol="http", ca=None):
        from aliyunsdkcore.client import AcsClient
        self.host = host
        self.protocol = protocol
        # AcsClient(verify=<CA file>) is how the legacy core trusts a CA (docs/tls.md)
        if security_token:
            from aliyunsdkcore.auth.credentials import StsTokenCredential
            self.sdk = AcsClient(region_id=region_id, port=port, verify=ca,
                                 credential=StsTokenCredential(ak, sk, security_token))
        else:
            self.sdk = AcsClient(ak, sk, region_id, port=port, verify=ca)

    def request(self, action, params=None):
        """Builds the SDK's own request object for `action` from wire-named params."""
        mod = importlib.import_module("aliyunsdkvpc.request.v20160428.%sRequest" % action)
        req = getattr(mod, action + "Request")()
        for k, v in (params or {}).items():
            if isinstance(v, list):
                # RepeatList setters are named set_<Name>s (Filter -> set_Filters, Tags -> set_Tagss,
                # Tag -> set_Tags)
                setter = getattr(req, "set_%ss" % k, None) or getattr(req, "set_" + k)
                setter(v)
            elif k == "RegionId" and not hasattr(req, "set_RegionId"):
                req.add_query_param("RegionId", v)   # otherwise the core adds the client's region
            else:
                getattr(req, "set_" + k)(v)
        req.set_endpoint(self.host)
        req.set_protocol_type(self.protocol)
        return req

    def call(self, action, params=None):
        req = self.request(action, params)
        raw = self.sdk.do_action_with_exception(req)
        return Result(status=200, body=json.loads(raw), raw=raw)

    def get_response(self, action, params=None, fmt=None):
        """Raw (status, headers, body bytes) through AcsClient.get_response (no exception)."""
        req = self.request(action, params)
        if fmt:
            req.set_accept_format(fmt)
        return self.sdk.get_response(req)


# ---------------------------------------------------------------------------- old tea-rpc (other venv)
class RemoteTeaException(Exception):
    """Fields of the Tea.exceptions.TeaException raised inside the old-SDK venv."""

    def __init__(self, d):
        super().__init__(d.get("str"))
        self.cls = d.get("class")
        self.code = d.get("code")
        self.message = d.get("message")
        self.data = d.get("data")
        self.fields = d


class _OldDriver:
    """One long-lived driver process (old_tearpc_driver.py) in venv-old, JSON lines in/out."""
    _lock = threading.Lock()
    _proc = None

    @classmethod
    def request(cls, msg):
        with cls._lock:
            if cls._proc is None or cls._proc.poll() is not None:
                if not os.path.isfile(OLD_PYTHON):
                    raise AssertionError("old tea-rpc venv missing (%s): run scripts/sdk-setup" % OLD_PYTHON)
                cls._proc = subprocess.Popen([OLD_PYTHON, os.path.join(HERE, "old_tearpc_driver.py")],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True, bufsize=1)
                atexit.register(cls.close)
            cls._proc.stdin.write(json.dumps(msg) + "\n")
            cls._proc.stdin.flush()
            line = cls._proc.stdout.readline()
            if not line:
                err = cls._proc.stderr.read()
                cls._proc = None
                raise AssertionError("old tea-rpc driver died: " + err[-3000:])
            return json.loads(line)

    @classmethod
    def close(cls):
        if cls._proc is not None and cls._proc.poll() is None:
            cls._proc.stdin.close()
            try:
                cls._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                cls._proc.kill()
        cls._proc = None


class OldTeaRpcClient(Client):
    kind = "old"
    reads_order_id = False       # its CreatePhysicalConnectionOccupancyOrderResponse has only RequestId
    supports_tags = False        # its models have no Tag / Tags fields

    def __init__(self, endpoint, ak, sk, security_token=None, region_id=REGION, protocol="http", ca=None):
        self.cfg = {"endpoint": endpoint, "ak": ak, "sk": sk, "sts": security_token, "region_id": region_id,
                    "protocol": protocol, "ca": ca}
        # True: send through the client's generic do_request (same wire form) instead of the
        # generated method, whose model rejects missing required fields before sending
        self.generic = False

    def call(self, action, params=None):
        out = _OldDriver.request(dict(self.cfg, action=action, params=params or {}, generic=self.generic))
        if out.get("ok"):
            return Result(status=None, body=out["result"])
        if "error" in out:
            raise RemoteTeaException(out["error"])
        raise AssertionError("old tea-rpc driver: %r" % out)


def make_client(kind, server, ak=None, sk=None, security_token=None, region_id=REGION, ca=None):
    """A client of `kind` for `server`, over HTTPS when the server serves it (trusting `ca`,
    by default the server's own CA)."""
    ak = ak or server.access_key_id
    sk = sk or server.access_key_secret
    tls = dict(protocol=server.protocol, ca=(ca or server.ca_file) if server.tls else None)
    if kind == "tea-v3":
        return TeaClient(server.endpoint, ak, sk, security_token, v2=False, region_id=region_id, **tls)
    if kind == "tea-v2":
        return TeaClient(server.endpoint, ak, sk, security_token, v2=True, region_id=region_id, **tls)
    if kind == "legacy":
        return LegacyClient(server.api_host, server.api_port, ak, sk, security_token, region_id=region_id, **tls)
    if kind == "old":
        return OldTeaRpcClient(server.endpoint, ak, sk, security_token, region_id=region_id, **tls)
    raise ValueError(kind)
