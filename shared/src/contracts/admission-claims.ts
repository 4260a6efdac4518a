import { z } from 'zod';

/**
 * The admission JWT: issued by waiting-room when a shopper reaches the head of the queue, honoured
 * by order-gateway. Signed with an asymmetric key (ES256) carrying `kid`; public keys are served
 * by waiting-room at /.well-known/jwks.json.
 */
export const ADMISSION_ISSUER = 'waiting-room';
export const ADMISSION_AUDIENCE = 'order-gateway';
export const ADMISSION_ALGORITHMS = ['ES256'] as const;

export const admissionClaimsSchema = z.object({
  iss: z.literal(ADMISSION_ISSUER),
  aud: z.union([z.literal(ADMISSION_AUDIENCE), z.array(z.string()).refine((a) => a.includes(ADMISSION_AUDIENCE))]),
  sub: z.string().min(1).max(128),
  promotion_id: z.string().min(1).max(64),
  jti: z.string().min(1).max(128),
  iat: z.number().int(),
  nbf: z.number().int().optional(),
  exp: z.number().int(),
});

export type AdmissionClaims = z.infer<typeof admissionClaimsSchema>;
