using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

/// <summary>A session that could not resume its stream still learns what changed in its roster meanwhile.</summary>
[Trait("Tier", "Integration")]
public sealed class RosterVersioningTests(ProsodyFixture prosody)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "RFC 6121 §2.6")]
    public async Task RosterChangedWhileDisconnectedWithoutResumption_ChangesPublishedOnReconnect()
    {
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, prosody.Server.C2sPort));
        await using var pool = new SessionPool(
            new SessionPoolOptions
            {
                AllowHostOverride = true,
                TrustedCertificates = [X509CertificateLoader.LoadCertificate(prosody.Server.Certificate.RawData)],
                ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            },
            NullLoggerFactory.Instance);
        var account = await prosody.CreateAccountAsync("rosterver", Token);
        var (carol, dave) = (Jid.Parse($"carol-{Guid.NewGuid():N}@{prosody.Server.Domain}"), Jid.Parse($"dave-{Guid.NewGuid():N}@{prosody.Server.Domain}"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var pushed = new List<RosterPushed>();
        var reader = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(cts.Token))
            {
                if (e is RosterPushed push)
                {
                    lock (pushed)
                    {
                        pushed.Add(push);
                    }
                }
            }
        }, cts.Token);
        var info = await pool.CreateAsync("t", new SessionSpec
        {
            Id = "s", Jid = Jid.Parse(account.Bare), Password = account.Password, Host = prosody.Server.Host, Port = proxy.Port,
        }, Token);
        var session = pool.Find("t", "s")!;

        // Dave is added while the session is online: pushed as usual.
        await using (var other = await TestClients.ConnectAsync(prosody.Server, account, "other"))
        {
            await other.GetRosterAsync(Token);
            await other.SetRosterItemAsync(new RosterItem(dave) { Name = "Dave" }, Token);
        }

        await WaitUntilAsync(() => Has(pushed, dave, RosterSubscription.None));

        // Cut off, and unable to come back.
        proxy.RefuseNew = true;
        proxy.CutAll();
        await WaitUntilAsync(() => session.Info.State != SessionState.Online);

        // A login with the session's resource replaces the stream the server kept for resumption (Prosody resolves the
        // conflict by closing the old session), so the session must bind a new stream; then the roster changes.
        await using (var replacing = await TestClients.ConnectAsync(prosody.Server, account, info.BoundJid!.Resource))
        {
            await replacing.GetRosterAsync(Token);
            await replacing.SetRosterItemAsync(new RosterItem(carol) { Name = "Carol", Groups = ["Friends"] }, Token);
            await replacing.RemoveRosterItemAsync(dave, Token);
            await replacing.ReceiveAsync<Iq>(iq => iq.AsRosterPush().Any(i => i.Jid == dave && i.Subscription == RosterSubscription.Remove));
        }

        proxy.RefuseNew = false;
        await WaitUntilAsync(() => Has(pushed, carol, RosterSubscription.None) && Has(pushed, dave, RosterSubscription.Remove));

        lock (pushed)
        {
            var carolPush = Assert.Single(pushed, p => p.Item.Jid == carol);
            Assert.Equal("Carol", carolPush.Item.Name);
            Assert.Equal(["Friends"], carolPush.Item.Groups);
        }

        await cts.CancelAsync();
        await reader.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static bool Has(List<RosterPushed> pushed, Jid jid, RosterSubscription subscription)
    {
        lock (pushed)
        {
            return pushed.Any(p => p.Item.Jid == jid && p.Item.Subscription == subscription);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TestClients.Patience);
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
