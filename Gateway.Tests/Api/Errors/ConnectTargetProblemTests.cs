using Gateway.Api.Contracts;

namespace Gateway.Tests.Api.Errors;

/// <summary>
/// With <c>Gateway:Pool:AllowHostOverride</c> off, the real pool refuses JIDs that lead to loopback or private
/// addresses, and the problem names only the domain: no host, port, address or socket error for a caller to map.
/// </summary>
[Trait("Security", "SSRF")]
public sealed class ConnectTargetProblemTests
{
    [Theory]
    [InlineData("bot@127.0.0.1")]
    [InlineData("bot@10.20.30.40")]
    [InlineData("bot@[::1]")]
    public async Task CreateSession_PrivateDomainWithoutHostOverride_Returns502WithGenericDetail(string jid)
    {
        await using var app = new GatewayApiFactory();
        app.Settings["Gateway:Pool:AllowHostOverride"] = "false";
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = jid, Password = "pw" });

        var problem = await response.ProblemAsync(502, "xmpp-connection-failed");
        var detail = problem.GetProperty("detail").GetString();
        Assert.StartsWith("Could not connect to the XMPP server for ", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("5222", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Refused", detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(app.Logs.Entries, e => e.EventId.Id == 1010);
        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task CreateSession_PinsWithoutHostOverride_Returns400()
    {
        await using var app = new GatewayApiFactory();
        app.Settings["Gateway:Pool:AllowHostOverride"] = "false";
        using var client = app.CreateAlphaClient();

        var response = await client.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest
        {
            Jid = "bot@127.0.0.1", Password = "pw", PinnedCertificateSha256 = [string.Concat(Enumerable.Repeat("AB", 32))],
        });

        var problem = await response.ProblemAsync(400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("pinnedCertificateSha256", out _));
    }
}
