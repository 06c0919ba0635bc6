"""The Lua scripts behind the Redis stores: each operation is one atomic script.

A conversation is a hash at ``{prefix}conv:{bot}:{user}`` (ids percent-encoded
so a ``:`` in an id cannot make two customers share a key), its history ids a
set at ``…:history``, its ticket link a string at ``{prefix}ticket:{ticket}``,
and every paused conversation a member of the sorted set
``{prefix}expiring`` scored by its expiry (ms). Keys expire with the record:
``retention`` after the pause ends, lapses or, when not paused, after the last
write. Times come from the caller's clock (``ARGV[1]``, ms), never from Redis.

The scripts touch keys they derive from others (the ticket key stored in the
record), so they need one Redis server (or a primary with replicas). On Redis
Cluster the stores use `botcopy_handover.state._lua_cluster` instead,
with a key layout of their own; this one is unchanged, so data written by
earlier releases on one server stays readable.
"""

from __future__ import annotations

__all__ = [
    "CLAIM",
    "DELETE",
    "EXPIRING",
    "FIND_BY_TICKET",
    "HISTORY",
    "LAPSE",
    "LINK_TICKET",
    "PAUSE",
    "RESUME",
    "TOUCH",
    "ENSURE",
    "HISTORY_STEPS",
    "KEEP",
    "LAPSE_STEPS",
    "PAUSE_STEPS",
    "PREAMBLE",
    "RESUME_STEPS",
    "TOUCH_STEPS",
]

# The pieces below are shared with `_lua_cluster`: the writing scripts of
# both layouts do the same steps and differ in how ``save`` re-arms the keys'
# TTLs and what they answer.

PREAMBLE = """
local now = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
"""
"""ARGV[1] is now (ms), ARGV[2] the retention (ms)."""

KEEP = """
  local keep = retention
  local expires = tonumber(redis.call('HGET', conv, 'expires_ms') or '')
  if redis.call('HGET', conv, 'paused') == '1' and expires and expires > now then
    keep = expires - now + retention
  end
  if keep < 1 then keep = 1 end
"""
"""Inside ``save(conv)``: ``keep``, how long the record's keys live from now."""

ENSURE = """
local function ensure(conv, bot, user)
  redis.call('HSET', conv, 'bot_id', bot, 'user_id', user)
  redis.call('HSETNX', conv, 'paused', '0')
end
"""
"""``ensure(conv, bot, user)``: the record exists and names its customer."""

# KEYS[1] conv, KEYS[2] expiring. ARGV: now, retention, bot, user, member,
# minutes, set_name (0/1), name, set_avatar (0/1), avatar.
PAUSE_STEPS = """
local conv = KEYS[1]
local expires = now + tonumber(ARGV[6]) * 60000
ensure(conv, ARGV[3], ARGV[4])
redis.call('HSET', conv, 'paused', '1', 'minutes', ARGV[6],
           'expires_ms', string.format('%d', expires))
if ARGV[7] == '1' then redis.call('HSET', conv, 'agent_name', ARGV[8]) end
if ARGV[9] == '1' then redis.call('HSET', conv, 'agent_avatar_url', ARGV[10]) end
redis.call('ZADD', KEYS[2], expires, ARGV[5])
"""

# KEYS[1] conv, KEYS[2] expiring. ARGV: now, retention, member. Answers
# false when the conversation is not paused or its pause lapsed.
TOUCH_STEPS = """
local conv = KEYS[1]
if redis.call('HGET', conv, 'paused') ~= '1' then return false end
local expires = tonumber(redis.call('HGET', conv, 'expires_ms') or '')
if not expires or expires <= now then return false end
local new_expires = now + tonumber(redis.call('HGET', conv, 'minutes')) * 60000
redis.call('HSET', conv, 'expires_ms', string.format('%d', new_expires))
redis.call('ZADD', KEYS[2], new_expires, ARGV[3])
"""

# KEYS[1] conv, KEYS[2] expiring. ARGV: now, retention, bot, user, member.
RESUME_STEPS = """
local conv = KEYS[1]
ensure(conv, ARGV[3], ARGV[4])
redis.call('HSET', conv, 'paused', '0', 'minutes', '0', 'expires_ms', '')
redis.call('ZREM', KEYS[2], ARGV[5])
"""

# KEYS[1] conv, KEYS[2] expiring. ARGV: now, retention, member, expected
# expiry (ms). Answers ``nope`` (defined by the script) when there is no lapse
# to record.
LAPSE_STEPS = """
local conv = KEYS[1]
if redis.call('HGET', conv, 'paused') ~= '1' then return nope end
if redis.call('HGET', conv, 'expires_ms') ~= ARGV[4] then return nope end
if tonumber(ARGV[4]) > now then return nope end
redis.call('HSET', conv, 'paused', '0', 'minutes', '0', 'expires_ms', '')
redis.call('ZREM', KEYS[2], ARGV[3])
"""

# KEYS[1] conv, KEYS[2] history. ARGV: now, retention, bot, user, ids...
# Leaves the ids not seen before in ``new``.
HISTORY_STEPS = """
local conv = KEYS[1]
ensure(conv, ARGV[3], ARGV[4])
local new = {}
for i = 5, #ARGV do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then new[#new + 1] = ARGV[i] end
end
if #ARGV >= 5 then redis.call('HSET', conv, 'last_history_id', ARGV[#ARGV]) end
"""

# Shared by the writing scripts: stamp the record, re-arm its keys' TTLs,
# return the record.
_SAVE = (
    PREAMBLE
    + """
local function save(conv)
  redis.call('HSET', conv, 'updated_ms', string.format('%d', now))
"""
    + KEEP
    + """
  local record = redis.call('HGETALL', conv)
  redis.call('PEXPIRE', conv, keep)
  redis.call('PEXPIRE', conv .. ':history', keep)
  local ticket_key = redis.call('HGET', conv, 'ticket_key')
  if ticket_key then redis.call('PEXPIRE', ticket_key, keep) end
  return record
end
"""
    + ENSURE
)

# KEYS: conv, expiring zset.
PAUSE = _SAVE + PAUSE_STEPS + "return save(conv)\n"
TOUCH = _SAVE + TOUCH_STEPS + "return save(conv)\n"
RESUME = _SAVE + RESUME_STEPS + "return save(conv)\n"
LAPSE = _SAVE + "local nope = 0\n" + LAPSE_STEPS + "save(conv)\nreturn 1\n"

# KEYS: conv, ticket key. ARGV: now, retention, bot, user, member, ticket id,
# conv key prefix.
LINK_TICKET = (
    _SAVE
    + """
local conv = KEYS[1]
local member = ARGV[5]
local old = redis.call('HGET', conv, 'ticket_key')
if old and old ~= KEYS[2] and redis.call('GET', old) == member then
  redis.call('DEL', old)
end
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= member then
  redis.call('HDEL', ARGV[7] .. owner, 'ticket_id', 'ticket_key')
end
ensure(conv, ARGV[3], ARGV[4])
redis.call('HSET', conv, 'ticket_id', ARGV[6], 'ticket_key', KEYS[2])
redis.call('SET', KEYS[2], member)
return save(conv)
"""
)

# KEYS: ticket key. ARGV: conv key prefix, ticket id.
FIND_BY_TICKET = """
local member = redis.call('GET', KEYS[1])
if not member then return false end
local conv = ARGV[1] .. member
if redis.call('HGET', conv, 'ticket_id') ~= ARGV[2] then return false end
return redis.call('HGETALL', conv)
"""

# KEYS: conv, history set. Answers the new ids.
HISTORY = _SAVE + HISTORY_STEPS + "save(conv)\nreturn new\n"

# KEYS: expiring zset. ARGV: conv key prefix, horizon (ms), limit.
EXPIRING = """
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
local found = {}
for _, member in ipairs(members) do
  local conv = ARGV[1] .. member
  if redis.call('HGET', conv, 'paused') == '1' then
    found[#found + 1] = redis.call('HGETALL', conv)
  else
    -- The record expired or was resumed without its member removed.
    redis.call('ZREM', KEYS[1], member)
  end
end
return found
"""

# KEYS: claim key. ARGV: now (ms), ttl (ms).
CLAIM = """
local held_until = tonumber(redis.call('GET', KEYS[1]) or '')
local now = tonumber(ARGV[1])
if held_until and held_until > now then return 0 end
local ttl = tonumber(ARGV[2])
if ttl < 1 then ttl = 1 end
redis.call('SET', KEYS[1], string.format('%d', now + tonumber(ARGV[2])), 'PX', ttl)
return 1
"""

# KEYS: conv, expiring zset, history set. ARGV: member.
DELETE = """
local ticket_key = redis.call('HGET', KEYS[1], 'ticket_key')
if ticket_key and redis.call('GET', ticket_key) == ARGV[1] then
  redis.call('DEL', ticket_key)
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return redis.call('DEL', KEYS[1])
"""
