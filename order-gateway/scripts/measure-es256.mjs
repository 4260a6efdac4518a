#!/usr/bin/env node
/**
 * CPU per admission-token verification: jose's jwtVerify (WebCrypto) against verifyEs256Jwt
 * (node:crypto's synchronous verify, same key lookup and claim rules), on 2,000 distinct tokens, in
 * this process. A local measurement, not the bench: speed is not asserted anywhere.
 *
 *   pnpm -s build && node order-gateway/scripts/measure-es256.mjs
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { verifyEs256Jwt } from '../dist/adapters/auth/es256-jwt.js';

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
const exp = Math.floor(Date.now() / 1000) + 600;
const tokens = [];
for (let i = 0; i < 2_000; i++) {
  tokens.push(
    await new SignJWT({ sub: `s${i}`, jti: `j${i}`, promotion_id: 'p' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('waiting-room')
      .setAudience('order-gateway')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(privateKey),
  );
}
const claims = { issuer: 'waiting-room', audience: 'order-gateway', requiredClaims: ['sub', 'jti', 'exp', 'iat'] };
const verifiers = {
  jose: (t) => jwtVerify(t, jwks, { ...claims, algorithms: ['ES256'], clockTolerance: 5 }),
  'node:crypto': (t) => verifyEs256Jwt(t, jwks, { ...claims, clockToleranceSeconds: 5, nowMs: Date.now() }),
};
for (let round = 0; round < 2; round++) {
  for (const [name, verify] of Object.entries(verifiers)) {
    for (const t of tokens) await verify(t); // warm-up
    const before = process.cpuUsage();
    for (let r = 0; r < 3; r++) for (const t of tokens) await verify(t);
    const used = process.cpuUsage(before);
    console.log(`${name.padEnd(12)} ${((used.user + used.system) / (3 * tokens.length)).toFixed(1)} µs CPU per verification`);
  }
}
