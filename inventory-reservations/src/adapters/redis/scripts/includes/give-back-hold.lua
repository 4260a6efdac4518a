-- Ends a live hold (held or confirming): its units go back to stock, leave `held` and the shopper's
-- count, and the hold leaves the expiry set. The record stays for `recordTtlMs` so a late confirm
-- or a retried hold gets a precise answer instead of HOLD_NOT_FOUND.
local function giveBackHold(holdKey, holdId, finalState, stockKey, heldKey, shopperKey, expiryKey, orderPrefix, recordTtlMs, now)
  local f = redis.call('HMGET', holdKey, 'lines', 'shopperId', 'orderId')
  local lines = cjson.decode(f[1])
  for _, l in ipairs(lines) do
    redis.call('HINCRBY', stockKey, l.sku, l.quantity)
    redis.call('HINCRBY', heldKey, l.sku, -l.quantity)
    local field = l.sku .. '\0' .. f[2]
    if redis.call('HINCRBY', shopperKey, field, -l.quantity) <= 0 then
      redis.call('HDEL', shopperKey, field)
    end
  end
  redis.call('HSET', holdKey, 'state', finalState, 'closedAt', now)
  redis.call('ZREM', expiryKey, holdId)
  redis.call('PEXPIRE', holdKey, recordTtlMs)
  redis.call('PEXPIRE', orderPrefix .. f[3], recordTtlMs)
end
