/** Signs admission JWTs (claims: shared/contracts/admission-claims.ts) with the current key. */
export interface AdmissionSigner {
  sign(input: {
    shopperId: string;
    promotionId: string;
    jti: string;
    ttlSeconds: number;
    now?: Date;
  }): Promise<{ token: string; expiresAt: Date }>;
}
