/**
 * One client address can hold about 28k connections to one server port (the ephemeral port range
 * here is 32768–60999), so shoppers are spread over many loopback source addresses: all of
 * 127.0.0.0/8 routes to `lo` on Linux, no configuration needed. Only used when the target itself
 * is on loopback — binding a 127.x address to reach another host would fail.
 */
export function sourceAddress(globalIndex: number, perAddress: number): string {
  const k = Math.floor(globalIndex / Math.max(1, perAddress));
  return `127.${10 + (Math.floor(k / 62_500) % 200)}.${Math.floor(k / 250) % 250}.${(k % 250) + 1}`;
}

export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
