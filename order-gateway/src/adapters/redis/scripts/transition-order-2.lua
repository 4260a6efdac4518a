--[[
transition-order-2: compare-and-set an order's status, keeping the admission binding in step.

KEYS[1]  order key (hash)
KEYS[2]  admission binding key of the order's jti
ARGV[1]  expected version (the order as the caller read it)
ARGV[2]  new status
ARGV[3]  order TTL from now, ms ('0' leaves it)
ARGV[4]  binding action: 'keep' (update status/expiry if it is ours) | 'clear' (free the admission)
ARGV[5]  new hold expiry, epoch ms ('' leaves it)
ARGV[6]  now, epoch ms (updatedAt)
ARGV[7..] extra order field/value pairs

Returns {1, newVersion} on success; {0, currentVersion, currentStatus} when the order changed
meanwhile; {-1} when the order does not exist.
]]
local cur = redis.call('HMGET', KEYS[1], 'version', 'status', 'orderId')
if not cur[1] then return {-1} end
if cur[1] ~= ARGV[1] then return {0, tonumber(cur[1]), cur[2]} end

local version = tonumber(cur[1]) + 1
redis.call('HSET', KEYS[1], 'version', version, 'status', ARGV[2], 'updatedAt', ARGV[6])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'holdExpiresAt', ARGV[5]) end
for i = 7, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if ARGV[3] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end

if redis.call('HGET', KEYS[2], 'orderId') == cur[3] then
  if ARGV[4] == 'clear' then
    redis.call('DEL', KEYS[2])
  else
    redis.call('HSET', KEYS[2], 'status', ARGV[2])
    if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], 'holdExpiresAt', ARGV[5]) end
    if ARGV[3] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
  end
end
return {1, version}
