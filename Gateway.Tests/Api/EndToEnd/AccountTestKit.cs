using Gateway.Api.Contracts;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.Api.EndToEnd;

/// <summary>
/// A private Prosody serving HTTP, so its upload component (mod_http_file_share, limit <see cref="UploadLimit"/>) works;
/// shared by the account feature tests, which create their own accounts.
/// </summary>
public sealed class AccountProsodyFixture : IAsyncLifetime
{
    public const long UploadLimit = 256 * 1024;

    private ProsodyServer? _server;

    public ProsodyServer Server => _server ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() =>
        _server = await ProsodyServer.StartAsync(new ProsodyServerOptions { EnableHttp = true, HttpFileShareSizeLimit = UploadLimit }, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>Helpers of the account feature tests: sessions, subscriptions, waiting for journaled events.</summary>
internal static class AccountTestKit
{
    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public static CreateSessionRequest SessionFor(ProsodyServer server, TestAccount account, string id) => new()
    {
        Id = id,
        Jid = account.Bare,
        Password = account.Password,
        Resource = "gateway",
        Host = server.Host,
        Port = server.C2sPort,
    };

    public static async Task CreateSessionAsync(this HttpClient client, ProsodyServer server, TestAccount account, string id) =>
        await (await client.PostJsonAsync("/api/v1/sessions", SessionFor(server, account, id))).ReadAsync<SessionDto>(201);

    /// <summary>
    /// Mutual presence subscription (RFC 6121 §3.1) between the gateway session <paramref name="sessionId"/> and the
    /// library client <paramref name="contact"/>, each step waiting for the one before; returns once the session's roster
    /// says 'both'.
    /// </summary>
    public static async Task MakeContactsAsync(GatewayApiFactory app, HttpClient client, string sessionId, XmppClient contact)
    {
        var account = app.Services.GetRequiredService<ISessionPool>().Find(GatewayApiFactory.AlphaTenant, sessionId)!.Info.Jid;
        await contact.SubscribeAsync(account, Token);
        await WaitForEventAsync<PresenceReceived>(app, sessionId, e => e.Presence.Type == PresenceType.Subscribe && e.Presence.From?.Bare == contact.Jid.Bare);
        await (await client.PostJsonAsync($"/api/v1/sessions/{sessionId}/presence", new PostPresenceRequest { Type = "subscribed", To = contact.Jid.Bare.ToString() })).ReadAsync<StanzaAcceptedDto>(202);
        await (await client.PostJsonAsync($"/api/v1/sessions/{sessionId}/presence", new PostPresenceRequest { Type = "subscribe", To = contact.Jid.Bare.ToString() })).ReadAsync<StanzaAcceptedDto>(202);
        await contact.ReceiveAsync<Presence>(p => p.Type == PresenceType.Subscribe && p.From?.Bare == account);
        await contact.ApproveSubscriptionAsync(account, Token);
        await EventuallyAsync(async () =>
        {
            var roster = await (await client.GetAsync($"/api/v1/sessions/{sessionId}/roster", Token)).ReadAsync<RosterDto>(200);
            return roster.Items.Any(i => i.Jid == contact.Jid.Bare.ToString() && i.Subscription == "both");
        }, "the roster to show a mutual subscription");
    }

    /// <summary>The first journaled event of the session that matches, waiting for it (15 s at most).</summary>
    public static async Task<T> WaitForEventAsync<T>(GatewayApiFactory app, string sessionId, Func<T, bool> match)
        where T : SessionEvent
    {
        T? found = null;
        await EventuallyAsync(async () =>
        {
            found = (await EventsAsync(app, sessionId)).OfType<T>().FirstOrDefault(match);
            return found is not null;
        }, $"a {typeof(T).Name} on session {sessionId}");
        return found!;
    }

    public static async Task<IReadOnlyList<SessionEvent>> EventsAsync(GatewayApiFactory app, string sessionId)
    {
        var page = await app.Services.GetRequiredService<ISessionPool>().ReadHistoryAsync(GatewayApiFactory.AlphaTenant, sessionId, 0, 10_000, 64 * 1024 * 1024, Token);
        return page.Events;
    }

    /// <summary>Polls <paramref name="condition"/> until true; fails after 15 s. For states that arrive, never to prove absence.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Token);
        patience.CancelAfter(TestClients.Patience);
        while (!await condition())
        {
            try
            {
                await Task.Delay(50, patience.Token);
            }
            catch (OperationCanceledException) when (!Token.IsCancellationRequested)
            {
                Assert.Fail($"Waited {TestClients.Patience.TotalSeconds} s for {what}.");
            }
        }
    }
}
