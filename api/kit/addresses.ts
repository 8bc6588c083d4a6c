/** An address as written in TRUSTED_PROXIES or seen on a socket: an IPv4 address mapped into IPv6 is the IPv4 one. */
const plainAddress = (address: string) => address.trim().toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1')

/** TRUSTED_PROXIES (addresses, comma-separated) as a test of a peer's address. */
export function trustedProxies(setting: string): (address: string | undefined) => boolean {
  const trusted = new Set(setting.split(',').map(plainAddress).filter(Boolean))
  return (address) => address !== undefined && trusted.has(plainAddress(address))
}
