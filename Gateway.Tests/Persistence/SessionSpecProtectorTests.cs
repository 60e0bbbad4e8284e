using System.Text;
using Gateway.Api.Persistence;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Tests.Persistence;

[Trait("Tier", "Unit")]
public sealed class SessionSpecProtectorTests
{
    private static readonly EphemeralDataProtectionProvider Keys = new();

    [Theory]
    [InlineData(null, null)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void ProtectThenUnprotect_KeepsTheCarbonsAndReceiptsChoices(bool? carbons, bool? requestReceipts)
    {
        var protector = new SessionSpecProtector(Keys);
        var spec = new SessionSpec { Id = "s", Jid = Jid.Parse("alice@example.com"), Password = "pw", Carbons = carbons, RequestReceipts = requestReceipts };

        var restored = protector.Unprotect("t", "s", protector.Protect("t", "s", spec));

        Assert.Equal((carbons, requestReceipts), (restored.Carbons, restored.RequestReceipts));
    }

    [Fact]
    public void Unprotect_SpecStoredBeforeCarbons_FollowsThePoolDefault()
    {
        const string Stored = """{"tenant":"t","sessionId":"s","id":"s","jid":"alice@example.com","password":"pw","resource":null,"host":null,"port":null,"tlsMode":"starttls","pinnedCertificateSha256":[],"sendInitialPresence":true}""";
        var blob = Convert.ToBase64String(Keys.CreateProtector(SessionSpecProtector.Purpose).Protect(Encoding.UTF8.GetBytes(Stored)));

        var spec = new SessionSpecProtector(Keys).Unprotect("t", "s", blob);

        Assert.Null(spec.Carbons);
        Assert.Null(spec.RequestReceipts);
        Assert.Equal("alice@example.com", spec.Jid.ToString());
    }
}
