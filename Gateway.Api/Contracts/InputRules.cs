using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;
using Gateway.Xmpp;

namespace Gateway.Api.Contracts;

/// <summary>Rules for identifiers and enumerations shared by the REST API and the configuration. Pure.</summary>
internal static partial class InputRules
{
    /// <summary>Session ids appear in URLs and logs: URL-safe characters only (a subset of what the pool accepts).</summary>
    public static bool IsValidSessionId([NotNullWhen(true)] string? id) => id is not null && SessionIdPattern().IsMatch(id);

    public const string SessionIdRule = "must be 1 to 64 characters: letters, digits, '_' or '-', starting with a letter or digit";

    /// <summary>Tenant names appear in logs and claims.</summary>
    public static bool IsValidTenantName([NotNullWhen(true)] string? name) => name is not null && TenantNamePattern().IsMatch(name);

    public const string TenantNameRule = "must be 1 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit";

    /// <summary>A SHA-256 hash written as 64 hex digits (either case).</summary>
    public static bool IsSha256Hex([NotNullWhen(true)] string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);

    /// <summary>
    /// A certificate thumbprint as 64 hex digits, optionally in pairs separated by ':' (as <c>openssl x509 -fingerprint</c> prints it).
    /// </summary>
    public static bool IsSha256Thumbprint([NotNullWhen(true)] string? value) =>
        value is not null && value.Replace(":", "", StringComparison.Ordinal) is { Length: 64 } hex && hex.All(char.IsAsciiHexDigit);

    /// <summary>Wire names of <see cref="TlsMode"/>.</summary>
    public static bool TryParseTlsMode(string? value, out TlsMode mode)
    {
        (var ok, mode) = value switch
        {
            null or "starttls" => (true, TlsMode.StartTlsRequired),
            "direct-tls" => (true, TlsMode.DirectTls),
            "disabled" => (true, TlsMode.Disabled),
            _ => (false, TlsMode.StartTlsRequired),
        };
        return ok;
    }

    /// <summary>The wire name of <paramref name="mode"/>, as <see cref="TryParseTlsMode"/> reads it.</summary>
    public static string TlsModeName(TlsMode mode) => mode switch
    {
        TlsMode.StartTlsRequired => "starttls",
        TlsMode.DirectTls => "direct-tls",
        TlsMode.Disabled => "disabled",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown TLS mode."),
    };

    public const string TlsModeRule = "must be starttls, direct-tls or disabled";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex SessionIdPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex TenantNamePattern();
}
