import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { apiPort, GATEWAY_PORT, SERVICES, workerPort } from '../core/index.ts'

export interface ProcessSpec {
  name: string
  entry: string
  port: number
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Every process of the platform with its port (docs/operations.md), whether or not it exists yet. */
export const PROCESSES: readonly ProcessSpec[] = [
  { name: 'gateway', entry: 'api/gateway/main.ts', port: GATEWAY_PORT },
  ...SERVICES.map((s) => ({ name: `${s}-api`, entry: `api/${s}/main.ts`, port: apiPort(s) })),
  ...SERVICES.map((s) => ({ name: `${s}-worker`, entry: `workers/${s}/main.ts`, port: workerPort(s) })),
]

/** The processes whose entry file exists in this checkout. */
export function existingProcesses(root = ROOT): ProcessSpec[] {
  return PROCESSES.filter((p) => existsSync(`${root}/${p.entry}`))
}

/**
 * The environment `bun run dev` gives a child: its own, and the child's PORT (and the gateway, room
 * for as many streams as it forwards: BUN_CONFIG_MAX_HTTP_REQUESTS). Nothing else, no secret
 * of its own above all: without JWT_SECRET the APIs read the platform's, which migrate made.
 */
export function childEnvironment(spec: ProcessSpec, env: Record<string, string | undefined>): Record<string, string | undefined> {
  // The gateway holds a fetch upstream for each open notification stream: Bun allows 256 at once unless told.
  const gateway = spec.name === 'gateway' && env.BUN_CONFIG_MAX_HTTP_REQUESTS === undefined ? { BUN_CONFIG_MAX_HTTP_REQUESTS: String(GATEWAY_MAX_FETCHES) } : {}
  return { ...env, ...gateway, PORT: String(spec.port) }
}

/** How many requests the gateway forwards at once (open streams included) unless BUN_CONFIG_MAX_HTTP_REQUESTS says. */
export const GATEWAY_MAX_FETCHES = 16_384
