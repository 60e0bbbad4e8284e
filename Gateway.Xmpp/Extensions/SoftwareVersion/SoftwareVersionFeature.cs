// XEP-0092: Software Version (v1.1) https://xmpp.org/extensions/xep-0092.html
using System.Reflection;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

/// <summary>What an entity reports about its software (XEP-0092 §2).</summary>
public sealed record SoftwareVersion(string Name, string Version, string? OperatingSystem);

/// <summary>XEP-0092: answers <c>jabber:iq:version</c> and queries it.</summary>
public static class SoftwareVersionFeature
{
    public static readonly XName QueryName = XName.Get("query", Ns.Version);
    private static readonly XNamespace VersionNs = Ns.Version;

    internal static void Register(XmppClient client, string name, string? version)
    {
        var answer = new SoftwareVersion(name, version ?? DefaultVersion(), OperatingSystem: null);
        // XEP-0092 §2: the OS element is optional, and left out here because it discloses more than needed (§5).
        client.SetIqHandler(QueryName, (request, _) => ValueTask.FromResult<XElement?>(
            request.Type == IqType.Get ? ToElement(answer) : throw new StanzaErrorException(StanzaError.Of(StanzaErrorCondition.BadRequest))),
            Ns.Version);
    }

    /// <summary>Asks an entity for its software name and version.</summary>
    public static async Task<SoftwareVersion> GetSoftwareVersionAsync(this IStanzaSender client, Jid to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.SendIqAsync(new Iq { Type = IqType.Get, To = to, Payload = [new XElement(QueryName)] }, cancellationToken: cancellationToken).ConfigureAwait(false);
        var query = reply.Query;
        if (query is null || query.Name != QueryName)
        {
            throw new XmppProtocolException(StreamErrorCondition.UndefinedCondition, $"{to} answered jabber:iq:version without a query.");
        }

        return new SoftwareVersion(
            query.Element(VersionNs + "name")?.Value ?? string.Empty,
            query.Element(VersionNs + "version")?.Value ?? string.Empty,
            query.Element(VersionNs + "os")?.Value);
    }

    internal static XElement ToElement(SoftwareVersion version) => new(
        QueryName,
        new XElement(VersionNs + "name", version.Name),
        new XElement(VersionNs + "version", version.Version),
        version.OperatingSystem is null ? null : new XElement(VersionNs + "os", version.OperatingSystem));

    private static string DefaultVersion() =>
        typeof(SoftwareVersionFeature).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
}
