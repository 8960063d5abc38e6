'use strict';
// A physconn server for the console test: started on port 0 with a manual
// clock, its admin API, and the signed API (V1 HMAC-SHA1, docs/design/protocol.md#signature-v1).
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const REPO = path.resolve(__dirname, '..', '..');
const STARTUP_TIMEOUT_MS = 30000;

function alnum(n) {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  for (const b of crypto.randomBytes(n)) s += chars[b % chars.length];
  return s;
}

/** RFC 3986 percent-encoding as the V1 signature wants it. */
function pct(s) {
  return encodeURIComponent(String(s)).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

class Server {
  constructor() {
    this.keyId = 'LTAI' + alnum(20);
    this.keySecret = alnum(30);
    this.adminToken = crypto.randomBytes(16).toString('hex');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'physconn-console-'));
    this.log = [];
  }

  async start() {
    const bin = process.env.PHYSCONN_BIN || path.join(REPO, 'target', 'debug', 'physconn');
    if (!fs.existsSync(bin)) throw new Error(`physconn binary not found at ${bin} (cargo build -p physconn)`);
    const args = ['serve', '--listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0',
      '--data-dir', path.join(this.dir, 'data'), '--clock', 'manual'];
    const env = { ...process.env, PHYSCONN_ACCESS_KEY_ID: this.keyId,
      PHYSCONN_ACCESS_KEY_SECRET: this.keySecret, PHYSCONN_ADMIN_TOKEN: this.adminToken };
    delete env.PHYSCONN_CONFIG;
    delete env.PHYSCONN_DATABASE_URL;
    this.proc = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d) => { this.log.push(d.toString()); if (this.log.length > 200) this.log.shift(); });
    const rl = readline.createInterface({ input: this.proc.stdout });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in ${STARTUP_TIMEOUT_MS} ms: ${this.logTail()}`)),
        STARTUP_TIMEOUT_MS);
      this.proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`physconn exited (${code}) before listening: ${this.logTail()}`));
      });
      rl.on('line', (line) => {
        const m = /^listening: api=(http:\/\/\S+) admin=(http:\/\/\S+)\s*$/.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          this.apiUrl = m[1];
          this.adminUrl = m[2];
          resolve();
        }
      });
    });
    this.proc.removeAllListeners('exit');
    return this;
  }

  logTail() {
    return this.log.join('').slice(-3000);
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((resolve) => this.proc.once('exit', resolve));
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 10000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async admin(method, p, body, expect = [200, 201, 204]) {
    const res = await fetch(this.adminUrl + p, {
      method,
      headers: { Authorization: `Bearer ${this.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed;
    try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
    if (expect && !expect.includes(res.status)) throw new Error(`admin ${method} ${p} -> ${res.status} ${text}`);
    return parsed;
  }

  /** A signed VPC API call as the default account (V1, timestamped by the server's clock). */
  async rpc(action, params = {}) {
    const { now } = await this.admin('GET', '/admin/clock');
    const p = {
      Action: action, Version: '2016-04-28', Format: 'JSON', RegionId: 'cn-hangzhou',
      AccessKeyId: this.keyId, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
      SignatureNonce: crypto.randomBytes(16).toString('hex'), Timestamp: now, ...params,
    };
    const canonical = Object.keys(p).sort().map((k) => `${pct(k)}=${pct(p[k])}`).join('&');
    const toSign = `POST&${pct('/')}&${pct(canonical)}`;
    const signature = crypto.createHmac('sha1', `${this.keySecret}&`).update(toSign).digest('base64');
    const res = await fetch(this.apiUrl + '/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `${canonical}&Signature=${pct(signature)}`,
    });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`${action} -> ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  async createCircuit(name) {
    const r = await this.rpc('CreatePhysicalConnection', {
      AccessPointId: 'ap-cn-hangzhou-yh-B', LineOperator: 'CT', PortType: '1000Base-LX', Name: name,
    });
    return r.PhysicalConnectionId;
  }

  /** Confirms an Allocated circuit and places an unpaid one-month occupancy order. */
  async unpaidOrder(id) {
    await this.rpc('ConfirmPhysicalConnection', { PhysicalConnectionId: id });
    const r = await this.rpc('CreatePhysicalConnectionOccupancyOrder', {
      PhysicalConnectionId: id, InstanceChargeType: 'PrePaid', Period: '1', PricingCycle: 'Month', AutoPay: 'false',
    });
    return String(r.Data ? r.Data.OrderId : r.OrderId);
  }
}

module.exports = { Server, REPO };
