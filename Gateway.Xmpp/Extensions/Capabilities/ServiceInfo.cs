// XEP-0030: Service Discovery (v2.5rc3) https://xmpp.org/extensions/xep-0030.html
// XEP-0128: Service Discovery Extensions (v1.0.1) https://xmpp.org/extensions/xep-0128.html
using System.Collections.Immutable;

namespace Gateway.Xmpp.Capabilities;

/// <summary>
/// A data form as XEP-0128 attaches it to a disco#info answer (XEP-0004 §3.4, type 'result'): its FORM_TYPE and the
/// values of each field. Fields keep their order; a field without 'var' is left out.
/// </summary>
public sealed record DataForm(string? FormType, ImmutableArray<DataFormField> Fields)
{
    /// <summary>The first value of the field named <paramref name="var"/>, or null.</summary>
    public string? Value(string var) => Fields.FirstOrDefault(f => f.Var == var) is { Values: [var first, ..] } ? first : null;
}

/// <summary>One field of a <see cref="DataForm"/>.</summary>
public sealed record DataFormField(string Var, string? Type, ImmutableArray<string> Values);

/// <summary>What an entity says about itself in disco#info (XEP-0030 §3.1): identities, features, extended forms.</summary>
public sealed record ServiceInfo(Jid Jid, ImmutableArray<DiscoIdentity> Identities, ImmutableArray<string> Features, ImmutableArray<DataForm> Forms)
{
    public bool Supports(string feature) => Features.Contains(feature, StringComparer.Ordinal);

    /// <summary>The form with this FORM_TYPE (XEP-0128 §3), or null.</summary>
    public DataForm? Form(string formType) => Forms.FirstOrDefault(f => f.FormType == formType);
}

/// <summary>One item of a disco#items answer (XEP-0030 §4.2): an entity (e.g. a component) with an optional name and node.</summary>
public sealed record DiscoItem(Jid Jid, string? Name, string? Node);

/// <summary>
/// What the account's server offers: disco#info of its domain and, for each disco#items entry, that entity's own
/// disco#info (null when it did not answer); and disco#info of the account's bare JID, where a server announces what it
/// does per account (XEP-0313 MAM, XEP-0163 PEP), null when it did not answer. One snapshot per stream (a server's
/// offer changes only with a restart, which ends the stream).
/// </summary>
public sealed record ServerCapabilities(ServiceInfo Server, ImmutableArray<ServerService> Services)
{
    /// <summary>disco#info of the account's bare JID (XEP-0030 §3.1 "on behalf of" the account), when it answered.</summary>
    public ServiceInfo? Account { get; init; }

    /// <summary>The first service (the server itself first) that announces <paramref name="feature"/>.</summary>
    public ServiceInfo? FindService(string feature) =>
        Server.Supports(feature) ? Server : Services.Select(s => s.Info).FirstOrDefault(i => i is not null && i.Supports(feature));
}

/// <summary>An entry of the server's disco#items with its disco#info, or null when that query failed.</summary>
public sealed record ServerService(DiscoItem Item, ServiceInfo? Info);
