using Gateway.Tests.Fakes;
using Gateway.Tests.Pool.Journal;
using Gateway.Xmpp;
using Gateway.Xmpp.Client;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Pool.Journal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Pool.Archive;

/// <summary>Where a catch-up starts when the session never learned a cursor.</summary>
[Trait("Tier", "Unit")]
[Trait("Spec", "XEP-0313 §4.1.3")]
public sealed class ArchiveCatchUpStartTests : IAsyncDisposable
{
    private static readonly Jid Me = Jid.Parse("me@example.com");
    private readonly JournalTestKit _kit = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewStreamBeforeAnyCursor_CatchesUpFromTheFirstConnection_NotFromTheArchiveEnd()
    {
        // The first stream was cut before the archive's end came back and before any live message had a trusted archive
        // id (a chaos run: the next new stream took the archive's end as its start and skipped ~700 missed messages).
        var journal = _kit.Journal.Open("t", "s", 0);
        var deduplicator = new InboundDeduplicator(Me);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var archive = new ArchiveCatchUp(journal, new MessagePublisher(journal, deduplicator, TimeProvider.System), deduplicator, new ArchiveQueries(Me), cursor: null, restored: false, TimeSpan.FromSeconds(5), NullLogger.Instance, time);

        var first = new FakeConnection { AnswerIq = _ => Task.FromException<Iq>(new XmppConnectionException("cut")) };
        using (var context = new ConnectionContext(first, 1))
        {
            await archive.OnConnectedAsync(context, Token);
            await archive.RunAsync(context, Token);
        }

        Assert.Null(archive.Cursor);
        time.Advance(TimeSpan.FromMinutes(1));

        var asked = new List<Iq>();
        var second = new FakeConnection();
        second.AnswerIq = request =>
        {
            asked.Add(request);
            return Task.FromResult(ArchiveQueriesTests.Fin(request, complete: true, null, null));
        };
        using (var context = new ConnectionContext(second, 2))
        {
            await archive.OnConnectedAsync(context, Token);
            Assert.True(archive.GapPending);
            await archive.RunAsync(context, Token);
        }

        var query = Assert.Single(asked).Query!.ToString();
        Assert.Contains("2026-12-06T23:55:00Z", query, StringComparison.Ordinal); // first connection, less the clock skew margin
        Assert.DoesNotContain("metadata", query, StringComparison.Ordinal);
        Assert.DoesNotContain("<after", query, StringComparison.Ordinal);
        Assert.False(archive.GapPending);
    }

    public ValueTask DisposeAsync() => _kit.DisposeAsync();
}
