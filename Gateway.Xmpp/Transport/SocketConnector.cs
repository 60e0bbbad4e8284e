using System.Net;
using System.Net.Sockets;

namespace Gateway.Xmpp.Transport;

/// <summary>Opens the TCP connection to an address already checked against the address policy; a seam for tests.</summary>
internal interface ISocketConnector
{
    Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);
}

/// <summary>A plain TCP connection with Nagle off and the kernel's keepalive probing an idle connection every minute.</summary>
/// <remarks>
/// The kernel's probes (RFC 1122 §4.2.3.6) cost no wake-up of ours, so they, not XMPP pings, keep NAT and load
/// balancer mappings alive and find a peer that vanished: after <see cref="ProbeIdleTime"/> without traffic, then
/// <see cref="ProbeCount"/> unanswered probes <see cref="ProbeInterval"/> apart, the read fails and the session
/// reconnects (about 90 s). Linux's defaults (2 hours idle) would find nothing in useful time. The XEP-0199 keepalive
/// (<c>KeepAliveInterval</c>) then only has to find a server process that stopped answering, which is rarer and may
/// take longer.
/// </remarks>
internal sealed class TcpSocketConnector : ISocketConnector
{
    /// <summary>Idle time before the first probe: below the common NAT and cloud load balancer idle timeouts (4 minutes and up).</summary>
    internal static readonly TimeSpan ProbeIdleTime = TimeSpan.FromSeconds(60);

    /// <summary>Time between unanswered probes.</summary>
    internal static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(10);

    /// <summary>Unanswered probes after which the connection counts as dead.</summary>
    internal const int ProbeCount = 3;

    public static TcpSocketConnector Instance { get; } = new();

    public async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)ProbeIdleTime.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, (int)ProbeInterval.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, ProbeCount);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
