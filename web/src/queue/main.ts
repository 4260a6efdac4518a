import '../lib/base.css';
import { estimatedWaitSeconds, positionFromTick, type QueueState, type TickFrame } from '@flashgate/queue-protocol';
import { byId, promotionIdFromLocation, setText } from '../lib/dom.js';
import { initI18n } from '../lib/i18n.js';
import { admission, visitorToken } from '../lib/storage.js';
import { type Announced, shouldAnnounce } from './announce.js';
import { connectQueue, type QueueEvent } from './connection.js';

const { lang, t } = initI18n();
document.title = t.title;
const promotionId = promotionIdFromLocation('queue');

const els = {
  title: byId('title'),
  conn: byId('conn'),
  prequeue: byId('panel-prequeue'),
  prequeueTitle: byId('prequeue-title'),
  prequeueBody: byId('prequeue-body'),
  opensLabel: byId('opens-label'),
  countdown: byId('countdown'),
  waiting: byId('panel-waiting'),
  waitingTitle: byId('waiting-title'),
  positionLabel: byId('position-label'),
  position: byId('position'),
  aheadLabel: byId('ahead-label'),
  ahead: byId('ahead'),
  etaLabel: byId('eta-label'),
  eta: byId('eta'),
  progressLabel: byId('progress-label'),
  progress: byId<HTMLProgressElement>('progress'),
  keepOpen: byId('keep-open'),
  message: byId('panel-message'),
  messageTitle: byId('message-title'),
  messageBody: byId('message-body'),
  live: byId('live'),
};

setText(els.title, t.title);
setText(els.prequeueTitle, t.prequeueTitle);
setText(els.prequeueBody, t.prequeueBody);
setText(els.opensLabel, t.opensIn);
setText(els.waitingTitle, t.waitingTitle);
setText(els.positionLabel, t.position);
setText(els.aheadLabel, t.ahead);
setText(els.etaLabel, t.eta);
setText(els.progressLabel, t.progress);
setText(els.keepOpen, t.keepOpen);

interface View {
  state: QueueState | 'unknown';
  ticket: number | null;
  ahead: number | null;
  rate: number;
  windowStart: number | null;
  /** Server clock minus ours, so the countdown does not trust a phone's wrong clock. */
  skewMs: number;
}

const view: View = { state: 'unknown', ticket: null, ahead: null, rate: 0, windowStart: null, skewMs: 0 };
const firstAheadKey = `flashgate.firstAhead.${promotionId}`;
let lastAnnounced: Announced | null = null;
let lastTick: TickFrame | null = null;
let leaving = false;

function firstAhead(current: number): number {
  // The largest "ahead" this visitor has seen is the 0 % mark; kept so a reload does not reset the bar.
  const stored = Number(localStorage.getItem(firstAheadKey) ?? 0);
  const best = Math.max(stored, current);
  if (best !== stored) localStorage.setItem(firstAheadKey, String(best));
  return best;
}

function showPanel(which: 'prequeue' | 'waiting' | 'message' | 'none'): void {
  els.prequeue.hidden = which !== 'prequeue';
  els.waiting.hidden = which !== 'waiting';
  els.message.hidden = which !== 'message';
}

function message(title: string, body: string): void {
  showPanel('message');
  setText(els.messageTitle, title);
  setText(els.messageBody, body);
  document.body.dataset.state = view.state;
}

function announce(text: string): void {
  els.live.textContent = text;
}

function render(): void {
  document.body.dataset.state = view.state;
  // Not secret (the ticket only orders the line); lets support staff and tests see which place this is.
  document.body.dataset.ticket = view.ticket === null ? '' : String(view.ticket);
  const now = Date.now();
  switch (view.state) {
    case 'prequeue': {
      showPanel('prequeue');
      const left = view.windowStart === null ? null : (view.windowStart - (now + view.skewMs)) / 1000;
      setText(els.countdown, left === null ? '…' : t.seconds(Math.max(0, left)));
      break;
    }
    case 'waiting':
    case 'paused': {
      if (view.ticket === null) {
        // Drawn from the pre-queue but the ticket frame has not arrived yet.
        showPanel('prequeue');
        setText(els.countdown, t.seconds(0));
        break;
      }
      showPanel('waiting');
      setText(els.waitingTitle, view.state === 'paused' ? t.pausedTitle : t.waitingTitle);
      if (view.ahead === null) {
        setText(els.position, '…');
        setText(els.ahead, '…');
        setText(els.eta, '…');
        break;
      }
      const ahead = view.ahead;
      setText(els.position, (ahead + 1).toLocaleString(lang));
      setText(els.ahead, ahead.toLocaleString(lang));
      const eta = view.state === 'paused' ? null : estimatedWaitSeconds(ahead, view.rate);
      setText(els.eta, eta === null ? (view.state === 'paused' ? t.pausedBody : t.etaUnknown) : `≈ ${t.seconds(eta)}`);
      const max = Math.max(1, firstAhead(ahead));
      els.progress.max = max;
      els.progress.value = max - ahead;
      setText(els.progress, `${Math.round(((max - ahead) / max) * 100)}%`);
      break;
    }
    case 'admitted':
      message(t.admittedTitle, t.admittedBody);
      break;
    case 'sold_out':
      message(t.soldOutTitle, t.soldOutBody);
      break;
    case 'closed':
      message(t.closedTitle, t.closedBody);
      break;
    default:
      showPanel('none');
  }
  const position = view.state === 'waiting' && view.ticket !== null && view.ahead !== null ? view.ahead + 1 : null;
  if (shouldAnnounce(lastAnnounced, position, view.state, now)) {
    lastAnnounced = { position, state: view.state, at: now };
    if (position !== null) announce(t.announcePosition(position));
    else if (view.state === 'paused') announce(t.pausedTitle);
    else if (view.state === 'prequeue') announce(t.prequeueTitle);
    else if (view.state === 'sold_out') announce(t.soldOutTitle);
    else if (view.state === 'closed') announce(t.closedTitle);
  }
}

function goToCheckout(token: string, expiresAt: string): void {
  if (leaving || !promotionId) return;
  leaving = true;
  admission.set(promotionId, { token, expiresAt });
  view.state = 'admitted';
  render();
  announce(t.announceAdmitted);
  // A same-origin path without the token: the page also sends Referrer-Policy: no-referrer.
  setTimeout(() => location.assign(`/checkout/${encodeURIComponent(promotionId)}`), 600);
}

function onEvent(e: QueueEvent): void {
  switch (e.type) {
    case 'connection':
      document.body.dataset.connection = e.mode;
      setText(
        els.conn,
        e.mode === 'live' || e.mode === 'idle'
          ? ''
          : e.mode === 'polling'
            ? t.polling
            : e.mode === 'reconnecting'
              ? t.reconnecting
              : t.connecting,
      );
      els.conn.hidden = e.mode === 'live' || e.mode === 'idle';
      return;
    case 'welcome':
      if (promotionId) visitorToken.set(promotionId, e.visitorToken);
      view.ticket = e.ticket;
      view.ahead = e.ahead;
      view.state = e.state;
      view.skewMs = e.at - Date.now();
      break;
    case 'tick':
      lastTick = e;
      view.skewMs = e.at - Date.now();
      view.windowStart = Date.parse(e.windowStart);
      view.rate = e.admissionRatePerSec;
      if (view.state !== 'admitted') view.state = e.state === 'prequeue' && view.ticket !== null ? 'waiting' : e.state;
      if (view.ticket !== null) view.ahead = positionFromTick(view.ticket, e);
      break;
    case 'ticket':
      // Drawn: until the next tick, the position is what the last tick implies (or unknown).
      view.ticket = e.ticket;
      view.ahead = lastTick ? positionFromTick(e.ticket, lastTick) : null;
      break;
    case 'status':
      view.state = e.state;
      view.ticket = e.ticket;
      view.ahead = e.ahead;
      view.rate = e.admissionRatePerSec;
      view.skewMs = e.at - Date.now();
      if (e.state === 'admitted' && e.admissionToken && e.expiresAt) {
        goToCheckout(e.admissionToken, e.expiresAt);
        return;
      }
      break;
    case 'admitted':
      goToCheckout(e.admissionToken, e.expiresAt);
      return;
    case 'error':
      if (e.code === 'PROMOTION_NOT_FOUND' || e.code === 'NOT_FOUND') {
        message(t.notFoundTitle, t.notFoundBody);
        return;
      }
      if (e.code === 'PROMOTION_NOT_OPEN') {
        // Before the pre-queue opens: the connection retries every few seconds and lets them in.
        view.state = 'unknown';
        message(t.notOpenTitle, t.notOpenBody);
        return;
      }
      break;
  }
  render();
}

if (!promotionId) {
  message(t.notFoundTitle, t.notFoundBody);
} else {
  const existing = admission.get(promotionId);
  if (existing && Date.parse(existing.expiresAt) > Date.now()) {
    // Already admitted in this tab (e.g. came back from checkout): go straight there.
    goToCheckout(existing.token, existing.expiresAt);
  } else {
    connectQueue({
      promotionId,
      getVisitorToken: () => visitorToken.get(promotionId),
      dropVisitorToken: () => {
        visitorToken.clear(promotionId);
        localStorage.removeItem(firstAheadKey);
        view.ticket = null;
        view.ahead = null;
      },
      onEvent,
    });
    setInterval(render, 1_000); // countdown and announcement pacing between frames
  }
}
