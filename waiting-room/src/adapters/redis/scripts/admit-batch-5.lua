-- admit-batch-5: admits the head of the line, fenced by the admitter lease and bounded by the cap.
-- The caller peeked the head and signed a token for each candidate; a candidate who left meanwhile
-- is skipped, and nobody can overtake (later joiners get larger tickets).
-- KEYS[1] lease  KEYS[2] waiting  KEYS[3] admitted  KEYS[4] tokens  KEYS[5] seen
-- ARGV[1] the lease value the caller holds ("owner|fence")  ARGV[2] now (epoch ms)
-- ARGV[3] max active shoppers, then per candidate in ticket order: shopperId, expiresAt (epoch ms), admission JSON
-- Returns -1 when the caller no longer holds the lease, else the list of admitted shopperIds.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local room = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[3])
local admitted = {}
local i = 4
while i + 2 <= #ARGV and room > 0 do
  local shopper = ARGV[i]
  if redis.call('ZSCORE', KEYS[2], shopper) and redis.call('HSETNX', KEYS[4], shopper, ARGV[i + 2]) == 1 then
    redis.call('ZREM', KEYS[2], shopper)
    redis.call('ZADD', KEYS[3], ARGV[i + 1], shopper)
    redis.call('ZREM', KEYS[5], shopper)
    admitted[#admitted + 1] = shopper
    room = room - 1
  end
  i = i + 3
end
return admitted
