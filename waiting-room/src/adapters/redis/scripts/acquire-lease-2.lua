-- acquire-lease-2: takes or renews the admitter lease of a promotion. Each new acquisition gets a
-- fresh fencing number, so a paused former leader's late writes are refused by admit-batch.
-- KEYS[1] lease  KEYS[2] fence counter
-- ARGV[1] owner id (unique per engine instance)  ARGV[2] ttl (ms)
-- Returns the lease value "owner|fence" when the caller holds it, nil when another owner does.
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if sep and string.sub(cur, 1, sep - 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return cur
  end
  return false
end
local value = ARGV[1] .. '|' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
