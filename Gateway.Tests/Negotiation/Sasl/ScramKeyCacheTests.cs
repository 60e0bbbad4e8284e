using System.Text;
using Gateway.Xmpp.Negotiation.Sasl;
using static Gateway.Tests.Negotiation.Sasl.ScramVectors;

namespace Gateway.Tests.Negotiation.Sasl;

/// <summary>RFC 5802 §5.1: a reconnect may reuse the SaltedPassword, but only for the same password, hash, salt and count.</summary>
[Trait("Tier", "Unit")]
public sealed class ScramKeyCacheTests
{
    [Fact]
    public void SecondLogin_SameServerParameters_UsesTheCachedKey_SameProofAndServerCheck()
    {
        var cache = new ScramKeyCache();

        Assert.Equal(Sha1ClientFinal, Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, Sha1ServerFirst, cache, Sha1ServerFinal));
        Assert.Equal(0, cache.Hits);
        Assert.Equal(Sha1ClientFinal, Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, Sha1ServerFirst, cache, Sha1ServerFinal));
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public void ChangedPassword_DerivesAnew_NotTheOldPasswordsKey()
    {
        var cache = new ScramKeyCache();
        Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, Sha1ServerFirst, cache);

        var withCache = Exchange(ScramHash.Sha1, "crayon", Sha1Nonce, Sha1ServerFirst, cache);

        Assert.Equal(0, cache.Hits);
        Assert.Equal(Exchange(ScramHash.Sha1, "crayon", Sha1Nonce, Sha1ServerFirst, cache: null), withCache);
        Assert.NotEqual(Sha1ClientFinal, withCache);
    }

    [Theory]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf93,i=4096")]
    [InlineData("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4097")]
    public void OtherSaltOrCount_DerivesAnew(string serverFirst)
    {
        var cache = new ScramKeyCache();
        Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, Sha1ServerFirst, cache);

        var withCache = Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, serverFirst, cache);

        Assert.Equal(0, cache.Hits);
        Assert.Equal(Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, serverFirst, cache: null), withCache);
    }

    [Fact]
    public void OtherHash_DerivesAnew_AndTheNewEntryServesTheNextLogin()
    {
        var cache = new ScramKeyCache();
        Exchange(ScramHash.Sha1, "pencil", Sha1Nonce, Sha1ServerFirst, cache);

        Assert.Equal(Sha256ClientFinal, Exchange(ScramHash.Sha256, "pencil", Sha256Nonce, Sha256ServerFirst, cache));
        Assert.Equal(0, cache.Hits);
        Assert.Equal(Sha256ClientFinal, Exchange(ScramHash.Sha256, "pencil", Sha256Nonce, Sha256ServerFirst, cache));
        Assert.Equal(1, cache.Hits);
    }

    private static string Exchange(ScramHash hash, string password, string nonce, string serverFirst, ScramKeyCache? cache, string? serverFinal = null)
    {
        using var scram = new ScramClient(hash, "user", password, nonce, keyCache: cache);
        scram.InitialResponse();
        var clientFinal = Encoding.UTF8.GetString(scram.Respond(Encoding.UTF8.GetBytes(serverFirst)));
        if (serverFinal is not null)
        {
            // The server's signature is checked with the cached key as well.
            scram.VerifySuccess(Encoding.UTF8.GetBytes(serverFinal));
        }

        return clientFinal;
    }
}
