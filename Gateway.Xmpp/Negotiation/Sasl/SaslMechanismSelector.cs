using System.Text;

namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// Picks the mechanism to use from the server's <c>&lt;mechanisms/&gt;</c> and creates it. Our own preference
/// decides, strongest first (RFC 6120 §6.3.3), never the server's order: the <c>-PLUS</c> variants when we can bind
/// to the channel (SCRAM-SHA-512-PLUS, SCRAM-SHA-256-PLUS, SCRAM-SHA-1-PLUS), then SCRAM-SHA-512, SCRAM-SHA-256,
/// SCRAM-SHA-1, then PLAIN only on an encrypted stream.
/// </summary>
/// <remarks>
/// Channel binding (RFC 5802 §6) is preferred over a stronger hash without it: it is what defeats a man in the middle
/// holding a certificate we trust. When we cannot bind with a type the server advertises, the next mechanism is used.
/// Names are compared ordinally: RFC 4422 §3.1 names are upper case.
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
    /// <param name="canBindChannel">
    /// True when we hold channel binding data of a type the server advertises (XEP-0440), so a <c>-PLUS</c> mechanism
    /// can be used.
    /// </param>
    public static string Select(IReadOnlyCollection<string> offered, bool isEncrypted, bool allowPlain = true,
        bool allowPlainWithoutTls = false, bool canBindChannel = false)
    {
        ArgumentNullException.ThrowIfNull(offered);

        if (canBindChannel && isEncrypted)
        {
            foreach (var name in ScramPreference)
            {
                if (IsOffered(offered, name + SaslMechanismNames.PlusSuffix))
                {
                    return name + SaslMechanismNames.PlusSuffix;
                }
            }
        }

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
    /// work a server can demand (see <see cref="ScramClient.DefaultMaxIterations"/>), <paramref name="minScramIterations"/>
    /// is the least it must demand. A <c>-PLUS</c> name needs a <paramref name="channelBinding"/> that binds; the others
    /// take <see cref="ScramChannelBinding.NotSupported"/> or <see cref="ScramChannelBinding.ServerLacksSupport"/>.
    /// <paramref name="scramKeyCache"/> keeps the account's SCRAM SaltedPassword between logins (RFC 5802 §5.1).
    /// </summary>
    public static ISaslMechanism Create(string mechanism, string username, string password,
        int maxScramIterations = ScramClient.DefaultMaxIterations, int minScramIterations = ScramClient.DefaultMinIterations,
        ScramChannelBinding? channelBinding = null, ScramKeyCache? scramKeyCache = null)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        var plus = mechanism.EndsWith(SaslMechanismNames.PlusSuffix, StringComparison.Ordinal);
        if (plus != (channelBinding?.Type is not null))
        {
            throw new ArgumentException(plus
                ? $"'{mechanism}' binds to the channel and needs channel binding data."
                : $"'{mechanism}' does not bind to the channel; channel binding data belongs to its -PLUS variant.", nameof(channelBinding));
        }

        ScramHash? hash = (plus ? mechanism[..^SaslMechanismNames.PlusSuffix.Length] : mechanism) switch
        {
            SaslMechanismNames.ScramSha512 => ScramHash.Sha512,
            SaslMechanismNames.ScramSha256 => ScramHash.Sha256,
            SaslMechanismNames.ScramSha1 => ScramHash.Sha1,
            _ => null,
        };
        return hash is { } scram ? new ScramClient(scram, username, password, maxScramIterations, minScramIterations, channelBinding, scramKeyCache)
            : mechanism == SaslMechanismNames.Plain ? new PlainMechanism(username, password)
            : throw new ArgumentException($"Unsupported SASL mechanism '{mechanism}'.", nameof(mechanism));
    }

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
