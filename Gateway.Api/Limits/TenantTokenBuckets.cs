using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Gateway.Api.Limits;

/// <summary>
/// One token bucket per tenant (<see cref="TenantRateLimitOptions"/>), refilled lazily: a bucket adds the tokens of
/// every whole <see cref="TenantRateLimitOptions.ReplenishmentPeriod"/> that passed when it is next asked, so nothing
/// runs while nobody calls. ASP.NET Core's partitioned limiter did the same work on a 100 ms heartbeat, and with its
/// own endpoint limiter beside it that was twenty timer wake-ups a second on an idle gateway (the largest share of the
/// idle CPU a profile could name, docs/benchmarks.md).
/// </summary>
internal sealed class TenantTokenBuckets(IOptions<TenantRateLimitOptions> options, TimeProvider? time = null)
{
    private readonly TenantRateLimitOptions _settings = options.Value;
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    // In timestamp units, once; in seconds first: frequency × ticks overflows a long for periods of minutes (1 ns timestamps).
    private readonly long _period = (long)Math.Clamp(options.Value.ReplenishmentPeriod.TotalSeconds * (time ?? TimeProvider.System).TimestampFrequency, 1, long.MaxValue / 4);

    /// <summary>Takes one of <paramref name="tenant"/>'s tokens; when none is left, says when the next ones come.</summary>
    public bool TryTake(string tenant, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var now = _time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(tenant, static (_, state) => new Bucket(state.Limit, state.Now), (Limit: _settings.TokenLimit, Now: now));
        lock (bucket)
        {
            var periods = Math.Max(0, (now - bucket.RefilledAt) / _period);
            if (periods > 0)
            {
                bucket.Tokens = (int)Math.Min(_settings.TokenLimit, bucket.Tokens + (periods * _settings.TokensPerPeriod));
                bucket.RefilledAt += periods * _period;
            }

            if (bucket.Tokens > 0)
            {
                bucket.Tokens--;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = _time.GetElapsedTime(now, bucket.RefilledAt + _period);
            return false;
        }
    }

    private sealed class Bucket(int tokens, long refilledAt)
    {
        public int Tokens { get; set; } = tokens;

        /// <summary>The timestamp the last whole period was counted up to.</summary>
        public long RefilledAt { get; set; } = refilledAt;
    }
}
