using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool.Persistence;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

[Trait("Tier", "Unit")]
public sealed class SqliteOutboxTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.Combine("gateway.db");

    public void Dispose() => _directory.Dispose();

    private static OutboxEntry Entry(string session, string id, bool waitForAck = false) => new(
        "t",
        session,
        new Message
        {
            Id = id,
            To = Jid.Parse("bob@example.org"),
            Type = MessageType.Chat,
            Body = $"body of {id} <&> ünïcode",
            Payload = [new XElement(XName.Get("origin-id", "urn:xmpp:sid:0"), new XAttribute("id", id))],
        },
        waitForAck,
        T0);

    [Fact]
    public async Task Added_SurvivesReopen_InAcceptanceOrder_RemovedOnesGone()
    {
        await using (var store = OpenStore(DatabasePath))
        {
            IOutbox outbox = store;
            await outbox.AddAsync(Entry("s", "m-3"), Token);
            await outbox.AddAsync(Entry("s", "m-1", waitForAck: true), Token);
            await outbox.AddAsync(Entry("s", "m-2"), Token);
            await outbox.RemoveAsync("t", "s", "m-1", Token);
            await outbox.RemoveAsync("t", "s", "never-added", Token);
        }

        await using var reopened = OpenStore(DatabasePath);
        var entries = await ((IOutbox)reopened).LoadAsync("t", "s", Token);

        Assert.Equal(["m-3", "m-2"], entries.Select(e => e.StanzaId));
        var first = Assert.IsType<Message>(entries[0].Stanza);
        Assert.Equal("body of m-3 <&> ünïcode", first.Body);
        Assert.Equal(Jid.Parse("bob@example.org"), first.To);
        Assert.Equal("m-3", (string?)first.FindPayload(XName.Get("origin-id", "urn:xmpp:sid:0"))?.Attribute("id"));
        Assert.Equal(T0.UtcTicks, entries[0].AcceptedAt.UtcTicks);
        Assert.True(reopened.IsDurable);
    }

    [Fact]
    public async Task SameIdTwice_FirstKept()
    {
        await using var store = OpenStore(DatabasePath);
        IOutbox outbox = store;
        await outbox.AddAsync(Entry("s", "m-1"), Token);
        await outbox.AddAsync(Entry("s", "m-1", waitForAck: true) with { Stanza = new Message { Id = "m-1", Body = "second" } }, Token);

        var entry = Assert.Single(await outbox.LoadAsync("t", "s", Token));
        Assert.Equal("body of m-1 <&> ünïcode", ((Message)entry.Stanza).Body);
        Assert.False(entry.WaitForAck);
    }

    [Fact]
    public async Task DeleteSession_OnlyThatSessionsEntries()
    {
        await using var store = OpenStore(DatabasePath);
        IOutbox outbox = store;
        await outbox.AddAsync(Entry("a", "m-1"), Token);
        await outbox.AddAsync(Entry("b", "m-1"), Token);

        await outbox.DeleteSessionAsync("t", "a", Token);

        Assert.Empty(await outbox.LoadAsync("t", "a", Token));
        Assert.Single(await outbox.LoadAsync("t", "b", Token));
    }

    [Fact]
    public async Task UnreadableRow_SkippedAndLogged_OthersLoaded()
    {
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<Gateway.Api.Persistence.SqliteGatewayStore>();
        await using var store = OpenStore(DatabasePath, logger);
        IOutbox outbox = store;
        await outbox.AddAsync(Entry("s", "m-1"), Token);
        ExecuteRaw(DatabasePath, "INSERT INTO outbox (tenant, session_id, stanza_id, accepted_at, wait_for_ack, stanza) VALUES ('t', 's', 'bad', 0, 0, '<message><unclosed')");

        await outbox.AddAsync(Entry("s", "m-2"), Token);

        Assert.Equal(["m-1", "m-2"], (await outbox.LoadAsync("t", "s", Token)).Select(e => e.StanzaId));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Id.Id == 5513 && r.Message.Contains("bad", StringComparison.Ordinal));
    }
}
