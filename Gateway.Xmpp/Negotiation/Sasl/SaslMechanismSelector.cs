using System.Text;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// Picks the mechanism to use from the server's <c>&lt;mechanisms/&gt;</c> and creates it. Our own preference
/// decides, strongest first (RFC 6120 §6.3.3), never the server's order: SCRAM-SHA-512, SCRAM-SHA-256,
/// SCRAM-SHA-1, then PLAIN only on an encrypted stream.
/// </summary>
/// <remarks>
/// The <c>-PLUS</c> variants are skipped because we do not implement channel binding yet; a server offering them
/// also offers the plain SCRAM names. Names are compared ordinally: RFC 4422 §3.1 names are upper case.
/// </remarks>
internal static class SaslMechanismSelector
{
    private static readonly string[] ScramPreference =
        [SaslMechanismNames.ScramSha512, SaslMechanismNames.ScramSha256, SaslMechanismNames.ScramSha1];

    /// <summary>
    /// Returns the name of the mechanism to use, or throws <see cref="SaslFailedException"/> with
    /// <see cref="SaslConditions.NoAcceptableMechanism"/>.
    /// </summary>
    /// <param name="offered">The server's mechanism names.</param>
    /// <param name="isEncrypted">True once TLS protects the stream (STARTTLS done, or direct TLS).</param>
    /// <param name="allowPlain">Configuration switch; false refuses PLAIN even over TLS.</param>
    /// <param name="allowPlainWithoutTls">
    /// Opt-in for deliberately unencrypted loopback test servers only: sends the password in clear text.
    /// </param>
    public static string Select(IReadOnlyCollection<string> offered, bool isEncrypted, bool allowPlain = true,
        bool allowPlainWithoutTls = false)
    {
        ArgumentNullException.ThrowIfNull(offered);

        foreach (var name in ScramPreference)
        {
            if (IsOffered(offered, name))
            {
                return name;
            }
        }

        var plainOffered = IsOffered(offered, SaslMechanismNames.Plain);
        // RFC 4616 §5: PLAIN SHOULD NOT be used unless adequate data security services are in place.
        if (plainOffered && allowPlain && (isEncrypted || allowPlainWithoutTls))
        {
            return SaslMechanismNames.Plain;
        }

        var reason = !plainOffered ? "it offers neither SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1 nor PLAIN"
            : !allowPlain ? "it offers only PLAIN among those we support, and PLAIN is disabled"
            : "it offers only PLAIN among those we support, and PLAIN would send the password unencrypted without TLS";
        throw new SaslFailedException(SaslConditions.NoAcceptableMechanism,
            $"No acceptable SASL mechanism: {reason} (offered: {Describe(offered)}).");
    }

    /// <summary>
    /// Creates the mechanism named by <see cref="Select"/>. <paramref name="maxScramIterations"/> caps the PBKDF2
    /// work a server can demand (see <see cref="ScramClient.DefaultMaxIterations"/>).
    /// </summary>
    public static ISaslMechanism Create(string mechanism, string username, string password,
        int maxScramIterations = ScramClient.DefaultMaxIterations) => mechanism switch
    {
        SaslMechanismNames.ScramSha512 => new ScramClient(ScramHash.Sha512, username, password, maxScramIterations),
        SaslMechanismNames.ScramSha256 => new ScramClient(ScramHash.Sha256, username, password, maxScramIterations),
        SaslMechanismNames.ScramSha1 => new ScramClient(ScramHash.Sha1, username, password, maxScramIterations),
        SaslMechanismNames.Plain => new PlainMechanism(username, password),
        _ => throw new ArgumentException($"Unsupported SASL mechanism '{mechanism}'.", nameof(mechanism)),
    };

    private static bool IsOffered(IReadOnlyCollection<string> offered, string name)
    {
        foreach (var candidate in offered)
        {
            if (candidate is not null && candidate.AsSpan().Trim().SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    // Server-supplied names end up in an exception message and from there in logs and HTTP responses: keep only
    // well-formed names (RFC 4422 §3.1: 1 to 20 of A-Z 0-9 - _) and only a handful of them.
    private static string Describe(IReadOnlyCollection<string> offered)
    {
        const int MaxShown = 10;
        var builder = new StringBuilder();
        var shown = 0;
        foreach (var candidate in offered)
        {
            if (shown == MaxShown)
            {
                builder.Append(", …");
                break;
            }

            builder.Append(shown++ == 0 ? "" : ", ").Append(IsWellFormedName(candidate) ? candidate.Trim() : "?");
        }

        return shown == 0 ? "none" : builder.ToString();
    }

    private static bool IsWellFormedName(string? name)
    {
        var trimmed = name.AsSpan().Trim();
        if (trimmed.Length is 0 or > 20)
        {
            return false;
        }

        foreach (var c in trimmed)
        {
            if (c is not ((>= 'A' and <= 'Z') or (>= '0' and <= '9') or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
