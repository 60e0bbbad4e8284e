namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>Registered SASL mechanism names (IANA "SASL Mechanisms"); compared ordinally, they are upper case.</summary>
internal static class SaslMechanismNames
{
    public const string ScramSha512 = "SCRAM-SHA-512";
    public const string ScramSha256 = "SCRAM-SHA-256";
    public const string ScramSha1 = "SCRAM-SHA-1";

    /// <summary>RFC 5802 §4: the channel-binding variant of a SCRAM mechanism adds this suffix.</summary>
    public const string PlusSuffix = "-PLUS";
    public const string Plain = "PLAIN";
}
