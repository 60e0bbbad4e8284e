using Gateway.Api.Cluster.Forwarding;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Cluster.Forwarding;

[Trait("Tier", "Unit")]
public sealed class ForwardingMarkerTests
{
    private static readonly IDataProtectionProvider KeyRing = new EphemeralDataProtectionProvider();

    [Fact]
    public void Check_MarkerMadeForTheRequest_IsValidOnAnotherNodeWithTheSameKeyRing()
    {
        var marker = new ForwardingMarker(KeyRing).Create("post", "/api/v1/sessions/s/messages?wait=server");

        Assert.Equal(MarkerCheck.Valid, new ForwardingMarker(KeyRing).Check(marker, "POST", "/api/v1/sessions/s/messages?wait=server"));
    }

    [Fact]
    public void Check_NoMarker_IsAbsent()
    {
        Assert.Equal(MarkerCheck.Absent, new ForwardingMarker(KeyRing).Check(null, "GET", "/api/v1/sessions/s"));
        Assert.Equal(MarkerCheck.Absent, new ForwardingMarker(KeyRing).Check("", "GET", "/api/v1/sessions/s"));
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("CfDJ8not-a-real-payload")]
    [InlineData("%%%")]
    public void Check_ForgedMarker_IsInvalid(string forged) =>
        Assert.Equal(MarkerCheck.Invalid, new ForwardingMarker(KeyRing).Check(forged, "GET", "/api/v1/sessions/s"));

    [Fact]
    public void Check_MarkerOfAnotherRequest_IsInvalid()
    {
        var markers = new ForwardingMarker(KeyRing);
        var marker = markers.Create("GET", "/api/v1/sessions/s/roster");

        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "GET", "/api/v1/sessions/other/roster"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "DELETE", "/api/v1/sessions/s/roster"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "GET", "/api/v1/sessions/s/roster?x=1"));
    }

    [Fact]
    public void Check_MarkerOfAnotherKeyRing_IsInvalid()
    {
        var marker = new ForwardingMarker(new EphemeralDataProtectionProvider()).Create("GET", "/api/v1/sessions/s");

        Assert.Equal(MarkerCheck.Invalid, new ForwardingMarker(KeyRing).Check(marker, "GET", "/api/v1/sessions/s"));
    }

    [Fact]
    public void Create_SameRequestWithinHalfTheLifetime_ReusesTheMarker_ThenMakesANewOne()
    {
        var keyRing = new CountingProvider(KeyRing);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var markers = new ForwardingMarker(keyRing, clock);

        var first = markers.Create("POST", "/api/v1/sessions/s/messages");
        clock.Advance(ForwardingMarker.ReuseFor - TimeSpan.FromSeconds(1));
        var second = markers.Create("POST", "/api/v1/sessions/s/messages");
        var other = markers.Create("POST", "/api/v1/sessions/t/messages");
        clock.Advance(TimeSpan.FromSeconds(1));
        var renewed = markers.Create("POST", "/api/v1/sessions/s/messages");

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.NotEqual(first, renewed);
        Assert.Equal(3, keyRing.Protects);
        Assert.Equal(MarkerCheck.Valid, new ForwardingMarker(KeyRing).Check(renewed, "POST", "/api/v1/sessions/s/messages"));
    }

    [Fact]
    public void Check_SameMarkerAgain_IsNotDecryptedAgain_AndStillBindsItsRequest()
    {
        var keyRing = new CountingProvider(KeyRing);
        var markers = new ForwardingMarker(keyRing);
        var marker = new ForwardingMarker(KeyRing).Create("GET", "/api/v1/sessions/s/roster");

        Assert.Equal(MarkerCheck.Valid, markers.Check(marker, "GET", "/api/v1/sessions/s/roster"));
        Assert.Equal(MarkerCheck.Valid, markers.Check(marker, "GET", "/api/v1/sessions/s/roster"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "GET", "/api/v1/sessions/other/roster"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(marker, "DELETE", "/api/v1/sessions/s/roster"));
        Assert.Equal(1, keyRing.Unprotects);
    }

    [Fact]
    public void Check_ForgedMarker_IsNeverRemembered()
    {
        var keyRing = new CountingProvider(KeyRing);
        var markers = new ForwardingMarker(keyRing);
        var valid = new ForwardingMarker(KeyRing).Create("GET", "/api/v1/sessions/s");
        Assert.Equal(MarkerCheck.Valid, markers.Check(valid, "GET", "/api/v1/sessions/s"));
        var tampered = valid[..^2] + (valid[^2] == 'A' ? "B" : "A") + valid[^1];

        Assert.Equal(MarkerCheck.Invalid, markers.Check(tampered, "GET", "/api/v1/sessions/s"));
        Assert.Equal(MarkerCheck.Invalid, markers.Check(tampered, "GET", "/api/v1/sessions/s"));
        Assert.Equal(3, keyRing.Unprotects);
    }

    /// <summary>Counts the encryptions and decryptions that reach the key ring.</summary>
    private sealed class CountingProvider(IDataProtectionProvider inner) : IDataProtectionProvider
    {
        private int _protects;
        private int _unprotects;

        public int Protects => Volatile.Read(ref _protects);

        public int Unprotects => Volatile.Read(ref _unprotects);

        public IDataProtector CreateProtector(string purpose) => new Counting(this, inner.CreateProtector(purpose));

        private sealed class Counting(CountingProvider owner, IDataProtector protector) : IDataProtector
        {
            public IDataProtector CreateProtector(string purpose) => new Counting(owner, protector.CreateProtector(purpose));

            public byte[] Protect(byte[] plaintext)
            {
                Interlocked.Increment(ref owner._protects);
                return protector.Protect(plaintext);
            }

            public byte[] Unprotect(byte[] protectedData)
            {
                Interlocked.Increment(ref owner._unprotects);
                return protector.Unprotect(protectedData);
            }
        }
    }
}
