--[[
  Applies a promotion snapshot to Redis: settings, prices, limits, names, and each SKU's initial
  stock by its delta (available += new initial − old initial). Lowering a SKU below what is already
  held or confirmed is refused for that SKU (it keeps its old initial stock). Re-applying the same
  snapshot is a no-op (delta 0); an older version than the one applied is ignored.

  A SKU in the catalogue (price hash) that the snapshot no longer lists is removed from sale: its
  price, limit and name go, so a new hold answers UNKNOWN_SKU (hold-stock checks the price first).
  Its counters (stock, held, confirmed, initial) stay: live holds on it still confirm or expire and
  give back through the same arithmetic, and reconciliation (which keeps computing them from the
  ledger) sees no drift. Listing the SKU again later applies its stock by the same delta rule.

  KEYS[1] meta     hash  version, status, holdTtlMs
  KEYS[2] stock    hash  sku -> available
  KEYS[3] initial  hash  sku -> initial stock
  KEYS[4] price    hash  sku -> unit price
  KEYS[5] limit    hash  sku -> per-shopper limit
  KEYS[6] name     hash  sku -> product name

  ARGV[1] version  ARGV[2] status  ARGV[3] hold TTL (ms) or '' for the service default
  ARGV[4] number of products n, then n groups of 5: sku, initial stock, price, limit, name
  ARGV[5 + 5n] the version Postgres already holds for this promotion (0 if none)

  Returns { 'STALE', appliedVersion } | { 'LOST' }
        | { 'APPLIED', n, sku1, effectiveInitial1, refused1(0|1), … (n triples), removedSku1, removedSku2, … }

  LOST: Postgres knows this promotion but Redis has nothing of it (a restart without persistence,
  a failover to an empty replica). Applying stock by delta onto nothing would hand out the full
  initial stock again, ignoring confirmed orders — an oversell. The caller rebuilds from Postgres
  first and retries.
]]
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local version = tonumber(ARGV[1])
local n = tonumber(ARGV[4])
local knownInPostgres = tonumber(ARGV[5 + n * 5] or '0')
if current == 0 and knownInPostgres > 0 then return { 'LOST' } end
if current > version then return { 'STALE', tostring(current) } end

redis.call('HSET', KEYS[1], 'version', version, 'status', ARGV[2])
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'holdTtlMs') else redis.call('HSET', KEYS[1], 'holdTtlMs', ARGV[3]) end

local out = { 'APPLIED', n }
local listed = {}
for k = 0, n - 1 do
  local b = 5 + k * 5
  local sku = ARGV[b]
  listed[sku] = true
  local wanted = tonumber(ARGV[b + 1])
  local old = tonumber(redis.call('HGET', KEYS[3], sku) or '0')
  local available = tonumber(redis.call('HGET', KEYS[2], sku) or '0')
  local delta = wanted - old
  local effective, refused = wanted, 0
  if available + delta < 0 then
    effective, refused = old, 1
  else
    redis.call('HINCRBY', KEYS[2], sku, delta)
    redis.call('HSET', KEYS[3], sku, wanted)
  end
  redis.call('HSET', KEYS[4], sku, ARGV[b + 2])
  redis.call('HSET', KEYS[5], sku, ARGV[b + 3])
  redis.call('HSET', KEYS[6], sku, ARGV[b + 4])
  out[#out + 1] = sku
  out[#out + 1] = tostring(effective)
  out[#out + 1] = refused
end
for _, sku in ipairs(redis.call('HKEYS', KEYS[4])) do
  if not listed[sku] then
    redis.call('HDEL', KEYS[4], sku)
    redis.call('HDEL', KEYS[5], sku)
    redis.call('HDEL', KEYS[6], sku)
    out[#out + 1] = sku
  end
end
return out
