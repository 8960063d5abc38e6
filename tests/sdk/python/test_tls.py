"""HTTPS with every SDK generation (docs/tls.md): `serve --tls` issues a certificate from a local
CA in <data_dir>/tls/ca.pem; each client trusts that file the way its SDK offers (Tea:
RuntimeOptions(ca=...); legacy AcsClient(verify=...); the first Tea generation: SSL_CERT_FILE) and
makes real calls; a client that does not trust it is refused at the handshake."""
from __future__ import annotations

import os
import ssl
import urllib.request

import pytest

from checks import create_pc, describe_one
from harness import REGION, Server
from sdkclients import ALL_KINDS, make_client


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("physconn-tls")
    s = Server(str(d / "data"), extra_args=("--tls", "--tls-san", "vpc.physconn.test"),
               log_path=str(d / "server.log"))
    s.start()
    yield s
    s.stop()


def test_the_server_says_https_and_issued_its_ca(tls_server):
    s = tls_server
    assert s.tls and s.protocol == "https"
    assert s.api_url.startswith("https://127.0.0.1:") and s.admin_url.startswith("https://127.0.0.1:")
    assert s.ca_file == os.path.join(s.data_dir, "tls", "ca.pem") and os.path.isfile(s.ca_file)
    # the admin API answers over HTTPS too (the harness's own client trusts the CA)
    assert s.account("default")["Balance"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_each_sdk_makes_real_calls_over_https(tls_server, kind):
    s = tls_server
    acc = s.create_account(balance="1000.00")
    c = make_client(kind, s, acc["AccessKeyId"], acc["AccessKeySecret"])
    regions = c.call("DescribeRegions", {}).body
    assert any(r["RegionId"] == REGION for r in regions["Regions"]["Region"]), regions
    pc = create_pc(c, Name="over-https-" + kind)
    assert describe_one(c, pc)["Name"] == "over-https-" + kind


def test_a_client_that_does_not_trust_the_ca_is_refused(make_server, tmp_path):
    # A server of its own: the Tea SDK keeps connections to a host:port open across clients, so
    # a connection another client had verified would be reused without a handshake.
    s = make_server("--tls")
    # Tea with the system's trust store only
    c = make_client("tea-v3", s)
    c.ca = None
    with pytest.raises(Exception) as e:
        c.call("DescribeRegions", {})
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value) or "certificate" in str(e.value).lower(), e.value
    # the legacy SDK given another CA file
    other = tmp_path / "other-ca.pem"
    other.write_text(ssl.get_server_certificate(("127.0.0.1", s.api_port)))
    legacy = make_client("legacy", s, ca=str(other))
    with pytest.raises(Exception) as e:
        legacy.call("DescribeRegions", {})
    assert "certificate" in str(e.value).lower() or "ssl" in str(e.value).lower(), e.value


def test_the_extra_name_is_in_the_certificate(tls_server):
    """--tls-san vpc.physconn.test: a client that connects to 127.0.0.1 but checks that name."""
    s = tls_server
    ctx = ssl.create_default_context(cafile=s.ca_file)
    import http.client

    class Named(http.client.HTTPSConnection):
        def connect(self):
            import socket
            sock = socket.create_connection(("127.0.0.1", s.api_port), timeout=10)
            self.sock = ctx.wrap_socket(sock, server_hostname="vpc.physconn.test")

    conn = Named("vpc.physconn.test", s.api_port, context=ctx, timeout=10)
    conn.request("GET", "/health")
    assert conn.getresponse().status == 200
    # and urllib against the address itself (IP SAN 127.0.0.1)
    with urllib.request.urlopen(s.api_url + "/health", context=ctx, timeout=10) as r:
        assert r.status == 200
