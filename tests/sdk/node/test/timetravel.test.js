'use strict';
// Time travel with the official Node SDK (docs/design/protocol.md#replay-protection): the manual
// clock moves 40 days ahead, the SDK keeps signing with the machine's time and keeps working, and
// the business (CreationTime, provider steps) follows the manual clock.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server } = require('../lib/physconn');

const FORTY_DAYS = 40 * 86400;
const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop())); });

test('V3 and V2 signatures work after the manual clock moves 40 days', async () => {
  const server = await new Server().start();
  servers.push(server);
  const acc = await server.createAccount('5000.00');
  await server.advance(FORTY_DAYS);
  const later = Date.parse((await server.admin('GET', '/admin/clock')).now);
  for (const variant of ['v3', 'v2']) {
    const c = server.client(variant, acc.AccessKeyId, acc.AccessKeySecret);
    const pc = await c.createPc();
    const v = await c.describeOne(pc);
    assert.ok(Math.abs(Date.parse(v.creationTime) - later) < 60_000, `${v.creationTime} vs ${later}`);
    await server.waitStatus(pc, 'Allocated');
    assert.equal((await c.describeOne(pc)).status, 'Allocated');
  }
});
