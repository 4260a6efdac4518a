--[[
  Marks a live hold as confirming and pushes its expiry out by the payment window, so it cannot
  expire while the card is charged. A hold already past its expiry is expired here and now.

  KEYS[1] hold     hash  the hold
  KEYS[2] expiry   zset  holdId -> expiresAt (ms)
  KEYS[3] stock    hash  sku -> available
  KEYS[4] held     hash  sku -> held
  KEYS[5] shopper  hash  sku\0shopperId -> units

  ARGV[1] holdId  ARGV[2] orderId  ARGV[3] payment window (ms)  ARGV[4] orderPrefix
  ARGV[5] record TTL (ms) for an ended hold

  Returns { 'OK', expiresAt } | { 'HOLD_NOT_FOUND' | 'HOLD_EXPIRED' | 'HOLD_RELEASED' | 'HOLD_CONFIRMED' }
]]
--- @include "now-ms"
--- @include "give-back-hold"

local h = redis.call('HMGET', KEYS[1], 'state', 'orderId', 'expiresAt')
if not h[1] or h[2] ~= ARGV[2] then return { 'HOLD_NOT_FOUND' } end
local state = h[1]
if state == 'expired' then return { 'HOLD_EXPIRED' } end
if state == 'released' then return { 'HOLD_RELEASED' } end
if state == 'confirmed' then return { 'HOLD_CONFIRMED' } end

local now = nowMs()
local expiresAt = tonumber(h[3])
if expiresAt <= now then
  giveBackHold(KEYS[1], ARGV[1], 'expired', KEYS[3], KEYS[4], KEYS[5], KEYS[2], ARGV[4], tonumber(ARGV[5]), now)
  return { 'HOLD_EXPIRED' }
end
local extended = math.max(expiresAt, now + tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'state', 'confirming', 'expiresAt', extended)
redis.call('ZADD', KEYS[2], extended, ARGV[1])
return { 'OK', tostring(extended) }
