--[[
  Releases a live hold (cancelled or payment declined): its units return to stock at once.

  KEYS[1] hold     hash  the hold
  KEYS[2] expiry   zset  holdId -> expiresAt (ms)
  KEYS[3] stock    hash  sku -> available
  KEYS[4] held     hash  sku -> held
  KEYS[5] shopper  hash  sku\0shopperId -> units

  ARGV[1] holdId  ARGV[2] reason  ARGV[3] orderPrefix  ARGV[4] record TTL (ms)

  Returns { 'RELEASED' } | { 'ALREADY_ENDED' } | { 'HOLD_CONFIRMED' } | { 'HOLD_NOT_FOUND' }
]]
--- @include "now-ms"
--- @include "give-back-hold"

local state = redis.call('HGET', KEYS[1], 'state')
if not state then return { 'HOLD_NOT_FOUND' } end
if state == 'confirmed' then return { 'HOLD_CONFIRMED' } end
if state == 'expired' or state == 'released' then return { 'ALREADY_ENDED' } end
giveBackHold(KEYS[1], ARGV[1], 'released', KEYS[3], KEYS[4], KEYS[5], KEYS[2], ARGV[3], tonumber(ARGV[4]), nowMs())
redis.call('HSET', KEYS[1], 'reason', ARGV[2])
return { 'RELEASED' }
