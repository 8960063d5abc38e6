'use strict';
// --api-profile current and --response-style sdk through the Node SDK
// (docs/design/decisions.md#api-profiles, #response-styles).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, REGION, ORDER_ID_RE, expectSdkError, money } = require('../lib/physconn');

const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop())); });

async function confirmed(server, c) {
  const pc = await c.createPc();
  await server.waitStatus(pc, 'Allocated');
  await c.confirm(pc);
  return pc;
}

test('current profile: PostPaid rejected; defaults are PrePaid and AutoPay=false', async () => {
  const server = await new Server(['--api-profile', 'current']).start();
  servers.push(server);
  const acc = await server.createAccount('5000.00');
  for (const variant of ['v3', 'v2']) {
    const c = server.client(variant, acc.AccessKeyId, acc.AccessKeySecret);
    const pc = await confirmed(server, c);
    await expectSdkError(assert, c.occupancy(pc, { instanceChargeType: 'PostPaid' }), {
      code: 'InvalidPhysicalConnectionChargeType.Malformed', statusCode: 400,
      message: 'Specified Physical Connection ChargeType is not valid.' });
    const r = await c.call('CreatePhysicalConnectionOccupancyOrder', { regionId: REGION, physicalConnectionId: pc });
    assert.match(r.body.data.orderId, ORDER_ID_RE);
    const o = (await server.orders(acc.AccountId)).filter((x) => x.PhysicalConnectionId === pc);
    assert.equal(o.length, 1);
    assert.equal(o[0].OrderId, r.body.data.orderId);
    assert.equal(o[0].Status, 'Unpaid');
    assert.equal(money(o[0].Amount), 1000_00);
    await server.advance(3);
    assert.equal((await c.describeOne(pc)).status, 'Confirmed');
  }
  assert.equal(money(await server.balance(acc.AccountId)), 5000_00);
});

test('response style sdk: Node reads Data.OrderId', async () => {
  const server = await new Server(['--response-style', 'sdk']).start();
  servers.push(server);
  const acc = await server.createAccount('5000.00');
  const c = server.client('v3', acc.AccessKeyId, acc.AccessKeySecret);
  const pc = await confirmed(server, c);
  const r = await c.occupancy(pc);
  assert.match(r.body.data.orderId, ORDER_ID_RE);
  assert.equal((await server.orders(acc.AccountId))[0].OrderId, r.body.data.orderId);
  await server.waitStatus(pc, 'Enabled', 1);
});
