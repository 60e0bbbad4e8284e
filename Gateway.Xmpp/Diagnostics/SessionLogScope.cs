using System.Collections;

namespace Gateway.Xmpp.Diagnostics;

/// <summary>
/// The log scope of work for one session: <c>Tenant</c> and <c>SessionId</c> as structured properties (a JSON console
/// formatter writes them as fields), so call sites need not repeat them. Ids only, never a JID or a password.
/// </summary>
/// <param name="Tenant">The owning tenant.</param>
/// <param name="SessionId">The session id, unique within the tenant.</param>
public sealed record SessionLogScope(string Tenant, string SessionId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Tenant", Tenant),
        1 => new("SessionId", SessionId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>What the simple console formatter prints for the scope.</summary>
    public override string ToString() => $"Tenant:{Tenant} SessionId:{SessionId}";
}
