/**
 * A live line chart in a few lines of SVG: the last `capacity` samples scaled to the box. Enough
 * for a dashboard of a dozen series updating once a second; no chart library on the wire.
 */
const SVG = 'http://www.w3.org/2000/svg';

export interface Sparkline {
  root: HTMLElement;
  push: (value: number) => void;
  values: () => readonly number[];
  /** A short suffix after the current value (e.g. the configured target). */
  note: (text: string) => void;
}

export function sparkline(label: string, format: (v: number) => string = (v) => String(Math.round(v * 10) / 10), capacity = 60): Sparkline {
  const samples: number[] = [];
  const value = document.createElement('div');
  value.className = 'value';
  value.textContent = '—';
  const title = document.createElement('div');
  title.className = 'hint';
  title.textContent = label;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${capacity - 1} 100`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const line = document.createElementNS(SVG, 'polyline');
  svg.append(line);
  const root = document.createElement('figure');
  root.className = 'chart';
  root.style.margin = '0';
  const suffix = document.createElement('span');
  suffix.className = 'hint';
  const line2 = document.createElement('div');
  line2.append(value, ' ', suffix);
  value.style.display = 'inline';
  root.append(title, line2, svg);

  return {
    root,
    values: () => samples,
    note: (text: string) => {
      if (suffix.textContent !== text) suffix.textContent = text;
    },
    push(v: number) {
      samples.push(v);
      if (samples.length > capacity) samples.shift();
      const max = Math.max(1, ...samples);
      const offset = capacity - samples.length;
      line.setAttribute('points', samples.map((s, i) => `${i + offset},${(100 - (s / max) * 96 - 2).toFixed(1)}`).join(' '));
      value.textContent = format(v);
      svg.setAttribute('aria-label', `${label}: ${format(v)}`);
      root.dataset.value = String(v);
    },
  };
}
