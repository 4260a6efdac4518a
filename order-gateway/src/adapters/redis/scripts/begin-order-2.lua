--[[
begin-order-2: claim an idempotency key and the admission (jti) for a new order, in one round trip.

KEYS[1]  idempotency record key (JSON string {state, fingerprint, orderId, status?, body?})
KEYS[2]  admission binding key (hash {orderId, status, holdExpiresAt})
ARGV[1]  request fingerprint (sha256 hex)
ARGV[2]  candidate order id (used unless a retryable record already named one)
ARGV[3]  now, epoch ms
ARGV[4]  in-flight TTL, ms (a crashed gateway must not lock the key forever)

Returns
  {'idem', recordJson}            the key already has a record the caller must answer from
                                  (in flight, done, or retryable with a different fingerprint)
  {'jti', orderId, status}        the admission already has a live order
  {'ok', orderId}                 claimed: the caller now holds stock under orderId
]]
local fingerprint, orderId, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]

local raw = redis.call('GET', KEYS[1])
if raw then
  local rec = cjson.decode(raw)
  -- A retryable record (the last attempt failed on a dependency) is re-claimed with the SAME order
  -- id, so an inventory hold that did land before a timeout is found again, not made twice.
  if rec.state ~= 'retryable' or rec.fingerprint ~= fingerprint then
    return {'idem', raw}
  end
  orderId = rec.orderId
end

local bound = redis.call('HMGET', KEYS[2], 'orderId', 'status', 'holdExpiresAt')
if bound[1] and bound[1] ~= orderId then
  local expired = bound[2] == 'held' and tonumber(bound[3]) ~= nil and tonumber(bound[3]) <= now
  if not expired then
    return {'jti', bound[1], bound[2] or 'pending'}
  end
end

redis.call('SET', KEYS[1], cjson.encode({state = 'in_flight', fingerprint = fingerprint, orderId = orderId}), 'PX', ttl)
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'orderId', orderId, 'status', 'pending')
redis.call('PEXPIRE', KEYS[2], ttl)
return {'ok', orderId}
