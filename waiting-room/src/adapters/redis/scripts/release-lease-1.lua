-- release-lease-1: gives the admitter lease up at shutdown so another node takes over at once.
-- KEYS[1] lease
-- ARGV[1] the lease value the caller holds
-- Returns 1 when released, 0 when the caller no longer held it.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
