using System.Xml.Linq;
using Gateway.Xmpp;
using Gateway.Xmpp.Protocol;

namespace Gateway.Tests.Pool.Archive;

/// <summary>The MAM query builder and result reader, without a connection.</summary>
[Trait("Tier", "Unit")]
public sealed class MamElementsTests
{
    private static readonly XNamespace Mam = Ns.Mam;
    private static readonly XNamespace Rsm = "http://jabber.org/protocol/rsm";
    private static readonly XNamespace Data = "jabber:x:data";

    private static string? Field(XElement query, string var) =>
        query.Element(Data + "x")?.Elements(Data + "field").SingleOrDefault(f => (string?)f.Attribute("var") == var)?.Element(Data + "value")?.Value;

    [Fact]
    [Trait("Spec", "XEP-0313 §4.1")]
    public void Query_AllFilters_WritesFormAndRsm()
    {
        var iq = MamElements.Query("q1", new ArchiveQuery(20)
        {
            Archive = Jid.Parse("lobby@conference.example.com"),
            With = Jid.Parse("bob@example.com"),
            Start = new DateTimeOffset(2025, 1, 31, 10, 30, 0, TimeSpan.FromHours(1)),
            End = new DateTimeOffset(2025, 1, 31, 9, 45, 0, 250, TimeSpan.Zero),
            After = "a-7",
        });

        var query = iq.Query!;
        Assert.Equal((IqType.Set, "lobby@conference.example.com"), (iq.Type, iq.To?.ToString()));
        Assert.Equal("q1", (string?)query.Attribute("queryid"));
        Assert.Equal(Ns.Mam, Field(query, "FORM_TYPE"));
        Assert.Equal("bob@example.com", Field(query, "with"));
        Assert.Equal("2025-01-31T09:30:00Z", Field(query, "start"));
        Assert.Equal("2025-01-31T09:45:00.250Z", Field(query, "end"));
        var set = query.Element(Rsm + "set")!;
        Assert.Equal("20", set.Element(Rsm + "max")?.Value);
        Assert.Equal("a-7", set.Element(Rsm + "after")?.Value);
        Assert.Null(set.Element(Rsm + "before"));
    }

    [Fact]
    [Trait("Spec", "XEP-0059 §2.5")]
    public void Query_OwnArchiveLastPage_HasNoToNoFormAndEmptyBefore()
    {
        var iq = MamElements.Query("q2", new ArchiveQuery(5) { Before = "" });

        Assert.Null(iq.To);
        Assert.Null(iq.Query!.Element(Data + "x"));
        var before = iq.Query.Element(Rsm + "set")!.Element(Rsm + "before");
        Assert.NotNull(before);
        Assert.Equal("", before.Value);
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.2")]
    public void TryReadResult_ReadsIdsMessageAndStamp()
    {
        var message = ArchiveQueriesTests.Result("q3", "a-9", "hello", stamp: new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.Zero));

        var result = MamElements.TryReadResult(message);

        Assert.NotNull(result);
        Assert.Equal(("q3", "a-9", "hello"), (result.QueryId, result.ArchiveId, result.Message.Body));
        Assert.Equal(new DateTimeOffset(2025, 1, 31, 9, 0, 0, TimeSpan.Zero), result.Stamp);
        Assert.Equal("q3", MamElements.ResultQueryId(message));
        Assert.Equal("", MamElements.ResultQueryId(ArchiveQueriesTests.Result(null, "a", "b")));
        Assert.Null(MamElements.ResultQueryId(new Message { Body = "plain" }));
        Assert.Null(MamElements.TryReadResult(new Message { Body = "plain" }));
    }

    [Fact]
    [Trait("Spec", "XEP-0313 §4.3")]
    public void ReadFin_ReadsCompleteFirstAndLast()
    {
        var request = MamElements.Query("q4", new ArchiveQuery(5));

        Assert.Equal(new ArchivePage(true, "l", "f"), MamElements.ReadFin(ArchiveQueriesTests.Fin(request, complete: true, "f", "l")));
        Assert.Equal(new ArchivePage(false, null, null), MamElements.ReadFin(ArchiveQueriesTests.Fin(request, complete: false, null, null)));
    }
}
