using Microsoft.Extensions.Options;

namespace Gateway.Api.Limits;

/// <summary>
/// Counts refused logins of session creates in a sliding window, per tenant and per account
/// (<see cref="LoginBudgetOptions"/>), and says when the next create must be refused before connecting. Memory is
/// bounded: an account is only counted while one of its failures is in the window, and each tenant's failures are
/// capped by its own budget.
/// </summary>
internal sealed class LoginBudget(IOptions<LoginBudgetOptions> options, TimeProvider? timeProvider = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _tenants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _accounts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Null when a create may try to log in; else how long to wait and the setting that refused it.</summary>
    public (TimeSpan RetryAfter, string Setting, int Limit)? Check(string tenant, string account)
    {
        var settings = options.Value;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (Exhausted(_accounts, account, settings.FailuresPerAccount, now) is { } accountWait)
            {
                return (accountWait, $"{LoginBudgetOptions.Section}:FailuresPerAccount", settings.FailuresPerAccount);
            }

            return Exhausted(_tenants, tenant, settings.FailuresPerTenant, now) is { } tenantWait
                ? (tenantWait, $"{LoginBudgetOptions.Section}:FailuresPerTenant", settings.FailuresPerTenant)
                : null;
        }
    }

    /// <summary>A create's login was refused for its credentials.</summary>
    public void RecordFailure(string tenant, string account)
    {
        var expires = _time.GetUtcNow() + options.Value.Window;
        lock (_lock)
        {
            if (_accounts.Count >= SweepThreshold)
            {
                Sweep(_accounts, _time.GetUtcNow());
            }

            Add(_accounts, account, expires);
            Add(_tenants, tenant, expires);
        }
    }

    /// <summary>A create logged in: the account's password is right, so its earlier failures stop counting against it.</summary>
    public void RecordSuccess(string account)
    {
        lock (_lock)
        {
            _accounts.Remove(account);
        }
    }

    private static TimeSpan? Exhausted(Dictionary<string, Queue<DateTimeOffset>> counts, string key, int limit, DateTimeOffset now)
    {
        if (!counts.TryGetValue(key, out var expiries))
        {
            return null;
        }

        while (expiries.TryPeek(out var oldest) && oldest <= now)
        {
            expiries.Dequeue();
        }

        if (expiries.Count == 0)
        {
            counts.Remove(key);
            return null;
        }

        // The oldest failure leaving the window frees the next attempt.
        return expiries.Count >= limit ? expiries.Peek() - now : null;
    }

    /// <summary>Accounts tried once and never again stay until a sweep; this many trigger one.</summary>
    private const int SweepThreshold = 10_000;

    private static void Sweep(Dictionary<string, Queue<DateTimeOffset>> counts, DateTimeOffset now)
    {
        foreach (var key in counts.Where(p => p.Value.Count == 0 || p.Value.Last() <= now).Select(p => p.Key).ToList())
        {
            counts.Remove(key);
        }
    }

    private static void Add(Dictionary<string, Queue<DateTimeOffset>> counts, string key, DateTimeOffset expires)
    {
        if (!counts.TryGetValue(key, out var expiries))
        {
            counts[key] = expiries = new Queue<DateTimeOffset>();
        }

        expiries.Enqueue(expires);
    }
}

/// <summary>Registers the <see cref="LoginBudget"/> and its options.</summary>
public static class LoginBudgetRegistration
{
    public static IServiceCollection AddLoginBudget(this IServiceCollection services)
    {
        services.AddOptionsWithValidateOnStart<LoginBudgetOptions, LoginBudgetOptionsValidator>().BindConfiguration(LoginBudgetOptions.Section);
        services.AddSingleton(sp => new LoginBudget(sp.GetRequiredService<IOptions<LoginBudgetOptions>>(), sp.GetService<TimeProvider>()));
        return services;
    }
}
