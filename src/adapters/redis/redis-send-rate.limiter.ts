import type { Redis } from 'ioredis';
import type { SendRateLimiter } from '../../domain/mailer';

// GCRA (a token bucket of one token, kept as one number): the key holds the
// earliest time, in microseconds of the Redis server's clock, at which the
// next message may go. A caller takes the next slot and gets back how long to
// wait for it; slots are `interval` apart whoever takes them, so every worker
// process together sends at most one message per interval. Redis's own TIME
// means workers' clocks never matter. A slot further ahead than `maxAhead` is
// not taken: the caller hears how long to sleep before asking again (a
// negative reply), so a worker that dies holding reservations wastes at most
// `maxAhead` of sending time.
const TAKE_SLOT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local maxAhead = tonumber(ARGV[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local wait = slot - now
if wait > maxAhead then return -(wait - maxAhead) end
redis.call('SET', KEYS[1], string.format('%d', slot + interval), 'PX', math.ceil((slot + interval - now) / 1000) + 1000)
return wait`;

/** How far ahead of now slots may be taken (microseconds). */
const MAX_AHEAD_US = 1_000_000;

type WithTakeSlot = Redis & { algoTakeSendSlot(key: string, intervalUs: string, maxAheadUs: string): Promise<number> };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `mail.maxPerSecond` for every process on the same Redis and key prefix: key `<prefix>mail:send-slot`. */
export class RedisSendRateLimiter implements SendRateLimiter {
  private readonly key: string;
  private readonly intervalUs: number;

  constructor(
    private readonly redis: Redis,
    options: { prefix: string; maxPerSecond: number },
  ) {
    if (!(options.maxPerSecond > 0)) throw new RangeError(`maxPerSecond must be above 0, got ${options.maxPerSecond}`);
    this.key = `${options.prefix}mail:send-slot`;
    this.intervalUs = Math.max(1, Math.round(1_000_000 / options.maxPerSecond));
    redis.defineCommand('algoTakeSendSlot', { numberOfKeys: 1, lua: TAKE_SLOT_SCRIPT });
  }

  async waitForSlot(): Promise<void> {
    for (;;) {
      const reply = await (this.redis as WithTakeSlot).algoTakeSendSlot(
        this.key,
        String(this.intervalUs),
        String(MAX_AHEAD_US),
      );
      if (reply < 0) {
        await sleep(Math.max(1, -reply / 1000));
        continue;
      }
      const due = performance.now() + reply / 1000;
      if (reply > 0) await sleep(reply / 1000);
      // A busy event loop wakes many sleepers at once: one woken later than an interval
      // after its slot lets it go and queues again, so stalls do not turn into bursts.
      if (performance.now() - due <= this.intervalUs / 1000) return;
    }
  }
}
