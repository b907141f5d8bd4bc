using System.Text.RegularExpressions;
using VideoVisit.Media.Tests.Support;

namespace VideoVisit.Media.Tests.Interop;

/// <summary>
/// Debian coturn's turnutils_uclient (a TURN client nobody here wrote) against our relay, with REST
/// credentials (-W), echoing through turnutils_peer on loopback. uclient allocates RTP/RTCP pairs
/// (EVEN-PORT with a reservation) and picks RFC 5766 channel numbers, so the relay allows those.
/// </summary>
public sealed partial class TurnutilsUclientTests
{
    private const int Clients = 4; // uclient runs clients in pairs: keep it even
    private const int Messages = 10;

    [Theory]
    [InlineData("udp-channels")]
    [InlineData("udp-send-indications", "-s")]
    [InlineData("tcp-channels", "-t")]
    [InlineData("tcp-send-indications", "-t", "-s")]
    [InlineData("tls-channels", "-t", "-S")]
    [InlineData("tls-send-indications", "-t", "-S", "-s")]
    public async Task EveryMessageReturnsThroughTheRelay(string mode, params string[] flags)
    {
        Assert.True(File.Exists("/usr/bin/turnutils_uclient"), "coturn is not installed (test.sh installs it)");
        // Only the peer policy is opened (turnutils_peer is on loopback): the channel numbers uclient
        // picks (RFC 5766's 0x4000–0x7FFF) are accepted by default.
        using var certificate = TestCertificate.Create();
        using var relay = RelayUnderTest.Start(o => o.AllowedPeers.Add("127.0.0.0/8"), systemTime: true, tls: certificate);
        var peerPort = ExternalProcess.FreeUdpPort();
        await using var peer = ExternalProcess.Start("/usr/bin/turnutils_peer", "-L", "127.0.0.1", "-p", peerPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Task.Delay(200);

        var port = (flags.Contains("-S") ? relay.TlsEndPoint : flags.Contains("-t") ? relay.TcpEndPoint : relay.UdpEndPoint).Port;
        string[] arguments =
        [
            .. flags, "-W", RelayUnderTest.Secret, "-u", "uclient", "-e", "127.0.0.1", "-r", peerPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", Clients.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-n", Messages.ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", "120", "-z", "5", "127.0.0.1",
        ];
        await using var client = ExternalProcess.Start("/usr/bin/turnutils_uclient", arguments);
        await client.WaitForExitAsync(TimeSpan.FromSeconds(60));

        var output = client.Output;
        var totals = Totals().Match(output);
        Assert.True(totals.Success, mode + ": no totals in uclient output:\n" + output);
        var sent = int.Parse(totals.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var received = int.Parse(totals.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Clients * Messages, sent);
        Assert.Equal(sent, received);
        Assert.Contains("Total lost packets 0 ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("ERROR", output, StringComparison.Ordinal);
        if (flags.Contains("-S"))
        {
            Assert.True(relay.Server.Streams.TlsServed > 0, mode + ": no client came in over TLS");
        }

        Assert.True(relay.Counters.PacketsToPeers >= sent && relay.Counters.PacketsToClients >= received, mode + ": relay counters do not show the traffic");
    }

    [GeneratedRegex(@"start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)")]
    private static partial Regex Totals();
}
