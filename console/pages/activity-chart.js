// The overview's per-minute token activity as an SVG bar chart (issued and rejected side by side).
import { h, svg } from '../ui.js';

const WIDTH = 1000;
const HEIGHT = 200;
const PAD = { top: 10, right: 8, bottom: 22, left: 34 };

export function activityChart(data) {
  const buckets = data.buckets || [];
  const issued = buckets.reduce((sum, b) => sum + b.issued, 0);
  const rejected = buckets.reduce((sum, b) => sum + b.rejected, 0);
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.issued, b.rejected)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, slot / 2 - 1);
  const y = (value) => PAD.top + plotH - (value / max) * plotH;
  const time = (text) => new Date(text).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  const bars = buckets.flatMap((bucket, i) => {
    const x = PAD.left + i * slot;
    const label = `${time(bucket.start)}: ${bucket.issued} issued, ${bucket.rejected} rejected`;
    return [
      bucket.issued ? svg('rect', { class: 'bar-issued', x: x + 0.5, y: y(bucket.issued), width: barW, height: PAD.top + plotH - y(bucket.issued), rx: 1 }, svg('title', {}, label)) : null,
      bucket.rejected ? svg('rect', { class: 'bar-rejected', x: x + 0.5 + barW, y: y(bucket.rejected), width: barW, height: PAD.top + plotH - y(bucket.rejected), rx: 1 }, svg('title', {}, label)) : null,
    ];
  });
  const ticks = buckets.length ? [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1] : [];
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'data-test': 'activity-chart',
    'aria-label': `Tokens per minute over the last ${data.window_minutes || 60} minutes: ${issued} issued, ${rejected} rejected`,
  },
  svg('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
  svg('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top, y2: PAD.top, 'stroke-dasharray': '3 4' }),
  svg('text', { class: 'label', x: PAD.left - 6, y: PAD.top + 4, 'text-anchor': 'end' }, String(max)),
  svg('text', { class: 'label', x: PAD.left - 6, y: PAD.top + plotH, 'text-anchor': 'end' }, '0'),
  ticks.map((i) => svg('text', { class: 'label', x: PAD.left + i * slot + slot / 2, y: HEIGHT - 6, 'text-anchor': i === 0 ? 'start' : i === buckets.length - 1 ? 'end' : 'middle' }, time(buckets[i].start))),
  bars);

  return h('div', {},
    h('div', { class: 'legend' },
      h('span', {}, h('span', { class: 'swatch swatch-issued', 'aria-hidden': 'true' }), 'Issued ', h('span', { class: 'stat', 'data-test': 'issued-total' }, String(issued))),
      h('span', {}, h('span', { class: 'swatch swatch-rejected', 'aria-hidden': 'true' }), 'Rejected ', h('span', { class: 'stat', 'data-test': 'rejected-total' }, String(rejected)))),
    chart,
    issued + rejected === 0 ? h('p', { class: 'muted small' }, 'No token requests in the last hour on this node.') : null);
}
