-- join-queue-6: puts a shopper in line once, or reports the place they already hold.
-- KEYS[1] meta  KEYS[2] prequeue  KEYS[3] waiting  KEYS[4] tokens  KEYS[5] seq  KEYS[6] seen
-- ARGV[1] shopperId  ARGV[2] now (epoch ms)  ARGV[3] 'prequeue' | 'open'
-- ARGV[4] the shopper's pre-queue draw key (crypto-random, chosen by the caller)
-- Returns {status, ticket, ahead, tokenJson}; status is
--   'admitted'  already admitted in this promotion: tokenJson is the stored admission
--   'waiting'   in line with `ticket`, `ahead` shoppers exactly ahead
--   'prequeue'  in the pre-queue (ticket drawn when the window opens)
--   'need_draw' the window is open but the draw has not run yet: run draw-prequeue, then retry
local shopper = ARGV[1]
local admission = redis.call('HGET', KEYS[4], shopper)
if admission then return {'admitted', -1, -1, admission} end
local ticket = redis.call('ZSCORE', KEYS[3], shopper)
if ticket then
  redis.call('ZADD', KEYS[6], ARGV[2], shopper)
  return {'waiting', tonumber(ticket), redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. ticket), ''}
end
if redis.call('ZSCORE', KEYS[2], shopper) then
  redis.call('ZADD', KEYS[6], ARGV[2], shopper)
  return {'prequeue', -1, -1, ''}
end
local drawn = redis.call('HGET', KEYS[1], 'drawn')
if ARGV[3] == 'prequeue' and not drawn then
  redis.call('ZADD', KEYS[2], ARGV[4], shopper)
  redis.call('ZADD', KEYS[6], ARGV[2], shopper)
  return {'prequeue', -1, -1, ''}
end
if not drawn then return {'need_draw', -1, -1, ''} end
local t = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[3], t, shopper)
redis.call('ZADD', KEYS[6], ARGV[2], shopper)
return {'waiting', t, redis.call('ZCOUNT', KEYS[3], '-inf', '(' .. t), ''}
