using Gateway.Xmpp;

namespace Gateway.Tests.Protocol.Stanzas;

[Trait("Tier", "Unit")]
public sealed class StanzaIdTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void New_IsUrlSafeAndOfFixedLength()
    {
        for (var i = 0; i < 1_000; i++)
        {
            var id = StanzaId.New();

            Assert.Equal(StanzaId.Length, id.Length);
            Assert.All(id, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' in {id}"));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(86_400_000)]
    [InlineData(80L * 365 * 86_400_000)] // 2106: the 42 bits last until 2109
    public void New_LaterMillisecond_SortsAfterAsAString(long milliseconds)
    {
        // The random part must not matter: an earlier id sorts first whatever either's random bits.
        for (var i = 0; i < 200; i++)
        {
            var earlier = StanzaId.New(Start);
            var later = StanzaId.New(Start.AddMilliseconds(milliseconds));

            Assert.True(string.CompareOrdinal(earlier, later) < 0, $"{earlier} should sort before {later}");
        }
    }

    [Fact]
    public void New_ThisCentury_NeverStartsWithADash()
    {
        // A leading '-' reads as an option to many command-line tools; the time's first character is far from it.
        Assert.Equal('P', StanzaId.New(Start)[0]);
        Assert.NotEqual('-', StanzaId.New(new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero))[0]);
    }

    [Fact]
    public void New_SameMillisecond_SharesTheTimeAndDiffersInTheRandomPart()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => StanzaId.New(Start)).ToList();

        Assert.Single(ids.Select(id => id[..7]).Distinct());
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void New_RandomPart_UsesTheWholeAlphabet()
    {
        // 78 bits per id: each of the 64 characters turns up in the random part of a few hundred ids.
        var seen = Enumerable.Range(0, 500).SelectMany(_ => StanzaId.New(Start)[7..]).ToHashSet();

        Assert.Equal(64, seen.Count);
    }
}
