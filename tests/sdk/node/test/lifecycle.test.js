'use strict';
// The rest of a circuit's life through the official Node SDK, V3 and V1 (signatureAlgorithm 'v2'):
// Modify, Enable, Cancel, Terminate, Delete, Recover, the setup order, the LOA sub-flow, and a
// provider fault seen through the SDK (docs/design/circuits.md).
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Server, Vpc, REGION, ORDER_ID_RE, PC_ID_RE, REQUEST_ID_RE, expectSdkError, money } =
  require('../lib/physconn');

const NOT_FOUND = 'The PhysicalConnectionId provided does not exist in our records.';
const NOT_ALLOWED = 'The request does not allow in this state.';
const UNKNOWN = 'pc-bp1doesnotexist000000';

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
  await c.confirm(pc);
  return pc;
}

async function listedIds(c) {
  const r = await c.call('DescribePhysicalConnections', { regionId: REGION, pageSize: 50 });
  return r.body.physicalConnectionSet.physicalConnectionType.map((x) => x.physicalConnectionId);
}

function loaRequest(pc, over = {}) {
  const PM = Vpc.ApplyPhysicalConnectionLOARequestPMInfo;
  return { regionId: REGION, instanceId: pc, companyName: 'Example Networks Co., Ltd.', lineType: 'FIBRE',
    si: 'Example Construction Co.', constructionTime: '2030-01-15T02:00:00Z', bandwidth: 1000,
    peerLocation: 'Hangzhou, Room 1',
    PMInfo: [new PM({ PMName: 'Zhang San', PMGender: 'Male', PMCertificateType: 'IDCard',
      PMCertificateNo: '330100199001011234', PMContactInfo: '13800000000' })], ...over };
}

for (const variant of ['v3', 'v2']) {
  describe(`Node SDK ${variant}: lifecycle`, () => {
    test('Modify every field, Enable (seed: free, one step later), Terminate, Delete', async () => {
      const { acc, c } = await newClient(variant, '500.00');
      const pc = await c.createPc({ name: 'before' });
      const r = await c.lc('ModifyPhysicalConnectionAttribute', pc, { name: 'after_node', description: 'node description',
        lineOperator: 'CM', bandwidth: 800, peerLocation: 'Beijing, Building 2', portType: '10GBase-LR',
        circuitCode: 'node-code' });
      assert.match(r.body.requestId, REQUEST_ID_RE);
      let v = await c.describeOne(pc);
      assert.deepEqual([v.status, v.name, v.description, v.lineOperator, v.bandwidth, v.peerLocation, v.portType,
        v.spec, v.circuitCode], ['Initial', 'after_node', 'node description', 'CM', 800, 'Beijing, Building 2',
        '10GBase-LR', '10G', 'node-code']);

      await server.waitStatus(pc, 'Allocated');
      await c.confirm(pc);
      await c.lc('EnablePhysicalConnection', pc);
      assert.equal((await c.describeOne(pc)).status, 'Confirmed');
      await server.advance(1);
      v = await c.describeOne(pc);
      assert.equal(v.status, 'Enabled');
      assert.ok(v.enabledTime);
      assert.ok(!v.chargeType, JSON.stringify(v));
      assert.deepEqual(await server.orders(acc.AccountId), []);
      assert.equal(money(await server.balance(acc.AccountId)), 500_00);

      await expectSdkError(assert, c.lc('DeletePhysicalConnection', pc),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      await c.lc('TerminatePhysicalConnection', pc);
      assert.equal((await c.describeOne(pc)).status, 'Terminating');
      await server.advance(1);
      assert.equal((await c.describeOne(pc)).status, 'Terminated');
      await c.lc('DeletePhysicalConnection', pc);
      assert.ok(!(await listedIds(c)).includes(pc));
      await expectSdkError(assert, c.lc('ModifyPhysicalConnectionAttribute', pc, { name: 'zombie' }),
        { code: 'InvalidPhysicalConnectionId.NotFound', statusCode: 404, message: NOT_FOUND });
    });

    test('Cancel voids the unpaid occupancy order; Delete; later calls are NotFound', async () => {
      const { acc, c } = await newClient(variant, '5000.00');
      const pc = await confirmed(c);
      await c.occupancy(pc, { autoPay: false });
      await c.lc('CancelPhysicalConnection', pc);
      assert.equal((await c.describeOne(pc)).status, 'Canceled');
      const orders = await server.orders(acc.AccountId);
      assert.equal(orders.length, 1);
      assert.equal(orders[0].Status, 'Cancelled');
      assert.equal(money(await server.balance(acc.AccountId)), 5000_00);
      await expectSdkError(assert, c.lc('CancelPhysicalConnection', pc),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      await c.lc('DeletePhysicalConnection', pc, { clientToken: `del-${variant}` });
      await c.lc('DeletePhysicalConnection', pc, { clientToken: `del-${variant}` });   // replay
      assert.ok(!(await listedIds(c)).includes(pc));
      for (const action of ['CancelPhysicalConnection', 'DeletePhysicalConnection', 'EnablePhysicalConnection',
        'TerminatePhysicalConnection']) {
        await expectSdkError(assert, c.lc(action, pc),
          { code: 'InvalidPhysicalConnectionId.NotFound', statusCode: 404, message: NOT_FOUND });
      }
    });

    test('wrong states and bad parameters', async () => {
      const { c } = await newClient(variant);
      const pc = await c.createPc({ name: 'keep' });
      await expectSdkError(assert, c.lc('TerminatePhysicalConnection', pc),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      await expectSdkError(assert, c.lc('EnablePhysicalConnection', pc),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      await expectSdkError(assert, c.lc('DeletePhysicalConnection', pc),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      await expectSdkError(assert, c.lc('ModifyPhysicalConnectionAttribute', pc, { lineOperator: 'XX' }),
        { code: 'InvalidLineOperator.Malformd', statusCode: 400, message: 'The LineOperator provided was invalid.' });
      await expectSdkError(assert, c.lc('ModifyPhysicalConnectionAttribute', pc, { name: '9lives' }),
        { code: 'InvalidName.Malformed', statusCode: 400, message: 'The specified ?Name? is not valid.' });
      await expectSdkError(assert, c.lc('CancelPhysicalConnection', UNKNOWN),
        { code: 'InvalidPhysicalConnectionId.NotFound', statusCode: 404, message: NOT_FOUND });
      await server.waitStatus(pc, 'Allocated');
      await expectSdkError(assert, c.lc('ModifyPhysicalConnectionAttribute', pc, { portType: '10GBase-LR' }),
        { code: 'Forbidden.NotAllowedInState', statusCode: 400, message: NOT_ALLOWED });
      const v = await c.describeOne(pc);
      assert.equal(v.name, 'keep');
      assert.equal(v.portType, '1000Base-LX');
    });

    test('Recover: a dedicated circuit is IncorrectStatus, an unknown one ResourceNotFound', async () => {
      const { c } = await newClient(variant);
      const pc = await c.createPc();
      await expectSdkError(assert, c.call('RecoverPhysicalConnection', { regionId: REGION, instanceId: pc,
        token: 'rec-token', dryRun: true }),
      { code: 'IncorrectStatus.PhysicalConnection', statusCode: 400, message: `The status of ${pc} is incorrect.` });
      await expectSdkError(assert, c.call('RecoverPhysicalConnection', { regionId: REGION, instanceId: UNKNOWN }),
        { code: 'ResourceNotFound', statusCode: 400, message: `The specified resource ${UNKNOWN} is not found.` });
    });

    test('setup order: flat OrderId and PhysicalConnectionId; installation fee paid (seed AutoPay)', async () => {
      const { acc, c } = await newClient(variant, '9000.00');
      const r = await c.call('CreatePhysicalConnectionSetupOrder', { regionId: REGION,
        accessPointId: 'ap-cn-hangzhou-yh-B', lineOperator: 'CT', portType: '10GBase-LR' });
      assert.match(r.body.requestId, REQUEST_ID_RE);
      assert.equal(typeof r.body.orderId, 'string');
      assert.match(r.body.orderId, ORDER_ID_RE);
      assert.match(r.body.physicalConnectionId, PC_ID_RE);
      const pc = r.body.physicalConnectionId;
      assert.equal((await c.describeOne(pc)).status, 'Initial');
      const orders = await server.orders(acc.AccountId);
      assert.equal(orders.length, 1);
      assert.deepEqual([orders[0].OrderId, orders[0].PhysicalConnectionId, orders[0].Kind, orders[0].Status,
        money(orders[0].Amount)], [r.body.orderId, pc, 'Setup', 'Paid', 5000_00]);
      assert.equal(money(await server.balance(acc.AccountId)), 4000_00);
      const unpaid = await c.call('CreatePhysicalConnectionSetupOrder', { regionId: REGION,
        accessPointId: 'ap-cn-hangzhou-yh-B', lineOperator: 'CU', autoPay: false });
      const o = (await server.orders(acc.AccountId)).find((x) => x.OrderId === unpaid.body.orderId);
      assert.equal(o.Status, 'Unpaid');
      assert.equal(money(o.Amount), 2000_00);
      assert.equal(money(await server.balance(acc.AccountId)), 4000_00);
    });

    test('LOA: apply, provider review, complete, confirm makes it Complete', async () => {
      const { c } = await newClient(variant);
      const pc = await c.createPc();
      await expectSdkError(assert, c.call('DescribePhysicalConnectionLOA', { regionId: REGION, instanceId: pc }),
        { code: 'IncorrectStatus.PhysicalConnectionLOA', statusCode: 400 });
      await c.call('ApplyPhysicalConnectionLOA', loaRequest(pc));
      let loa = (await c.call('DescribePhysicalConnectionLOA', { regionId: REGION, instanceId: pc }))
        .body.physicalConnectionLOAType;
      assert.equal(loa.instanceId, pc);
      assert.equal(loa.status, 'Applying');
      assert.equal(loa.companyName, 'Example Networks Co., Ltd.');
      assert.equal(loa.SI, 'Example Construction Co.');
      assert.equal(loa.lineType, 'FIBRE');
      assert.equal(loa.constructionTime, '2030-01-15T02:00:00Z');
      assert.deepEqual(loa.PMInfo.PMInfo.map((p) => [p.PMName, p.PMGender, p.PMCertificateType]),
        [['Zhang San', 'Male', 'IDCard']]);
      await expectSdkError(assert, c.call('CompletePhysicalConnectionLOA', { regionId: REGION, instanceId: pc }),
        { code: 'OperationDenied.LOAStatusNotAllowComplete', statusCode: 400,
          message: 'The operation is not allowed because of LOAStatusNotAllowComplete.' });
      await server.advance(1);
      assert.equal((await c.describeOne(pc)).loaStatus, 'Available');
      await c.call('CompletePhysicalConnectionLOA', { regionId: REGION, instanceId: pc, lineCode: 'LC-1',
        lineLabel: 'label-1', lineServiceProvider: '中国移动', lineSPContactInfo: 'Wang Wu', finishWork: true });
      loa = (await c.call('DescribePhysicalConnectionLOA', { regionId: REGION, instanceId: pc }))
        .body.physicalConnectionLOAType;
      assert.deepEqual([loa.status, loa.lineCode, loa.lineLabel, loa.lineServiceProvider, loa.lineSPContactInfo],
        ['Completing', 'LC-1', 'label-1', '中国移动', 'Wang Wu']);
      await server.waitStatus(pc, 'Allocated');
      await c.confirm(pc);
      assert.equal((await c.describeOne(pc)).loaStatus, 'Complete');
      await expectSdkError(assert, c.call('ApplyPhysicalConnectionLOA', loaRequest(UNKNOWN)),
        { code: 'InvalidInstanceId.NotFound', statusCode: 400 });
      await expectSdkError(assert, c.call('ApplyPhysicalConnectionLOA', loaRequest(await c.createPc(), { lineType: 'SDWAN' })),
        { code: 'IllegalParam.LineType', statusCode: 400 });
    });

    test('provider fault: Rejected through the SDK, Modify sends it back to review, then Allocated', async () => {
      const { acc, c } = await newClient(variant);
      await server.setAccount(acc.AccountId, { provisioning_mode: 'manual' });
      const pc = await c.createPc();
      await server.addFault({ scope: 'circuit', target: pc, outcome: 'Rejected' });
      await server.advance(5);
      assert.equal((await c.describeOne(pc)).status, 'Initial');    // manual mode: nothing moves by itself
      await server.step(pc);
      assert.equal((await c.describeOne(pc)).status, 'Rejected');
      await c.lc('ModifyPhysicalConnectionAttribute', pc, { description: 'resubmitted' });
      assert.equal((await c.describeOne(pc)).status, 'Initial');
      for (const want of ['Approved', 'Allocating', 'Allocated']) {
        await server.step(pc);
        assert.equal((await c.describeOne(pc)).status, want);
      }
    });
  });
}
