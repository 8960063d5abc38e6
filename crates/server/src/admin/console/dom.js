// Small DOM helpers for the console: element building (text only, never
// HTML strings), tables, badges, formatting, toasts and the credentials dialog.

export const $ = (id) => document.getElementById(id);

/** h('td', {class: 'x', onclick: f, 'data-id': 1}, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Re-render a region only when what it shows changed, so that polling does
// not replace buttons under the pointer or reset scroll positions.
const painted = new Map();
export function paint(id, data, build) {
  const key = JSON.stringify(data);
  if (painted.get(id) === key) return;
  painted.set(id, key);
  $(id).replaceChildren(...[build(data)].flat().filter((n) => n));
}
export function forgetPaint() {
  painted.clear();
}

/**
 * columns: [{title, cell: (row) => node|string, class?}]
 * opts: {key: (row) => id, selected, onSelect, empty}
 */
export function table(columns, rows, opts = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, opts.empty || 'Nothing yet.');
  const head = h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)));
  const body = rows.map((r) => {
    const id = opts.key ? opts.key(r) : null;
    const tr = h('tr', {
      'data-id': id,
      class: [opts.onSelect ? 'clickable' : '', id !== null && id === opts.selected ? 'selected' : '']
        .join(' ').trim() || null,
      onclick: opts.onSelect ? (ev) => { if (!ev.target.closest('button, select, input, a')) opts.onSelect(r); } : null,
    }, columns.map((c) => h('td', { class: c.class }, c.cell(r))));
    return tr;
  });
  return h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, head), h('tbody', {}, body)));
}

const STATUS_TONE = {
  Initial: 'info', Approved: 'info', Allocating: 'info',
  Allocated: 'warn', Confirmed: 'warn',
  Enabled: 'ok',
  Rejected: 'bad', 'Allocation Failed': 'bad',
  Canceled: 'muted', Terminating: 'muted', Terminated: 'muted',
  Unpaid: 'warn', Paid: 'ok', Cancelled: 'muted',
  Normal: 'muted', FinancialLocked: 'bad', SecurityLocked: 'bad',
  Active: 'ok', Inactive: 'muted',
  auto: 'info', manual: 'warn', system: 'muted',
  Applying: 'info', Available: 'ok', Accept: 'ok',
};

export function badge(text, tone) {
  if (text === null || text === undefined || text === '') return h('span', { class: 'muted' }, '—');
  return h('span', { class: `badge ${tone || STATUS_TONE[text] || 'muted'}`, 'data-badge': text }, text);
}

export const mono = (s, cls) => h('code', { class: cls ? `mono ${cls}` : 'mono' }, s || '—');
export const small = (s) => h('div', { class: 'sub' }, s);

/** Money as the admin API returns it (a decimal string), with its currency. */
export function money(v, currency = 'CNY') {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, '—');
  const neg = String(v).startsWith('-');
  return h('span', { class: neg ? 'money neg' : 'money' }, `${v} ${currency}`);
}

/** "2026-01-01T00:00:00Z" → "2026-01-01 00:00:00". */
export function time(s) {
  if (!s) return '—';
  return String(s).replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

/** How far `at` lies from the server clock `now`: "in 3s", "2m ago". */
export function relative(at, now) {
  if (!at || !now) return '';
  const d = Math.round((Date.parse(at) - Date.parse(now)) / 1000);
  const span = (s) => {
    s = Math.abs(s);
    if (s < 90) return `${s}s`;
    if (s < 5400) return `${Math.round(s / 60)}m`;
    if (s < 129600) return `${Math.round(s / 3600)}h`;
    return `${Math.round(s / 86400)}d`;
  };
  if (d === 0) return 'now';
  return d > 0 ? `in ${span(d)}` : `${span(d)} ago`;
}

export function fields(pairs) {
  return pairs.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]);
}

export function toast(message, kind = 'info') {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status', title: 'dismiss',
    onclick: () => el.remove() }, message);
  const box = $('toasts');
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3000);
}

export function showSecret(title, pairs) {
  $('secret-title').textContent = title;
  $('secret-fields').replaceChildren(...fields(pairs.map(([k, v]) => [k, mono(v, 'copy')])).flat());
  $('secret-dialog').showModal();
}

/** Keeps a <select>'s choice while its options are rebuilt. */
export function setOptions(select, first, options) {
  const key = JSON.stringify([first, options]);
  if (select.dataset.options === key) return;
  select.dataset.options = key;
  const keep = select.value;
  select.replaceChildren(h('option', { value: '' }, first), ...options.map(([v, t]) => h('option', { value: v }, t)));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}
