// XEP-0199: XMPP Ping (v2.0.1) https://xmpp.org/extensions/xep-0199.html
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>XEP-0199: answers pings and sends them.</summary>
public static class PingFeature
{
    public static readonly XName PingName = XName.Get("ping", Ns.Ping);

    /// <summary>XEP-0199 §4: a client that supports ping answers with an empty result.</summary>
    internal static void Register(XmppClient client) =>
        client.SetIqHandler(PingName, static (_, _) => ValueTask.FromResult<XElement?>(null), Ns.Ping);

    /// <summary>Pings an entity (the server when <paramref name="to"/> is null) and returns the round-trip time.</summary>
    public static async Task<TimeSpan> PingAsync(this IStanzaSender client, Jid? to = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var started = TimeProvider.System.GetTimestamp();
        await client.SendIqAsync(new Iq { Type = IqType.Get, To = to, Payload = [new XElement(PingName)] }, timeout, cancellationToken).ConfigureAwait(false);
        return TimeProvider.System.GetElapsedTime(started);
    }
}
