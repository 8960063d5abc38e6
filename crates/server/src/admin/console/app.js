// The physconn web console: signs in with the admin token (kept in
// sessionStorage), polls the JSON admin API and renders accounts, circuits,
// orders and the simulator; every action is one admin API call.

import {
  $, h, paint, forgetPaint, table, badge, mono, small, money, time, relative, fields, toast,
  showSecret, setOptions,
} from './dom.js';

const TOKEN_KEY = 'physconn.adminToken';
const POLL_MS = 1500;
const TABS = ['accounts', 'circuits', 'orders', 'simulator', 'audit'];

const S = {
  token: sessionStorage.getItem(TOKEN_KEY),
  tab: 'accounts',
  account: null, // selected AccountId (Accounts tab)
  circuit: null, // selected PhysicalConnectionId (Circuits tab)
  clock: null,
  provisioning: null,
  accounts: [],
  circuits: [],
  orders: [],
  faults: [],
  timers: [],
  detail: {}, // per-selection data: ledger, keys, circuit, circuitOrders
};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

async function call(token, method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, cache: 'no-store', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { Message: text }; }
  if (!res.ok) throw new ApiError(res.status, data && data.Code, data && data.Message);
  return data;
}

async function api(method, path, body) {
  try {
    return await call(S.token, method, path, body);
  } catch (e) {
    if (e.status === 401) signOut('The admin token was rejected; sign in again.');
    throw e;
  }
}

/** Runs an action, reports its outcome, and refreshes at once. */
async function act(label, fn) {
  try {
    const r = await fn();
    if (label) toast(label, 'ok');
    await refresh();
    return r;
  } catch (e) {
    if (e.status !== 401) toast(`${e.code ? e.code + ': ' : ''}${e.message}`, 'error');
    await refresh().catch(() => {});
    return undefined;
  }
}

// ---------------------------------------------------------------- sign in

function showLogin(message) {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').hidden = !message;
  $('login-error').textContent = message || '';
  $('login-token').value = '';
  $('login-token').focus();
}

function signOut(message) {
  S.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  stopPolling();
  forgetPaint();
  showLogin(message);
}

async function signIn(token) {
  const btn = $('login-form').querySelector('button');
  btn.disabled = true;
  try {
    S.clock = await call(token, 'GET', '/admin/clock');
    S.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    $('app').hidden = false;
    route();
    startPolling();
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    S.token = null;
    const msg = e.status === 401 ? 'Wrong admin token.'
      : e instanceof ApiError ? `The server answered ${e.status}: ${e.message}` : 'Cannot reach the server.';
    showLogin(msg);
  } finally {
    btn.disabled = false;
  }
}

// ---------------------------------------------------------------- routing

/** #tab or #tab/id: the tab and its selection live in the address. */
function route() {
  const [tab, id] = decodeURIComponent(location.hash.slice(1)).split('/');
  S.tab = TABS.includes(tab) ? tab : 'accounts';
  if (S.tab === 'accounts') S.account = id || S.account;
  if (S.tab === 'circuits') S.circuit = id || S.circuit;
  for (const b of document.querySelectorAll('[data-tab]')) {
    b.setAttribute('aria-selected', String(b.dataset.tab === S.tab));
  }
  for (const t of TABS) $(`view-${t}`).hidden = t !== S.tab;
  refresh();
}

function go(tab, id) {
  const hash = `#${tab}${id ? '/' + encodeURIComponent(id) : ''}`;
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ---------------------------------------------------------------- polling

let timer = null;
let running = null;
let again = false;

function startPolling() {
  stopPolling();
  const tick = async () => {
    await refresh();
    if (S.token) timer = setTimeout(tick, POLL_MS);
  };
  timer = setTimeout(tick, POLL_MS);
}

function stopPolling() {
  clearTimeout(timer);
  timer = null;
}

/** Loads what the current tab shows and renders it; never overlaps itself. */
async function refresh() {
  if (!S.token) return;
  if (running) { again = true; return running; }
  running = (async () => {
    do {
      again = false;
      try {
        await load();
        render();
        live(true);
      } catch (e) {
        if (e.status !== 401) live(false, e.message);
      }
    } while (again && S.token);
  })();
  try { await running; } finally { running = null; }
}

function live(ok, why) {
  const el = $('live');
  el.className = ok ? 'live ok' : 'live err';
  el.textContent = ok ? 'live' : 'offline';
  el.title = ok ? `updated ${new Date().toLocaleTimeString()}` : `update failed: ${why}`;
}

async function load() {
  const want = {
    accounts: ['accounts'],
    circuits: ['accounts', 'circuits', 'provisioning', 'timers'],
    orders: ['accounts', 'orders'],
    simulator: ['accounts', 'circuits', 'provisioning', 'faults', 'timers'],
    audit: ['audit'],
  }[S.tab];
  const jobs = [api('GET', '/admin/clock').then((c) => { S.clock = c; })];
  const get = {
    accounts: () => api('GET', '/admin/accounts').then((r) => {
      S.accounts = [...r.Accounts].sort((a, b) => a.Name.localeCompare(b.Name));
    }),
    circuits: () => api('GET', `/admin/physical-connections?limit=1000${circuitFilter()}`)
      .then((r) => { S.circuits = r.PhysicalConnections; }),
    orders: () => api('GET', `/admin/orders${orderFilter()}`).then((r) => { S.orders = sortOrders(r.Orders); }),
    provisioning: () => api('GET', '/admin/provisioning').then((r) => { S.provisioning = r; }),
    faults: () => api('GET', '/admin/faults').then((r) => { S.faults = r.Faults; }),
    timers: () => api('GET', '/admin/timers').then((r) => { S.timers = r.Timers; }),
    audit: () => api('GET', '/admin/audit?limit=200').then((r) => { S.audit = r.Entries; }),
  };
  for (const w of want) jobs.push(get[w]());
  if (S.tab === 'accounts' && S.account) jobs.push(loadAccount(S.account));
  if (S.tab === 'circuits' && S.circuit) jobs.push(loadCircuit(S.circuit));
  await Promise.all(jobs);
}

function circuitFilter() {
  const v = S.tab === 'circuits' ? $('circuits-account').value : '';
  return v ? `&account=${encodeURIComponent(v)}` : '';
}

function orderFilter() {
  const v = $('orders-account').value;
  return v ? `?account=${encodeURIComponent(v)}` : '';
}

const sortOrders = (os) => [...os].sort((a, b) =>
  (b.CreateTime || '').localeCompare(a.CreateTime || '') || b.OrderId.localeCompare(a.OrderId));

async function loadAccount(id) {
  try {
    const [account, ledger, keys] = await Promise.all([
      api('GET', `/admin/accounts/${encodeURIComponent(id)}`),
      api('GET', `/admin/accounts/${encodeURIComponent(id)}/ledger`),
      api('GET', `/admin/accounts/${encodeURIComponent(id)}/keys`),
    ]);
    S.detail = { account, ledger: ledger.Entries, keys: keys.AccessKeys };
  } catch (e) {
    if (e.status !== 404) throw e;
    S.account = null;
    S.detail = {};
  }
}

async function loadCircuit(id) {
  try {
    const circuit = await api('GET', `/admin/physical-connections/${encodeURIComponent(id)}`);
    const orders = await api('GET', `/admin/orders?account=${encodeURIComponent(circuit.AccountId)}`);
    const vbrs = await api('GET', `/admin/vbrs?circuit=${encodeURIComponent(id)}`);
    S.detail = { circuit, vbrs: vbrs.Vbrs,
      orders: sortOrders(orders.Orders.filter((o) => o.PhysicalConnectionId === id)) };
  } catch (e) {
    if (e.status !== 404) throw e;
    S.circuit = null;
    S.detail = {};
  }
}

// ---------------------------------------------------------------- rendering

const accountName = (id) => (S.accounts.find((a) => a.AccountId === id) || {}).Name;
const accountCell = (id) => [h('div', {}, accountName(id) || '—'), small(mono(id))];

function render() {
  renderClock();
  ({ accounts: renderAccounts, circuits: renderCircuits, orders: renderOrders,
    simulator: renderSimulator, audit: renderAudit })[S.tab]();
}

function renderClock() {
  const c = S.clock;
  if (!c) return;
  $('clock-now').textContent = time(c.now);
  const mode = $('clock-mode');
  mode.textContent = c.mode;
  mode.className = `badge ${c.mode === 'manual' ? 'warn' : 'muted'}`;
  for (const el of $('clock-form').elements) el.disabled = c.mode !== 'manual';
  $('clock-form').title = c.mode === 'manual' ? '' : 'the server runs on the system clock (--clock system)';
}

function accountOptions() {
  return S.accounts.map((a) => [a.AccountId, `${a.Name} (${a.AccountId})`]);
}

function renderAccounts() {
  paint('accounts-table', [S.accounts, S.account], () => table([
    { title: 'Account', cell: (a) => [h('strong', {}, a.Name), small(mono(a.AccountId))] },
    { title: 'Balance', class: 'num', cell: (a) => money(a.Balance) },
    { title: 'Credit limit', class: 'num', cell: (a) => money(a.CreditLimit) },
    { title: 'Available', class: 'num', cell: (a) => money(a.AvailableAmount) },
    { title: 'Mode', cell: (a) => badge(a.ProvisioningMode || 'inherit', a.ProvisioningMode ? null : 'muted') },
    { title: 'State', cell: (a) => (a.Overdue ? badge('Overdue', 'bad') : badge('OK', 'ok')) },
  ], S.accounts, { key: (a) => a.AccountId, selected: S.account, onSelect: (a) => go('accounts', a.AccountId) }));

  const d = S.detail;
  const pane = $('account-detail');
  const on = Boolean(S.account && d.account);
  pane.querySelector('.empty').hidden = on;
  pane.querySelector('.detail-body').hidden = !on;
  if (!on) return;
  $('account-title').textContent = d.account.Name;
  $('account-id').textContent = d.account.AccountId;
  paint('account-stats', d.account, (a) => [
    stat('Balance', money(a.Balance)),
    stat('Credit limit', money(a.CreditLimit)),
    stat('Available', money(a.AvailableAmount)),
    stat('State', [a.Overdue ? badge('Overdue', 'bad') : badge('OK', 'ok'),
      a.BypassSp ? badge('direct enable', 'info') : null]),
  ]);
  paint('keys-table', d.keys, (keys) => table([
    { title: 'AccessKeyId', cell: (k) => [mono(k.AccessKeyId),
      small(`${k.Temporary ? `temporary until ${time(k.Expiration)}` : 'permanent'} · created ${time(k.CreateTime)}`)] },
    { title: 'Status', cell: (k) => badge(k.Status) },
    { title: '', class: 'end', cell: (k) => h('button', {
      class: 'small', onclick: () => setKey(k.AccessKeyId, k.Status === 'Active' ? 'Inactive' : 'Active'),
    }, k.Status === 'Active' ? 'Disable' : 'Enable') },
  ], keys, { key: (k) => k.AccessKeyId, empty: 'No keys.' }));
  paint('ledger-table', d.ledger, (entries) => table([
    { title: '#', class: 'num', cell: (e) => e.Seq },
    { title: 'Entry', class: 'nowrap', cell: (e) => [badge(e.Kind, 'muted'), small(time(e.Time))] },
    { title: 'Amount', class: 'num', cell: (e) => money(e.Amount) },
    { title: 'Balance after', class: 'num', cell: (e) => money(e.BalanceAfter) },
    { title: 'Order / note', cell: (e) => [e.OrderId ? mono(e.OrderId) : null, e.Note ? small(e.Note) : null] },
  ], entries, { key: (e) => e.Seq, empty: 'No ledger entries.' }));
}

function stat(label, value) {
  return h('div', { class: 'stat' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat-value' }, value));
}

function effectiveMode(c) {
  const a = S.accounts.find((x) => x.AccountId === c.AccountId);
  if (c.ProvisioningMode) return [c.ProvisioningMode, 'circuit'];
  if (a && a.ProvisioningMode) return [a.ProvisioningMode, 'account'];
  return [S.provisioning ? S.provisioning.mode : '?', 'global'];
}

const BILLING = new Set(['expire', 'meter', 'overdue']);
const STEP_LABEL = {
  provider: 'provider', activate: 'activation (paid)', enable: 'activation', loa: 'LOA review',
  expire: 'subscription end', meter: 'hourly metering', overdue: 'end of overdue grace',
};

/** What a pending step does: "provider Initial → Approved". */
function stepWhat(t) {
  return h('span', { class: 'step' }, h('span', { class: 'step-kind' }, STEP_LABEL[t.Kind] || t.Kind),
    t.To ? [badge(t.Expect), h('span', { class: 'arrow' }, '→'), badge(t.To)] : null);
}

function stepCell(t) {
  if (!t) return h('span', { class: 'muted' }, '—');
  return [h('div', {}, stepWhat(t)), h('div', { class: 'sub', title: time(t.Due) }, relative(t.Due, S.clock.now))];
}

function renderCircuits() {
  setOptions($('circuits-account'), 'all accounts', accountOptions());
  paint('circuits-table', [S.circuits, S.circuit, S.accounts, S.provisioning, S.clock.now], () => table([
    { title: 'Circuit', class: 'nowrap', cell: (c) => [mono(c.PhysicalConnectionId),
      small(`${c.Name || 'unnamed'} · ${time(c.CreationTime)}`)] },
    { title: 'Account', cell: (c) => h('span', { title: c.AccountId }, accountName(c.AccountId) || c.AccountId) },
    { title: 'Access point', class: 'nowrap', cell: (c) => [h('div', {}, c.AccessPointId), small(`${c.LineOperator} · ${c.PortType}`)] },
    { title: 'Status', cell: (c) => [badge(c.Status),
      c.BusinessStatus !== 'Normal' ? badge(c.BusinessStatus) : null] },
    { title: 'Mode', cell: (c) => { const [m, from] = effectiveMode(c); return [badge(m), small(from)]; } },
    { title: 'Next step', cell: (c) => stepCell(c.NextStep) },
  ], S.circuits, {
    key: (c) => c.PhysicalConnectionId, selected: S.circuit, empty: 'No circuits. Create one through the API.',
    onSelect: (c) => go('circuits', c.PhysicalConnectionId),
  }));

  const d = S.detail;
  const pane = $('circuit-detail');
  const on = Boolean(S.circuit && d.circuit);
  pane.querySelector('.empty').hidden = on;
  pane.querySelector('.detail-body').hidden = !on;
  if (!on) return;
  const c = d.circuit;
  $('circuit-title').textContent = c.PhysicalConnectionId;
  paint('circuit-status', c.Status, (s) => badge(s));
  $('loa-actions').hidden = c.LoaStatus !== 'Applying';
  const [mode, from] = effectiveMode(c);
  paint('circuit-fields', [c, mode, from], () => fields([
    ['Name', c.Name || '—'],
    ['Account', [accountName(c.AccountId) || '', ' ', mono(c.AccountId)]],
    ['Region', c.RegionId],
    ['Access point', c.AccessPointId],
    ['Line', `${c.LineOperator} · ${c.PortType} (${c.Spec}) · ${c.Bandwidth} Mbit/s`],
    ['Business', badge(c.BusinessStatus)],
    ['LOA', badge(c.LoaStatus)],
    ['Charge type', c.ChargeType || '—'],
    ['Created', time(c.CreationTime)],
    ['Enabled', time(c.EnabledTime)],
    ['Ends', time(c.EndTime)],
    ['Pending order', c.PendingOrderId ? mono(c.PendingOrderId) : '—'],
    ['Provisioning', [badge(mode), ` ${from === 'circuit' ? 'set on the circuit' : `from the ${from}`}`]],
    ['Deleted', c.Deleted ? badge('deleted', 'bad') : undefined],
  ]).flat());
  paint('circuit-timeline', c.Timeline, (events) => (events.length ? [...events].reverse().map((e) => h('li', {},
    h('div', { class: 'when' }, time(e.Time)),
    h('div', { class: 'what' }, e.From ? [badge(e.From), h('span', { class: 'arrow' }, '→')] : null, badge(e.To),
      h('span', { class: 'cause' }, e.Cause)),
  )) : h('li', { class: 'empty' }, 'No transitions recorded.')));
  const timers = S.timers.filter((t) => t.PhysicalConnectionId === c.PhysicalConnectionId);
  const runnable = timers.length > 0 && !BILLING.has(timers[0].Kind);
  $('circuit-advance').disabled = !runnable;
  $('circuit-advance').title = runnable ? '' : 'no pending provider step';
  paint('circuit-timers', [timers, S.clock.now], () => table([
    { title: 'Step', cell: stepWhat },
    { title: 'Due', class: 'nowrap', cell: (t) => [time(t.Due), ' ', h('span', { class: 'muted' }, relative(t.Due, S.clock.now))] },
  ], timers, { empty: 'Nothing pending.' }));
  paint('circuit-vbrs', [d.vbrs, S.clock.now], () => table([
    { title: 'VBR', class: 'nowrap', cell: (v) => [mono(v.VbrId), small(v.Name || 'unnamed')] },
    { title: 'VLAN', cell: (v) => String(v.VlanId) },
    { title: 'Peering', class: 'nowrap', cell: (v) => [h('div', {}, `${v.LocalGatewayIp} ↔ ${v.PeerGatewayIp}`),
      small(v.PeeringSubnetMask)] },
    { title: 'Status', cell: (v) => [badge(v.Status), v.AccountId !== c.AccountId ? small(`owner ${v.AccountId}`) : null] },
    { title: 'Next step', cell: (v) => (v.Timers.length
      ? [time(v.Timers[0].Due), ' ', h('span', { class: 'muted' }, relative(v.Timers[0].Due, S.clock.now))] : '—') },
    { title: 'BGP', cell: bgpCell },
  ], d.vbrs || [], { key: (v) => v.VbrId, empty: 'No virtual border routers on this line.' }));
  paint('circuit-orders', d.orders, (os) => ordersTable(os, { compact: true }));
}

// A VBR's BGP groups, each with its peers and their session states, then
// its advertised networks (docs/design/bgp.md#admin).
function bgpCell(v) {
  const b = v.Bgp || { Groups: [], Peers: [], Networks: [] };
  if (!b.Groups.length && !b.Networks.length) return '—';
  const session = (p) => (p.BgpStatus
    ? badge(p.BgpStatus, p.BgpStatus === 'Established' ? 'ok' : 'bad') : badge('no session', 'muted'));
  const groups = b.Groups.map((g) => h('div', { class: 'bgp-group', 'data-id': g.BgpGroupId },
    mono(g.BgpGroupId), ` AS ${g.PeerAsn} `, badge(g.Status),
    ...b.Peers.filter((p) => p.BgpGroupId === g.BgpGroupId).map((p) => h('div',
      { class: 'bgp-peer', 'data-id': p.BgpPeerId }, '↳ ', mono(p.PeerIpAddress), ' ', session(p),
      ' ', small(p.Status)))));
  const nets = b.Networks.length
    ? [small(`networks: ${b.Networks.map((n) => n.DstCidrBlock).join(', ')}`)] : [];
  return [...groups, ...nets];
}

function orderActions(o) {
  if (o.Status !== 'Unpaid') return null;
  return h('span', { class: 'btns' },
    o.Abnormal ? null : h('button', { class: 'small primary', 'data-action': 'pay', onclick: () => payOrder(o, 'pay') }, 'Pay'),
    h('button', { class: 'small danger', 'data-action': 'void', onclick: () => payOrder(o, 'cancel') }, 'Void'));
}

function ordersTable(orders, { compact } = {}) {
  const cols = [
    compact ? { title: 'Order', cell: (o) => [mono(o.OrderId), small(`${o.Kind} · ${time(o.CreateTime)}`)] }
      : { title: 'Order', cell: (o) => mono(o.OrderId) },
    compact ? null : { title: 'Account', cell: (o) => accountCell(o.AccountId) },
    compact ? null : { title: 'Circuit', cell: (o) => h('a', {
      href: `#circuits/${o.PhysicalConnectionId}`, class: 'mono' }, o.PhysicalConnectionId) },
    compact ? null : { title: 'Kind', cell: (o) => o.Kind },
    compact ? null : { title: 'Terms', cell: (o) => `${o.InstanceChargeType} · ${o.Period} ${o.PricingCycle}${o.AutoRenew ? ' · auto-renew' : ''}` },
    { title: 'Amount', class: 'num', cell: (o) => money(o.Amount, o.Currency) },
    { title: 'Status', cell: (o) => [badge(o.Status), o.Abnormal ? badge('Abnormal', 'bad') : null,
      o.AbnormalReason ? small(o.AbnormalReason) : null] },
    compact ? null : { title: 'Created', class: 'nowrap', cell: (o) => time(o.CreateTime) },
    compact ? null : { title: 'Settled', class: 'nowrap', cell: (o) => time(o.PaymentTime || o.CancelTime) },
    { title: '', class: 'end', cell: orderActions },
  ].filter(Boolean);
  return table(cols, orders, { key: (o) => o.OrderId, empty: 'No orders.' });
}

function renderAudit() {
  paint('audit-table', [S.audit, S.accounts], () => table([
    { title: 'Time', class: 'nowrap', cell: (e) => time(e.Time) },
    { title: 'Who', cell: (e) => [mono(e.Actor), small(e.Channel)] },
    { title: 'What', cell: (e) => [h('div', {}, e.Action), e.Detail ? small(mono(e.Detail)) : null] },
    { title: 'Account', cell: (e) => (e.AccountId ? accountCell(e.AccountId) : '—') },
    { title: 'Outcome', cell: (e) => badge(e.Outcome, /^2\d\d$/.test(e.Outcome) ? 'ok' : 'bad') },
    { title: 'RequestId', cell: (e) => small(mono(e.RequestId)) },
  ], S.audit || [], { key: (e) => e.RequestId, empty: 'Nothing audited yet.' }));
}

function renderOrders() {
  setOptions($('orders-account'), 'all accounts', accountOptions());
  const status = $('orders-status').value;
  const shown = status ? S.orders.filter((o) => o.Status === status) : S.orders;
  paint('orders-table', [shown, S.accounts], () => ordersTable(shown));
}

function renderSimulator() {
  const p = S.provisioning;
  paint('provisioning-now', p, () => [stat('Global mode', badge(p.mode)), stat('Step delay', `${p.delay} s`)]);
  const overridden = S.circuits.filter((c) => c.ProvisioningMode);
  paint('mode-overrides', [S.accounts, overridden], () => [
    table([
      { title: 'Account', cell: (a) => [h('strong', {}, a.Name), small(mono(a.AccountId))] },
      { title: 'Mode', cell: (a) => badge(a.ProvisioningMode || 'inherit', a.ProvisioningMode ? null : 'muted') },
      { title: '', class: 'end', cell: (a) => modeSelect(a.ProvisioningMode, (m) => act('Account mode set',
        () => api('PUT', `/admin/accounts/${a.AccountId}`, { provisioning_mode: m || null }))) },
    ], S.accounts),
    overridden.length ? table([
      { title: 'Circuit with its own mode', cell: (c) => mono(c.PhysicalConnectionId) },
      { title: 'Mode', cell: (c) => badge(c.ProvisioningMode) },
    ], overridden) : null,
  ]);
  const targets = [...S.circuits.map((c) => c.PhysicalConnectionId), ...((S.detail && S.detail.vbrs) || []).map((v) => v.VbrId),
    ...S.accounts.map((a) => a.AccountId)];
  paint('fault-targets', targets, () => targets.map((t) => h('option', { value: t })));
  paint('faults-table', S.faults, (faults) => table([
    { title: 'Scope', cell: (f) => f.Scope },
    { title: 'Target', cell: (f) => (f.Target ? mono(f.Target)
      : h('span', { class: 'muted' }, f.Outcome.endsWith('Conflict') ? 'every call' : 'every circuit')) },
    { title: 'Outcome', cell: (f) => badge(f.Outcome) },
    { title: 'Remaining', class: 'num', cell: (f) => (f.Remaining < 0 ? 'unlimited' : f.Remaining) },
    { title: 'Share', class: 'num', cell: (f) => (f.Scope === 'global' && !f.Outcome.endsWith('Conflict')
      ? `${Math.round(f.Share * 100)}%` : '—') },
    { title: 'Created', class: 'nowrap', cell: (f) => time(f.CreateTime) },
    { title: '', class: 'end', cell: (f) => h('button', { class: 'small', onclick: () => act('Fault removed',
      () => api('DELETE', `/admin/faults/${encodeURIComponent(f.FaultId)}`)) }, 'Remove') },
  ], faults, { key: (f) => f.FaultId, empty: 'No faults: every provider step succeeds.' }));
  const first = new Set();
  paint('timers-table', [S.timers, S.clock.now], () => table([
    { title: 'Circuit', cell: (t) => h('a', { href: `#circuits/${t.PhysicalConnectionId}`, class: 'mono' }, t.PhysicalConnectionId) },
    { title: 'Step', cell: stepWhat },
    { title: 'Due', class: 'nowrap', cell: (t) => [time(t.Due), ' ', h('span', { class: 'muted' }, relative(t.Due, S.clock.now))] },
    { title: '', class: 'end', cell: (t) => {
      if (first.has(t.PhysicalConnectionId)) return null;
      first.add(t.PhysicalConnectionId);
      if (BILLING.has(t.Kind)) return null;
      return h('button', { class: 'small', onclick: () => runStep(t.PhysicalConnectionId) }, 'Run now');
    } },
  ], S.timers, { empty: 'Nothing pending.' }));
}

function modeSelect(current, onChange) {
  const sel = h('select', { class: 'small', 'aria-label': 'provisioning mode' },
    h('option', { value: '' }, 'inherit'), h('option', { value: 'auto' }, 'auto'), h('option', { value: 'manual' }, 'manual'));
  sel.value = current || '';
  sel.addEventListener('change', () => onChange(sel.value));
  return sel;
}

// ---------------------------------------------------------------- actions

function setKey(id, status) {
  return act(`Key ${id} ${status === 'Active' ? 'enabled' : 'disabled'}`,
    () => api('PUT', `/admin/keys/${encodeURIComponent(id)}`, { status }));
}

function payOrder(o, what) {
  return act(what === 'pay' ? `Order ${o.OrderId} paid` : `Order ${o.OrderId} voided`,
    () => api('POST', `/admin/orders/${encodeURIComponent(o.OrderId)}/${what}`));
}

function runStep(id) {
  return act(null, async () => {
    const c = await api('POST', `/admin/physical-connections/${encodeURIComponent(id)}/advance`);
    toast(`${id} is now ${c.Status}`, 'ok');
  });
}

function advanceClock(seconds) {
  return act(null, async () => {
    const c = await api('POST', '/admin/clock/advance', { seconds });
    toast(`Clock advanced ${seconds} s to ${time(c.now)}`, 'ok');
  });
}

function onSubmit(id, fn) {
  $(id).addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const btn = form.querySelector('button[type=submit]');
    if (btn) btn.disabled = true;
    try { await fn(Object.fromEntries(new FormData(form)), form); } finally { if (btn) btn.disabled = false; }
  });
}

function wire() {
  onSubmit('login-form', ({ token }) => signIn(token.trim()));
  $('logout').addEventListener('click', () => signOut());
  for (const b of document.querySelectorAll('[data-tab]')) b.addEventListener('click', () => go(b.dataset.tab));
  window.addEventListener('hashchange', route);

  onSubmit('clock-form', () => advanceClock(Number($('clock-seconds').value)));
  for (const b of document.querySelectorAll('[data-advance]')) {
    b.addEventListener('click', () => advanceClock(Number(b.dataset.advance)));
  }

  onSubmit('new-account', async (v, form) => {
    const r = await act(null, () => api('POST', '/admin/accounts',
      { name: v.name.trim(), balance: v.balance || '0', credit_limit: v.credit_limit || '0' }));
    if (!r) return;
    form.reset();
    showSecret(`Account ${v.name.trim()} created`,
      [['AccountId', r.AccountId], ['AccessKeyId', r.AccessKeyId], ['AccessKeySecret', r.AccessKeySecret]]);
    go('accounts', r.AccountId);
  });
  onSubmit('topup-form', async (v, form) => {
    const r = await act(`Topped up ${v.amount} CNY`,
      () => api('POST', `/admin/accounts/${encodeURIComponent(S.account)}/topup`, { amount: v.amount.trim() }));
    if (r) form.reset();
  });
  $('new-key').addEventListener('click', async () => {
    const r = await act(null, () => api('POST', `/admin/accounts/${encodeURIComponent(S.account)}/keys`));
    if (r) showSecret('New access key', [['AccountId', r.AccountId], ['AccessKeyId', r.AccessKeyId], ['AccessKeySecret', r.AccessKeySecret]]);
  });

  $('circuits-account').addEventListener('change', () => refresh());
  $('orders-account').addEventListener('change', () => refresh());
  $('orders-status').addEventListener('change', () => refresh());
  onSubmit('force-form', ({ status }) => act(null, async () => {
    const c = await api('POST', `/admin/physical-connections/${encodeURIComponent(S.circuit)}/status`, { status });
    toast(`${c.PhysicalConnectionId} is now ${c.Status}`, 'ok');
  }));
  $('circuit-advance').addEventListener('click', () => runStep(S.circuit));
  onSubmit('circuit-mode-form', ({ mode }) => act('Circuit mode set',
    () => api('PUT', `/admin/physical-connections/${encodeURIComponent(S.circuit)}/provisioning`, { mode: mode || null })));
  for (const b of document.querySelectorAll('[data-loa]')) {
    b.addEventListener('click', () => act(`LOA ${b.dataset.loa === 'Available' ? 'approved' : 'rejected'}`,
      () => api('POST', `/admin/physical-connections/${encodeURIComponent(S.circuit)}/loa`, { status: b.dataset.loa })));
  }

  onSubmit('provisioning-form', async ({ mode, delay }, form) => {
    const body = {};
    if (mode) body.mode = mode;
    if (delay !== '') body.delay = Number(delay);
    if (!Object.keys(body).length) return toast('Choose a mode or a delay first.', 'error');
    const r = await act('Provisioning updated', () => api('PUT', '/admin/provisioning', body));
    if (r) form.reset();
    return r;
  });
  onSubmit('fault-form', async (v, form) => {
    const body = { scope: v.scope, outcome: v.outcome };
    if (v.scope !== 'global') body.target = v.target.trim();
    if (v.count !== '') body.count = Number(v.count);
    if (v.share !== '' && v.scope === 'global') body.share = Number(v.share);
    const r = await act('Fault added', () => api('POST', '/admin/faults', body));
    if (r) form.reset();
  });
  $('fault-form').elements.scope.addEventListener('change', (ev) => {
    const global = ev.target.value === 'global';
    const f = $('fault-form').elements;
    f.target.disabled = global;
    f.share.disabled = !global;
  });
  $('fault-form').elements.share.disabled = true;
  $('secret-dialog').querySelector('button').addEventListener('click', (ev) => {
    ev.preventDefault();
    $('secret-dialog').close();
  });
}

wire();
if (S.token) signIn(S.token);
else showLogin();
