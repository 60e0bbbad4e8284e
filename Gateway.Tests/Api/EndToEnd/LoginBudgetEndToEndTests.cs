using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Prosody;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>The failed-login budget against a real server: the gateway is no password-guessing oracle.</summary>
[Trait("Tier", "Integration")]
public sealed class LoginBudgetEndToEndTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateSession_WrongPasswordsPastTheBudget_RefusedEvenWithTheRightPasswordWithoutLoggingIn()
    {
        var alice = await prosody.CreateAccountAsync("alice", Token);
        await using var app = new GatewayApiFactory(prosody.Server);
        app.Settings["Gateway:LoginBudget:FailuresPerAccount"] = "2";
        using var client = app.CreateAlphaClient();
        CreateSessionRequest Attempt(string password) => new()
        {
            Jid = alice.Bare, Password = password, Host = prosody.Server.Host, Port = prosody.Server.C2sPort,
        };

        for (var i = 0; i < 2; i++)
        {
            var wrong = await (await client.PostJsonAsync("/api/v1/sessions", Attempt($"guess-{i}"))).ProblemAsync(422, "xmpp-auth-failed");
            Assert.Equal("not-authorized", wrong.GetProperty("xmppCondition").GetString());
        }

        // The right password now: had the gateway logged in, the server would have accepted it (201).
        var refused = await client.PostJsonAsync("/api/v1/sessions", Attempt(alice.Password));

        await refused.ProblemAsync(429, "login-budget-exhausted");
        Assert.NotNull(refused.Headers.RetryAfter);
        // The account's budget is the account's, whichever tenant asks.
        using var beta = app.CreateBetaClient();
        await (await beta.PostJsonAsync("/api/v1/sessions", Attempt(alice.Password))).ProblemAsync(429, "login-budget-exhausted");
    }
}
