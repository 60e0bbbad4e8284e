using System.Collections.Frozen;
using System.Xml.Linq;
using Gateway.Xmpp.Protocol;

namespace Gateway.Xmpp;

public sealed partial class XmppClient
{
    /// <summary>What every compliant client answers by itself (RFC 6120 §8.4, XEP-0030, XEP-0092, XEP-0199).</summary>
    private void RegisterBuiltInFeatures()
    {
        DiscoFeature.Register(this, _options.SoftwareName);
        PingFeature.Register(this);
        SoftwareVersionFeature.Register(this, _options.SoftwareName, _options.SoftwareVersion);
        _iqRequests.AddFeature(Ns.DiscoInfo);
    }

    /// <summary>Requests whose mere answer says this resource is online: only <see cref="XmppClientOptions.RespondTo"/> gets one.</summary>
    private static readonly FrozenSet<XName> PresenceRevealing =
        FrozenSet.Create(DiscoFeature.InfoQueryName, PingFeature.PingName, SoftwareVersionFeature.QueryName);

    private static bool RevealsPresence(Iq request) => PresenceRevealing.Contains(request.Query!.Name);
}
