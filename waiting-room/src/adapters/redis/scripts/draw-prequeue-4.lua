-- draw-prequeue-4: when the window opens, gives every pre-queue shopper a ticket in the order of
-- their crypto-random draw keys (a uniformly random permutation), before any later joiner.
-- Runs once per promotion; later calls do nothing.
-- KEYS[1] meta  KEYS[2] prequeue  KEYS[3] waiting  KEYS[4] seq
-- Returns the number of tickets drawn, or -1 when the draw had already run.
if redis.call('HGET', KEYS[1], 'drawn') then return -1 end
local members = redis.call('ZRANGE', KEYS[2], 0, -1)
local t = tonumber(redis.call('GET', KEYS[4]) or '0')
for i = 1, #members do
  t = t + 1
  redis.call('ZADD', KEYS[3], t, members[i])
end
redis.call('SET', KEYS[4], t)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'drawn', '1')
return #members
