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
}
