'use strict';
// Virtual border routers and BGP through the official Node SDK, V3 and V1 (signatureAlgorithm 'v2'):
// a VBR on an Enabled line, its describe by id with the JSON types of docs/design/vbr.md#object,
// Modify, Terminate and Recover, a BGP group, peer and network, teardown in dependency order with
// the documented refusals, and the line freed at the end (docs/design/vbr.md, docs/design/bgp.md).
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Vpc, REGION, REQUEST_ID_RE, expectSdkError } = require('../lib/physconn');

let server;
before(async () => { server = await new Server().start(); });
after(async () => { if (server) await server.stop(); });

// An Enabled line of a new account, through the SDK and the simulated provider.
async function enabledLine(variant) {
  const acc = await server.createAccount('100000.00');
  const c = server.client(variant, acc.AccessKeyId, acc.AccessKeySecret);
  const pc = await c.createPc();
  await server.waitStatus(pc, 'Allocated');
  await c.confirm(pc);
  await server.waitStatus(pc, 'Confirmed');
  await c.occupancy(pc);
  await server.waitStatus(pc, 'Enabled');
  return { c, pc };
}

async function vbrById(c, id) {
  const r = await c.call('DescribeVirtualBorderRouters', { regionId: REGION,
    filter: [new Vpc.DescribeVirtualBorderRoutersRequestFilter({ key: 'VbrId', value: [id] })] });
  const items = r.body.virtualBorderRouterSet.virtualBorderRouterType;
  assert.ok(items.length <= 1, JSON.stringify(r.body));
  return items[0];
}

// One provider step of the VBR or BGP object (provisioning delay 1 s on the manual clock).
const step = () => server.advance(1);

for (const variant of ['v3', 'v2']) {
  describe(`Node SDK ${variant}: VBR and BGP`, () => {
    test('a VBR on the line, BGP on the VBR, teardown in dependency order', async () => {
      const { c, pc } = await enabledLine(variant);
      const created = await c.call('CreateVirtualBorderRouter', { regionId: REGION, physicalConnectionId: pc,
        vlanId: 1001, localGatewayIp: '10.0.0.1', peerGatewayIp: '10.0.0.2',
        peeringSubnetMask: '255.255.255.252', name: `node-${variant}` });
      assert.match(created.body.requestId, REQUEST_ID_RE);
      const vbr = created.body.vbrId;
      assert.match(vbr, /^vbr-/);
      let v = await vbrById(c, vbr);
      assert.deepEqual([v.status, v.name, v.physicalConnectionId, v.vlanId, v.localGatewayIp, v.peerGatewayIp,
        v.peeringSubnetMask, v.enableIpv6], ['active', `node-${variant}`, pc, 1001, '10.0.0.1', '10.0.0.2',
        '255.255.255.252', false]);
      assert.equal(typeof v.detectMultiplier, 'number');
      assert.ok(v.detectMultiplier > 0 && v.minRxInterval > 0 && v.minTxInterval > 0 && v.mtu > 0);

      await c.call('ModifyVirtualBorderRouterAttribute', { regionId: REGION, vbrId: vbr,
        description: 'node description', minRxInterval: 500 });
      v = await vbrById(c, vbr);
      assert.deepEqual([v.description, v.minRxInterval], ['node description', 500]);

      // The line cannot go while it carries a VBR.
      await expectSdkError(assert, c.lc('TerminatePhysicalConnection', pc),
        { code: 'Forbidden.VbrAttached', statusCode: 400 });

      await c.call('TerminateVirtualBorderRouter', { regionId: REGION, vbrId: vbr });
      assert.equal((await vbrById(c, vbr)).status, 'terminating');
      await step();
      assert.equal((await vbrById(c, vbr)).status, 'terminated');
      await c.call('RecoverVirtualBorderRouter', { regionId: REGION, vbrId: vbr });
      await step();
      assert.equal((await vbrById(c, vbr)).status, 'active');

      // BGP: group, then peer and network, each Available one step later.
      const g = await c.call('CreateBgpGroup', { regionId: REGION, routerId: vbr, peerAsn: 65001,
        name: 'node-group' });
      const gid = g.body.bgpGroupId;
      await step(); // a peer needs an Available group
      const p = await c.call('CreateBgpPeer', { regionId: REGION, bgpGroupId: gid });
      const pid = p.body.bgpPeerId;
      await c.call('AddBgpNetwork', { regionId: REGION, routerId: vbr, dstCidrBlock: '192.168.0.0/24' });
      await step();
      const groups = (await c.call('DescribeBgpGroups', { regionId: REGION, bgpGroupId: gid })).body
        .bgpGroups.bgpGroup;
      // The server sends a number and a boolean (docs/design/bgp.md); the SDK's model declares
      // both strings and converts them.
      assert.deepEqual([groups.length, groups[0].status, groups[0].peerAsn, groups[0].routerId, groups[0].isFake],
        [1, 'Available', '65001', vbr, 'false']);
      const peers = (await c.call('DescribeBgpPeers', { regionId: REGION, bgpPeerId: pid })).body.bgpPeers.bgpPeer;
      assert.deepEqual([peers.length, peers[0].status, peers[0].bgpGroupId, peers[0].peerIpAddress],
        [1, 'Available', gid, '10.0.0.2']);
      const nets = (await c.call('DescribeBgpNetworks', { regionId: REGION, routerId: vbr })).body
        .bgpNetworks.bgpNetwork;
      assert.deepEqual(nets.map((n) => [n.dstCidrBlock, n.status]), [['192.168.0.0/24', 'Available']]);

      // Teardown: each parent refuses while a child remains.
      await expectSdkError(assert, c.call('DeleteVirtualBorderRouter', { regionId: REGION, vbrId: vbr }),
        { code: 'DependencyViolation.BgpGroup', statusCode: 400, message: 'bgp group exists, cannot delete vbr.' });
      await expectSdkError(assert, c.call('DeleteBgpGroup', { regionId: REGION, bgpGroupId: gid }),
        { code: 'DependencyViolation.BgpPeer', statusCode: 400,
          message: 'bgp peer exists, cannot delete bgp group.' });
      await c.call('DeleteBgpPeer', { regionId: REGION, bgpPeerId: pid });
      await step();
      await expectSdkError(assert, c.call('DeleteBgpPeer', { regionId: REGION, bgpPeerId: pid }),
        { code: 'InvalidParams.NotFound', statusCode: 400, message: 'instance not found' });
      await c.call('DeleteBgpGroup', { regionId: REGION, bgpGroupId: gid });
      await step();
      await c.call('DeleteVirtualBorderRouter', { regionId: REGION, vbrId: vbr });
      await step();
      assert.equal(await vbrById(c, vbr), undefined);
      await expectSdkError(assert, c.call('DeleteVirtualBorderRouter', { regionId: REGION, vbrId: vbr }),
        { code: 'InvalidVbrId.NotFound', statusCode: 404,
          message: 'The specified VirutalBorderRouter does not exist in our records.' });

      // Now the line can be terminated.
      await c.lc('TerminatePhysicalConnection', pc);
    });

    test('refusals: a line that is not Enabled, a VLAN taken, another account', async () => {
      const { c, pc } = await enabledLine(variant);
      const base = { regionId: REGION, physicalConnectionId: pc, localGatewayIp: '10.0.0.1',
        peerGatewayIp: '10.0.0.2', peeringSubnetMask: '255.255.255.252' };
      await c.call('CreateVirtualBorderRouter', { ...base, vlanId: 7 });
      await expectSdkError(assert, c.call('CreateVirtualBorderRouter', { ...base, vlanId: 7 }),
        { code: 'InvalidVlanId.Used', statusCode: 400, message: 'The specified VlanId has been used.' });

      const fresh = await c.createPc();
      await expectSdkError(assert, c.call('CreateVirtualBorderRouter', { ...base, physicalConnectionId: fresh,
        vlanId: 8 }), { code: 'InvalidPhysicalConnectionId.NotEnabled', statusCode: 400 });

      const other = await server.createAccount('10.00');
      const o = server.client(variant, other.AccessKeyId, other.AccessKeySecret);
      await expectSdkError(assert, o.call('CreateVirtualBorderRouter', { ...base, vlanId: 9 }),
        { code: 'InvalidPhysicalConnectionId.NotFound', statusCode: 400,
          message: 'The specified PhysicalConnectionId is not found.' });
    });
  });
}
