using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Pool;

[Trait("Tier", "Unit")]
public sealed class SessionSettingsTests
{
    private static readonly SessionSpec Spec = new() { Jid = Jid.Parse("bot@example.com"), Password = "secret" };

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void From_SpecLeavesChoicesOpen_TakesThePoolsDefaults(bool carbons, bool requestReceipts)
    {
        var settings = SessionSettings.From(Spec, new SessionPoolOptions { Carbons = carbons, RequestReceipts = requestReceipts });

        Assert.Equal((carbons, requestReceipts), (settings.Carbons, settings.RequestReceipts));
        Assert.Equal((null, null, (int?)null, TlsMode.StartTlsRequired, true), (settings.Resource, settings.Host, settings.Port, settings.TlsMode, settings.SendInitialPresence));
        Assert.Empty(settings.PinnedCertificateSha256);
    }

    [Fact]
    public void From_SpecChooses_ItsChoicesWinOverThePoolsDefaults()
    {
        var spec = Spec with
        {
            Resource = "r1", Host = "xmpp.example.com", Port = 5223, TlsMode = TlsMode.DirectTls, PinnedCertificateSha256 = ["AB:CD"],
            SendInitialPresence = false, Carbons = false, RequestReceipts = true,
        };

        var settings = SessionSettings.From(spec, new SessionPoolOptions { Carbons = true, RequestReceipts = false });

        Assert.Equal(("r1", "xmpp.example.com", (int?)5223, TlsMode.DirectTls, false), (settings.Resource, settings.Host, settings.Port, settings.TlsMode, settings.SendInitialPresence));
        Assert.Equal(["AB:CD"], settings.PinnedCertificateSha256);
        Assert.Equal((false, true), (settings.Carbons, settings.RequestReceipts));
    }

    [Fact]
    public void From_SpecWithDefaultPinArray_SettingsHoldAnEmptyOne()
    {
        var settings = SessionSettings.From(Spec with { PinnedCertificateSha256 = default }, new SessionPoolOptions());

        Assert.False(settings.PinnedCertificateSha256.IsDefault);
        Assert.Empty(settings.PinnedCertificateSha256);
    }
}
