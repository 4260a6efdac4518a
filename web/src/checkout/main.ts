import '../lib/base.css';
import { api, type ApiError, sleep } from '../lib/api.js';
import { byId, h, meta, promotionIdFromLocation, setText } from '../lib/dom.js';
import { initI18n } from '../lib/i18n.js';
import { admission } from '../lib/storage.js';

const { lang, t } = initI18n();
document.title = t.checkoutTitle;
const promotionId = promotionIdFromLocation('checkout');
// The gateway is another origin (CORS allow-list); the waiting room fills its public URL in.
const gateway = (meta('flashgate-gateway') || location.origin).replace(/\/$/, '');

interface StockProduct {
  sku: string;
  name: string;
  priceCents: number;
  perShopperLimit: number;
  available: number;
  /** Units in other shoppers' holds: they come back if those shoppers do not pay in time. */
  held?: number;
}
interface HeldOrder {
  orderId: string;
  holdExpiresAt: string;
  lines: { sku: string; quantity: number }[];
  amountCents: number;
}

const els = {
  title: byId('title'),
  tokenLine: byId('token-line'),
  alert: byId('alert'),
  pick: byId('panel-pick'),
  products: byId('products'),
  stockNote: byId('stock-note'),
  holdBtn: byId<HTMLButtonElement>('hold'),
  held: byId('panel-held'),
  heldLabel: byId('held-label'),
  holdCountdown: byId('hold-countdown'),
  heldLines: byId('held-lines'),
  cardLabel: byId('card-label'),
  card: byId<HTMLSelectElement>('card'),
  confirmBtn: byId<HTMLButtonElement>('confirm'),
  cancelBtn: byId<HTMLButtonElement>('cancel'),
  result: byId('panel-result'),
  resultTitle: byId('result-title'),
  resultBody: byId('result-body'),
  resultLines: byId('result-lines'),
  back: byId<HTMLAnchorElement>('back'),
};

setText(els.title, t.checkoutTitle);
setText(els.holdBtn, t.hold);
setText(els.heldLabel, t.holdExpiresIn);
setText(els.cardLabel, t.card);
setText(els.card.options[0] as HTMLOptionElement, t.cardApprove);
setText(els.card.options[1] as HTMLOptionElement, t.cardDecline);
setText(els.confirmBtn, t.confirm);
setText(els.cancelBtn, t.cancel);
setText(els.back, t.backToQueue);

const money = new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US', { style: 'currency', currency: 'KRW' });
const price = (cents: number) => money.format(cents / 100);
const orderKey = `flashgate.order.${promotionId}`;
const idemKey = `flashgate.idem.${promotionId}`;
let products: StockProduct[] = [];
let current: HeldOrder | null = null;
let busy = false;
let stockTimer: ReturnType<typeof setTimeout> | undefined;

function alert(text: string, kind: 'error' | 'ok' = 'error'): void {
  els.alert.className = `alert ${kind}`;
  setText(els.alert, text);
}

function show(panel: 'pick' | 'held' | 'result' | 'none'): void {
  els.pick.hidden = panel !== 'pick';
  els.held.hidden = panel !== 'held';
  els.result.hidden = panel !== 'result';
  document.body.dataset.step = panel;
}

function finish(title: string, body: string, state: string): void {
  show('result');
  setText(els.resultTitle, title);
  setText(els.resultBody, body);
  document.body.dataset.result = state;
  if (state !== 'sold_out') els.tokenLine.hidden = true; // the admission no longer matters
  els.resultTitle.focus();
}

function confirmed(order: HeldOrder): void {
  clearInterval(countdownTimer);
  sessionStorage.removeItem(orderKey);
  finish(t.confirmedTitle, t.confirmedBody(order.orderId), 'confirmed');
  els.resultLines.replaceChildren(...orderLines(order));
}

function orderLines(order: HeldOrder): HTMLElement[] {
  return [
    ...order.lines.map((l) => h('li', {}, `${products.find((x) => x.sku === l.sku)?.name ?? l.sku} × ${l.quantity}`)),
    h('li', {}, h('strong', {}, `${t.total}: ${price(order.amountCents)}`)),
  ];
}

function tokenExpired(invalid = false): void {
  if (promotionId) admission.clear(promotionId);
  sessionStorage.removeItem(orderKey);
  finish(invalid ? t.tokenInvalid : t.tokenExpired, '', invalid ? 'token_invalid' : 'token_expired');
  els.back.hidden = false;
}

const auth = () => ({ Authorization: `Bearer ${admission.get(promotionId ?? '')?.token ?? ''}` });

/** Errors every gateway call can answer with; true when handled. */
function commonError(status: number, error: ApiError): boolean {
  if (status === 401 || error.code.startsWith('AUTH_') || error.code === 'PROMOTION_MISMATCH') {
    tokenExpired(error.code !== 'AUTH_TOKEN_EXPIRED');
    return true;
  }
  return false;
}

async function loadStock(): Promise<void> {
  if (products.length === 0) setText(els.products, t.loadingProducts);
  const url = `${gateway}/promotions/${encodeURIComponent(promotionId ?? '')}/stock`;
  let res = await api<{ products?: StockProduct[] }>(url);
  // A busy or briefly unreachable gateway: ask again a few times before giving up.
  for (let attempt = 0; attempt < 5 && !res.ok && (res.status === 0 || res.status === 429 || res.status >= 500); attempt++) {
    await sleep((res.retryAfterSeconds ?? 1) * 1000);
    res = await api<{ products?: StockProduct[] }>(url);
  }
  if (!res.ok) {
    alert(`${t.genericError} (${res.error.code})`);
    return;
  }
  products = res.body.products ?? [];
  renderProducts();
}

function renderProducts(): void {
  // Keep what the shopper already chose across refreshes (clamped to what is left).
  const chosen = new Map(chosenLines().map((l) => [l.sku, l.quantity]));
  els.products.replaceChildren();
  const anyLeft = products.some((p) => p.available > 0);
  for (const p of products) {
    const max = Math.max(0, Math.min(p.perShopperLimit, p.available));
    const id = `qty-${p.sku}`;
    // A select, not a free number: the per-shopper limit cannot be exceeded and it is easy on a phone.
    const input = h('select', { id, 'data-sku': p.sku, disabled: max === 0 });
    for (let q = 0; q <= max; q++) input.append(h('option', { value: q }, String(q)));
    input.value = String(Math.min(chosen.get(p.sku) ?? 0, max));
    els.products.append(
      h(
        'li',
        { 'data-sku': p.sku },
        h(
          'div',
          {},
          h('strong', {}, p.name),
          h('div', {}, `${t.price}: ${price(p.priceCents)}`),
          h(
            'div',
            { class: p.available > 0 ? 'hint' : 'error' },
            p.available > 0 ? `${t.left(p.available)} · ${t.limit(p.perShopperLimit)}` : (p.held ?? 0) > 0 ? t.inCartsItem : t.soldOutItem,
          ),
        ),
        h('div', {}, h('label', { for: id }, t.quantity), input),
      ),
    );
  }
  els.holdBtn.disabled = !anyLeft || busy;
  clearTimeout(stockTimer);
  setText(els.stockNote, '');
  if (products.length === 0) return;
  const refresh = (ms: number) => {
    stockTimer = setTimeout(() => {
      if (!current && !els.pick.hidden && !busy) void loadStock();
      else refresh(ms);
    }, ms);
  };
  // Stock moves fast in a flash sale: keep "N left" current while the shopper chooses.
  if (anyLeft) refresh(3_000);
  else if (products.some((p) => (p.held ?? 0) > 0)) {
    // Not final yet: watch for released holds until they are paid for or come back.
    setText(els.stockNote, t.allHeld);
    refresh(2_000);
  } else finish(t.soldOutTitle, t.soldOutBody, 'sold_out');
}

function chosenLines(): { sku: string; quantity: number }[] {
  const lines: { sku: string; quantity: number }[] = [];
  for (const input of els.products.querySelectorAll<HTMLSelectElement>('select[data-sku]')) {
    const q = Math.floor(Number(input.value));
    if (q > 0) lines.push({ sku: input.dataset.sku ?? '', quantity: q });
  }
  return lines;
}

async function hold(): Promise<void> {
  if (busy) return;
  const lines = chosenLines();
  if (lines.length === 0) return alert(t.pickSomething);
  busy = true;
  els.holdBtn.disabled = true;
  setText(els.holdBtn, t.holding);
  alert('');
  // One key per attempt, kept across retries so a lost answer never holds twice.
  const key = sessionStorage.getItem(idemKey) ?? crypto.randomUUID();
  sessionStorage.setItem(idemKey, key);
  try {
    for (let attempt = 0; attempt < 8; attempt++) {
      const res = await api<HeldOrder>(`${gateway}/orders`, {
        method: 'POST',
        headers: { ...auth(), 'Idempotency-Key': key },
        json: { promotionId, lines },
      });
      if (res.ok) {
        sessionStorage.removeItem(idemKey);
        current = res.body;
        sessionStorage.setItem(orderKey, JSON.stringify(current));
        return showHeld();
      }
      if (res.status === 429 || res.status === 503 || res.status === 0 || res.error.code === 'REQUEST_IN_PROGRESS') {
        alert(t.busy);
        await sleep((res.retryAfterSeconds ?? 1) * 1000);
        continue;
      }
      sessionStorage.removeItem(idemKey);
      if (commonError(res.status, res.error)) return;
      if (res.error.code === 'SOLD_OUT') {
        const sku = (res.error.details as { sku?: string } | undefined)?.sku ?? '';
        alert(t.soldOutError(products.find((p) => p.sku === sku)?.name ?? sku));
        document.body.dataset.result = 'sold_out_item';
        // The stock read may be a moment old: trust the gateway's answer for this SKU now
        // (someone holds or bought it) and let the next refresh tell which.
        for (const p of products) {
          if (p.sku === sku) {
            p.available = 0;
            p.held = Math.max(p.held ?? 0, 1);
          }
        }
        renderProducts();
        return;
      }
      return alert(`${t.genericError} (${res.error.message})`);
    }
  } finally {
    busy = false;
    els.holdBtn.disabled = !products.some((p) => p.available > 0);
    setText(els.holdBtn, t.hold);
  }
}

let countdownTimer: ReturnType<typeof setInterval> | undefined;

function showHeld(): void {
  if (!current) return;
  show('held');
  els.heldLines.replaceChildren(...orderLines(current));
  const tickHold = () => {
    if (!current) return;
    const left = (Date.parse(current.holdExpiresAt) - Date.now()) / 1000;
    setText(els.holdCountdown, t.seconds(Math.max(0, left)));
    if (left <= 0) holdExpired();
  };
  clearInterval(countdownTimer);
  tickHold();
  countdownTimer = setInterval(tickHold, 1_000);
  els.confirmBtn.focus();
}

function holdExpired(): void {
  clearInterval(countdownTimer);
  current = null;
  sessionStorage.removeItem(orderKey);
  show('pick');
  alert(t.holdExpired);
  document.body.dataset.result = 'hold_expired';
  void loadStock();
}

async function confirm(): Promise<void> {
  if (busy || !current) return;
  busy = true;
  els.confirmBtn.disabled = true;
  setText(els.confirmBtn, t.confirming);
  alert('');
  try {
    for (let attempt = 0; attempt < 8; attempt++) {
      const res = await api<{ status: string }>(`${gateway}/orders/${encodeURIComponent(current.orderId)}/confirm`, {
        method: 'POST',
        headers: auth(),
        json: { paymentMethod: els.card.value },
      });
      if (res.ok && res.body.status === 'confirmed') {
        confirmed(current);
        return;
      }
      if (res.ok || res.status === 429 || res.status === 503 || res.status === 0 || (!res.ok && res.error.code === 'REQUEST_IN_PROGRESS')) {
        // "confirming" (payment still running) or a busy gateway: ask again shortly, same order.
        await sleep(((!res.ok && res.retryAfterSeconds) || 1) * 1000);
        continue;
      }
      if (commonError(res.status, res.error)) return;
      if (res.error.code === 'PAYMENT_DECLINED') {
        // The gateway released the hold with the declined order: back to choosing, stock refreshed.
        clearInterval(countdownTimer);
        current = null;
        sessionStorage.removeItem(orderKey);
        show('pick');
        alert(t.paymentDeclined);
        document.body.dataset.result = 'declined';
        await loadStock();
        return;
      }
      if (res.error.code === 'HOLD_EXPIRED') return holdExpired();
      return alert(`${t.genericError} (${res.error.message})`);
    }
  } finally {
    busy = false;
    els.confirmBtn.disabled = false;
    setText(els.confirmBtn, t.confirm);
  }
}

async function cancel(): Promise<void> {
  if (!current) return;
  const res = await api(`${gateway}/orders/${encodeURIComponent(current.orderId)}/cancel`, { method: 'POST', headers: auth(), json: {} });
  if (!res.ok && commonError(res.status, res.error)) return;
  clearInterval(countdownTimer);
  current = null;
  sessionStorage.removeItem(orderKey);
  show('pick');
  alert(t.cancelledBody, 'ok');
  await loadStock();
}

function startTokenCountdown(expiresAt: string): void {
  const tickToken = () => {
    const left = (Date.parse(expiresAt) - Date.now()) / 1000;
    setText(els.tokenLine, `${t.tokenExpires} ${t.seconds(Math.max(0, left))}`);
    if (left <= 0 && document.body.dataset.result !== 'confirmed') tokenExpired();
  };
  tickToken();
  setInterval(tickToken, 1_000);
}

async function main(): Promise<void> {
  els.back.href = promotionId ? `/queue/${encodeURIComponent(promotionId)}` : '/';
  els.holdBtn.addEventListener('click', () => void hold());
  els.confirmBtn.addEventListener('click', () => void confirm());
  els.cancelBtn.addEventListener('click', () => void cancel());
  const adm = promotionId ? admission.get(promotionId) : null;
  if (!promotionId || !adm) {
    finish(t.noAdmission, '', 'no_admission');
    els.back.hidden = false;
    return;
  }
  startTokenCountdown(adm.expiresAt);
  show('pick');
  await loadStock();
  const saved = sessionStorage.getItem(orderKey);
  if (saved) {
    current = JSON.parse(saved) as HeldOrder;
    const res = await api<{ status: string }>(`${gateway}/orders/${encodeURIComponent(current.orderId)}`, { headers: auth() });
    if (res.ok && res.body.status === 'held') showHeld();
    else if (res.ok && res.body.status === 'confirmed') confirmed(current);
    else {
      current = null;
      sessionStorage.removeItem(orderKey);
    }
  }
}

void main();
