/** Small inline SVG charts of a queue's history: a line over the last minutes, its latest value named for screen readers. */
import { h } from './dom.js'

const WIDTH = 120
const HEIGHT = 28

/** The points of a line through `values`, scaled to the chart: `top` at its top edge, 0 at its bottom. */
function points(values, top) {
  const step = values.length > 1 ? WIDTH / (values.length - 1) : 0
  return values.map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 1 - (v / top) * (HEIGHT - 2)).toFixed(1)}`).join(' ')
}

/**
 * A sparkline of one or two series: `series` is `[{ values, className }]`.
 * Its accessible name (`label`) says what it shows and the range it covers.
 */
export function sparkline(series, label) {
  const lines = series.filter((s) => s.values.length > 0)
  // Every line on one scale, so that two rates compare; the top is the largest value, at least 1.
  const top = Math.max(1, ...lines.flatMap((s) => s.values))
  return h(
    'svg',
    { class: 'spark', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' },
    h('title', {}, label),
    h('line', { class: 'axis', x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }),
    // One sample is a flat line across, not a dot.
    lines.map((s) => h('polyline', { class: s.className, points: points(s.values.length === 1 ? [s.values[0], s.values[0]] : s.values, top) })),
  )
}
