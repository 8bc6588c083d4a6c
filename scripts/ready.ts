/**
 * A container's health check: exit 0 when `url` (a process's `/ready`) answers
 * 200 within 3 s, else exit 1 saying what it answered.
 *
 *   bun scripts/ready.ts http://127.0.0.1:3001/auth/api/ready
 */
import { askedForHelp } from './cli.ts'

const USAGE = 'usage: bun scripts/ready.ts <url of a /ready endpoint>'

async function main(argv: string[]): Promise<number> {
  if (askedForHelp(argv, USAGE)) return 0
  const [url, ...rest] = argv
  if (!url || rest.length > 0) {
    console.error(USAGE)
    return 2
  }
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3_000) })
    const body = await res.text()
    if (res.ok) return 0
    console.error(`${url}: ${res.status} ${body}`)
  } catch (err) {
    console.error(`${url}: ${(err as Error).message}`)
  }
  return 1
}

process.exit(await main(process.argv.slice(2)))
