using System.Xml.Linq;
using Gateway.Tests.Fakes;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Pool.Archive;

/// <summary>How a session's archive queries take their results, and leave everything else to the application.</summary>
[Trait("Tier", "Unit")]
public sealed class ArchiveQueriesTests
{
    private static readonly Jid Account = Jid.Parse("me@example.com");
    private static readonly Jid Room = Jid.Parse("lobby@conference.example.com");
    private static readonly XNamespace Mam = Ns.Mam;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>A result message as the archive sends it (XEP-0313 §4.2).</summary>
    internal static Message Result(string? queryId, string archiveId, string body, Jid? from = null, DateTimeOffset? stamp = null) => new()
    {
        From = from,
        To = Jid.Parse("me@example.com/r"),
        Payload =
        [
            new XElement(Mam + "result",
                queryId is null ? null : new XAttribute("queryid", queryId),
                new XAttribute("id", archiveId),
                new XElement(XName.Get("forwarded", Ns.Forward),
                    new XElement(XName.Get("delay", Ns.Delay), new XAttribute("stamp", (stamp ?? DateTimeOffset.UnixEpoch).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture))),
                    new XElement(XName.Get("message", Ns.Client), new XAttribute("from", "bob@example.com/phone"), new XAttribute("to", "me@example.com"), new XAttribute("type", "chat"),
                        new XElement(XName.Get("body", Ns.Client), body)))),
        ],
    };

    internal static Iq Fin(Iq request, bool complete, string? first, string? last) => new()
    {
        Type = IqType.Result,
        Id = request.Id,
        From = request.To,
        Payload =
        [
            new XElement(Mam + "fin", complete ? new XAttribute("complete", "true") : null,
                new XElement(XName.Get("set", "http://jabber.org/protocol/rsm"),
                    first is null ? null : new XElement(XName.Get("first", "http://jabber.org/protocol/rsm"), first),
                    last is null ? null : new XElement(XName.Get("last", "http://jabber.org/protocol/rsm"), last))),
        ],
    };

    private static string QueryIdOf(Iq request) => (string)request.Query!.Attribute("queryid")!;

    /// <summary>A connection whose server answers each query with <paramref name="deliver"/>'s results, then the fin.</summary>
    private static FakeConnection Server(Func<Iq, IEnumerable<Message>> deliver, List<Iq>? asked = null)
    {
        var connection = new FakeConnection();
        connection.AnswerIq = request =>
        {
            asked?.Add(request);
            foreach (var result in deliver(request))
            {
                connection.Deliver(result);
            }

            return Task.FromResult(Fin(request, complete: true, null, null));
        };
        return connection;
    }

    private static List<Stanza> Passed(FakeConnection connection)
    {
        var passed = new List<Stanza>();
        while (connection.Incoming.TryRead(out var stanza))
        {
            passed.Add(stanza);
        }

        return passed;
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public async Task QueryPage_OwnArchive_TakesResultsWithoutFromOrFromTheBareAccount()
    {
        var queries = new ArchiveQueries(Account);
        var connection = Server(request => [Result(QueryIdOf(request), "a1", "one"), Result(QueryIdOf(request), "a2", "two", from: Account)]);

        var (results, _) = await queries.QueryPageAsync(connection, new ArchiveQuery(10), null, Token);

        Assert.Equal(["a1", "a2"], results.Select(r => r.ArchiveId));
        Assert.Equal("one", results[0].Message.Body);
        Assert.Empty(Passed(connection));
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public async Task QueryPage_ResultFromStrangerOrOtherResource_PassesOnAsOrdinaryMessage()
    {
        var queries = new ArchiveQueries(Account);
        var connection = Server(request =>
        [
            Result(QueryIdOf(request), "x1", "forged", from: Jid.Parse("mallory@evil.example/x")),
            Result(QueryIdOf(request), "x2", "own resource", from: Jid.Parse("me@example.com/other")),
            Result(QueryIdOf(request), "a1", "real"),
        ]);

        var (results, _) = await queries.QueryPageAsync(connection, new ArchiveQuery(10), null, Token);

        Assert.Equal(["a1"], results.Select(r => r.ArchiveId));
        Assert.Equal(2, Passed(connection).Count);
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public async Task Route_ApplicationQueryResults_PassOnWhateverTheirQueryId()
    {
        var queries = new ArchiveQueries(Account);
        var connection = Server(request => [Result(QueryIdOf(request), "a1", "ours")]);
        await queries.QueryPageAsync(connection, new ArchiveQuery(10), null, Token);

        // An application's query through the API, even with an id that looks like ours, or without one.
        connection.Deliver(Result("app-1", "a1", "app"));
        connection.Deliver(Result("gw-app", "a1", "app"));
        connection.Deliver(Result(null, "a1", "app"));

        Assert.Equal(3, Passed(connection).Count);
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public async Task Route_LateResultOfEndedQuery_IsDropped()
    {
        var queries = new ArchiveQueries(Account);
        string? queryId = null;
        var connection = Server(request =>
        {
            queryId = QueryIdOf(request);
            return [];
        });
        await queries.QueryPageAsync(connection, new ArchiveQuery(10), null, Token);

        connection.Deliver(Result(queryId, "late", "late"));

        Assert.Empty(Passed(connection));
    }

    [Fact]
    public async Task Route_EndedQueriesBeyondCapacity_AreForgotten()
    {
        var queries = new ArchiveQueries(Account);
        var ids = new List<string>();
        var connection = Server(request =>
        {
            ids.Add(QueryIdOf(request));
            return [];
        });
        for (var i = 0; i <= ArchiveQueries.EndedCapacity; i++)
        {
            await queries.QueryPageAsync(connection, new ArchiveQuery(1), null, Token);
        }

        connection.Deliver(Result(ids[0], "late", "late"));
        connection.Deliver(Result(ids[^1], "late", "late"));

        Assert.Single(Passed(connection));
    }

    [Fact]
    public async Task QueryPage_ServerSendsMoreThanAsked_KeepsOnlyMax()
    {
        var queries = new ArchiveQueries(Account);
        var connection = Server(request => Enumerable.Range(0, 50).Select(i => Result(QueryIdOf(request), $"a{i}", $"m{i}")));

        var (results, _) = await queries.QueryPageAsync(connection, new ArchiveQuery(5), null, Token);

        Assert.Equal(["a0", "a1", "a2", "a3", "a4"], results.Select(r => r.ArchiveId));
        Assert.Empty(Passed(connection));
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §5")]
    public async Task QueryPage_RoomArchive_AsksTheRoomAndTakesOnlyItsResults()
    {
        var queries = new ArchiveQueries(Account);
        var asked = new List<Iq>();
        var connection = Server(request => [Result(QueryIdOf(request), "own", "from own archive"), Result(QueryIdOf(request), "r1", "room", from: Room)], asked);

        var (results, _) = await queries.QueryPageAsync(connection, new ArchiveQuery(10) { Archive = Room }, null, Token);

        Assert.Equal(Room, Assert.Single(asked).To);
        Assert.Equal(["r1"], results.Select(r => r.ArchiveId));
        Assert.Single(Passed(connection));
    }

    [Fact]
    public async Task History_QueryOutOfRangeOrOffline_Throws()
    {
        var queries = new ArchiveQueries(Account);
        var history = new ArchiveHistory(queries, () => null, () => new SessionUnavailableException("s", SessionState.Reconnecting, "offline"), TimeSpan.FromSeconds(1));

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => history.QueryAsync(new ArchiveQuery(0), Token));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => history.QueryAsync(new ArchiveQuery(history.MaxPageSize + 1), Token));
        await Assert.ThrowsAsync<SessionUnavailableException>(() => history.QueryAsync(new ArchiveQuery(10), Token));
    }

    [Fact]
    [Trait("Spec", "XEP-0059 §2")]
    public async Task History_Page_CarriesResultsAndTheRsmEnd()
    {
        var queries = new ArchiveQueries(Account);
        var connection = new FakeConnection();
        connection.AnswerIq = request =>
        {
            connection.Deliver(Result(QueryIdOf(request), "a1", "one", stamp: DateTimeOffset.Parse("2025-01-31T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
            return Task.FromResult(Fin(request, complete: false, "a1", "a1"));
        };
        var history = new ArchiveHistory(queries, () => connection, () => throw new InvalidOperationException(), TimeSpan.FromSeconds(1));

        var page = await history.QueryAsync(new ArchiveQuery(1), Token);

        var result = Assert.Single(page.Messages);
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.Zero), result.Stamp);
        Assert.Equal(new ArchivePage(Complete: false, Last: "a1", First: "a1"), page.Page);
    }
}
