"""Drives the first Tea generation of the VPC SDK (alibabacloud-vpc20160428==1.0.1 on
alibabacloud_tea_rpc), which sends every API parameter in an x-www-form-urlencoded body
signed with HMAC-SHA1, like the Terraform provider's client.

Runs with target/sdk-env/venv-old/bin/python (the SDK cannot share a venv with 7.2.2).
Protocol: one JSON object per line on stdin
    {"endpoint", "ak", "sk", "sts", "region_id", "action", "params"}
and one JSON line per request on stdout:
    {"ok": true, "result": <response model .to_map()>}  or  {"ok": false, "error": {...}}
Actions this SDK generation has a method for are called through that generated method
(request model built with from_map); others (e.g. ConfirmPhysicalConnection, absent in
1.0.1) go through the same client's generic do_request, exactly as a generated method would.
"generic": true forces that path, skipping the model's client-side required-field checks
(to reach the server's MissingParameter).
"""
import json
import os
import re
import sys

from alibabacloud_tea_rpc.models import Config
from alibabacloud_tea_util.models import RuntimeOptions
from alibabacloud_vpc20160428.client import Client
from alibabacloud_vpc20160428 import models as m

_clients = {}


def client(msg):
    key = (msg["endpoint"], msg["ak"], msg["sk"], msg.get("sts"), msg.get("region_id"), msg.get("protocol"))
    if msg.get("ca"):
        # This generation passes no CA to its HTTP layer; the HTTPS session it makes (once per
        # host) starts from ssl.create_default_context(), which reads SSL_CERT_FILE (docs/tls.md).
        os.environ["SSL_CERT_FILE"] = msg["ca"]
    if key not in _clients:
        cfg = Config(access_key_id=msg["ak"], access_key_secret=msg["sk"], endpoint=msg["endpoint"],
                     protocol=msg.get("protocol") or "http", region_id=msg.get("region_id") or "cn-hangzhou")
        if msg.get("sts"):
            cfg.security_token = msg["sts"]
        _clients[key] = Client(cfg)
    return _clients[key]


def snake(action):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", action).lower()


def handle(msg):
    c = client(msg)
    action, params = msg["action"], msg.get("params") or {}
    rt = RuntimeOptions()
    fn = getattr(c, snake(action) + "_with_options", None)
    req_cls = getattr(m, action + "Request", None)
    try:
        if fn is not None and req_cls is not None and not msg.get("generic"):
            req = req_cls().from_map(params)
            dropped = set(params) - set(k for k, v in req.to_map().items() if v is not None)
            if dropped:
                return {"ok": False, "unsupported": "this SDK generation's model drops %s" % sorted(dropped)}
            r = fn(req, rt)
            return {"ok": True, "result": r.to_map()}
        return {"ok": True, "result": c.do_request(action, "HTTPS", "POST", "2016-04-28", "AK", None, params, rt),
                "generic": True}
    except Exception as e:  # the SDK raised: report its fields
        d = {"class": type(e).__module__ + "." + type(e).__qualname__, "str": str(e)}
        for k in ("code", "message", "data"):
            if hasattr(e, k):
                v = getattr(e, k)
                try:
                    json.dumps(v)
                    d[k] = v
                except TypeError:
                    d[k] = repr(v)
        return {"ok": False, "error": d}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            out = handle(json.loads(line))
        except Exception as e:  # a driver bug, not an SDK error
            out = {"ok": False, "driver_error": repr(e)}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
