using System.Net;
using System.Net.Sockets;

namespace Gateway.Xmpp.Transport;

/// <summary>Opens the TCP connection to an address already checked against the address policy; a seam for tests.</summary>
internal interface ISocketConnector
{
    Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);
}

/// <summary>A plain TCP connection with Nagle off and keepalive on.</summary>
internal sealed class TcpSocketConnector : ISocketConnector
{
    public static TcpSocketConnector Instance { get; } = new();

    public async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
