/**
 * Where the shopper's secrets live. The visitor token (a place in line) is in localStorage so a
 * reload or a second tab keeps the same place; the admission token (a right to buy) is handed from
 * the queue page to the checkout page in sessionStorage — same origin, this tab only, never in a
 * URL, so it cannot leak through history, logs or Referer headers.
 */
export interface Admission {
  token: string;
  expiresAt: string;
}

const visitorKey = (promotionId: string) => `flashgate.visitor.${promotionId}`;
const admissionKey = (promotionId: string) => `flashgate.admission.${promotionId}`;

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback; // storage disabled (private mode, policy): the page still works for this load
  }
}

export const visitorToken = {
  get: (promotionId: string) => safe(() => localStorage.getItem(visitorKey(promotionId)), null),
  set: (promotionId: string, token: string) => safe(() => localStorage.setItem(visitorKey(promotionId), token), undefined),
  clear: (promotionId: string) => safe(() => localStorage.removeItem(visitorKey(promotionId)), undefined),
};

export const admission = {
  get(promotionId: string): Admission | null {
    const raw = safe(() => sessionStorage.getItem(admissionKey(promotionId)), null);
    if (!raw) return null;
    try {
      const a = JSON.parse(raw) as Admission;
      return typeof a.token === 'string' && typeof a.expiresAt === 'string' ? a : null;
    } catch {
      return null;
    }
  },
  set: (promotionId: string, a: Admission) => safe(() => sessionStorage.setItem(admissionKey(promotionId), JSON.stringify(a)), undefined),
  clear: (promotionId: string) => safe(() => sessionStorage.removeItem(admissionKey(promotionId)), undefined),
};
