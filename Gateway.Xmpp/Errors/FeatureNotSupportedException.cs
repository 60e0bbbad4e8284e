namespace Gateway.Xmpp;

/// <summary>The account's server does not offer what the operation needs (it does not announce the feature in XEP-0030 disco#info).</summary>
public sealed class FeatureNotSupportedException(string feature, string message) : XmppException(message)
{
    /// <summary>The disco feature (namespace) that is missing, e.g. <c>urn:xmpp:blocking</c>.</summary>
    public string Feature { get; } = feature;

    /// <summary>Only a server change makes it appear (and a new stream then finds it).</summary>
    public override bool IsTransient => false;
}
