/** Tiny DOM helpers: no framework, the pages are a few hundred nodes at most. */
type Attrs = Record<string, string | number | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Reads a meta tag the server fills in (e.g. the order gateway's public URL). */
export function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

/** The path segment after `prefix` (e.g. `/queue/:id`), or the `?promotion=` parameter. */
export function promotionIdFromLocation(prefix: string): string | null {
  const m = location.pathname.match(new RegExp(`^/${prefix}/([^/]+)/?$`));
  const raw = m?.[1] ? decodeURIComponent(m[1]) : new URLSearchParams(location.search).get('promotion');
  return raw && /^[A-Za-z0-9_-]{1,64}$/.test(raw) ? raw : null;
}
