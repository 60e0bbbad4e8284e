using Gateway.Api.Contracts;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Api.Diagnostics;

/// <summary>
/// No API key, XMPP password or access_token appears in any log line, at any level. ASP.NET's hosting diagnostics
/// log request URLs at Information; the gateway caps that category in code and writes its own redacted line.
/// </summary>
[Trait("Tier", "Api")]
public sealed class SecretLoggingTests
{
    private const string TokenSecret = "SECRET-access-token-5c1e";
    private const string WrongKeySecret = "SECRET-wrong-key-90ab";
    private const string PasswordSecret = "SECRET-xmpp-password-77f0";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<string> HostileLogSettings => new()
    {
        "",

        // Configuration cannot turn the URL-logging category back on.
        "Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics",
        "Logging:LogLevel:Default",
        "Logging:Console:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics",
    };

    [Theory]
    [MemberData(nameof(HostileLogSettings))]
    public async Task Requests_CarryingSecrets_LeaveNoSecretInAnyLogLine(string traceSetting)
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        await using var app = new GatewayApiFactory { Pool = pool };
        if (traceSetting.Length > 0)
        {
            app.Settings[traceSetting] = "Trace";
        }

        await SendSecretsAsync(app, pool);

        AssertNoSecretLogged(app, pool);
    }

    [Fact]
    public async Task Requests_OverRealSocket_LeaveNoSecretInAnyLogLine()
    {
        var pool = new FakeSessionPool();
        pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        await using var app = new GatewayApiFactory { Pool = pool }.UseRealSocket();

        await SendSecretsAsync(app, pool);

        AssertNoSecretLogged(app, pool);
    }

    private static async Task SendSecretsAsync(GatewayApiFactory app, FakeSessionPool pool)
    {
        using var anonymous = app.CreateClient(apiKey: null);
        using var alpha = app.CreateAlphaClient();
        using var wrong = app.CreateClient(WrongKeySecret);

        // The hub path takes the key as access_token (a SignalR client's negotiate and connect requests).
        await anonymous.PostAsync($"/hubs/xmpp/negotiate?negotiateVersion=1&access_token={GatewayApiFactory.AlphaKey}", null, Token);
        await anonymous.GetAsync($"/hubs/xmpp?id=abc&access_token={TokenSecret}", Token);
        await anonymous.GetAsync($"/hubs/xmpp?access_token={GatewayApiFactory.AlphaKey}", Token);

        // Elsewhere access_token is not a credential, but still must not be logged; X-Api-Key never is.
        await alpha.GetAsync($"/api/v1/sessions?access_token={TokenSecret}", Token);
        await wrong.GetAsync("/api/v1/sessions", Token);
        await anonymous.GetAsync($"/api/v1/sessions/s1?{TokenSecret}=1", Token);

        // Passwords: accepted, refused by validation, refused by the server.
        await alpha.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Id = "ok", Jid = "bot@example.com", Password = PasswordSecret });
        await alpha.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Jid = "not a jid", Password = PasswordSecret });
        await alpha.PostRawAsync("/api/v1/sessions", "{\"jid\":\"bot@example.com\",\"password\":\"" + PasswordSecret + "\",\"unknown\":1}");
        pool.OnCreate = (_, _, _) => throw new SaslFailedException(SaslConditions.NotAuthorized);
        await alpha.PostJsonAsync("/api/v1/sessions", new CreateSessionRequest { Id = "no", Jid = "bot@example.com", Password = PasswordSecret });
    }

    private static void AssertNoSecretLogged(GatewayApiFactory app, FakeSessionPool pool)
    {
        var entries = app.Logs.Entries;
        Assert.NotEmpty(entries);
        string[] secrets = [TokenSecret, WrongKeySecret, PasswordSecret, GatewayApiFactory.AlphaKey];
        foreach (var secret in secrets)
        {
            var leaks = entries.Where(e => e.AllText.Contains(secret, StringComparison.Ordinal)).ToList();
            Assert.True(leaks.Count == 0, $"'{secret}' was logged:\n" + string.Join("\n", leaks));
        }

        // The hosting diagnostics that print URLs stay silent below Warning; the gateway's own line replaces them.
        Assert.DoesNotContain(entries, e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Level < LogLevel.Warning);
        Assert.Contains(entries, e => e.EventId.Id == 5001 && e.Message.Contains("access_token=[redacted]", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.EventId.Id == 5001 && e.Message.Contains("/api/v1/sessions", StringComparison.Ordinal));
        Assert.NotEmpty(pool.Created);
        app.Logs.AssertNoErrors();
    }
}
