using System.Text.RegularExpressions;
using Gateway.Xmpp;

namespace Gateway.Tests.Fakes;

/// <summary>
/// The usual server side of RFC 6120 negotiation on a plaintext loopback stream (SASL PLAIN, bind), for scripted tests
/// whose point comes before or after it. Use with <see cref="ClientOptions"/>.
/// </summary>
internal static partial class ScriptedNegotiation
{
    public const string PlainFeatures =
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

    public const string BindFeatures = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";

    /// <summary>Options for a plaintext loopback stream that authenticates with PLAIN, without XEP-0198.</summary>
    public static XmppClientOptions ClientOptions(int port) => new()
    {
        Jid = Jid.Parse("user@example.com"),
        Password = "secret",
        Host = "127.0.0.1",
        Port = port,
        TlsMode = TlsMode.Disabled,
        AllowPlainAuthenticationWithoutTls = true,
        EnableStreamManagement = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Accepts the connection and plays header, features and SASL success, up to the restarted stream's header.</summary>
    public static async Task AuthenticateAsync(ScriptedXmppServer server, CancellationToken cancellationToken, bool streamManagement = false)
    {
        await server.AcceptAsync(cancellationToken);
        await server.ExpectNextAsync("<stream:stream", cancellationToken);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + PlainFeatures, cancellationToken);
        await server.ExpectNextAsync("</auth>", cancellationToken);
        await server.SendAsync("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", cancellationToken);
        await server.ExpectNextAsync("<stream:stream", cancellationToken);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + (streamManagement ? BindFeatures.Replace("</stream:features>", "<sm xmlns='urn:xmpp:sm:3'/></stream:features>", StringComparison.Ordinal) : BindFeatures), cancellationToken);
    }

    /// <summary>Waits for the next IQ and returns its text and id.</summary>
    public static async Task<(string Text, string Id)> ExpectIqAsync(ScriptedXmppServer server, CancellationToken cancellationToken)
    {
        var text = await server.ExpectNextAsync("</iq>", cancellationToken);
        var iq = text[text.LastIndexOf("<iq", StringComparison.Ordinal)..];
        return (iq, IdAttribute().Match(iq).Groups[1].Value);
    }

    /// <summary>
    /// The whole negotiation: <see cref="AuthenticateAsync"/>, then binds <paramref name="boundJid"/>, and with
    /// <paramref name="streamManagement"/> offers and enables XEP-0198 (the client must have it enabled).
    /// </summary>
    public static async Task NegotiateAsync(ScriptedXmppServer server, string boundJid, CancellationToken cancellationToken, bool streamManagement = false)
    {
        await AuthenticateAsync(server, cancellationToken, streamManagement);
        var (_, id) = await ExpectIqAsync(server, cancellationToken);
        await server.SendAsync($"<iq type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{boundJid}</jid></bind></iq>", cancellationToken);
        if (streamManagement)
        {
            await server.ExpectNextAsync("<enable", cancellationToken);
            await server.ExpectNextAsync("/>", cancellationToken);
            await server.SendAsync("<enabled xmlns='urn:xmpp:sm:3'/>", cancellationToken);
        }
    }

    [GeneratedRegex("""\bid=["']([^"']+)["']""")]
    private static partial Regex IdAttribute();
}
