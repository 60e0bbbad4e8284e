using System.Text.RegularExpressions;
using Gateway.Tests.Fakes;
using Gateway.Xmpp;

namespace Gateway.Tests.Session;

/// <summary>What a connection reads at most: a server sending more than a stanza's worth, played by a scripted peer.</summary>
public sealed partial class InboundLimitsTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.3.12")]
    public async Task ReadLoop_StanzaOverTheDefault256KiB_StreamEndsWithPolicyViolation()
    {
        await using var server = new ScriptedXmppServer();
        var client = await ConnectAsync(server);

        // Not awaited: the client stops reading at the limit, so the rest of the stanza may never leave our buffers.
        var sending = server.SendAsync("<message from='peer@example.com/x' id='big'><body>" + new string('x', 300 * 1024) + "</body></message>", Token);

        var reason = await client.Terminated.WaitAsync(TimeSpan.FromSeconds(15), Token);
        Assert.Equal(StreamErrorCondition.PolicyViolation, Assert.IsType<XmppProtocolException>(reason).Condition);
        await client.DisposeAsync();
        Assert.Contains("<policy-violation", await server.ReadToEndAsync(Token), StringComparison.Ordinal);
        try
        {
            await sending.WaitAsync(TimeSpan.FromSeconds(15), Token);
        }
        catch (IOException)
        {
            // The client closed the connection with part of the stanza unread: expected either way.
        }
    }

    [Fact]
    public async Task ReadLoop_StanzaJustUnderTheDefault_Delivered()
    {
        await using var server = new ScriptedXmppServer();
        await using var client = await ConnectAsync(server);

        await server.SendAsync("<message from='peer@example.com/x' id='large'><body>" + new string('x', 250 * 1024) + "</body></message>", Token);

        var message = Assert.IsType<Message>(await client.Incoming.ReadAsync(Token).AsTask().WaitAsync(TimeSpan.FromSeconds(15), Token));
        Assert.Equal(250 * 1024, message.Body!.Length);
    }

    /// <summary>Plays a plaintext server up to the bound session (SASL PLAIN, bind; no stream management).</summary>
    private static async Task<XmppClient> ConnectAsync(ScriptedXmppServer server)
    {
        var connecting = XmppClient.ConnectAsync(
            new XmppClientOptions
            {
                Jid = Jid.Parse("user@example.com"), Password = "secret", Host = "127.0.0.1", Port = server.Port, ConnectTimeout = TimeSpan.FromSeconds(15),
                TlsMode = TlsMode.Disabled, AllowPlainAuthenticationWithoutTls = true,
            },
            cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>", Token);
        await server.ExpectAsync("</auth>", Token);
        await server.SendAsync("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>", Token);
        await server.ExpectAsync("urn:ietf:params:xml:ns:xmpp-bind", Token);
        await server.ExpectAsync("</iq>", Token);
        var id = BindRequestId().Match(server.Received).Groups["id"].Value;
        await server.SendAsync($"<iq type='result' id='{id}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@example.com/r</jid></bind></iq>", Token);
        return await connecting.WaitAsync(TimeSpan.FromSeconds(15), Token);
    }

    [GeneratedRegex("<iq[^>]*\\sid=['\"](?<id>[^'\"]+)['\"][^>]*>\\s*<bind")]
    private static partial Regex BindRequestId();
}
