'use strict';
// CreatePhysicalConnectionOccupancyOrder through the official Node SDK (@alicloud/vpc20160428 7.3.2),
// V3 (ACS3-HMAC-SHA256, default) and V1 (signatureAlgorithm 'v2').
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, REGION, ORDER_ID_RE, REQUEST_ID_RE, expectSdkError, money, randomKeyId, randomSecret, Vpc } =
  require('../lib/physconn');

const NOT_FOUND = 'The PhysicalConnectionId provided does not exist in our records.';
const NOT_ALLOWED = 'The request does not allow in this state.';
const PERIOD = 'Specified Physical Connection Period is not valid.';
const CYCLE = 'Specified Physical Connection PricingCycle is not valid.';
const CHARGE = 'Specified Physical Connection ChargeType is not valid.';

let server;
before(async () => { server = await new Server().start(); });
after(async () => { if (server) await server.stop(); });

async function newClient(variant, balance = '10000.00') {
  const acc = await server.createAccount(balance);
  return { acc, c: server.client(variant, acc.AccessKeyId, acc.AccessKeySecret) };
}

async function confirmed(c) {
  const pc = await c.createPc();
  await server.waitStatus(pc, 'Allocated');
  const r = await c.confirm(pc);
  assert.match(r.body.requestId, REQUEST_ID_RE);
  assert.equal((await c.describeOne(pc)).status, 'Confirmed');
  return pc;
}

for (const variant of ['v3', 'v2']) {
  describe(`Node SDK ${variant}`, () => {
    test('happy path: create, allocate, confirm, PrePaid AutoPay order, Enabled', async () => {
      const { acc, c } = await newClient(variant, '5000.00');
      const pc = await c.createPc({ tag: [new Vpc.CreatePhysicalConnectionRequestTag({ key: 'env', value: 'node' })] });
      assert.equal((await c.describeOne(pc)).status, 'Initial');
      await server.waitStatus(pc, 'Allocated');
      assert.equal((await c.describeOne(pc)).status, 'Allocated');
      await c.confirm(pc);
      assert.equal((await c.describeOne(pc)).status, 'Confirmed');

      const r = await c.occupancy(pc, { instanceChargeType: 'PrePaid', autoPay: true, period: 1, pricingCycle: 'Month' });
      assert.equal(r.statusCode, 200);
      assert.match(r.body.requestId, REQUEST_ID_RE);
      assert.equal(typeof r.body.data.orderId, 'string');
      assert.match(r.body.data.orderId, ORDER_ID_RE);

      const orders = await server.orders(acc.AccountId);
      assert.equal(orders.length, 1);
      assert.equal(orders[0].OrderId, r.body.data.orderId);
      assert.equal(orders[0].PhysicalConnectionId, pc);
      assert.equal(orders[0].Status, 'Paid');
      assert.equal(orders[0].Abnormal, false);
      assert.equal(money(orders[0].Amount), 1000_00);
      assert.equal(money(await server.balance(acc.AccountId)), 4000_00);

      await server.advance(1);
      const v = await c.describeOne(pc);
      assert.equal(v.status, 'Enabled');
      assert.equal(v.businessStatus, 'Normal');
      assert.equal(v.chargeType, 'Prepaid');
      assert.ok(v.enabledTime && v.endTime, JSON.stringify(v));
      assert.ok(Date.parse(v.endTime) > Date.parse(v.enabledTime) + 27 * 86400e3);
      assert.equal(typeof v.bandwidth, 'number');
      assert.deepEqual(v.tags.tags.map((t) => [t.key, t.value]), [['env', 'node']]);
    });

    test('AutoPay=false leaves an unpaid order; a second order is NotAllowedInState', async () => {
      const { acc, c } = await newClient(variant);
      const pc = await confirmed(c);
      const r = await c.occupancy(pc, { autoPay: false });
      assert.match(r.body.data.orderId, ORDER_ID_RE);
      const orders = await server.orders(acc.AccountId);
      assert.equal(orders.length, 1);
      assert.equal(orders[0].Status, 'Unpaid');
      assert.equal(orders[0].Abnormal, false);
      await server.advance(3);
      assert.equal((await c.describeOne(pc)).status, 'Confirmed');
      await expectSdkError(assert, c.occupancy(pc, { autoPay: false }),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      assert.equal(money(await server.balance(acc.AccountId)), 10000_00);
    });

    test('insufficient balance: 200 with an OrderId, abnormal unpaid order, no money moves', async () => {
      const { acc, c } = await newClient(variant, '100.00');
      const pc = await confirmed(c);
      const r = await c.occupancy(pc, { autoPay: true });
      const orders = await server.orders(acc.AccountId);
      assert.equal(orders.length, 1);
      assert.equal(orders[0].OrderId, r.body.data.orderId);
      assert.equal(orders[0].Status, 'Unpaid');
      assert.equal(orders[0].Abnormal, true);
      assert.equal(money(await server.balance(acc.AccountId)), 100_00);
      await server.advance(3);
      assert.equal((await c.describeOne(pc)).status, 'Confirmed');
    });

    test('PostPaid: amount 0, enabled', async () => {
      const { acc, c } = await newClient(variant, '10.00');
      const pc = await confirmed(c);
      await c.occupancy(pc, { instanceChargeType: 'PostPaid', period: undefined, pricingCycle: undefined });
      const orders = await server.orders(acc.AccountId);
      assert.equal(orders[0].Status, 'Paid');
      assert.equal(money(orders[0].Amount), 0);
      await server.waitStatus(pc, 'Enabled', 1);
      assert.equal((await c.describeOne(pc)).chargeType, 'PostPaid');
    });

    test('unknown circuit: 404 InvalidPhysicalConnectionId.NotFound', async () => {
      const { c } = await newClient(variant);
      await expectSdkError(assert, c.occupancy('pc-bp1doesnotexist000000'),
        { code: 'InvalidPhysicalConnectionId.NotFound', statusCode: 404, message: NOT_FOUND });
    });

    test('another account\'s circuit: 404 NotFound', async () => {
      const { c: owner } = await newClient(variant);
      const pc = await confirmed(owner);
      const { c } = await newClient(variant);
      await expectSdkError(assert, c.occupancy(pc),
        { code: 'InvalidPhysicalConnectionId.NotFound', statusCode: 404, message: NOT_FOUND });
    });

    test('Allocated circuit: 400 Forbidden.NotAllowedInState', async () => {
      const { c } = await newClient(variant);
      const pc = await c.createPc();
      await server.waitStatus(pc, 'Allocated');
      await expectSdkError(assert, c.occupancy(pc),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
    });

    test('Period / PricingCycle / InstanceChargeType errors', async () => {
      const { acc, c } = await newClient(variant);
      const pc = await confirmed(c);
      await expectSdkError(assert, c.occupancy(pc, { period: 10, pricingCycle: 'Month' }),
        { code: 'InvalidPhysicalConnectionPeriod.Malformed', statusCode: 400, message: PERIOD });
      await expectSdkError(assert, c.occupancy(pc, { period: 6, pricingCycle: 'Year' }),
        { code: 'InvalidPhysicalConnectionPeriod.Malformed', statusCode: 400, message: PERIOD });
      await expectSdkError(assert, c.occupancy(pc, { pricingCycle: 'Week' }),
        { code: 'InvalidPhysicalConnectionPricingCycle.Malformed', statusCode: 400, message: CYCLE });
      await expectSdkError(assert, c.occupancy(pc, { instanceChargeType: 'Subscription' }),
        { code: 'InvalidPhysicalConnectionChargeType.Malformed', statusCode: 400, message: CHARGE });
      assert.deepEqual(await server.orders(acc.AccountId), []);
    });

    test('MissingParameter', async () => {
      const { c } = await newClient(variant);
      const e = await expectSdkError(assert, c.call('CreatePhysicalConnectionOccupancyOrder', { regionId: REGION }),
        { code: 'MissingParameter', statusCode: 400 });
      assert.equal(e.data.Message,
        'The input parameter "PhysicalConnectionId" that is mandatory for processing this request is not supplied.');
    });

    test('ClientToken: same token same OrderId; other params mismatch', async () => {
      const { acc, c } = await newClient(variant);
      const pc = await confirmed(c);
      const a = await c.occupancy(pc, { clientToken: 'node-tok', autoPay: false });
      const b = await c.occupancy(pc, { clientToken: 'node-tok', autoPay: false });
      assert.equal(a.body.data.orderId, b.body.data.orderId);
      assert.notEqual(a.body.requestId, undefined);
      assert.equal((await server.orders(acc.AccountId)).length, 1);
      await expectSdkError(assert, c.occupancy(pc, { clientToken: 'node-tok', autoPay: false, period: 2 }),
        { code: 'IdempotentParameterMismatch', statusCode: 400,
          message: 'Request uses a client token in a previous request but is not identical to that request.' });
    });

    test('wrong secret: 400 SignatureDoesNotMatch; unknown key: 404', async () => {
      const acc = await server.createAccount();
      const bad = server.client(variant, acc.AccessKeyId, randomSecret());
      const e = await expectSdkError(assert, bad.call('DescribeRegions', {}),
        { code: 'SignatureDoesNotMatch', statusCode: 400 });
      assert.ok(e.data.Message.startsWith(
        'Specified signature does not match our calculation. server string to sign is:'), e.data.Message);
      const unknown = server.client(variant, randomKeyId(), randomSecret());
      await expectSdkError(assert, unknown.call('DescribeRegions', {}),
        { code: 'InvalidAccessKeyId.NotFound', statusCode: 404, message: 'Specified access key is not found.' });
    });

    test('STS credentials from the admin API', async () => {
      const acc = await server.createAccount('5000.00');
      const sts = await server.admin('POST', `/admin/accounts/${acc.AccountId}/sts`, { seconds: 3600 });
      const c = server.client(variant, sts.AccessKeyId, sts.AccessKeySecret, sts.SecurityToken);
      const pc = await confirmed(c);
      const r = await c.occupancy(pc);
      const orders = await server.orders(acc.AccountId);
      assert.equal(orders[0].OrderId, r.body.data.orderId);
      assert.equal(money(await server.balance(acc.AccountId)), 4000_00);
    });

    test('DescribePhysicalConnections with Filter, Tags and paging; unknown filter key', async () => {
      const { c } = await newClient(variant);
      const Tag = Vpc.CreatePhysicalConnectionRequestTag;
      const a = await c.createPc({ name: 'alpha', tag: [new Tag({ key: 'env', value: 'prod' }),
        new Tag({ key: 'team', value: 'net ops*~' })] });
      const b = await c.createPc({ name: 'beta', tag: [new Tag({ key: 'env', value: 'prod' })] });
      const d = await c.createPc({ name: 'delta', tag: [new Tag({ key: 'env', value: 'dev' })] });
      const F = Vpc.DescribePhysicalConnectionsRequestFilter;
      const T = Vpc.DescribePhysicalConnectionsRequestTags;
      const ids = (r) => r.body.physicalConnectionSet.physicalConnectionType.map((x) => x.physicalConnectionId).sort();
      let r = await c.call('DescribePhysicalConnections', { regionId: REGION,
        filter: [new F({ key: 'PhysicalConnectionId', value: [a, d] })] });
      assert.deepEqual(ids(r), [a, d].sort());
      assert.equal(r.body.totalCount, 2);
      r = await c.call('DescribePhysicalConnections', { regionId: REGION, tags: [new T({ key: 'env', value: 'prod' })] });
      assert.deepEqual(ids(r), [a, b].sort());
      r = await c.call('DescribePhysicalConnections', { regionId: REGION,
        tags: [new T({ key: 'env', value: 'prod' }), new T({ key: 'team', value: 'net ops*~' })] });
      assert.deepEqual(ids(r), [a]);
      const p1 = await c.call('DescribePhysicalConnections', { regionId: REGION, pageNumber: 1, pageSize: 2 });
      const p2 = await c.call('DescribePhysicalConnections', { regionId: REGION, pageNumber: 2, pageSize: 2 });
      assert.equal(p1.body.totalCount, 3);
      assert.equal(p1.body.pageSize, 2);
      assert.equal(p2.body.pageNumber, 2);
      assert.deepEqual([...ids(p1), ...ids(p2)].sort(), [a, b, d].sort());
      await expectSdkError(assert, c.call('DescribePhysicalConnections', { regionId: REGION,
        filter: [new F({ key: 'Foo', value: ['x'] })] }), { code: 'InvalidFilterKey.ValueNotSupported', statusCode: 404 });
    });

    test('DescribeRegions and DescribeAccessPoints', async () => {
      const { c } = await newClient(variant);
      const regions = (await c.call('DescribeRegions', {})).body.regions.region;
      assert.ok(regions.some((x) => x.regionId === REGION && x.localName), JSON.stringify(regions));
      const aps = (await c.call('DescribeAccessPoints', { regionId: REGION, pageSize: 50 })).body.accessPointSet.accessPointType;
      const ap = aps.find((x) => x.accessPointId === 'ap-cn-hangzhou-yh-B');
      assert.ok(ap, JSON.stringify(aps.map((x) => x.accessPointId)));
      assert.equal(ap.attachedRegionNo, REGION);
    });
  });
}
