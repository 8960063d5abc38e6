"""physconn.testing over HTTPS (docs/tls.md): ``tls=True`` and the server's own CA, the
operator's certificate with ``tls_cert``/``tls_key``/``tls_ca``, and bad TLS input."""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from alibabacloud_vpc20160428 import models as vpc

from physconn import find_binary
from physconn.testing import PhysconnServer, StartError


def regions(srv: PhysconnServer) -> list[str]:
    r = srv.vpc_client().describe_regions(vpc.DescribeRegionsRequest())
    assert r.status_code == 200
    return [x.region_id for x in r.body.regions.region]


def test_tls_serves_https_and_the_clients_trust_the_generated_ca():
    with PhysconnServer(tls=True, tls_san=["vpc.physconn.test"]) as srv:
        assert srv.protocol == "https"
        assert srv.api_url.startswith("https://127.0.0.1:") and srv.admin_url.startswith("https://127.0.0.1:")
        assert srv.ca_file == os.path.join(srv.data_dir, "tls", "ca.pem")
        # the admin helpers speak HTTPS, trusting ca_file
        assert srv.account("default")["Balance"] == "1000000.00"
        # vpc_client() speaks HTTPS and trusts ca_file, on every call
        assert "cn-hangzhou" in regions(srv)
        # a client without the CA is refused
        with pytest.raises(urllib.error.URLError) as e:
            urllib.request.urlopen(srv.api_url + "/health", timeout=10)
        assert isinstance(e.value.reason, ssl.SSLCertVerificationError), e.value
        ctx = ssl.create_default_context(cafile=srv.ca_file)
        with urllib.request.urlopen(srv.api_url + "/health", context=ctx, timeout=10) as r:
            assert r.status == 200


def test_own_certificate_with_its_ca(tmp_path):
    # A certificate and CA made by another physconn stand in for an operator's own.
    with PhysconnServer(tls=True, data_dir=tmp_path / "issuer") as issuer:
        tls_dir = os.path.join(issuer.data_dir, "tls")
    own = tmp_path / "own"
    shutil.copytree(tls_dir, own)
    with PhysconnServer(tls_cert=own / "server.pem", tls_key=own / "server-key.pem",
                        tls_ca=own / "ca.pem") as srv:
        assert srv.protocol == "https" and srv.ca_file == os.fspath(own / "ca.pem")
        assert "cn-hangzhou" in regions(srv)
        assert not os.path.exists(os.path.join(srv.data_dir, "tls")), "nothing issued"


def test_bad_tls_input_stops_the_start(tmp_path):
    with pytest.raises(StartError, match="is neither a DNS name"):
        PhysconnServer(tls=True, tls_san=["host:443"])
    missing = tmp_path / "missing.pem"
    with pytest.raises(StartError, match="cannot read"):
        PhysconnServer(tls_cert=missing, tls_key=missing)


INNER = """
from alibabacloud_vpc20160428 import models as vpc

def test_https(physconn, physconn_vpc):
    assert physconn.protocol == "https" and physconn.api_url.startswith("https://")
    assert physconn_vpc.describe_regions(vpc.DescribeRegionsRequest()).status_code == 200
"""


def test_the_plugins_tls_option(tmp_path):
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if k != "PHYSCONN_BIN"}
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "physconn.pytest_plugin", "-p", "no:cacheprovider",
                          "-q", "--physconn-tls", "--physconn-bin", find_binary(), "test_inner.py"],
                         cwd=str(tmp_path), capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr
