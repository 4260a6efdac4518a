-- read-tick-4: the figures of one tick broadcast, computed in one round trip.
-- Every ticket at or below the head has been admitted or has left (admission pops the lowest
-- ticket), so tickets above it that are not waiting are exactly those who left: counted per bucket
-- starting right after the head, which keeps the first bucket exact.
-- KEYS[1] waiting  KEYS[2] seq  KEYS[3] admitted  KEYS[4] prequeue
-- ARGV[1] now (epoch ms)  ARGV[2] most buckets  ARGV[3] smallest bucket size
-- Returns {head, waiting (in line + in the pre-queue), lastTicket, active, bucketSize, {gone per bucket}}.
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local waiting = redis.call('ZCARD', KEYS[1])
local head = seq
if waiting > 0 then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  head = tonumber(first[2]) - 1
end
local active = redis.call('ZCOUNT', KEYS[3], '(' .. ARGV[1], '+inf')
local size = math.max(tonumber(ARGV[3]), math.ceil((seq - head) / tonumber(ARGV[2])))
local counts = {}
local start = head + 1
while start <= seq do
  local finish = math.min(start + size - 1, seq)
  counts[#counts + 1] = (finish - start + 1) - redis.call('ZCOUNT', KEYS[1], start, finish)
  start = start + size
end
return {head, waiting + redis.call('ZCARD', KEYS[4]), seq, active, size, counts}
