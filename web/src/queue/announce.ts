/**
 * When the ARIA live region speaks. Announcing every tick (once a second) would drown a screen
 * reader user, so: always on the first known position and on state changes; otherwise when the
 * position changed and enough time passed — 30 s normally, 5 s in the last ten places where every
 * step matters.
 */
export interface Announced {
  position: number | null;
  state: string;
  at: number;
}

export function shouldAnnounce(prev: Announced | null, position: number | null, state: string, now: number): boolean {
  if (!prev) return position !== null || state !== 'waiting';
  if (state !== prev.state) return true;
  if (position === null || position === prev.position) return false;
  const gap = position <= 10 ? 5_000 : 30_000;
  return now - prev.at >= gap;
}
