-- leave-queue-3: a shopper gives up their place (explicit leave).
-- KEYS[1] prequeue  KEYS[2] waiting  KEYS[3] seen
-- ARGV[1] shopperId
-- Returns 1 when a place was given up, 0 when the shopper held none.
local removed = redis.call('ZREM', KEYS[1], ARGV[1]) + redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if removed > 0 then return 1 end
return 0
