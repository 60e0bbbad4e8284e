using Gateway.Tests.Fakes;
using Gateway.Tests.Support;
using Gateway.Xmpp.Client;

namespace Gateway.Tests.Client;

[Trait("Tier", "Unit")]
public sealed class ConnectionContextTests
{
    [Fact]
    public async Task LinkEnded_TheClientsToken_SharesTheConnectionsLink_CancelledWhenTheStreamEnds()
    {
        using var client = new CancellationTokenSource();
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1, client.Token);

        using var first = context.LinkEnded(client.Token, out var token);
        using var second = context.LinkEnded(client.Token, out var again);

        Assert.Null(first);
        Assert.Null(second);
        Assert.Equal(token, again);
        Assert.False(token.IsCancellationRequested);
        connection.End();
        await Eventually.WaitUntilAsync(() => token.IsCancellationRequested);
        Assert.False(client.IsCancellationRequested);
    }

    [Fact]
    public void LinkEnded_TheClientsToken_CancelledWhenTheClientAborts()
    {
        using var client = new CancellationTokenSource();
        using var context = new ConnectionContext(new FakeConnection(), 1, client.Token);
        using var link = context.LinkEnded(client.Token, out var token);

        client.Cancel();

        Assert.True(token.IsCancellationRequested);
        Assert.False(context.Ended.IsCancellationRequested);
    }

    [Fact]
    public async Task LinkEnded_AnotherToken_ANewLinkOfItsOwn_CancelledByEither()
    {
        using var client = new CancellationTokenSource();
        using var other = new CancellationTokenSource();
        var connection = new FakeConnection();
        using var context = new ConnectionContext(connection, 1, client.Token);

        using var link = context.LinkEnded(other.Token, out var token);
        using var viaEnd = context.LinkEnded(CancellationToken.None, out var endedOnly);

        Assert.NotNull(link);
        Assert.NotNull(viaEnd);
        client.Cancel();
        Assert.False(token.IsCancellationRequested); // not the client's token: the client's abort is not its business
        other.Cancel();
        Assert.True(token.IsCancellationRequested);
        Assert.False(endedOnly.IsCancellationRequested);
        connection.End();
        await Eventually.WaitUntilAsync(() => endedOnly.IsCancellationRequested);
    }
}
