using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Fakes;
using Gateway.Tests.Negotiation.Sasl;
using Gateway.Tests.Support;
using Gateway.Xmpp;
using Gateway.Xmpp.Negotiation.Sasl;

namespace Gateway.Tests.Negotiation;

/// <summary>A login's SCRAM key derivation waits for a slot of the limiter its options share (a pool's bound).</summary>
[Trait("Tier", "Scripted")]
public sealed partial class KeyDerivationNegotiationTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 5802 §3")]
    public async Task ScramLogin_LimiterFull_AnswersTheChallengeOnlyOnceASlotIsFree()
    {
        var limiter = new KeyDerivationLimiter(1);
        await using var held = HeldDerivationSlot.Take(limiter, Token);

        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(
            new XmppClientOptions
            {
                Jid = Jid.Parse("user@example.com"),
                Password = "secret",
                Host = "127.0.0.1",
                Port = server.Port,
                TlsMode = TlsMode.Disabled,
                KeyDerivationLimiter = limiter,
                ConnectTimeout = TimeSpan.FromSeconds(30),
            },
            cancellationToken: Token);

        await server.AcceptAsync(Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>", Token);
        var auth = await server.ExpectNextAsync("</auth>", Token);
        var clientFirst = Encoding.ASCII.GetString(Convert.FromBase64String(Auth().Match(auth).Groups[1].Value));
        var nonce = clientFirst[(clientFirst.IndexOf(",r=", StringComparison.Ordinal) + 3)..];
        var serverFirst = $"r={nonce}server,s={Convert.ToBase64String("salt-of-16-bytes"u8)},i=4096";
        await server.SendAsync($"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{Convert.ToBase64String(Encoding.ASCII.GetBytes(serverFirst))}</challenge>", Token);

        // The login is queued behind the slot's holder, not deriving on a thread of its own.
        await Eventually.WaitUntilAsync(() => limiter.Waiting == 1, TimeSpan.FromSeconds(10));
        Assert.False(connecting.IsCompleted);

        await held.DisposeAsync();
        var response = await server.ExpectNextAsync("</response>", Token);
        Assert.Contains("<response", response, StringComparison.Ordinal);
        Assert.Equal(0, limiter.Waiting);
        await server.SendAsync("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>", Token);
        await Assert.ThrowsAsync<SaslFailedException>(() => connecting);
    }

    [GeneratedRegex("""<auth[^>]*>([^<]*)</auth>""")]
    private static partial Regex Auth();
}
