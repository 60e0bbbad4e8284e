using System.Collections.Immutable;

namespace Gateway.Xmpp.Pool;

/// <summary>
/// A change to a running session's settings (<see cref="ISessionPool.UpdateAsync"/>): each property that is null stays as
/// the session has it. The account (the JID) and the session id never change; a different account is a new session.
/// </summary>
public sealed record SessionSpecChange
{
    /// <summary>A new password, e.g. after it was changed on the server.</summary>
    public string? Password { get; init; }

    public string? Resource { get; init; }

    public string? Host { get; init; }

    public int? Port { get; init; }

    public TlsMode? TlsMode { get; init; }

    /// <summary>Replaces the pins; an empty array removes them.</summary>
    public ImmutableArray<string>? PinnedCertificateSha256 { get; init; }

    public bool? SendInitialPresence { get; init; }

    public bool? Carbons { get; init; }

    public bool? RequestReceipts { get; init; }

    /// <summary><paramref name="spec"/> with this change applied.</summary>
    public SessionSpec ApplyTo(SessionSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec with
        {
            Password = Password ?? spec.Password,
            Resource = Resource ?? spec.Resource,
            Host = Host ?? spec.Host,
            Port = Port ?? spec.Port,
            TlsMode = TlsMode ?? spec.TlsMode,
            PinnedCertificateSha256 = PinnedCertificateSha256 ?? spec.PinnedCertificateSha256,
            SendInitialPresence = SendInitialPresence ?? spec.SendInitialPresence,
            Carbons = Carbons ?? spec.Carbons,
            RequestReceipts = RequestReceipts ?? spec.RequestReceipts,
        };
    }

    /// <summary>Describes the change without the password.</summary>
    public override string ToString() =>
        $"SessionSpecChange {{ Password = {(Password is null ? "unchanged" : "new")}, Resource = {Resource}, Host = {Host}, Port = {Port}, TlsMode = {TlsMode} }}";
}

/// <summary>What moving a session from one spec to another takes.</summary>
internal static class SpecTransition
{
    /// <summary>
    /// Whether the login itself changes (the password, where and how to connect, which certificates are accepted): the
    /// new settings are tried on a connection of their own before the session moves to them.
    /// </summary>
    public static bool ChangesLogin(SessionSpec from, SessionSpec to) =>
        from.Password != to.Password ||
        !string.Equals(from.Host, to.Host, StringComparison.OrdinalIgnoreCase) ||
        from.Port != to.Port ||
        from.TlsMode != to.TlsMode ||
        !Pins(from).SequenceEqual(Pins(to), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the stream's own state differs (the bound resource, carbons, initial presence): such a change needs a new
    /// stream, since resuming the old one (XEP-0198 §5) would restore exactly what is to change.
    /// </summary>
    public static bool ChangesStream(SessionSpec from, SessionSpec to) =>
        from.Resource != to.Resource || from.Carbons != to.Carbons || from.SendInitialPresence != to.SendInitialPresence;

    /// <summary>Whether anything differs at all.</summary>
    public static bool ChangesAnything(SessionSpec from, SessionSpec to) =>
        ChangesLogin(from, to) || ChangesStream(from, to) || from.RequestReceipts != to.RequestReceipts;

    private static ImmutableArray<string> Pins(SessionSpec spec) => spec.PinnedCertificateSha256.IsDefault ? [] : spec.PinnedCertificateSha256;
}
