export type Level = 'debug' | 'info' | 'warn' | 'error'
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export type Fields = Record<string, unknown>

/** Structured JSON logger: one object per line, with the fields bound by `child`. */
export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  /** A logger that adds `fields` (e.g. `correlation_id`) to every line. */
  child(fields: Fields): Logger
}

export interface LoggerOptions {
  service: string
  /** @default 'info' */
  level?: Level
  /** Receives each line. @default console.log for info and below, console.error above */
  sink?: (line: string, level: Level) => void
  /** @default () => new Date() */
  now?: () => Date
}

const defaultSink = (line: string, level: Level) => (RANK[level] >= RANK.warn ? console.error(line) : console.log(line))

export function createLogger(o: LoggerOptions, bound: Fields = {}): Logger {
  const min = RANK[o.level ?? 'info']
  const sink = o.sink ?? defaultSink
  const now = o.now ?? (() => new Date())
  const write = (level: Level, msg: string, fields?: Fields) => {
    if (RANK[level] < min) return
    sink(JSON.stringify({ time: now().toISOString(), level, service: o.service, msg, ...bound, ...serialise(fields) }), level)
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger(o, { ...bound, ...fields }),
  }
}

/** A logger that writes nothing, for tests and tools that print their own output. */
export const silentLogger: Logger = createLogger({ service: 'silent', sink: () => {} })

function serialise(fields?: Fields): Fields | undefined {
  if (!fields) return fields
  const out: Fields = {}
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? { name: v.name, message: v.message, ...('code' in v ? { code: v.code } : {}) } : v
  }
  return out
}
