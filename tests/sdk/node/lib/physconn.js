'use strict';
// Starts a physconn server for the Node SDK tests and wraps its admin API and the official
// @alicloud/vpc20160428 client (V3 by default, V1 with signatureAlgorithm 'v2').
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const Vpc = require('@alicloud/vpc20160428');
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const { RuntimeOptions } = require('@darabonba/typescript');

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const REGION = 'cn-hangzhou';
const ACCESS_POINT = 'ap-cn-hangzhou-yh-B';
const STARTUP_TIMEOUT_MS = 30000;

const REQUEST_ID_RE = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const ORDER_ID_RE = /^[0-9]{15}$/;
const PC_ID_RE = /^pc-[0-9a-z]{21}$/;

function alnum(n) {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (const b of crypto.randomBytes(n)) s += chars[b % chars.length];
  return s;
}
const randomKeyId = () => 'LTAI' + alnum(20);
const randomSecret = () => alnum(30);
const rfc3339 = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

class Server {
  constructor(extraArgs = []) {
    this.extraArgs = extraArgs;
    this.keyId = randomKeyId();
    this.keySecret = randomSecret();
    this.adminToken = crypto.randomBytes(16).toString('hex');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'physconn-node-'));
    this.log = [];
  }

  async start() {
    const bin = process.env.PHYSCONN_BIN || path.join(REPO, 'target', 'debug', 'physconn');
    if (!fs.existsSync(bin)) {
      throw new Error(`physconn binary not found at ${bin} (cargo build -p physconn, or set PHYSCONN_BIN)`);
    }
    const args = ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
      '--data-dir', path.join(this.dir, 'data'), '--clock', 'manual',
      '--clock-start', rfc3339(new Date()), '--provisioning-delay', '1', ...this.extraArgs];
    const env = { ...process.env, PHYSCONN_ACCESS_KEY_ID: this.keyId,
      PHYSCONN_ACCESS_KEY_SECRET: this.keySecret, PHYSCONN_ADMIN_TOKEN: this.adminToken };
    for (const k of ['PHYSCONN_CONFIG', 'PHYSCONN_DATABASE_URL', 'PHYSCONN_TLS', 'PHYSCONN_TLS_SAN',
      'PHYSCONN_TLS_CERT', 'PHYSCONN_TLS_KEY']) delete env[k];
    this.proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.log.push(d.toString()); if (this.log.length > 200) this.log.shift(); });
    const rl = readline.createInterface({ input: this.proc.stdout });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`physconn did not print its listening line in ${STARTUP_TIMEOUT_MS} ms: ${this.logTail()}`));
      }, STARTUP_TIMEOUT_MS);
      this.proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`physconn exited (${code}) before listening: ${this.logTail()}`));
      });
      rl.on('line', (line) => {
        const m = /^listening: api=(https?):\/\/(\S+):(\d+) admin=(https?):\/\/(\S+):(\d+)\s*$/.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          this.protocol = m[1];
          this.endpoint = `${m[2]}:${m[3]}`;
          this.adminUrl = `${m[4]}://${m[5]}:${m[6]}`;
          resolve();
        }
      });
    });
    this.proc.removeAllListeners('exit');
    // With --tls, physconn issued its certificate from the CA in <data-dir>/tls/ca.pem (docs/tls.md).
    this.ca = this.protocol === 'https' ? fs.readFileSync(path.join(this.dir, 'data', 'tls', 'ca.pem'), 'utf8') : undefined;
    const h = await this.request('GET', `${this.adminUrl}/health`);
    if (h.status !== 200) throw new Error('admin /health ' + h.status);
    const h2 = await this.request('GET', `${this.protocol}://${this.endpoint}/health`);
    if (h2.status !== 200) throw new Error('api /health ' + h2.status);
    return this;
  }

  // One HTTP(S) request, trusting the server's CA: { status, text }.
  async request(method, url, headers = {}, body = undefined) {
    if (!url.startsWith('https:')) {
      const res = await fetch(url, { method, headers, body });
      return { status: res.status, text: await res.text() };
    }
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, headers, ca: this.ca }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  logTail() {
    return this.log.join('').slice(-3000);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async admin(method, p, body, expect = [200, 201]) {
    const res = await this.request(method, this.adminUrl + p,
      { Authorization: `Bearer ${this.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body ? JSON.stringify(body) : undefined);
    const text = res.text;
    let parsed;
    try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = text; }
    if (expect && !expect.includes(res.status)) {
      throw new Error(`admin ${method} ${p} -> ${res.status} ${text}`);
    }
    return parsed;
  }

  createAccount(balance = '10000.00', creditLimit = '0') {
    return this.admin('POST', '/admin/accounts',
      { name: 'node-' + alnum(6), balance, credit_limit: creditLimit }, [201]);
  }

  async balance(accountId) { return (await this.admin('GET', `/admin/accounts/${accountId}`)).Balance; }
  async orders(accountId) { return (await this.admin('GET', `/admin/orders?account=${accountId}`)).Orders; }
  async circuit(id) { return this.admin('GET', `/admin/physical-connections/${id}`); }
  advance(seconds) { return this.admin('POST', '/admin/clock/advance', { seconds }); }

  // The provider simulator (docs/design/decisions.md#provider-simulator): account settings, single steps, faults.
  setAccount(accountId, fields) { return this.admin('PUT', `/admin/accounts/${accountId}`, fields); }
  step(id) { return this.admin('POST', `/admin/physical-connections/${id}/advance`); }
  addFault(body) { return this.admin('POST', '/admin/faults', body, [201]); }

  async waitStatus(id, status, maxSteps = 12) {
    const seen = [];
    for (let i = 0; i <= maxSteps; i++) {
      const cur = (await this.circuit(id)).Status;
      seen.push(cur);
      if (cur === status) return cur;
      await this.advance(1);
    }
    throw new Error(`circuit ${id} never reached ${status}; seen ${seen.join(', ')}`);
  }

  // With --tls, the client speaks HTTPS and trusts the server's CA through Config's `ca` (PEM text;
  // RuntimeOptions takes one per call too), as docs/tls.md shows. `ca: null` trusts only Node's own.
  client(variant, ak, sk, securityToken, { ca = this.ca } = {}) {
    const cfg = { accessKeyId: ak || this.keyId, accessKeySecret: sk || this.keySecret,
      endpoint: this.endpoint, protocol: this.protocol, regionId: REGION };
    if (ca) cfg.ca = ca;
    if (variant === 'v2') cfg.signatureAlgorithm = 'v2';
    if (securityToken) cfg.securityToken = securityToken;
    return new SdkClient(new Vpc.default(new $OpenApiUtil.Config(cfg)), variant);
  }
}

// Calls `<action>WithOptions(new <Action>Request({...camelCase}), runtime)` on the official client.
class SdkClient {
  constructor(sdk, variant) { this.sdk = sdk; this.variant = variant; }

  async call(action, params = {}) {
    const Req = Vpc[`${action}Request`];
    const fn = action[0].toLowerCase() + action.slice(1) + 'WithOptions';
    const resp = await this.sdk[fn](new Req(params), new RuntimeOptions({}));
    return resp;
  }

  async createPc(over = {}) {
    const r = await this.call('CreatePhysicalConnection', { regionId: REGION, accessPointId: ACCESS_POINT,
      lineOperator: 'CT', portType: '1000Base-LX', name: 'node-test', peerLocation: 'Hangzhou, Room 1', ...over });
    if (!PC_ID_RE.test(r.body.physicalConnectionId)) throw new Error('bad id ' + JSON.stringify(r.body));
    return r.body.physicalConnectionId;
  }

  async describeOne(id) {
    const r = await this.call('DescribePhysicalConnections', { regionId: REGION,
      filter: [new Vpc.DescribePhysicalConnectionsRequestFilter({ key: 'PhysicalConnectionId', value: [id] })] });
    const items = r.body.physicalConnectionSet.physicalConnectionType;
    if (items.length !== 1) throw new Error('expected one circuit: ' + JSON.stringify(r.body));
    return items[0];
  }

  occupancy(id, over = {}) {
    return this.call('CreatePhysicalConnectionOccupancyOrder', { regionId: REGION, physicalConnectionId: id,
      instanceChargeType: 'PrePaid', period: 1, pricingCycle: 'Month', autoPay: true, ...over });
  }

  confirm(id) {
    return this.call('ConfirmPhysicalConnection', { regionId: REGION, physicalConnectionId: id });
  }

  // A lifecycle action on one circuit: `lc('CancelPhysicalConnection', id, { clientToken })`.
  lc(action, id, extra = {}) {
    return this.call(action, { regionId: REGION, physicalConnectionId: id, ...extra });
  }
}

// Asserts that `promise` rejects the way the Node Tea SDK reports a server error
// (docs/design/protocol.md#sdk-error-handling).
async function expectSdkError(assert, promise, { code, statusCode, message }) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${statusCode} ${code}, but the call succeeded`);
  const cls = statusCode < 500 ? 'ClientError' : 'ServerError';
  assert.equal(err.name, cls, `error class: ${err && err.stack}`);
  assert.equal(err.constructor.name, cls);
  assert.equal(err.code, code, `code (message: ${err.message})`);
  assert.equal(err.statusCode, statusCode);
  assert.ok(err.data && typeof err.data === 'object', 'data');
  assert.equal(err.data.Code, code);
  assert.match(err.data.RequestId, REQUEST_ID_RE);
  assert.equal(err.requestId, err.data.RequestId);
  assert.ok(err.data.HostId, 'HostId');
  assert.ok('Recommend' in err.data, 'Recommend');
  if (message !== undefined) assert.equal(err.data.Message, message);
  assert.equal(err.message, `${code}: code: ${statusCode}, ${err.data.Message} request id: ${err.data.RequestId}`);
  return err;
}

const money = (s) => {
  if (!/^-?\d+\.\d{2}$/.test(s)) throw new Error('not money: ' + s);
  return Math.round(Number(s) * 100);
};

module.exports = { Server, SdkClient, Vpc, REGION, ACCESS_POINT, REQUEST_ID_RE, ORDER_ID_RE, PC_ID_RE,
  expectSdkError, money, randomKeyId, randomSecret };
