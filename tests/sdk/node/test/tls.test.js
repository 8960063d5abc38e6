'use strict';
// HTTPS with the Node SDK (docs/tls.md): `serve --tls` issues its certificate from a local CA in
// <data-dir>/tls/ca.pem; the official client trusts it through Config's `ca` and makes real calls,
// and without it the handshake is refused.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, REGION, PC_ID_RE } = require('../lib/physconn');

const servers = [];
after(async () => { await Promise.all(servers.map((s) => s.stop())); });

test('--tls: both SDK signatures make real calls over HTTPS trusting the CA', async () => {
  const server = await new Server(['--tls']).start();
  servers.push(server);
  assert.equal(server.protocol, 'https');
  assert.match(server.adminUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.match(server.ca, /^-----BEGIN CERTIFICATE-----/);
  const acc = await server.createAccount('5000.00');
  for (const variant of ['v3', 'v2']) {
    const c = server.client(variant, acc.AccessKeyId, acc.AccessKeySecret);
    const regions = (await c.call('DescribeRegions', {})).body.regions.region.map((r) => r.regionId);
    assert.ok(regions.includes(REGION), regions.join(','));
    const pc = await c.createPc({ name: `over-https-${variant}` });
    assert.match(pc, PC_ID_RE);
    assert.equal((await c.describeOne(pc)).name, `over-https-${variant}`);
  }

  // The system's trust store alone does not know physconn's CA.
  const stranger = server.client('v3', acc.AccessKeyId, acc.AccessKeySecret, undefined, { ca: null });
  await assert.rejects(stranger.call('DescribeRegions', {}), (e) => {
    assert.match(`${e.code} ${e.message}`, /certificate|UNABLE_TO_VERIFY|CERT_/i, e.stack);
    return true;
  });
});
