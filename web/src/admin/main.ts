import '../lib/base.css';
import { api, type ApiResult } from '../lib/api.js';
import { byId, h, meta, setText } from '../lib/dom.js';
import { initI18n, type Messages } from '../lib/i18n.js';
import { type Sparkline, sparkline } from '../lib/sparkline.js';
import { type PromotionForm, validatePromotion } from './validate.js';

const { lang, t } = initI18n();
document.title = t.adminTitle;
const gateway = (meta('flashgate-gateway') || location.origin).replace(/\/$/, '');
const TOKEN_KEY = 'flashgate.adminToken';

interface PromotionView {
  id: string;
  name: string;
  state?: string;
  status?: string;
  paused?: boolean;
  windowStart: string;
  windowEnd: string;
  admissionRatePerSec: number;
  maxActiveShoppers: number;
}

const $ = {
  alert: byId('alert'),
  signin: byId<HTMLFormElement>('signin'),
  tokenInput: byId<HTMLInputElement>('admin-token'),
  console: byId('console'),
  list: byId('promotions'),
  detail: byId('detail'),
  detailTitle: byId('detail-title'),
  detailState: byId('detail-state'),
  detailId: byId('detail-id'),
  liveForm: byId<HTMLFormElement>('live-form'),
  liveRate: byId<HTMLInputElement>('live-rate'),
  liveCap: byId<HTMLInputElement>('live-cap'),
  pause: byId<HTMLButtonElement>('pause'),
  charts: byId('charts'),
  stock: byId('stock'),
  form: byId<HTMLFormElement>('new'),
  productRows: byId('product-rows'),
};

const labels: [string, keyof Messages][] = [
  ['title', 'adminTitle'],
  ['token-label', 'adminToken'],
  ['signin-btn', 'signIn'],
  ['signout', 'signOut'],
  ['list-title', 'promotions'],
  ['th-name', 'name'],
  ['th-state', 'state'],
  ['th-window', 'windowStart'],
  ['detail-state-label', 'state'],
  ['live-rate-label', 'rate'],
  ['live-cap-label', 'cap'],
  ['live-apply', 'apply'],
  ['dash-title', 'dashboard'],
  ['th-sku', 'sku'],
  ['th-left', 'stockLeft'],
  ['th-held', 'holds'],
  ['th-sold', 'confirmedOrders'],
  ['new-title', 'newPromotion'],
  ['products-legend', 'products'],
  ['add-product', 'addProduct'],
  ['schedule', 'schedule'],
];
for (const [id, key] of labels) setText(byId(id), String(t[key]));

const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';
const adminApi = <T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<ApiResult<T>> =>
  api<T>(path, { ...init, headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${token()}` } });

function alert(text: string, kind: 'error' | 'ok' = 'error'): void {
  $.alert.className = `alert ${kind}`;
  setText($.alert, text);
}

function stateOf(p: PromotionView): string {
  return p.state ?? p.status ?? (p.paused ? 'paused' : '');
}

const when = (iso: string) => new Date(iso).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-GB');

// ---- sign-in -------------------------------------------------------------------------------

async function signIn(candidate: string): Promise<boolean> {
  sessionStorage.setItem(TOKEN_KEY, candidate);
  const res = await adminApi<{ promotions: PromotionView[] }>('/admin/promotions');
  if (!res.ok) {
    sessionStorage.removeItem(TOKEN_KEY);
    $.signin.hidden = false;
    $.console.hidden = true;
    alert(res.status === 401 || res.status === 403 ? t.badToken : `${t.genericError} (${res.error.code})`);
    return false;
  }
  $.signin.hidden = true;
  $.console.hidden = false;
  alert('');
  renderList(res.body.promotions);
  return true;
}

$.signin.addEventListener('submit', (e) => {
  e.preventDefault();
  void signIn($.tokenInput.value.trim());
});
byId('signout').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

// ---- list ----------------------------------------------------------------------------------

function renderList(promotions: PromotionView[]): void {
  $.list.replaceChildren();
  if (promotions.length === 0) $.list.append(h('tr', {}, h('td', { colspan: 4 }, t.none)));
  for (const p of promotions) {
    const open = h('button', { type: 'button', class: 'secondary', 'data-open': p.id }, t.open);
    open.addEventListener('click', () => selectPromotion(p.id));
    $.list.append(
      h(
        'tr',
        { 'data-promotion': p.id },
        h('td', {}, p.name),
        h('td', { 'data-col': 'state' }, stateOf(p)),
        h('td', {}, when(p.windowStart)),
        h('td', {}, open),
      ),
    );
  }
}

async function refreshList(): Promise<void> {
  const res = await adminApi<{ promotions: PromotionView[] }>('/admin/promotions');
  if (res.ok) renderList(res.body.promotions);
}

// ---- schedule form -------------------------------------------------------------------------

function field(key: string, label: string, attrs: Record<string, string | number>): HTMLElement {
  const id = `f-${key.replace(/\./g, '-')}`;
  return h(
    'div',
    { 'data-field': key },
    h('label', { for: id }, label),
    h('input', { id, name: key, 'aria-describedby': `${id}-err`, ...attrs }),
    h('div', { id: `${id}-err`, class: 'error', 'data-error-for': key }),
  );
}

const localIso = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);

function buildForm(): void {
  const now = Date.now();
  byId('f-name-wrap').append(field('name', t.name, { type: 'text', maxlength: 200 }));
  byId('f-times').append(
    field('prequeueOpensAt', t.prequeueOpensAt, { type: 'datetime-local', step: 1, value: localIso(new Date(now + 10 * 60_000)) }),
    field('windowStart', t.windowStart, { type: 'datetime-local', step: 1, value: localIso(new Date(now + 30 * 60_000)) }),
    field('windowEnd', t.windowEnd, { type: 'datetime-local', step: 1, value: localIso(new Date(now + 90 * 60_000)) }),
  );
  byId('f-numbers').append(
    field('admissionRatePerSec', t.rate, { type: 'number', step: 'any', min: 0.1, value: 50 }),
    field('maxActiveShoppers', t.cap, { type: 'number', step: 1, min: 1, value: 500 }),
    field('tokenTtlSeconds', t.tokenTtl, { type: 'number', step: 1, min: 30, value: 300 }),
    field('graceSeconds', t.grace, { type: 'number', step: 1, min: 0, value: 30 }),
  );
  addProductRow();
  byId('add-product').addEventListener('click', () => addProductRow());
}

function addProductRow(): void {
  const i = $.productRows.children.length;
  const remove = h('button', { type: 'button', class: 'secondary' }, t.remove);
  const row = h(
    'div',
    { class: 'row', 'data-product-row': '' },
    field(`products.${i}.sku`, t.sku, { type: 'text', maxlength: 64 }),
    field(`products.${i}.name`, t.productName, { type: 'text', maxlength: 200 }),
    field(`products.${i}.priceCents`, t.priceCents, { type: 'number', step: 1, min: 0 }),
    field(`products.${i}.stock`, t.stock, { type: 'number', step: 1, min: 0 }),
    field(`products.${i}.perShopperLimit`, t.perShopperLimit, { type: 'number', step: 1, min: 1, value: 1 }),
    h('div', {}, remove),
  );
  remove.addEventListener('click', () => {
    row.remove();
    renumberProducts();
  });
  $.productRows.append(row);
}

function renumberProducts(): void {
  [...$.productRows.children].forEach((row, i) => {
    for (const el of row.querySelectorAll<HTMLElement>('[data-field]')) {
      const key = (el.dataset.field ?? '').replace(/^products\.\d+\./, `products.${i}.`);
      el.dataset.field = key;
      const input = el.querySelector('input');
      if (input) input.name = key;
      const err = el.querySelector<HTMLElement>('[data-error-for]');
      if (err) err.dataset.errorFor = key;
    }
  });
}

function readForm(): PromotionForm {
  const v = (name: string) => $.form.querySelector<HTMLInputElement>(`input[name="${name}"]`)?.value ?? '';
  return {
    name: v('name'),
    prequeueOpensAt: v('prequeueOpensAt'),
    windowStart: v('windowStart'),
    windowEnd: v('windowEnd'),
    admissionRatePerSec: v('admissionRatePerSec'),
    maxActiveShoppers: v('maxActiveShoppers'),
    tokenTtlSeconds: v('tokenTtlSeconds'),
    graceSeconds: v('graceSeconds'),
    products: [...$.productRows.children].map((_, i) => ({
      sku: v(`products.${i}.sku`),
      name: v(`products.${i}.name`),
      priceCents: v(`products.${i}.priceCents`),
      stock: v(`products.${i}.stock`),
      perShopperLimit: v(`products.${i}.perShopperLimit`),
    })),
  };
}

function showErrors(errors: Record<string, string>): void {
  for (const el of $.form.querySelectorAll<HTMLElement>('[data-error-for]')) {
    const msg = errors[el.dataset.errorFor ?? ''] ?? '';
    setText(el, msg);
    el.parentElement?.querySelector('input')?.setAttribute('aria-invalid', msg ? 'true' : 'false');
  }
  const first = Object.keys(errors)[0];
  if (first) $.form.querySelector<HTMLInputElement>(`input[name="${first}"]`)?.focus();
}

$.form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const checked = validatePromotion(readForm(), t);
  if (!checked.ok) {
    showErrors(checked.errors);
    return alert(t.fixErrors);
  }
  showErrors({});
  const res = await adminApi<PromotionView>('/admin/promotions', { method: 'POST', json: checked.value });
  if (!res.ok) {
    const issues = (res.error.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];
    showErrors(Object.fromEntries(issues.map((i) => [i.path, i.message])));
    return alert(`${res.error.message}`);
  }
  alert(t.scheduled, 'ok');
  document.body.dataset.lastCreated = res.body.id;
  await refreshList();
  selectPromotion(res.body.id);
});

// ---- detail + live dashboard ---------------------------------------------------------------

interface Series {
  queue: Sparkline;
  admitted: Sparkline;
  rate: Sparkline;
  active: Sparkline;
  holds: Sparkline;
  orders: Sparkline;
  stock: Sparkline;
}
let selected: string | null = null;
let series: Series | null = null;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
/** (time, units sold) samples of the last few seconds, for a smoothed sales rate. */
let soldHistory: { count: number; at: number }[] = [];

/** Reads a figure from the stats answer under any of the names the waiting room may use. */
function num(obj: Record<string, unknown>, ...keys: string[]): number {
  for (const k of keys) {
    const v = obj[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return 0;
}

function selectPromotion(id: string): void {
  selected = id;
  soldHistory = [];
  $.detail.hidden = false;
  $.detail.dataset.promotion = id;
  setText($.detailId, id);
  const s: Series = {
    queue: sparkline(t.queueLength, (v) => Math.round(v).toLocaleString(lang)),
    admitted: sparkline(t.admitted, (v) => Math.round(v).toLocaleString(lang)),
    rate: sparkline(t.admissionRate),
    active: sparkline(t.active, (v) => Math.round(v).toLocaleString(lang)),
    holds: sparkline(t.holds, (v) => Math.round(v).toLocaleString(lang)),
    orders: sparkline(t.ordersPerSec),
    stock: sparkline(t.stockLeft, (v) => Math.round(v).toLocaleString(lang)),
  };
  for (const [key, sp] of Object.entries(s)) sp.root.dataset.series = key;
  series = s;
  $.charts.replaceChildren(...Object.values(s).map((x) => x.root));
  $.stock.replaceChildren();
  clearTimeout(pollTimer);
  void (async () => {
    const res = await adminApi<PromotionView>(`/admin/promotions/${encodeURIComponent(id)}`);
    if (res.ok) {
      setText($.detailTitle, res.body.name);
      $.liveRate.value = String(res.body.admissionRatePerSec);
      $.liveCap.value = String(res.body.maxActiveShoppers);
      renderState(res.body);
    }
    poll();
  })();
  $.detail.scrollIntoView({ block: 'start' });
}

function renderState(p: PromotionView): void {
  const state = stateOf(p);
  setText($.detailState, state);
  $.detail.dataset.state = state;
  const paused = state === 'paused' || p.paused === true;
  setText($.pause, paused ? t.resume : t.pause);
  $.pause.dataset.action = paused ? 'resume' : 'pause';
}

async function poll(): Promise<void> {
  const id = selected;
  if (!id || !series) return;
  const s = series;
  const [stats, stock, promo] = await Promise.all([
    adminApi<Record<string, unknown>>(`/admin/promotions/${encodeURIComponent(id)}/stats`),
    api<{ products?: { sku: string; name: string; available: number; held: number; confirmed: number }[] }>(
      `${gateway}/promotions/${encodeURIComponent(id)}/stock`,
    ),
    adminApi<PromotionView>(`/admin/promotions/${encodeURIComponent(id)}`),
  ]);
  if (id !== selected) return;
  if (stats.ok) {
    const b = stats.body;
    s.queue.push(num(b, 'queueLength', 'waiting'));
    s.admitted.push(num(b, 'admitted', 'admittedTotal'));
    s.rate.push(num(b, 'admissionRatePerSec', 'measuredRatePerSec', 'measuredAdmissionRatePerSec'));
    s.active.push(num(b, 'active', 'activeShoppers'));
    // Measured against what marketing set: "1.0 / 3" and "8 / 50".
    if (typeof b.configuredRatePerSec === 'number') s.rate.note(`/ ${b.configuredRatePerSec}`);
    if (typeof b.maxActiveShoppers === 'number') s.active.note(`/ ${b.maxActiveShoppers}`);
  }
  if (stock.ok && stock.body.products) {
    const products = stock.body.products;
    const sum = (k: 'available' | 'held' | 'confirmed') => products.reduce((a, p) => a + (p[k] ?? 0), 0);
    s.stock.push(sum('available'));
    s.holds.push(sum('held'));
    // Orders per second from how fast confirmed units grow between two polls.
    const now = Date.now();
    const confirmed = sum('confirmed');
    // Units sold per second over the last ~5 s (one poll apart is too jumpy to read).
    soldHistory.push({ count: confirmed, at: now });
    while (soldHistory.length > 2 && now - (soldHistory[0]?.at ?? now) > 5_000) soldHistory.shift();
    const oldest = soldHistory[0];
    if (oldest && now > oldest.at) s.orders.push(Math.max(0, (confirmed - oldest.count) / ((now - oldest.at) / 1000)));
    $.stock.replaceChildren(
      ...products.map((p) =>
        h(
          'tr',
          { 'data-sku': p.sku },
          h('td', {}, `${p.name} (${p.sku})`),
          h('td', { 'data-col': 'available' }, String(p.available)),
          h('td', {}, String(p.held)),
          h('td', {}, String(p.confirmed)),
        ),
      ),
    );
  }
  if (promo.ok) {
    renderState(promo.body);
    const cell = $.list.querySelector(`tr[data-promotion="${CSS.escape(id)}"] td[data-col="state"]`);
    if (cell) setText(cell, stateOf(promo.body));
  }
  pollTimer = setTimeout(() => void poll(), 1_000);
}

$.liveForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!selected) return;
  const rate = Number($.liveRate.value);
  const cap = Number($.liveCap.value);
  if (!(rate > 0) || !Number.isInteger(cap) || cap < 1) return alert(t.fixErrors);
  const res = await adminApi<PromotionView>(`/admin/promotions/${encodeURIComponent(selected)}`, {
    method: 'PATCH',
    json: { admissionRatePerSec: rate, maxActiveShoppers: cap },
  });
  if (res.ok) {
    alert(t.saved, 'ok');
    renderState(res.body);
  } else alert(res.error.message);
});

$.pause.addEventListener('click', async () => {
  if (!selected) return;
  const action = $.pause.dataset.action === 'resume' ? 'resume' : 'pause';
  const res = await adminApi<PromotionView>(`/admin/promotions/${encodeURIComponent(selected)}/${action}`, { method: 'POST' });
  if (res.ok) {
    renderState(res.body);
    void refreshList();
  } else alert(res.error.message);
});

buildForm();
if (token()) void signIn(token());
else $.signin.hidden = false;
