--[[
  Recomputes a promotion's counters from Postgres figures plus what only Redis knows (live holds
  and confirmed holds not yet in Postgres), in one atomic step, so holds keep flowing meanwhile:

    held      = units in live holds (expiry set)
    confirmed = confirmed in Postgres + confirmed holds still pending (not in the Postgres snapshot)
    available = initial − confirmed − held   (clamped at 0; a negative value is reported)

  The caller reads Postgres in one snapshot *before* reading the pending set, so a hold is counted
  either by Postgres or as pending, never both and never neither.

  KEYS[1] stock      hash  sku -> available
  KEYS[2] held       hash  sku -> held
  KEYS[3] confirmed  hash  sku -> confirmed
  KEYS[4] initial    hash  sku -> initial stock
  KEYS[5] shopper    hash  sku\0shopperId -> units
  KEYS[6] expiry     zset  live holds
  KEYS[7] pending    set   confirmed holdIds not yet known to be in Postgres

  ARGV[1] holdPrefix (hold hashes, same slot)
  ARGV[2] mode: 'check' (report only), 'repair' (fix counters), 'rebuild' (fix counters and shoppers)
  ARGV[3] number of skus s, then s triples: sku, initial stock, confirmed in Postgres
  then    number of persisted holdIds p (pending holds found in Postgres), then p holdIds
  then    number of shopper entries c ('rebuild' only), then c pairs: sku\0shopperId, units in Postgres

  Returns JSON { skus: [{ sku, initial, observed: {available, held, confirmed, initial},
                 expected: {available, held, confirmed} }], pendingMissing, pendingPruned }
]]
local mode = ARGV[2]
local i = 3
local s = tonumber(ARGV[i]); i = i + 1
local skus = {}
for _ = 1, s do
  skus[#skus + 1] = { sku = ARGV[i], initial = tonumber(ARGV[i + 1]), pgConfirmed = tonumber(ARGV[i + 2]) }
  i = i + 3
end
local persisted = {}
local p = tonumber(ARGV[i]); i = i + 1
for _ = 1, p do persisted[ARGV[i]] = true; i = i + 1 end

local held, inflight, shoppers = {}, {}, {}
local function add(t, k, v) t[k] = (t[k] or 0) + v end

for _, holdId in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
  local h = redis.call('HMGET', ARGV[1] .. holdId, 'state', 'lines', 'shopperId')
  if h[1] == 'held' or h[1] == 'confirming' then
    for _, l in ipairs(cjson.decode(h[2])) do
      add(held, l.sku, l.quantity)
      add(shoppers, l.sku .. '\0' .. h[3], l.quantity)
    end
  end
end

local pendingMissing, pendingPruned = 0, 0
for _, holdId in ipairs(redis.call('SMEMBERS', KEYS[7])) do
  if persisted[holdId] then
    -- Pruning is bookkeeping, safe in every mode: Postgres has this hold.
    redis.call('SREM', KEYS[7], holdId)
    pendingPruned = pendingPruned + 1
  else
    local h = redis.call('HMGET', ARGV[1] .. holdId, 'state', 'lines', 'shopperId')
    if h[1] == 'confirmed' then
      for _, l in ipairs(cjson.decode(h[2])) do
        add(inflight, l.sku, l.quantity)
        add(shoppers, l.sku .. '\0' .. h[3], l.quantity)
      end
    else
      pendingMissing = pendingMissing + 1
    end
  end
end

local out = {}
for _, x in ipairs(skus) do
  local obs = redis.call('HMGET', KEYS[1], x.sku)[1]
  local o = {
    available = tonumber(obs or '0'),
    held = tonumber(redis.call('HGET', KEYS[2], x.sku) or '0'),
    confirmed = tonumber(redis.call('HGET', KEYS[3], x.sku) or '0'),
    initial = tonumber(redis.call('HGET', KEYS[4], x.sku) or '0'),
  }
  local e = { held = held[x.sku] or 0, confirmed = x.pgConfirmed + (inflight[x.sku] or 0) }
  e.available = x.initial - e.confirmed - e.held
  if mode ~= 'check' then
    redis.call('HSET', KEYS[1], x.sku, math.max(0, e.available))
    redis.call('HSET', KEYS[2], x.sku, e.held)
    redis.call('HSET', KEYS[3], x.sku, e.confirmed)
    redis.call('HSET', KEYS[4], x.sku, x.initial)
  end
  out[#out + 1] = { sku = x.sku, initial = x.initial, observed = o, expected = e }
end

if mode == 'rebuild' then
  local c = tonumber(ARGV[i]); i = i + 1
  for _ = 1, c do
    add(shoppers, ARGV[i], tonumber(ARGV[i + 1]))
    i = i + 2
  end
  redis.call('DEL', KEYS[5])
  for field, units in pairs(shoppers) do
    if units > 0 then redis.call('HSET', KEYS[5], field, units) end
  end
end

return cjson.encode({ skus = out, pendingMissing = pendingMissing, pendingPruned = pendingPruned })
