import { newId, withTimeout } from '../../core/index.ts'

/**
 * A small Prometheus registry: labelled counters, one histogram, gauges read
 * at scrape time, and `medtrack_worker_info{instance}`, the id of this
 * registry's process, by which a reader tells replicas apart and sees one
 * restart (its counters begin again from 0).
 */
export class Metrics {
  /** @param instance @default a new id */
  constructor(readonly instance: string = newId()) {}

  private counters = new Map<string, { help: string; values: Map<string, number> }>()
  private histograms = new Map<string, { help: string; buckets: number[]; series: Map<string, { counts: number[]; sum: number; count: number }> }>()
  private gauges = new Map<string, { help: string; read: () => Promise<number> }>()

  counter(name: string, help: string): (labels: Record<string, string>, by?: number) => void {
    const c = { help, values: new Map<string, number>() }
    this.counters.set(name, c)
    return (labels, by = 1) => {
      const key = labelText(labels)
      c.values.set(key, (c.values.get(key) ?? 0) + by)
    }
  }

  histogram(name: string, help: string, buckets: number[]): (labels: Record<string, string>, value: number) => void {
    const h = { help, buckets, series: new Map<string, { counts: number[]; sum: number; count: number }>() }
    this.histograms.set(name, h)
    return (labels, value) => {
      const key = labelText(labels)
      let s = h.series.get(key)
      if (!s) h.series.set(key, (s = { counts: buckets.map(() => 0), sum: 0, count: 0 }))
      buckets.forEach((b, i) => value <= b && s.counts[i]!++)
      s.sum += value
      s.count++
    }
  }

  gauge(name: string, help: string, read: () => Promise<number>): void {
    this.gauges.set(name, { help, read })
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<string> {
    const out: string[] = ['# HELP medtrack_worker_info This worker process: its instance is new at each start.', '# TYPE medtrack_worker_info gauge', `medtrack_worker_info${labelText({ instance: this.instance })} 1`]
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`)
      for (const [labels, v] of c.values) out.push(`${name}${labels} ${v}`)
    }
    for (const [name, h] of this.histograms) {
      out.push(`# HELP ${name} ${h.help}`, `# TYPE ${name} histogram`)
      for (const [labels, s] of h.series) {
        const inner = labels.slice(1, -1)
        h.buckets.forEach((b, i) => out.push(`${name}_bucket{${inner ? `${inner},` : ''}le="${b}"} ${s.counts[i]}`))
        out.push(`${name}_bucket{${inner ? `${inner},` : ''}le="+Inf"} ${s.count}`, `${name}_sum${labels} ${s.sum}`, `${name}_count${labels} ${s.count}`)
      }
    }
    for (const [name, g] of this.gauges) {
      const value = await withTimeout(g.read(), GAUGE_TIMEOUT_MS).catch(() => Number.NaN)
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${value}`)
    }
    return `${out.join('\n')}\n`
  }
}

/** A gauge that cannot be read in time (its database is away) shows NaN rather than holding up the scrape. */
const GAUGE_TIMEOUT_MS = 1_000

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}
