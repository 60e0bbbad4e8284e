using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Integration.Client;

/// <summary>Connects library clients to a test Prosody, trusting its generated certificate explicitly.</summary>
internal static class TestClients
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static XmppClientOptions Options(ProsodyServer server, TestAccount account, string? resource = null) => new()
    {
        Jid = Jid.Parse(account.Bare),
        Password = account.Password,
        Resource = resource,
        Host = server.Host,
        Port = server.C2sPort,
        TrustedCertificates = [X509CertificateLoader.LoadCertificate(server.Certificate.RawData)],
        ConnectTimeout = Patience,
        IqTimeout = Patience,
    };

    public static Task<XmppClient> ConnectAsync(ProsodyServer server, TestAccount account, string? resource = null) =>
        XmppClient.ConnectAsync(Options(server, account, resource), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>
    /// Connects as a full IM client would (RFC 6121 §1.3): fetches the roster, which makes this resource
    /// "interested" in roster pushes (§2.1.6), sends initial presence, and waits one IQ round trip so the
    /// server has processed the presence before anyone sends to this client (shared/prosody-notes.md).
    /// </summary>
    public static async Task<XmppClient> ConnectOnlineAsync(ProsodyServer server, TestAccount account, string? resource = null)
    {
        var client = await ConnectAsync(server, account, resource);
        await client.GetRosterAsync(TestContext.Current.CancellationToken);
        await client.SendInitialPresenceAsync(cancellationToken: TestContext.Current.CancellationToken);
        await client.PingAsync(cancellationToken: TestContext.Current.CancellationToken);
        return client;
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<XmppClient, List<Stanza>> Backlogs = new();

    /// <summary>
    /// Returns the first incoming stanza that matches, in arrival order; stanzas that do not match are
    /// kept for later calls, so tests may wait for events in any order. Fails after <see cref="Patience"/>.
    /// </summary>
    public static async Task<T> ReceiveAsync<T>(this XmppClient client, Func<T, bool>? match = null, TimeSpan? patience = null)
        where T : Stanza
    {
        var backlog = Backlogs.GetOrCreateValue(client);
        bool Matches(Stanza stanza) => stanza is T typed && (match is null || match(typed));
        lock (backlog)
        {
            var index = backlog.FindIndex(Matches);
            if (index >= 0)
            {
                var found = backlog[index];
                backlog.RemoveAt(index);
                return (T)found;
            }
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(patience ?? Patience);
        try
        {
            await foreach (var stanza in client.Incoming.ReadAllAsync(cts.Token))
            {
                if (Matches(stanza))
                {
                    return (T)stanza;
                }

                lock (backlog)
                {
                    backlog.Add(stanza);
                }
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"No matching {typeof(T).Name} arrived at {client.Jid} within {(patience ?? Patience).TotalSeconds} s.");
    }
}
