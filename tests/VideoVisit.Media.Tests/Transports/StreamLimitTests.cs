using System.Net;
using System.Net.Sockets;
using VideoVisit.Media.Tests.Support;
using VideoVisit.Media.Turn;

namespace VideoVisit.Media.Tests.Transports;

/// <summary>Per-source connection limits, idle timeouts and slow TLS handshakes on the stream listeners.</summary>
public sealed class StreamLimitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static async Task<Socket> ConnectFromAsync(IPAddress source, IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(server).WaitAsync(Wait);
        return socket;
    }

    /// <summary>True when the server closed the connection within the wait (a read returns 0 or fails).</summary>
    private static async Task<bool> ClosedByServerAsync(Socket socket, TimeSpan wait)
    {
        var buffer = new byte[64];
        try
        {
            using var timeout = new CancellationTokenSource(wait);
            return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task OneSourceAddressCannotHoldMoreThanItsShareOfConnections()
    {
        using var relay = RelayUnderTest.Start(o => o.MaxTcpConnectionsPerSource = 3);
        var mine = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                mine.Add(await ConnectFromAsync(IPAddress.Loopback, relay.TcpEndPoint));
            }

            using var fourth = await ConnectFromAsync(IPAddress.Loopback, relay.TcpEndPoint);
            Assert.True(await ClosedByServerAsync(fourth, Wait), "the fourth connection from one address was kept");
            Assert.Equal(1, relay.Counters.Dropped(TurnDropReason.ConnectionLimit));

            // Another source address still gets in, and is served.
            using var other = await TestClient.TcpAsync(relay.TcpEndPoint, IPAddress.Parse("127.0.0.2"));
            var (u, p) = relay.Rest();
            var (_, allocated) = await other.AllocateAsync(u, p);
            Assert.True(allocated.IsSuccess, "error " + allocated.ErrorCode);

            // A slot freed is a slot to take again.
            mine[0].Dispose();
            mine.RemoveAt(0);
            var deadline = DateTime.UtcNow + Wait;
            while (relay.Server.Streams.Gate.Count > 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            using var again = await TestClient.TcpAsync(relay.TcpEndPoint);
            var (_, second) = await again.AllocateAsync(u, p);
            Assert.True(second.IsSuccess, "error " + second.ErrorCode);
        }
        finally
        {
            mine.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task ASilentConnectionWithoutAnAllocationIsClosedAfterTheIdleTimeout()
    {
        using var relay = RelayUnderTest.Start(o => o.TcpIdleTimeoutSeconds = 30);
        using var silent = await TestClient.TcpAsync(relay.TcpEndPoint);
        using var allocated = await TestClient.TcpAsync(relay.TcpEndPoint);
        var (u, p) = relay.Rest();
        Assert.True((await allocated.AllocateAsync(u, p)).Response.IsSuccess);
        await WaitForAsync(() => relay.Server.Streams.Open == 2);

        relay.Time.Advance(TimeSpan.FromSeconds(29));
        relay.Server.Streams.SweepIdle();
        Assert.False(await silent.WaitClosedAsync(TimeSpan.FromMilliseconds(300)), "closed before the idle timeout");

        relay.Time.Advance(TimeSpan.FromSeconds(2));
        relay.Server.Streams.SweepIdle();
        Assert.True(await silent.WaitClosedAsync(Wait), "a silent connection was kept past the idle timeout");
        Assert.False(allocated.Closed, "a connection holding an allocation was closed for silence");
        Assert.Equal(1, relay.Counters.Dropped(TurnDropReason.ConnectionIdle));
        await WaitForAsync(() => relay.Server.Streams.Gate.Count == 1);
        Assert.Equal(1, relay.Server.Streams.Gate.Count);
    }

    [Fact]
    public async Task ATlsHandshakeThatDoesNotFinishInTimeIsClosed()
    {
        using var certificate = TestCertificate.Create();
        using var relay = RelayUnderTest.Start(o => o.TlsHandshakeTimeoutSeconds = 1, systemTime: true, tls: certificate);
        using var slow = await ConnectFromAsync(IPAddress.Loopback, relay.TlsEndPoint);
        slow.Send([0x16, 0x03, 0x01]); // the start of a ClientHello, and then nothing
        var started = DateTime.UtcNow;
        Assert.True(await ClosedByServerAsync(slow, Wait), "a stalled handshake was kept open");
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(4));
        Assert.Equal(1, relay.Counters.Dropped(TurnDropReason.TlsHandshakeFailed));
        await WaitForAsync(() => relay.Server.Streams.Gate.Count == 0);
        Assert.Equal(0, relay.Server.Streams.Gate.Count);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }
}
