/** Small inline SVG charts of a queue's history: lines over the last ten minutes, named for screen readers. */
import { h } from './dom.js'

const WIDTH = 120
const HEIGHT = 28
/** What a chart spans: the history the API keeps. */
const WINDOW_MS = 10 * 60_000

/**
 * The runs of known samples (`{ at, value }`, a null value being a sample not
 * taken: the broker was away), each as its points `[x, y]`: the chart's right
 * edge is `end`, its left edge ten minutes before; `top` is at its top, 0 at its bottom.
 */
function runs(samples, top, end) {
  const x = (at) => WIDTH - ((end - at) / WINDOW_MS) * WIDTH
  const y = (value) => HEIGHT - 1 - (value / top) * (HEIGHT - 2)
  const lines = []
  let run = []
  for (const { at, value } of samples) {
    if (typeof value === 'number') run.push([x(at), y(value)])
    else if (run.length > 0) lines.push(run), (run = [])
  }
  if (run.length > 0) lines.push(run)
  return lines
}

/** A run as a line; a sample alone as a dot. */
const mark = (points, className) =>
  points.length === 1
    ? h('circle', { class: className, cx: points[0][0], cy: points[0][1], r: 1.5 })
    : h('polyline', { class: className, points: points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ') })

/**
 * A sparkline of one or two series (`[{ samples: [{ at, value }], className }]`,
 * `at` in ms), every line on one scale so that two rates compare, the latest
 * sample at the right edge. `label` is its accessible name: what it shows, in words.
 */
export function sparkline(series, label) {
  const samples = series.flatMap((s) => s.samples)
  const top = Math.max(1, ...samples.map((s) => s.value).filter((v) => typeof v === 'number'))
  const end = Math.max(0, ...samples.map((s) => s.at))
  return h(
    'svg',
    { class: 'spark', viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: 'img', 'aria-label': label },
    h('title', {}, label),
    h('line', { class: 'axis', x1: 0, y1: HEIGHT - 0.5, x2: WIDTH, y2: HEIGHT - 0.5 }),
    series.map((s) => runs(s.samples, top, end).map((points) => mark(points, s.className))),
  )
}
