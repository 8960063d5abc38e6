"""OpenPhysicalConnectionService through the SDKs (docs/design/decisions.md#account-services):
the first call of an account opens the service, every later one is InvalidOperation.OrderOpened
(which the Terraform provider's data source reads as "Opened"); the state is per account."""
from __future__ import annotations

import pytest

from checks import sdk_error
from harness import REGION

# The old Tea SDK (venv-old) predates the action.
KINDS = ["tea-v3", "tea-v2", "legacy"]
OPENED = "You have already open the service. Go to the console to start using it."


@pytest.mark.parametrize("kind", KINDS)
def test_opens_once_per_account(server, client_factory, kind):
    first = client_factory(kind, server.create_account(balance="10.00"))
    body = first.call("OpenPhysicalConnectionService", {"RegionId": REGION}).body
    assert set(body) == {"RequestId"} and body["RequestId"], body
    for region in (REGION, "cn-beijing"):  # per account, whatever the region
        with sdk_error(first, "InvalidOperation.OrderOpened", 400, OPENED):
            first.call("OpenPhysicalConnectionService", {"RegionId": region})
    other = client_factory(kind, server.create_account(balance="10.00"))
    assert other.call("OpenPhysicalConnectionService", {"RegionId": "cn-beijing"}).body["RequestId"]


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_region(server, client_factory, kind):
    c = client_factory(kind, server.create_account(balance="10.00"))
    with sdk_error(c, "InvalidRegionId.NotFound", 404):
        c.call("OpenPhysicalConnectionService", {"RegionId": "cn-nowhere"})
    # The refused call opened nothing.
    assert c.call("OpenPhysicalConnectionService", {"RegionId": REGION}).body["RequestId"]
