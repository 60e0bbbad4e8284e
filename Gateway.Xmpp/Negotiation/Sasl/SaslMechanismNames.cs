namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>Registered SASL mechanism names (IANA "SASL Mechanisms"); compared ordinally, they are upper case.</summary>
internal static class SaslMechanismNames
{
    public const string ScramSha512 = "SCRAM-SHA-512";
    public const string ScramSha256 = "SCRAM-SHA-256";
    public const string ScramSha1 = "SCRAM-SHA-1";
    public const string Plain = "PLAIN";
}
