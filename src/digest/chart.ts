import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import type { Kind } from '../domain/verdict';
import type { DigestData } from './data';

/**
 * The digest chart: posts per hour stacked by kind, drawn as SVG and rasterised by resvg (a prebuilt binary in
 * an npm package). A fresh machine may have no fonts at all, so the DejaVu Sans files shipped in an npm package
 * are passed to resvg explicitly and system fonts are never looked up.
 */

export const CHART_WIDTH = 1000;
export const CHART_HEIGHT = 500;

const require = createRequire(import.meta.url);
const FONT_FILES = [require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')];

export const KIND_COLOURS: Record<Kind, string> = {
  opportunity: '#2ecc71',
  risk: '#e74c3c',
  service: '#3498db',
  noise: '#bdc3c7',
};
const STACK: Kind[] = ['noise', 'service', 'risk', 'opportunity'];

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A "nice" axis step (1, 2, 5 × 10ⁿ) giving about five gridlines. */
function niceStep(max: number): number {
  const raw = Math.max(1, max) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
}

export function chartSvg(data: Pick<DigestData, 'hours' | 'day' | 'timeZone' | 'totals'>, title?: string): string {
  const W = CHART_WIDTH;
  const H = CHART_HEIGHT;
  const m = { top: 70, right: 30, bottom: 60, left: 70 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const sums = data.hours.map((h) => STACK.reduce((n, k) => n + h.counts[k], 0));
  const step = niceStep(Math.max(0, ...sums));
  const top = Math.max(step, Math.ceil(Math.max(0, ...sums) / step) * step);
  const y = (v: number) => m.top + ph - (v / top) * ph;
  const n = Math.max(1, data.hours.length);
  const slot = pw / n;
  const bw = Math.max(2, slot * 0.72);
  const total = Object.values(data.totals).reduce((a, b) => a + b, 0);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${m.left}" y="34" font-size="24" font-weight="bold" fill="#222">${esc(title ?? `Posts per hour · ${data.day}`)}</text>`,
    `<text x="${m.left}" y="56" font-size="15" fill="#666">${esc(`${total} posts · hours in ${data.timeZone}`)}</text>`,
  );
  for (let v = 0; v <= top; v += step) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5" stroke-width="1"/>`);
    out.push(`<text x="${m.left - 10}" y="${y(v) + 5}" font-size="14" fill="#555" text-anchor="end">${v}</text>`);
  }
  data.hours.forEach((h, i) => {
    const x = m.left + i * slot + (slot - bw) / 2;
    let base = 0;
    for (const k of STACK) {
      const c = h.counts[k];
      if (!c) continue;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(base + c).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(base) - y(base + c)).toFixed(1)}" fill="${KIND_COLOURS[k]}"/>`);
      base += c;
    }
    // Every other hour label keeps 24 (or 25) labels readable at preview size.
    if (i % 2 === 0 || n <= 12) {
      out.push(`<text x="${(m.left + i * slot + slot / 2).toFixed(1)}" y="${H - m.bottom + 22}" font-size="14" fill="#555" text-anchor="middle">${esc(h.label)}</text>`);
    }
  });
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="#888" stroke-width="1.5"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" font-size="14" fill="#666" text-anchor="middle">hour of day</text>`);
  if (total === 0) {
    out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph / 2}" font-size="22" fill="#999" text-anchor="middle">No posts in this window</text>`);
  }
  // Legend, top right, opportunity first.
  let lx = W - m.right;
  for (const k of STACK) {
    const label = `${k} ${data.totals[k]}`;
    const w = 22 + label.length * 8.5;
    lx -= w + 12;
    out.push(`<rect x="${lx}" y="22" width="14" height="14" fill="${KIND_COLOURS[k]}"/>`);
    out.push(`<text x="${lx + 20}" y="34" font-size="14" fill="#333">${esc(label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The chart as a PNG of CHART_WIDTH × CHART_HEIGHT. */
export function renderChartPng(data: Pick<DigestData, 'hours' | 'day' | 'timeZone' | 'totals'>, title?: string): Buffer {
  const resvg = new Resvg(chartSvg(data, title), {
    fitTo: { mode: 'width', value: CHART_WIDTH },
    font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: 'DejaVu Sans' },
    background: '#ffffff',
  });
  return resvg.render().asPng();
}
