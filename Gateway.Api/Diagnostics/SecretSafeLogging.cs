using Microsoft.Extensions.Options;

namespace Gateway.Api.Diagnostics;

/// <summary>
/// Keeps secrets out of every log. ASP.NET's hosting diagnostics log each request's full URL at Information
/// ("Request starting GET /hubs/xmpp?access_token=…"), so that category is capped at Warning here, in code: a
/// post-configuration runs after appsettings and environment variables, and provider-specific rules
/// (<c>Logging:Console:LogLevel</c>) are capped too, so no configuration can turn the URLs back on.
/// <see cref="RequestLoggingMiddleware"/> writes the request line instead, redacted.
/// </summary>
public static class SecretSafeLogging
{
    /// <summary>Categories that log request URLs with their query string.</summary>
    internal static readonly string[] UrlLoggingCategories = ["Microsoft.AspNetCore.Hosting.Diagnostics"];

    public static ILoggingBuilder AddSecretSafeFilters(this ILoggingBuilder logging)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.Services.AddSingleton<IPostConfigureOptions<LoggerFilterOptions>, CapUrlLogging>();
        return logging;
    }

    private sealed class CapUrlLogging : IPostConfigureOptions<LoggerFilterOptions>
    {
        public void PostConfigure(string? name, LoggerFilterOptions options)
        {
            // The most specific rule wins, and a rule naming a provider beats any rule that does not (whatever its
            // category): so drop every rule for these categories and add a cap for each provider named anywhere,
            // plus one for all others. Added last, they also win ties.
            var providers = options.Rules.Select(r => r.ProviderName).Distinct().ToList();
            foreach (var category in UrlLoggingCategories)
            {
                for (var i = options.Rules.Count - 1; i >= 0; i--)
                {
                    if (options.Rules[i].CategoryName is { } c && c.StartsWith(category, StringComparison.OrdinalIgnoreCase))
                    {
                        options.Rules.RemoveAt(i);
                    }
                }

                foreach (var provider in providers)
                {
                    options.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.Warning, filter: null));
                }

                if (!providers.Contains(null))
                {
                    options.Rules.Add(new LoggerFilterRule(null, category, LogLevel.Warning, filter: null));
                }
            }
        }
    }
}
