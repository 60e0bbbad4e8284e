using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Api;

/// <summary>One captured log entry, with everything a secret could hide in: message, state values, exception, scopes.</summary>
public sealed record CapturedLog(LogLevel Level, string Category, EventId EventId, string Message, string State, string? Exception)
{
    /// <summary>Every text of the entry, for "does this secret appear anywhere" checks.</summary>
    public string AllText => $"{Category} {EventId} {Message} {State} {Exception}";

    public override string ToString() => $"[{Level}] {Category}({EventId.Id}): {Message}{(Exception is null ? "" : " | " + Exception)}";
}

/// <summary>
/// Captures every log line of the app under test at every level (Trace included), so tests can prove what is and is
/// not logged, and that nothing logs at Error (style guide §10).
/// </summary>
public sealed class TestLogSink : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    /// <summary>Fails with the offending lines when anything was logged at Error or above, except what <paramref name="allowed"/> accepts.</summary>
    public void AssertNoErrors(Func<CapturedLog, bool>? allowed = null)
    {
        var errors = Entries.Where(e => e.Level >= LogLevel.Error && allowed?.Invoke(e) != true).ToList();
        Assert.True(errors.Count == 0, "Error-level log lines:\n" + string.Join("\n", errors));
    }

    private sealed class SinkLogger(TestLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => sink._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : state?.ToString() ?? "";
            var scopes = new List<string>();
            sink._scopes?.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
            sink._entries.Enqueue(new CapturedLog(logLevel, category, eventId, formatter(state, exception), values + " " + string.Join(" ", scopes), exception?.ToString()));
        }
    }
}
