using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Gateway.Api.Persistence;
using static Gateway.Tests.Persistence.PersistenceTestKit;

namespace Gateway.Tests.Persistence;

[Trait("Tier", "Unit")]
public sealed class PayloadProtectorTests : IDisposable
{
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("<message xmlns='jabber:client' to='bob@example.org'><body>Grüße 🙂</body></message>");

    private readonly PayloadProtector _protector = NewProtector();

    public void Dispose() => _protector.Dispose();

    private static PayloadProtector NewProtector(int keyId = 1, byte[]? key = null, int capacity = PayloadProtector.DefaultKeyCacheCapacity) =>
        new(new StoreKeys(new Dictionary<int, byte[]> { [keyId] = key ?? Key(1) }, keyId), new LegacyPayloadProtector(Keys), capacity);

    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static string Open(PayloadProtector protector, string tenant, string sessionId, string stored) =>
        Encoding.UTF8.GetString(protector.Unprotect(tenant, sessionId, stored, new ArrayBufferWriter<byte>()));

    [Fact]
    public void ProtectThenUnprotect_RoundTrips_NothingInClear_FreshNonceEachTime()
    {
        var first = _protector.Protect("t", "s", Payload);
        var second = _protector.Protect("t", "s", Payload);

        Assert.StartsWith("ag1:", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.DoesNotContain("bob@example.org", Encoding.UTF8.GetString(Convert.FromBase64String(first[4..])), StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(Payload), Open(_protector, "t", "s", first));
        Assert.Equal(Encoding.UTF8.GetString(Payload), Open(_protector, "t", "s", second));
        Assert.Equal("", Open(_protector, "t", "s", _protector.Protect("t", "s", [])));
    }

    [Fact]
    public void ProtectThenUnprotect_LargerThanTheStackBuffer_RoundTrips()
    {
        var large = Encoding.UTF8.GetBytes(new string('ü', 50_000));

        Assert.Equal(Encoding.UTF8.GetString(large), Open(_protector, "t", "s", _protector.Protect("t", "s", large)));
    }

    [Theory]
    [InlineData("t", "other")]
    [InlineData("other", "s")]
    [InlineData("t1", "s")]
    [InlineData("", "ts")]
    public void Unprotect_ValueOfAnotherSession_Refused(string tenant, string sessionId)
    {
        // ("t1", "s") against ("t", "1s")-like pairs: the binding is length-prefixed, so concatenations do not collide.
        var stored = _protector.Protect("t", "s", Payload);
        var ambiguous = _protector.Protect("t", "1s", Payload);

        Assert.Throws<FormatException>(() => Open(_protector, tenant, sessionId, stored));
        if (tenant == "t1")
        {
            Assert.Throws<FormatException>(() => Open(_protector, tenant, sessionId, ambiguous));
        }
    }

    [Fact]
    public void Unprotect_TamperedOrTruncatedOrOtherStoreKey_Refused()
    {
        var stored = _protector.Protect("t", "s", Payload);
        var bytes = Convert.FromBase64String(stored[4..]);
        var flipped = (byte[])bytes.Clone();
        flipped[20] ^= 0x80;
        using var otherKey = NewProtector(key: Key(2));
        using var otherId = NewProtector(keyId: 2);

        var tag = Assert.Throws<FormatException>(() => Open(_protector, "t", "s", "ag1:" + Convert.ToBase64String(flipped)));
        Assert.IsType<AuthenticationTagMismatchException>(tag.InnerException);
        Assert.Throws<FormatException>(() => Open(_protector, "t", "s", "ag1:" + Convert.ToBase64String(bytes[..31])));
        Assert.Throws<FormatException>(() => Open(_protector, "t", "s", "ag1:not base64!"));
        Assert.Throws<FormatException>(() => Open(otherKey, "t", "s", stored));
        Assert.Contains("store key 1", Assert.Throws<FormatException>(() => Open(otherId, "t", "s", stored)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unprotect_DataProtectionValue_StillRead()
    {
        var legacy = new LegacyPayloadProtector(Keys).Protect("t", "s", "old ü");

        Assert.Equal("old ü", Open(_protector, "t", "s", legacy));
        Assert.Throws<FormatException>(() => Open(_protector, "t", "other", legacy));
    }

    [Theory]
    [InlineData("{\"state\":\"Online\",\"reason\":null,\"reasonText\":null}")]
    [InlineData("<message xmlns='jabber:client' to='victim@example.org'><body>forged</body></message>")]
    [InlineData("")]
    public void Unprotect_ValueInClear_RefusedAsUnsealed(string stored)
    {
        // Anyone who can write the database file could otherwise plant events or outbox stanzas that the gateway
        // would read (and send) as its own: only authenticated values are accepted.
        var refused = Assert.Throws<UnsealedPayloadException>(() => Open(_protector, "t", "s", stored));

        Assert.IsAssignableFrom<FormatException>(refused);
        Assert.DoesNotContain("victim", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManySessionsAndThreads_SmallKeyCache_EveryValueRoundTrips()
    {
        // Capacity 4 with 64 sessions: keys are evicted (and disposed) while other threads use them.
        using var protector = NewProtector(capacity: 4);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(
            () =>
            {
                var clear = new ArrayBufferWriter<byte>();
                for (var i = 0; i < 2_000; i++)
                {
                    var session = $"s{(i * 7 + worker) % 64}";
                    var text = $"{worker}/{i}";
                    var stored = protector.Protect("t", session, Encoding.UTF8.GetBytes(text));
                    Assert.Equal(text, Encoding.UTF8.GetString(protector.Unprotect("t", session, stored, clear)));
                }
            },
            Token)));
    }
}
