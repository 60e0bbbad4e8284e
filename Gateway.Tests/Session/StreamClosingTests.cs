using Gateway.Tests.Fakes;
using Gateway.Xmpp;

namespace Gateway.Tests.Session;

/// <summary>RFC 6120 §4.4, §4.9, §6.4.5: how the client ends a stream, recorded by a scripted server.</summary>
[Trait("Tier", "Scripted")]
public sealed class StreamClosingTests
{
    private const string ClosingTag = "</stream:stream>";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.1.1")]
    public async Task StreamError_OnEstablishedStream_AnsweredWithClosingTag()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port), cancellationToken: Token);
        await ScriptedNegotiation.NegotiateAsync(server, "user@example.com/r1", Token);
        await using var client = await connecting;

        await server.SendAsync("<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>" + ClosingTag, Token);
        var reason = await client.Terminated.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await client.DisposeAsync();
        await server.ReadToEndAsync(Token);

        Assert.IsType<StreamErrorException>(reason);
        Assert.EndsWith(ClosingTag, server.ReceivedSinceMark, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(server.Received, ClosingTag));
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §4.9.1.1")]
    public async Task StreamError_DuringNegotiation_AnsweredWithClosingTag()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port), cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>" + ClosingTag, Token);

        await Assert.ThrowsAsync<StreamErrorException>(() => connecting);
        await server.ReadToEndAsync(Token);

        Assert.EndsWith(ClosingTag, server.Received, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Spec", "RFC 6120 §6.4.5")]
    public async Task SaslFailure_StreamClosedBeforeDisconnecting()
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port), cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader + ScriptedNegotiation.PlainFeatures, Token);
        await server.ExpectNextAsync("</auth>", Token);
        await server.SendAsync("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>", Token);

        var ex = await Assert.ThrowsAsync<SaslFailedException>(() => connecting);
        await server.ReadToEndAsync(Token);

        Assert.True(ex.IsCredentialFailure);
        Assert.Equal(ClosingTag, server.ReceivedSinceMark);
    }

    [Theory]
    [InlineData("<r xmlns='urn:xmpp:sm:3'/>")] // answered with <a/> by the reply writer
    [InlineData("<message from='a@example.com'><body>&custom;</body></message>")] // a protocol violation, answered with a stream error
    [Trait("Spec", "RFC 6120 §4.4")]
    public async Task CloseAsync_ServerSendsMoreBeforeItsClose_NothingWrittenAfterOurClosingTag(string more)
    {
        await using var server = new ScriptedXmppServer();
        var options = ScriptedNegotiation.ClientOptions(server.Port) with { EnableStreamManagement = true, CloseTimeout = TimeSpan.FromSeconds(1) };
        var connecting = XmppClient.ConnectAsync(options, cancellationToken: Token);
        await ScriptedNegotiation.NegotiateAsync(server, "user@example.com/r1", Token, streamManagement: true);
        await using var client = await connecting;

        var closing = client.CloseAsync(Token);
        await server.ExpectNextAsync(ClosingTag, Token);

        // Something the client would answer; the server then never closes, so the client gives up after its
        // CloseTimeout: plenty of time for a stray answer to be written.
        await server.SendAsync(more, Token);
        await closing.WaitAsync(TimeSpan.FromSeconds(10), Token);
        await server.ReadToEndAsync(Token);

        Assert.Equal(string.Empty, server.ReceivedSinceMark);
    }

    [Theory]
    [InlineData("jabber:server")]
    [InlineData("urn:example:other")]
    [Trait("Spec", "RFC 6120 §4.8.2")]
    public async Task ConnectAsync_ServerHeaderWithWrongContentNamespace_InvalidNamespaceStreamError(string contentNamespace)
    {
        await using var server = new ScriptedXmppServer();
        var connecting = XmppClient.ConnectAsync(ScriptedNegotiation.ClientOptions(server.Port), cancellationToken: Token);
        await server.AcceptAsync(Token);
        await server.ExpectNextAsync("<stream:stream", Token);
        await server.SendAsync(ScriptedXmppServer.ServerHeader.Replace("jabber:client", contentNamespace, StringComparison.Ordinal) + ScriptedNegotiation.PlainFeatures, Token);

        var ex = await Assert.ThrowsAsync<XmppProtocolException>(() => connecting);
        await server.ReadToEndAsync(Token);

        Assert.Equal(StreamErrorCondition.InvalidNamespace, ex.Condition);
        Assert.DoesNotContain("<auth", server.Received, StringComparison.Ordinal);
        Assert.Contains("<invalid-namespace xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>", server.ReceivedSinceMark, StringComparison.Ordinal);
        Assert.EndsWith(ClosingTag, server.Received, StringComparison.Ordinal);
    }

    private static int Occurrences(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
