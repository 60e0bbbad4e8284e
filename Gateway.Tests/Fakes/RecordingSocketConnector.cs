using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Gateway.Xmpp.Transport;

namespace Gateway.Tests.Fakes;

/// <summary>
/// Records every connection attempt the client makes. Connects for real only to loopback; any other address is
/// refused here, without a packet sent, so a test can never reach a private or public address even when the code
/// under test is wrong.
/// </summary>
internal sealed class RecordingSocketConnector : ISocketConnector
{
    private readonly ConcurrentQueue<IPEndPoint> _attempts = new();

    public IReadOnlyList<IPEndPoint> Attempts => [.. _attempts];

    public Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        _attempts.Enqueue(endPoint);
        return IPAddress.IsLoopback(endPoint.Address)
            ? TcpSocketConnector.Instance.ConnectAsync(endPoint, cancellationToken)
            : Task.FromException<Socket>(new SocketException((int)SocketError.HostUnreachable));
    }
}

/// <summary>Answers every host name with fixed addresses (a DNS stub); records the names asked.</summary>
internal sealed class StubAddressResolver(params IPAddress[] addresses) : IHostAddressResolver
{
    private readonly ConcurrentQueue<string> _asked = new();

    public IReadOnlyList<string> Asked => [.. _asked];

    public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        _asked.Enqueue(host);
        return Task.FromResult<IReadOnlyList<IPAddress>>(addresses);
    }
}

/// <summary>Answers fixed endpoints, as DNS SRV records would; records whether it was asked.</summary>
internal sealed class StubEndpointResolver(params XmppEndpoint[] endpoints) : IXmppEndpointResolver
{
    public int Calls { get; private set; }

    public Task<IReadOnlyList<XmppEndpoint>> ResolveAsync(string domain, CancellationToken cancellationToken)
    {
        Calls++;
        return Task.FromResult<IReadOnlyList<XmppEndpoint>>(endpoints);
    }
}
