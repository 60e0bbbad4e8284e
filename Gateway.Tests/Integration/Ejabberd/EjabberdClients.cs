using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Integration.Ejabberd;

/// <summary>Library clients and pools pointed at a test ejabberd, trusting its generated certificate explicitly.</summary>
internal static class EjabberdClients
{
    public static XmppClientOptions Options(EjabberdServer server, TestAccount account, string? resource = null) => new()
    {
        Jid = Jid.Parse(account.Bare),
        Password = account.Password,
        Resource = resource,
        Host = server.Host,
        Port = server.C2sPort,
        TrustedCertificates = [X509CertificateLoader.LoadCertificate(server.Certificate.RawData)],
        ConnectTimeout = TestClients.Patience,
        IqTimeout = TestClients.Patience,
    };

    public static Task<XmppClient> ConnectAsync(EjabberdServer server, TestAccount account, string? resource = null) =>
        XmppClient.ConnectAsync(Options(server, account, resource), cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>A pool that trusts the server's certificate (and nothing else) and reconnects quickly.</summary>
    public static SessionPool Pool(EjabberdServer server, ILoggerFactory loggerFactory) => new(
        new SessionPoolOptions
        {
            AllowHostOverride = true,
            TrustedCertificates = [X509CertificateLoader.LoadCertificate(server.Certificate.RawData)],
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
            IqAnswerTimeout = TimeSpan.FromSeconds(5),
        },
        loggerFactory);

    /// <summary>A session spec for <paramref name="account"/>, connecting to <paramref name="port"/> (the server's c2s port, or a proxy's).</summary>
    public static SessionSpec Spec(EjabberdServer server, TestAccount account, string id, int? port = null) => new()
    {
        Id = id, Jid = Jid.Parse(account.Bare), Password = account.Password, Host = server.Host, Port = port ?? server.C2sPort,
    };
}
