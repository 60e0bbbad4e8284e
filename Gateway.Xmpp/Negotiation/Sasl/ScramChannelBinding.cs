namespace Gateway.Xmpp.Negotiation.Sasl;

/// <summary>
/// What a SCRAM client says about channel binding in its GS2 header (RFC 5802 §6, §7 gs2-cbind-flag), and the binding
/// data it proves in <c>c=</c> when it binds.
/// </summary>
internal sealed class ScramChannelBinding
{
    private ScramChannelBinding(string flag, string? type, byte[] data)
    {
        Gs2CbindFlag = flag;
        Type = type;
        Data = data;
    }

    /// <summary><c>n</c>: the client cannot bind (no TLS, or a certificate without a defined binding).</summary>
    public static ScramChannelBinding NotSupported { get; } = new("n", null, []);

    /// <summary>
    /// <c>y</c>: the client could bind but the server offered no <c>-PLUS</c> mechanism. A server that does support binding
    /// then fails the exchange: someone removed the <c>-PLUS</c> mechanisms on the way (downgrade protection, RFC 5802 §6).
    /// </summary>
    public static ScramChannelBinding ServerLacksSupport { get; } = new("y", null, []);

    /// <summary>The gs2-cbind-flag: <c>n</c>, <c>y</c> or <c>p=&lt;type&gt;</c>.</summary>
    public string Gs2CbindFlag { get; }

    /// <summary>The binding type when binding (a <c>-PLUS</c> mechanism), e.g. <c>tls-server-end-point</c>; null otherwise.</summary>
    public string? Type { get; }

    /// <summary>The channel binding data (RFC 5929); empty unless binding.</summary>
    public byte[] Data { get; }

    /// <summary><c>p=&lt;type&gt;</c>: bind to the channel with <paramref name="data"/> (a <c>-PLUS</c> mechanism).</summary>
    public static ScramChannelBinding Bind(string type, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        // RFC 5802 §7: cb-name = 1*(ALPHA / DIGIT / "." / "-").
        if (string.IsNullOrEmpty(type) || !type.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
        {
            throw new ArgumentException("A channel binding type is one or more of A-Z a-z 0-9 . -", nameof(type));
        }

        if (data.Length == 0)
        {
            throw new ArgumentException("Channel binding data must not be empty.", nameof(data));
        }

        return new ScramChannelBinding("p=" + type, type, data);
    }
}
