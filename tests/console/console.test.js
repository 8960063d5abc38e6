'use strict';
// End-to-end test of the web console: a real physconn server, Debian's
// headless Chromium driven by playwright-core. Every view is checked against
// the admin API, every action is done through the page, and the page must
// update without a reload. Screenshots go to target/console-screenshots/.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { Server, REPO } = require('./lib');

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SHOTS = process.env.CONSOLE_SCREENSHOTS || path.join(REPO, 'target', 'console-screenshots');
const WAIT = { timeout: 10000 };

test('web console', { timeout: 240000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const server = await new Server().start();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'physconn-chromium-'));
  let browser;
  t.after(async () => {
    if (browser) await browser.close();
    await server.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  });

  // Three circuits of the default account, made through the signed API.
  const c1 = await server.createCircuit('console-one');
  const c2 = await server.createCircuit('console-two');
  await server.admin('POST', `/admin/physical-connections/${c2}/status`, { status: 'Allocated' });
  const order2 = await server.unpaidOrder(c2);
  const def = await server.admin('GET', '/admin/accounts/default');

  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 900 },
  });
  browser = context;
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Expected refusals: the wrong token (401), the impossible transition (409).
    const expected = /Failed to load resource: the server responded with a status of (401|409)/;
    if (m.type() === 'error' && !expected.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  // Toasts are cleared first (they would cover the content) unless they are the point.
  const shot = async (name, { keepToasts = false } = {}) => {
    if (!keepToasts) await page.evaluate(() => document.getElementById('toasts').replaceChildren());
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };
  const text = (sel) => page.locator(sel).innerText();
  const waitText = (sel, re) => page.locator(sel).filter({ hasText: re }).first().waitFor(WAIT);
  const row = (table, id) => page.locator(`#${table} tr[data-id="${id}"]`);
  const sameDocument = async () => assert.equal(await page.evaluate(() => window.__sameDocument), true,
    'the page was reloaded');

  await t.test('the page and its assets need no token; the API does', async () => {
    for (const p of ['/console', '/console/app.js', '/console/dom.js', '/console/style.css']) {
      const r = await fetch(server.adminUrl + p);
      assert.equal(r.status, 200, p);
    }
    assert.equal((await fetch(server.adminUrl + '/admin/physical-connections')).status, 401);
    const one = await server.admin('GET', '/admin/physical-connections?account=default&limit=1');
    assert.equal(one.TotalCount, 2);
    assert.equal(one.PhysicalConnections.length, 1);
    const all = (await server.admin('GET', '/admin/physical-connections')).PhysicalConnections;
    assert.deepEqual(all.map((c) => c.PhysicalConnectionId).sort(), [c1, c2].sort());
    const c2row = all.find((c) => c.PhysicalConnectionId === c2);
    assert.equal(c2row.AccountId, def.AccountId);
    assert.equal(c2row.PendingOrderId, order2);
    const c1row = all.find((c) => c.PhysicalConnectionId === c1);
    assert.deepEqual([c1row.NextStep.Kind, c1row.NextStep.Expect, c1row.NextStep.To], ['provider', 'Initial', 'Approved']);
    assert.equal((await fetch(server.adminUrl + '/admin/physical-connections?account=nobody', {
      headers: { Authorization: `Bearer ${server.adminToken}` } })).status, 404);
  });

  await t.test('a wrong token stays on the login form', async () => {
    await page.goto(server.adminUrl + '/console');
    await page.locator('#login-token').waitFor(WAIT);
    await shot('01-login');
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-form button[type=submit]');
    await waitText('#login-error', /Wrong admin token/);
    assert.equal(await page.locator('#app').isHidden(), true);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await shot('02-login-wrong-token');
  });

  await t.test('login shows the accounts with balances', async () => {
    await page.fill('#login-token', server.adminToken);
    await page.click('#login-form button[type=submit]');
    await page.locator('#app').waitFor({ state: 'visible', ...WAIT });
    await page.evaluate(() => { window.__sameDocument = true; });
    await row('accounts-table', def.AccountId).waitFor(WAIT);
    const r = await row('accounts-table', def.AccountId).innerText();
    assert.match(r, /default/);
    assert.match(r, new RegExp(`${def.Balance.replace('.', '\\.')} CNY`));
    const clock = await server.admin('GET', '/admin/clock');
    assert.equal(await text('#clock-now'), clock.now.replace('T', ' ').replace('Z', ''));
    assert.equal(await text('#clock-mode'), 'manual');
  });

  let acct;
  await t.test('create an account', async () => {
    await page.fill('#new-account [name=name]', 'ops-team');
    await page.fill('#new-account [name=balance]', '250.00');
    await page.fill('#new-account [name=credit_limit]', '50.00');
    await page.click('#new-account button[type=submit]');
    await page.locator('#secret-dialog[open]').waitFor(WAIT);
    const dialog = await text('#secret-fields');
    acct = (await server.admin('GET', '/admin/accounts')).Accounts.find((a) => a.Name === 'ops-team');
    assert.ok(acct, 'the account exists');
    assert.match(dialog, new RegExp(acct.AccountId));
    assert.match(dialog, /AccessKeySecret/);
    await shot('03-account-created');
    await page.click('#secret-dialog button');
    await row('accounts-table', acct.AccountId).filter({ hasText: '250.00 CNY' }).waitFor(WAIT);
    await waitText('#account-title', /ops-team/);
    await waitText('#ledger-table tr', /Opening/);
    assert.match(await text('#account-stats'), /50\.00 CNY/);
    assert.match(await text('#account-stats'), /300\.00 CNY/, 'available = balance + credit');
    await sameDocument();
  });

  await t.test('top up and create a key', async () => {
    await page.fill('#topup-form [name=amount]', '100.00');
    await page.click('#topup-form button[type=submit]');
    await row('accounts-table', acct.AccountId).filter({ hasText: '350.00 CNY' }).waitFor(WAIT);
    await waitText('#ledger-table tr', /TopUp/);
    assert.match(await page.locator('#ledger-table tr', { hasText: 'TopUp' }).innerText(), /100\.00 CNY/);
    assert.equal((await server.admin('GET', `/admin/accounts/${acct.AccountId}`)).Balance, '350.00');

    assert.equal(await page.locator('#keys-table tbody tr').count(), 1);
    await page.click('#new-key');
    await page.locator('#secret-dialog[open]').waitFor(WAIT);
    const keys = (await server.admin('GET', `/admin/accounts/${acct.AccountId}/keys`)).AccessKeys;
    assert.equal(keys.length, 2);
    await page.click('#secret-dialog button');
    await page.locator('#keys-table tbody tr').nth(1).waitFor(WAIT);
    for (const k of keys) await row('keys-table', k.AccessKeyId).waitFor(WAIT);
    await shot('04-account-detail');
    await sameDocument();
  });

  await t.test('circuits: force Allocated, timeline, live changes from the API', async () => {
    await page.click('[data-tab=circuits]');
    await row('circuits-table', c1).waitFor(WAIT);
    assert.match(await row('circuits-table', c1).innerText(), /Initial/);
    assert.match(await row('circuits-table', c2).innerText(), /Confirmed/);
    await row('circuits-table', c1).click();
    await waitText('#circuit-title', new RegExp(c1));
    assert.equal(await page.locator('#circuit-timeline li').count(), 1);
    // A transition the provider cannot make: the server's reason, nothing moves.
    await page.selectOption('#force-form [name=status]', 'Terminated');
    await page.click('#force-form button[type=submit]');
    await waitText('#toasts .toast.error', /cannot move a circuit from Initial to Terminated/);
    assert.equal((await server.admin('GET', `/admin/physical-connections/${c1}`)).Status, 'Initial');
    await page.selectOption('#force-form [name=status]', 'Allocated');
    await page.click('#force-form button[type=submit]');
    await waitText('#circuit-status', /^Allocated$/);
    await page.locator('#circuit-timeline li').nth(3).waitFor(WAIT);
    const timeline = await text('#circuit-timeline');
    for (const s of ['Initial', 'Approved', 'Allocating', 'Allocated']) assert.match(timeline, new RegExp(s));
    assert.equal((await server.admin('GET', `/admin/physical-connections/${c1}`)).Status, 'Allocated');
    await row('circuits-table', c1).filter({ hasText: 'Allocated' }).waitFor(WAIT);

    // The customer confirms and orders through the API: the page follows.
    const order1 = await server.unpaidOrder(c1);
    await waitText('#circuit-status', /^Confirmed$/);
    await row('circuit-orders', order1).filter({ hasText: 'Unpaid' }).waitFor(WAIT);
    const o = (await server.admin('GET', '/admin/orders?account=default')).Orders.find((x) => x.OrderId === order1);
    assert.match(await row('circuit-orders', order1).innerText(), new RegExp(`${o.Amount.replace('.', '\\.')} CNY`));
    await shot('05-circuit-detail');
    await sameDocument();
  });

  await t.test('orders: pay one, void another', async () => {
    await page.click('[data-tab=orders]');
    const orders = (await server.admin('GET', '/admin/orders')).Orders;
    assert.equal(orders.length, 2);
    for (const o of orders) {
      await row('orders-table', o.OrderId).filter({ hasText: `${o.Amount} ${o.Currency}` }).waitFor(WAIT);
      assert.match(await row('orders-table', o.OrderId).innerText(), /Unpaid/);
    }
    await shot('06-orders-unpaid');
    const order1 = orders.find((o) => o.PhysicalConnectionId === c1);
    const before = (await server.admin('GET', '/admin/accounts/default')).Balance;
    await row('orders-table', order1.OrderId).locator('[data-action=pay]').click();
    await row('orders-table', order1.OrderId).locator('[data-badge="Paid"]').waitFor(WAIT);
    const after = (await server.admin('GET', '/admin/accounts/default')).Balance;
    assert.equal(Math.round((Number(before) - Number(after)) * 100), Math.round(Number(order1.Amount) * 100));
    await row('orders-table', order2).locator('[data-action=void]').click();
    await row('orders-table', order2).locator('[data-badge="Cancelled"]').waitFor(WAIT);
    const now = (await server.admin('GET', '/admin/orders')).Orders;
    assert.equal(now.find((o) => o.OrderId === order1.OrderId).Status, 'Paid');
    assert.equal(now.find((o) => o.OrderId === order2).Status, 'Cancelled');
    assert.equal(await row('orders-table', order2).locator('button').count(), 0, 'a settled order has no actions');
    await shot('07-orders-settled', { keepToasts: true });
    await sameDocument();
  });

  await t.test('advance the manual clock: the paid circuit is enabled', async () => {
    const was = (await server.admin('GET', '/admin/clock')).now;
    await page.fill('#clock-seconds', '5');
    await page.click('#clock-advance');
    const expected = new Date(Date.parse(was) + 5000).toISOString().replace(/\.\d{3}Z$/, '').replace('T', ' ');
    await waitText('#clock-now', new RegExp(expected));
    assert.equal((await server.admin('GET', `/admin/physical-connections/${c1}`)).Status, 'Enabled');
    await page.click('[data-tab=circuits]');
    await row('circuits-table', c1).filter({ hasText: 'Enabled' }).waitFor(WAIT);
    await row('circuits-table', c1).click();
    await waitText('#circuit-status', /^Enabled$/);
    assert.match(await text('#circuit-timeline'), /Confirmed[\s\S]*Enabled/);
    await shot('08-circuit-enabled');
    await sameDocument();
  });

  await t.test('the line shows its VBR with BGP groups, peers and session states', async () => {
    const R = { RegionId: 'cn-hangzhou' };
    const vbr = (await server.rpc('CreateVirtualBorderRouter', { ...R, PhysicalConnectionId: c1, VlanId: '100',
      LocalGatewayIp: '10.0.0.1', PeerGatewayIp: '10.0.0.2', PeeringSubnetMask: '255.255.255.252' })).VbrId;
    const group = (await server.rpc('CreateBgpGroup', { ...R, RouterId: vbr, PeerAsn: '65001' })).BgpGroupId;
    await server.admin('POST', '/admin/clock/advance', { seconds: 2 });
    const peer = (await server.rpc('CreateBgpPeer', { ...R, BgpGroupId: group })).BgpPeerId;
    await server.rpc('AddBgpNetwork', { ...R, RouterId: vbr, DstCidrBlock: '192.168.10.0/24' });
    await server.admin('POST', '/admin/clock/advance', { seconds: 2 });
    await server.admin('POST', `/admin/bgp-peers/${peer}/session`, { BgpStatus: 'Established' });
    await page.click('[data-tab=circuits]');
    await row('circuits-table', c1).click();
    await waitText('#circuit-title', new RegExp(c1));
    const peerRow = page.locator(`#circuit-vbrs .bgp-peer[data-id="${peer}"]`);
    await peerRow.filter({ hasText: 'Established' }).waitFor(WAIT);
    assert.match(await text('#circuit-vbrs'), /AS 65001/);
    assert.match(await text('#circuit-vbrs'), /192\.168\.10\.0\/24/);
    assert.match(await peerRow.innerText(), /10\.0\.0\.2/);
    await shot('08b-vbr-bgp');
    // The session goes down: the page follows.
    await server.admin('POST', `/admin/bgp-peers/${peer}/session`, { BgpStatus: 'Idle' });
    await page.click('#clock-advance');
    await peerRow.filter({ hasText: 'Idle' }).waitFor(WAIT);
    await sameDocument();
  });

  await t.test('simulator: modes and a fault that rejects the next step', async () => {
    const c3 = await server.createCircuit('console-three');
    await page.click('[data-tab=simulator]');
    await waitText('#provisioning-now', /auto/);
    assert.match(await text('#provisioning-now'), /1 s/);
    await page.locator('#timers-table tr', { hasText: c3 }).first().waitFor(WAIT);
    await page.selectOption('#fault-form [name=scope]', 'circuit');
    await page.fill('#fault-form [name=target]', c3);
    await page.selectOption('#fault-form [name=outcome]', 'Rejected');
    await page.click('#fault-form button[type=submit]');
    await page.locator('#faults-table tr', { hasText: c3 }).waitFor(WAIT);
    assert.match(await page.locator('#faults-table tr', { hasText: c3 }).innerText(), /Rejected/);
    assert.equal((await server.admin('GET', '/admin/faults')).Faults.length, 1);
    await shot('09-simulator');

    // One minute on: the first provider step hits the fault.
    await page.click('[data-advance="60"]');
    await page.locator('#faults-table .empty').waitFor(WAIT);
    assert.equal((await server.admin('GET', `/admin/physical-connections/${c3}`)).Status, 'Rejected');
    assert.equal(await page.locator('#timers-table tr', { hasText: c3 }).count(), 0);

    // The global mode: manual, shown at once.
    await page.selectOption('#provisioning-form [name=mode]', 'manual');
    await page.click('#provisioning-form button[type=submit]');
    await waitText('#provisioning-now', /manual/);
    assert.equal((await server.admin('GET', '/admin/provisioning')).mode, 'manual');
    await page.click('[data-tab=circuits]');
    await row('circuits-table', c3).filter({ hasText: 'Rejected' }).waitFor(WAIT);
    await sameDocument();
  });

  await t.test('the audit log lists admin actions and API writes', async () => {
    await page.click('[data-tab=audit]');
    await waitText('#view-audit', /CreatePhysicalConnection/);
    await waitText('#view-audit', /POST \/admin\/accounts/);
    assert.ok(await page.locator('#view-audit table tbody tr').count() > 2);
    await shot('10-audit');
  });

  await t.test('sign out', async () => {
    await page.click('#logout');
    await page.locator('#login-token').waitFor(WAIT);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await sameDocument();
    assert.deepEqual(problems, []);
  });
});
