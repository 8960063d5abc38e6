"""Place the seed's occupancy order with the official Python SDK.

Start physconn first (`cargo run --release -p physconn -- serve`) with the key
below, e.g. PHYSCONN_ACCESS_KEY_ID=LTAI5tExampleKey0000000 and
PHYSCONN_ACCESS_KEY_SECRET=ExampleSecret000000000000000000, then run
`python examples/quickstart.py`. Needs `pip install alibabacloud-vpc20160428`.
"""
import os
import time

from alibabacloud_tea_openapi.models import Config
from alibabacloud_vpc20160428 import models as vpc
from alibabacloud_vpc20160428.client import Client

client = Client(Config(
    access_key_id=os.environ.get("PHYSCONN_ACCESS_KEY_ID", "LTAI5tExampleKey0000000"),
    access_key_secret=os.environ.get("PHYSCONN_ACCESS_KEY_SECRET", "ExampleSecret000000000000000000"),
    endpoint=os.environ.get("PHYSCONN_ENDPOINT", "127.0.0.1:8080"),
    protocol="http",
    region_id="cn-hangzhou",
))

def status(pc_id):
    req = vpc.DescribePhysicalConnectionsRequest(
        region_id="cn-hangzhou",
        filter=[vpc.DescribePhysicalConnectionsRequestFilter(key="PhysicalConnectionId", value=[pc_id])],
    )
    return client.describe_physical_connections(req).body.physical_connection_set.physical_connection_type[0].status

def wait_for(pc_id, wanted, seconds=30):
    deadline = time.time() + seconds
    while status(pc_id) != wanted:
        if time.time() > deadline:
            raise TimeoutError(f"{pc_id} did not reach {wanted}")
        time.sleep(0.5)

# 1. Apply for a line; the simulated provider allocates it (1 s per step).
pc_id = client.create_physical_connection(vpc.CreatePhysicalConnectionRequest(
    region_id="cn-hangzhou", access_point_id="ap-cn-hangzhou-yh-B",
    line_operator="CT", port_type="1000Base-LX", name="quickstart-line",
)).body.physical_connection_id
wait_for(pc_id, "Allocated")

# 2. Confirm the construction, then pay the port with the occupancy order.
client.confirm_physical_connection(vpc.ConfirmPhysicalConnectionRequest(
    region_id="cn-hangzhou", physical_connection_id=pc_id))
order = client.create_physical_connection_occupancy_order(vpc.CreatePhysicalConnectionOccupancyOrderRequest(
    region_id="cn-hangzhou", physical_connection_id=pc_id,
    instance_charge_type="PrePaid", period=1, pricing_cycle="Month", auto_pay=True,
))
print("order", order.body.data.order_id)

# 3. Paid: the line is enabled a moment later.
wait_for(pc_id, "Enabled")
print(pc_id, "Enabled")
