using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Fakes;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Tests.Pool;

/// <summary>
/// A gap that stream resumption cannot cover: the server restarts while the session is cut off, and messages
/// arrive for it meanwhile. The session must publish each of them exactly once after reconnecting.
/// </summary>
[Trait("Tier", "Integration")]
public sealed class ArchiveCatchUpTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Spec", "XEP-0313, XEP-0359")]
    public async Task ServerRestartWhileSessionCutOff_MissedMessagesPublishedExactlyOnce()
    {
        await using var server = await ProsodyServer.StartAsync(cancellationToken: Token);
        var account = await server.CreateAccountAsync("gap", Token);
        var peerAccount = await server.CreateAccountAsync("peer", Token);
        await using var proxy = FaultProxy.Start(new IPEndPoint(IPAddress.Loopback, server.C2sPort));
        await using var pool = new SessionPool(
            new SessionPoolOptions
            {
                AllowHostOverride = true,
                TrustedCertificates = [X509CertificateLoader.LoadCertificate(server.Certificate.RawData)],
                ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            },
            NullLoggerFactory.Instance);
        var received = new List<MessageReceived>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var reader = Task.Run(async () =>
        {
            await foreach (var e in pool.ReadEventsAsync(cts.Token))
            {
                if (e is MessageReceived m && m.Message.Body is not null)
                {
                    lock (received)
                    {
                        received.Add(m);
                    }
                }
            }
        }, cts.Token);
        var info = await pool.CreateAsync("t", new SessionSpec { Id = "s", Jid = Jid.Parse(account.Bare), Password = account.Password, Host = "127.0.0.1", Port = proxy.Port }, Token);
        var session = pool.Find("t", "s")!;

        await using (var peer = await TestClients.ConnectOnlineAsync(server, peerAccount))
        {
            await peer.SendAsync(new Message { To = info.Jid, Type = MessageType.Chat, Body = "m0", Id = "m0" }, Token);
            await WaitUntilAsync(() => Count(received, "m0") == 1);

            proxy.RefuseNew = true;
            proxy.CutAll();
            await WaitUntilAsync(() => session.Info.State == SessionState.Reconnecting);
        }

        // The restart drops the stream the server kept for resumption: the session will have to bind anew.
        await server.RestartAsync(Token);
        await using (var peer = await TestClients.ConnectOnlineAsync(server, peerAccount))
        {
            for (var i = 1; i <= 5; i++)
            {
                await peer.SendAsync(new Message { To = info.Jid, Type = MessageType.Chat, Body = $"m{i}", Id = $"m{i}" }, Token);
            }

            await peer.PingAsync(cancellationToken: Token);
            proxy.RefuseNew = false;
            await WaitUntilAsync(() => Enumerable.Range(0, 6).All(i => Count(received, $"m{i}") >= 1));

            // Settle: one more message after the catch-up proves the pipeline is drained before counting.
            await WaitUntilAsync(() => session.Info.State == SessionState.Online);
            await peer.SendAsync(new Message { To = session.Jid, Type = MessageType.Chat, Body = "last", Id = "last" }, Token);
            await WaitUntilAsync(() => Count(received, "last") == 1);
        }

        lock (received)
        {
            Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(1, received.Count(m => m.Message.Id == $"m{i}")));
        }

        await cts.CancelAsync();
    }

    private static int Count(List<MessageReceived> received, string id)
    {
        lock (received)
        {
            return received.Count(m => m.Message.Id == id);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Token);
        cts.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(20, cts.Token);
        }
    }
}
