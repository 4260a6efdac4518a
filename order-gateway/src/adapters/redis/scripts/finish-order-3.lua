--[[
finish-order-3: record the outcome of an order placement begun by begin-order-2.

KEYS[1]  idempotency record key
KEYS[2]  admission binding key
KEYS[3]  order key
ARGV[1]  order id
ARGV[2]  mode: 'created' | 'rejected' | 'retryable'
ARGV[3]  idempotency record JSON to store
ARGV[4]  idempotency record TTL, ms
ARGV[5]  order TTL, ms ('created' only)
ARGV[6]  hold expiry, epoch ms ('created' only)
ARGV[7..] order hash field/value pairs ('created' only)

Returns 1 when the idempotency record was written, 0 when another attempt owns the key by now
(our in-flight record expired and was re-claimed); the order itself is written either way.
]]
local orderId, mode = ARGV[1], ARGV[2]

if mode == 'created' then
  local fields = {}
  for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
  redis.call('HSET', KEYS[3], unpack(fields))
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  redis.call('HSET', KEYS[2], 'orderId', orderId, 'status', 'held', 'holdExpiresAt', ARGV[6])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
elseif redis.call('HGET', KEYS[2], 'orderId') == orderId then
  redis.call('DEL', KEYS[2])
end

local raw = redis.call('GET', KEYS[1])
if raw then
  local rec = cjson.decode(raw)
  if rec.orderId ~= orderId then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
