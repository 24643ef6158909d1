// The Lua limiter scripts. Every script except the article's takes `now` (ms) as ARGV[1], so the
// same script gives the same decisions on a virtual clock, on ioredis-mock and on a real server;
// PEXPIRE/PX are only garbage collection. Scripts keep to what behaves alike on Redis's Lua 5.1
// and on fengari's 5.3 (Redis's scripting runs Lua 5.1: deps/lua in redis/redis): integer or float arithmetic, `tonumber(x) or d`
// for missing values, integer replies, no booleans or floats returned.

/**
 * The article's fixed-window script (section 4.2), verbatim as its Java string concatenation
 * produces it. KEYS[1] = counter; ARGV = limit, window in SECONDS. Returns 1 (allowed) or 0.
 * The window starts at the first hit (EXPIRE only when INCR returns 1) and runs on the SERVER's
 * clock, so across a window edge it admits up to 2 x limit in a short span (research §5.1).
 */
export const FIXED_WINDOW_SCRIPT =
  'local key = KEYS[1] ' +
  'local limit = tonumber(ARGV[1]) ' +
  'local window = tonumber(ARGV[2]) ' +
  "local current = redis.call('INCR', key) " +
  "if current == 1 then redis.call('EXPIRE', key, window) end " +
  'return current <= limit and 1 or 0';

/**
 * Sliding-window log over a sorted set of admitted requests (score = time).
 * KEYS[1]; ARGV = now ms, window ms, limit, unique member. Returns {allowed, remaining}.
 * Exact: at most `limit` admissions in any window (now - window, now].
 */
export const SLIDING_LOG_SCRIPT = `local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - 1}
end
return {0, 0}`;

/**
 * Sliding-window counter (Cloudflare's approximation): the previous window's count weighted by
 * the part of it still inside the sliding window, plus the current window's count.
 * KEYS[1] = hash {win, cur, prev}; ARGV = now ms, window ms, limit. Returns {allowed, remaining}.
 */
export const SLIDING_COUNTER_SCRIPT = `local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
-- now % window rather than now - win * window: on fengari (ioredis-mock) win * window would be
-- a 32-bit integer product and wrap.
local elapsed = now % window
local win = (now - elapsed) / window
local state = redis.call('HMGET', key, 'win', 'cur', 'prev')
local stored = tonumber(state[1])
local cur, prev = 0, 0
if stored == win then
  cur = tonumber(state[2]) or 0
  prev = tonumber(state[3]) or 0
elseif stored == win - 1 then
  prev = tonumber(state[2]) or 0
end
local estimate = prev * ((window - elapsed) / window) + cur
if estimate + 1 <= limit then
  redis.call('HSET', key, 'win', win, 'cur', cur + 1, 'prev', prev)
  redis.call('PEXPIRE', key, 2 * window)
  return {1, math.floor(limit - estimate - 1)}
end
return {0, 0}`;

/**
 * Token bucket with fractional refill (the corrected form of the article's integer-refill bucket).
 * KEYS[1] = hash {tokens, ts}; ARGV = now ms, capacity, refill tokens, refill period ms, cost.
 * Returns {allowed, floor(tokens left), retry after ms or -1}.
 */
export const TOKEN_BUCKET_SCRIPT = `local key = KEYS[1]
local now = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local refill = tonumber(ARGV[3])
local period = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * refill / period)
  ts = now
end
local allowed, retry = 0, -1
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) * period / refill)
end
redis.call('HSET', key, 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', key, math.ceil(capacity * period / refill) * 2)
return {allowed, math.floor(tokens), retry}`;

/**
 * GCRA in the manner of redis-cell's CL.THROTTLE (brandur/redis-cell src/cell/mod.rs): the key
 * holds the theoretical arrival time (TAT). Emission interval T = period / count, delay variation
 * tolerance = T * (max_burst + 1). KEYS[1]; ARGV = now ms, T ms, max_burst, cost.
 * Returns {allowed, remaining, retry after ms or -1, reset after ms}.
 */
export const GCRA_SCRIPT = `local now = tonumber(ARGV[1])
local T = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local dvt = T * (burst + 1)
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + T * cost
if now < new_tat - dvt then
  return {0, 0, math.ceil(new_tat - dvt - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now))
return {1, math.floor((dvt - (new_tat - now)) / T), -1, math.ceil(new_tat - now)}`;
