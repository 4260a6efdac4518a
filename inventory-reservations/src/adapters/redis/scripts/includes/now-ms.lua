-- Redis's own clock is the arbiter of expiry, so nodes with skewed clocks agree on it.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
