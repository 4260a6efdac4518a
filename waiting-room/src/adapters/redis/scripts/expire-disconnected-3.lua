-- expire-disconnected-3: removes shoppers not seen since the grace cutoff from the line.
-- KEYS[1] seen  KEYS[2] waiting  KEYS[3] prequeue
-- ARGV[1] cutoff (epoch ms; last seen strictly before it expires)  ARGV[2] most to remove in one call
-- Returns the shopperIds removed.
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for i = 1, #gone do
  redis.call('ZREM', KEYS[1], gone[i])
  redis.call('ZREM', KEYS[2], gone[i])
  redis.call('ZREM', KEYS[3], gone[i])
end
return gone
