import { request } from 'node:http';

/**
 * GET on a connection of its own (fetch would reuse a kept-alive one): under cluster.js each call is
 * dealt to the next worker, which is what a test of "any worker answers the same" needs.
 */
export function getOnNewConnection(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => {
        text += String(d);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}
