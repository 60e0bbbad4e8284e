using Gateway.Api.Endpoints.History;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Tests.Api.Endpoints.History;

/// <summary>History parameters, cursors and pages, without a server.</summary>
[Trait("Tier", "Unit")]
public sealed class HistoryRequestTests
{
    private static readonly IDataProtectionProvider Keys = new EphemeralDataProtectionProvider();
    private static readonly Jid Room = Jid.Parse("lobby@conference.example.com");

    private static HistoryRequest.Parameters Params(string? with = null, string? start = null, string? end = null, string? limit = null, string? order = null, string? cursor = null) =>
        new(with, start, end, limit, order, cursor);

    private static (HistoryRequest? Request, Dictionary<string, string[]> Errors) Parse(HistoryRequest.Parameters parameters, string session = "s", Jid? room = null)
    {
        HistoryRequest.TryParse(parameters, "alpha", session, room, 100, Keys, out var request, out var errors);
        return (request, errors);
    }

    [Fact]
    public void TryParse_Nothing_NewestFirstFiftyFromTheEnd()
    {
        var (request, errors) = Parse(Params());

        Assert.Empty(errors);
        Assert.Equal(new HistoryRequest(new HistoryFilter(null, null, null, NewestFirst: true), 50, null), request);
        var query = request!.ToQuery(null);
        Assert.Equal(("", null, 50), (query.Before, query.After, query.Max));
    }

    [Theory]
    [InlineData("limit", "0")]
    [InlineData("limit", "101")]
    [InlineData("limit", "ten")]
    [InlineData("limit", "-1")]
    [InlineData("order", "sideways")]
    [InlineData("with", "@nobody")]
    [InlineData("start", "yesterday")]
    [InlineData("end", "2025-13-01T00:00:00Z")]
    [InlineData("cursor", "not-a-cursor")]
    [InlineData("cursor", "")]
    public void TryParse_Malformed_NamesTheParameter(string name, string value)
    {
        var parameters = name switch
        {
            "limit" => Params(limit: value),
            "order" => Params(order: value),
            "with" => Params(with: value),
            "start" => Params(start: value),
            "end" => Params(end: value),
            _ => Params(cursor: value),
        };

        var (request, errors) = Parse(parameters);

        Assert.Null(request);
        Assert.Equal([name], errors.Keys);
    }

    [Fact]
    public void TryParse_StartAfterEnd_Refused()
    {
        var (_, errors) = Parse(Params(start: "2025-02-01T00:00:00Z", end: "2025-01-31T00:00:00Z"));

        Assert.Equal(["start"], errors.Keys);
    }

    [Fact]
    public void TryParse_InstantsWithOffsetOrWithout_AreUtc()
    {
        var (request, errors) = Parse(Params(start: "2025-01-31T10:30:00+01:00", end: "2025-01-31T09:45:00.5", order: "oldest", with: "Bob@Example.com"));

        Assert.Empty(errors);
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 9, 30, 0, TimeSpan.Zero), request!.Filter.Start);
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 9, 45, 0, 500, TimeSpan.Zero), request.Filter.End);
        Assert.Equal("bob@example.com", request.Filter.With);
        Assert.False(request.Filter.NewestFirst);
    }

    [Fact]
    [Trait("Spec", "XEP-0059 §2")]
    public void Cursor_RoundTrips_AndCarriesTheFilters()
    {
        var filter = new HistoryFilter("bob@example.com", new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero), null, NewestFirst: false);
        var sealedCursor = new HistoryCursor("alpha", "s", Room.ToString(), filter, "a-7").Seal(Keys);

        var (request, errors) = Parse(Params(cursor: sealedCursor, limit: "10"), room: Room);

        Assert.Empty(errors);
        Assert.Equal(new HistoryRequest(filter, 10, "a-7"), request);
        var query = request!.ToQuery(Room);
        Assert.Equal(("a-7", (string?)null, Room), (query.After, query.Before, query.Archive));

        // The same filters repeated are fine; another order or filter is not.
        Assert.Empty(Parse(Params(cursor: sealedCursor, order: "oldest", with: "bob@example.com", start: "2025-01-31T00:00:00Z"), room: Room).Errors);
        Assert.Equal(["cursor"], Parse(Params(cursor: sealedCursor, order: "newest"), room: Room).Errors.Keys);
        Assert.Equal(["cursor"], Parse(Params(cursor: sealedCursor, with: "carol@example.com"), room: Room).Errors.Keys);
    }

    [Fact]
    public void Cursor_OtherSessionArchiveOrAltered_Refused()
    {
        var sealedCursor = new HistoryCursor("alpha", "s", null, new HistoryFilter(null, null, null, true), "a-7").Seal(Keys);

        Assert.Equal(["cursor"], Parse(Params(cursor: sealedCursor), session: "other").Errors.Keys);
        Assert.Equal(["cursor"], Parse(Params(cursor: sealedCursor), room: Room).Errors.Keys);
        var altered = sealedCursor[..^2] + (sealedCursor[^2] == 'A' ? "B" : "A") + sealedCursor[^1];
        Assert.Equal(["cursor"], Parse(Params(cursor: altered)).Errors.Keys);
        Assert.Equal(["cursor"], Parse(Params(cursor: new HistoryCursor("alpha", "s", null, new HistoryFilter(null, null, null, true), "a").Seal(new EphemeralDataProtectionProvider()))).Errors.Keys);
        Assert.Empty(Parse(Params(cursor: sealedCursor)).Errors);
    }

    private static ArchivedMessage Archived(string id) => new("q", id, new Message { Body = id, From = Jid.Parse("bob@example.com/phone") }, new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    [Trait("Spec", "XEP-0059 §2.5")]
    public void Page_NewestFirst_ReversesAndContinuesBeforeTheFirst()
    {
        var request = new HistoryRequest(new HistoryFilter(null, null, null, NewestFirst: true), 2, null);

        var page = HistoryPages.ToDto(new ArchiveResults([Archived("a3"), Archived("a4")], new ArchivePage(false, "a4", "a3")), request, id => id);

        Assert.Equal(["a4", "a3"], page.Items.Select(i => i.StanzaId));
        Assert.Equal(("a3", false), (page.Next, page.Complete));
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.Zero), page.Items[0].Delay);
    }

    [Fact]
    [Trait("Spec", "XEP-0059 §2.2")]
    public void Page_OldestFirst_ContinuesAfterTheLast_FromResultsWhenNoSet()
    {
        var request = new HistoryRequest(new HistoryFilter(null, null, null, NewestFirst: false), 2, null);

        var page = HistoryPages.ToDto(new ArchiveResults([Archived("a1"), Archived("a2")], new ArchivePage(false, null)), request, id => id);

        Assert.Equal(["a1", "a2"], page.Items.Select(i => i.StanzaId));
        Assert.Equal("a2", page.Next);
    }

    [Fact]
    public void Page_CompleteOrEmpty_HasNoNext()
    {
        var request = new HistoryRequest(new HistoryFilter(null, null, null, NewestFirst: false), 2, null);

        Assert.Equal((null, true), Summary(HistoryPages.ToDto(new ArchiveResults([Archived("a1")], new ArchivePage(true, "a1", "a1")), request, id => id)));
        Assert.Equal((null, true), Summary(HistoryPages.ToDto(new ArchiveResults([], new ArchivePage(false, null)), request, id => id)));

        static (string?, bool) Summary(Gateway.Api.Contracts.HistoryPageDto page) => (page.Next, page.Complete);
    }
}
