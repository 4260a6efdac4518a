--[[
  Expires up to ARGV[3] holds whose expiry has passed, giving their stock back. Safe to run on
  every node at once: each hold is ended inside this script, so it is reaped exactly once, and a
  hold confirmed meanwhile has already left the expiry set.

  KEYS[1] expiry   zset  holdId -> expiresAt (ms)
  KEYS[2] stock    hash  sku -> available
  KEYS[3] held     hash  sku -> held
  KEYS[4] shopper  hash  sku\0shopperId -> units

  ARGV[1] holdPrefix (hold hashes, same slot)  ARGV[2] orderPrefix  ARGV[3] max holds per call
  ARGV[4] record TTL (ms) for an expired hold

  Returns the number of holds expired.
]]
--- @include "now-ms"
--- @include "give-back-hold"

local now = nowMs()
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local reaped = 0
for _, holdId in ipairs(due) do
  local holdKey = ARGV[1] .. holdId
  local state = redis.call('HGET', holdKey, 'state')
  if state == 'held' or state == 'confirming' then
    giveBackHold(holdKey, holdId, 'expired', KEYS[2], KEYS[3], KEYS[4], KEYS[1], ARGV[2], tonumber(ARGV[4]), now)
    reaped = reaped + 1
  else
    redis.call('ZREM', KEYS[1], holdId)
  end
end
return reaped
