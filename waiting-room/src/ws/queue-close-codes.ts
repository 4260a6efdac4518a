/**
 * WebSocket close codes of the queue socket. 4xxx mirror the HTTP status of the same rejection
 * (4401 ↔ 401 …), so a client handles both transports with one table. An `error` frame naming the
 * precise code is always sent before a close the server initiates.
 */
export const CloseCode = {
  NORMAL: 1000,
  POLICY: 1008,
  TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  UNAUTHORIZED: 4401,
  NOT_FOUND: 4404,
  HELLO_TIMEOUT: 4408,
  NOT_OPEN: 4409,
  PLACE_LOST: 4410,
  RATE_LIMITED: 4429,
} as const;

export function closeCodeForStatus(status: number): number {
  switch (status) {
    case 401:
      return CloseCode.UNAUTHORIZED;
    case 404:
      return CloseCode.NOT_FOUND;
    case 409:
      return CloseCode.NOT_OPEN;
    case 429:
      return CloseCode.RATE_LIMITED;
    default:
      return CloseCode.POLICY;
  }
}
