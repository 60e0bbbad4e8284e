using System.Net;
using System.Net.Sockets;
using Gateway.Xmpp.Transport;

namespace Gateway.Tests.Transport;

/// <summary>The sockets the gateway opens probe an idle connection themselves (kernel keepalive), on loopback only.</summary>
public sealed class TcpSocketConnectorTests
{
    [Fact]
    public async Task ConnectAsync_SetsKernelKeepAlive_OneMinuteIdleThreeProbesTenSecondsApart()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        var accepted = listener.AcceptSocketAsync(TestContext.Current.CancellationToken);

        using var socket = await TcpSocketConnector.Instance.ConnectAsync(endPoint, TestContext.Current.CancellationToken);
        using var server = await accepted;

        Assert.True(socket.NoDelay);
        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(60, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(10, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(3, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }
}
