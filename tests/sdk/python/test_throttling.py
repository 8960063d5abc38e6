"""Throttling (issue 7): a key over its rate gets 400 Throttling.User with x-acs-retry-after in
milliseconds, which the Tea SDK turns into its ThrottlingException (so callers and Terraform's
retry loop back off) and the legacy SDK reports as a ServerException with the same code."""
from __future__ import annotations

import pytest

THROTTLED = "Request was denied due to user flow control."


@pytest.fixture
def slow_server(make_server, tmp_path):
    cfg = tmp_path / "throttle.toml"
    cfg.write_text("throttle_per_key_rps = 1\nthrottle_burst = 2\n")
    return make_server("--config", str(cfg))


def first_refusal(c, n=6):
    for _ in range(n):
        try:
            c.call("DescribeRegions", {"RegionId": "cn-hangzhou"})
        except Exception as e:  # noqa: BLE001 - the caller checks the type
            return e
    pytest.fail("%s: %d calls in a burst of 2 at 1/s were never throttled" % (c.kind, n))


def test_tea_sdk_raises_its_throttling_exception(slow_server, client_factory):
    from alibabacloud_tea_openapi.exceptions import ThrottlingException
    acc = slow_server.create_account()
    e = first_refusal(client_factory("tea-v3", acc, srv=slow_server))
    assert type(e) is ThrottlingException, "%s: %s" % (type(e).__name__, e)
    assert e.code == "Throttling.User" and e.status_code == 400, e
    assert 1 <= e.retry_after <= 1000, e.retry_after
    assert e.data["Message"] == THROTTLED


def test_legacy_sdk_sees_the_code(slow_server, client_factory):
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    acc = slow_server.create_account()
    c = client_factory("legacy", acc, srv=slow_server)
    e = first_refusal(c)
    assert isinstance(e, ServerException), "%s: %s" % (type(e).__name__, e)
    assert e.get_error_code() == "Throttling.User" and e.get_http_status() == 400, e
    assert e.get_error_msg() == THROTTLED


def test_keys_are_throttled_separately(slow_server, client_factory):
    a, b = slow_server.create_account(), slow_server.create_account()
    first_refusal(client_factory("tea-v3", a, srv=slow_server))
    # b's bucket is full although a's is empty
    client_factory("tea-v3", b, srv=slow_server).call("DescribeRegions", {"RegionId": "cn-hangzhou"})
