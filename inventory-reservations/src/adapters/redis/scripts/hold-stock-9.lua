--[[
  Holds stock for one order, all lines or none.

  KEYS[1] meta        hash   version, status, holdTtlMs
  KEYS[2] stock       hash   sku -> available units
  KEYS[3] held        hash   sku -> units in live holds
  KEYS[4] price       hash   sku -> unit price (cents)
  KEYS[5] limit       hash   sku -> per-shopper limit
  KEYS[6] shopper     hash   sku\0shopperId -> units held or bought by the shopper
  KEYS[7] expiry      zset   holdId -> expiresAt (ms)
  KEYS[8] hold        hash   the new hold (holdPrefix .. ARGV[1])
  KEYS[9] order       string orderId -> holdId (idempotency; orderPrefix .. ARGV[2])

  ARGV[1] holdId (fresh)   ARGV[2] orderId   ARGV[3] shopperId
  ARGV[4] default hold TTL (ms), used when the promotion has none
  ARGV[5] holdPrefix (to read the hold a replayed orderId points at; same slot)
  ARGV[6] number of lines n, then n pairs: sku, quantity (skus unique)

  Returns
    { 'OK', holdId, expiresAt, amountCents, linesJson, state, replayed(0|1) }
    { 'SOLD_OUT' | 'LIMIT_EXCEEDED' | 'UNKNOWN_SKU', sku }
    { 'PROMOTION_NOT_FOUND' } | { 'PROMOTION_NOT_OPEN', status }
]]
--- @include "now-ms"

local existing = redis.call('GET', KEYS[9])
if existing then
  local h = redis.call('HMGET', ARGV[5] .. existing, 'expiresAt', 'amountCents', 'lines', 'state')
  if not h[4] then return { 'OK', existing, '0', '0', '[]', 'gone', 1 } end
  return { 'OK', existing, h[1], h[2], h[3], h[4], 1 }
end

local status = redis.call('HGET', KEYS[1], 'status')
if not status then return { 'PROMOTION_NOT_FOUND' } end
if status ~= 'open' and status ~= 'sold_out' then return { 'PROMOTION_NOT_OPEN', status } end

local shopperId = ARGV[3]
local n = tonumber(ARGV[6])
local lines = {}
local amount = 0
-- Check every line before touching anything: a hold is all-or-nothing.
for i = 1, n do
  local sku = ARGV[5 + 2 * i]
  local qty = tonumber(ARGV[6 + 2 * i])
  local price = redis.call('HGET', KEYS[4], sku)
  if not price then return { 'UNKNOWN_SKU', sku } end
  local available = tonumber(redis.call('HGET', KEYS[2], sku) or '0')
  if available < qty then return { 'SOLD_OUT', sku } end
  local limit = tonumber(redis.call('HGET', KEYS[5], sku) or '0')
  local already = tonumber(redis.call('HGET', KEYS[6], sku .. '\0' .. shopperId) or '0')
  if already + qty > limit then return { 'LIMIT_EXCEEDED', sku } end
  price = tonumber(price)
  amount = amount + price * qty
  lines[i] = { sku = sku, quantity = qty, unitPriceCents = price }
end

for i = 1, n do
  local l = lines[i]
  redis.call('HINCRBY', KEYS[2], l.sku, -l.quantity)
  redis.call('HINCRBY', KEYS[3], l.sku, l.quantity)
  redis.call('HINCRBY', KEYS[6], l.sku .. '\0' .. shopperId, l.quantity)
end

local now = nowMs()
local ttl = tonumber(redis.call('HGET', KEYS[1], 'holdTtlMs') or '') or tonumber(ARGV[4])
local expiresAt = now + ttl
local linesJson = cjson.encode(lines)
redis.call('HSET', KEYS[8], 'state', 'held', 'orderId', ARGV[2], 'shopperId', shopperId, 'lines', linesJson,
  'amountCents', amount, 'expiresAt', expiresAt, 'createdAt', now)
redis.call('ZADD', KEYS[7], expiresAt, ARGV[1])
redis.call('SET', KEYS[9], ARGV[1])
return { 'OK', ARGV[1], tostring(expiresAt), tostring(amount), linesJson, 'held', 0 }
