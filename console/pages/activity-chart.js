// The overview's per-minute token activity as an SVG bar chart (issued and rejected side by
// side). The SVG stretches to the card's width at a fixed height, so its labels are HTML
// around it (text inside a stretched SVG would distort).
import { h, svg } from '../ui.js';

const WIDTH = 600;
const HEIGHT = 100;

export function activityChart(data) {
  const buckets = data.buckets || [];
  const issued = buckets.reduce((sum, b) => sum + b.issued, 0);
  const rejected = buckets.reduce((sum, b) => sum + b.rejected, 0);
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.issued, b.rejected)));
  const slot = WIDTH / Math.max(1, buckets.length);
  const barW = Math.max(0.5, slot / 2 - 0.6);
  const barH = (value) => (value / max) * (HEIGHT - 2);
  const time = (text) => new Date(text).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  const bars = buckets.flatMap((bucket, i) => {
    const x = i * slot + 0.3;
    const label = `${time(bucket.start)}: ${bucket.issued} issued, ${bucket.rejected} rejected`;
    return [
      bucket.issued ? svg('rect', { class: 'bar-issued', x, y: HEIGHT - barH(bucket.issued), width: barW, height: barH(bucket.issued) }, svg('title', {}, label)) : null,
      bucket.rejected ? svg('rect', { class: 'bar-rejected', x: x + barW, y: HEIGHT - barH(bucket.rejected), width: barW, height: barH(bucket.rejected) }, svg('title', {}, label)) : null,
    ];
  });
  const chart = svg('svg', {
    class: 'chart', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'data-test': 'activity-chart',
    'aria-label': `Tokens per minute over the last ${data.window_minutes || 60} minutes: ${issued} issued, ${rejected} rejected`,
  },
  svg('line', { class: 'axis', x1: 0, x2: WIDTH, y1: HEIGHT - 0.5, y2: HEIGHT - 0.5, 'vector-effect': 'non-scaling-stroke' }),
  svg('line', { class: 'axis', x1: 0, x2: WIDTH, y1: 0.5, y2: 0.5, 'stroke-dasharray': '3 4', 'vector-effect': 'non-scaling-stroke' }),
  bars);

  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return h('div', {},
    h('div', { class: 'legend' },
      h('span', {}, h('span', { class: 'swatch swatch-issued', 'aria-hidden': 'true' }), 'Issued ', h('span', { class: 'stat', 'data-test': 'issued-total' }, String(issued))),
      h('span', {}, h('span', { class: 'swatch swatch-rejected', 'aria-hidden': 'true' }), 'Rejected ', h('span', { class: 'stat', 'data-test': 'rejected-total' }, String(rejected))),
      h('span', { class: 'muted small chart-peak' }, `peak ${max} per minute`)),
    h('div', { class: 'chart-frame' }, chart),
    first ? h('div', { class: 'chart-axis muted small', 'aria-hidden': 'true' }, h('span', {}, time(first.start)), h('span', {}, 'per minute'), h('span', {}, time(last.start))) : null,
    issued + rejected === 0 ? h('p', { class: 'muted small' }, 'No token requests in the last hour on this node.') : null);
}
