import type { Context } from 'hono';
import { AppError } from '@flashgate/shared/errors';
import type { AdmissionVerifier, VerifiedAdmission } from '../adapters/auth/admission-verifier.js';
import type { GatewayMetrics } from '../metrics.js';

/** Verifies the request's admission token, counting each rejection by its (bounded) code. */
export async function requireAdmission(
  c: Context,
  verifier: AdmissionVerifier,
  metrics: GatewayMetrics,
  opts: { allowExpired?: boolean } = {},
): Promise<VerifiedAdmission> {
  try {
    return await verifier.verify(c.req.header('authorization'), opts);
  } catch (err) {
    if (err instanceof AppError && err.status < 500) metrics.authRejections.inc({ reason: err.code });
    throw err;
  }
}
