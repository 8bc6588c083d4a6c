/**
 * Where each process listens when `PORT` is not set, so that processes started
 * by hand find each other: the gateway on 8080, the APIs of auth, profile,
 * core, comm, eval and ops on 3001–3006, their workers on 3101–3106.
 * `PORT=0` asks for any free port instead.
 */
export const GATEWAY_PORT = 8080

const ORDER = ['auth', 'profile', 'core', 'comm', 'eval', 'ops'] as const

/** The port of a service's API when `PORT` is not set; 0 (any free port) for a service not in the table. */
export function apiPort(service: string): number {
  const i = ORDER.indexOf(service as (typeof ORDER)[number])
  return i < 0 ? 0 : 3001 + i
}

/** The port of a service worker's /health, /ready and /metrics when `PORT` is not set. */
export function workerPort(service: string): number {
  const i = ORDER.indexOf(service as (typeof ORDER)[number])
  return i < 0 ? 0 : 3101 + i
}
