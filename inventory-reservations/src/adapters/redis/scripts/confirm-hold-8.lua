--[[
  Makes a live hold permanent. Idempotent: confirming a confirmed hold answers with the stored
  order. The hold joins `unpublished` (until JetStream acknowledges the order) and `pending`
  (until reconciliation sees it in Postgres), so neither a failed publish nor a rebuild loses it.
  A hold past its expiry is expired here: a hold is confirmed or expired, never both.

  KEYS[1] hold         hash  the hold
  KEYS[2] expiry       zset  holdId -> expiresAt (ms)
  KEYS[3] stock        hash  sku -> available
  KEYS[4] held         hash  sku -> held
  KEYS[5] shopper      hash  sku\0shopperId -> units
  KEYS[6] confirmed    hash  sku -> confirmed units
  KEYS[7] unpublished  set   confirmed holdIds not yet acknowledged by JetStream
  KEYS[8] pending      set   confirmed holdIds not yet known to be in Postgres

  ARGV[1] holdId  ARGV[2] orderId  ARGV[3] paymentReference  ARGV[4] orderPrefix
  ARGV[5] record TTL (ms) for an expired hold  ARGV[6] record TTL (ms) for a confirmed hold

  Returns { 'OK', shopperId, linesJson, amountCents, paymentReference, confirmedAt, unpublished(0|1) }
        | { 'HOLD_NOT_FOUND' | 'HOLD_EXPIRED' | 'HOLD_RELEASED' }
]]
--- @include "now-ms"
--- @include "give-back-hold"

local h = redis.call('HMGET', KEYS[1], 'state', 'orderId', 'expiresAt', 'shopperId', 'lines', 'amountCents',
  'paymentReference', 'confirmedAt')
if not h[1] or h[2] ~= ARGV[2] then return { 'HOLD_NOT_FOUND' } end
local state = h[1]
if state == 'confirmed' then
  return { 'OK', h[4], h[5], h[6], h[7], h[8], redis.call('SISMEMBER', KEYS[7], ARGV[1]) }
end
if state == 'expired' then return { 'HOLD_EXPIRED' } end
if state == 'released' then return { 'HOLD_RELEASED' } end

local now = nowMs()
if tonumber(h[3]) <= now then
  giveBackHold(KEYS[1], ARGV[1], 'expired', KEYS[3], KEYS[4], KEYS[5], KEYS[2], ARGV[4], tonumber(ARGV[5]), now)
  return { 'HOLD_EXPIRED' }
end

for _, l in ipairs(cjson.decode(h[5])) do
  redis.call('HINCRBY', KEYS[4], l.sku, -l.quantity)
  redis.call('HINCRBY', KEYS[6], l.sku, l.quantity)
end
redis.call('HSET', KEYS[1], 'state', 'confirmed', 'paymentReference', ARGV[3], 'confirmedAt', now)
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[7], ARGV[1])
redis.call('SADD', KEYS[8], ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[6]))
redis.call('PEXPIRE', ARGV[4] .. h[2], tonumber(ARGV[6]))
return { 'OK', h[4], h[5], h[6], ARGV[3], tostring(now), 1 }
