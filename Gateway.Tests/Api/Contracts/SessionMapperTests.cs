using Gateway.Api.Contracts;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;

namespace Gateway.Tests.Api.Contracts;

[Trait("Tier", "Unit")]
public sealed class SessionMapperTests
{
    private static readonly SessionSpec Spec = new() { Jid = Jid.Parse("bot@example.com"), Password = "secret" };

    [Fact]
    public void ToDto_EveryFieldAndTheTlsModesWireName_NeverThePassword()
    {
        var settings = SessionSettings.From(Spec with { Resource = "r1", TlsMode = TlsMode.Disabled, PinnedCertificateSha256 = ["AB:CD"] }, new SessionPoolOptions { Carbons = false });

        var dto = SessionMapper.ToDto(settings);

        Assert.Equal(("r1", null, (int?)null, "disabled", true, false, true), (dto.Resource, dto.Host, dto.Port, dto.TlsMode, dto.SendInitialPresence, dto.Carbons, dto.RequestReceipts));
        Assert.Equal(["AB:CD"], dto.PinnedCertificateSha256);
        Assert.DoesNotContain("secret", System.Text.Json.JsonSerializer.Serialize(dto), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TlsMode.StartTlsRequired)]
    [InlineData(TlsMode.DirectTls)]
    [InlineData(TlsMode.Disabled)]
    public void TlsModeName_IsWhatTheRequestParserReads(TlsMode mode)
    {
        Assert.True(InputRules.TryParseTlsMode(InputRules.TlsModeName(mode), out var parsed));
        Assert.Equal(mode, parsed);
    }
}
