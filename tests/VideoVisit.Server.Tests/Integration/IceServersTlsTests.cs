using Microsoft.Extensions.DependencyInjection;
using VideoVisit.Media.Hosting;
using VideoVisit.Testing;

namespace VideoVisit.Server.Tests.Integration;

/// <summary><c>GET /api/ice-servers</c> with TURN over TLS on: <c>turns:</c> after UDP and TCP, on the port that answers TLS.</summary>
public sealed class IceServersTlsTests
{
    [Fact]
    public async Task IceServersListTurnsAfterUdpAndTcpOnTheRelaysTlsPort()
    {
        using var certificate = TestCertificate.Create();
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Turn:Enabled"] = "true",
            ["Turn:TlsPort"] = "0",
            ["Turn:CertificatePath"] = certificate.CertificatePath,
            ["Turn:KeyPath"] = certificate.KeyPath,
        });
        var status = server.Server.Services.GetRequiredService<TurnRelayStatus>();
        Assert.NotNull(status.TlsEndPoint);

        var ice = await server.GetJsonAsync("/api/ice-servers", await server.TokenAsync("patient-1"));
        var urls = ice[1].GetProperty("urls").EnumerateArray().Select(u => u.GetString()!).ToList();
        Assert.Equal(3, urls.Count);
        Assert.StartsWith("turn:", urls[0], StringComparison.Ordinal);
        Assert.EndsWith("?transport=udp", urls[0], StringComparison.Ordinal);
        Assert.EndsWith("?transport=tcp", urls[1], StringComparison.Ordinal);
        Assert.Equal($"turns:127.0.0.1:{status.TlsEndPoint!.Port}?transport=tcp", urls[2]);
    }

    [Fact]
    public async Task AnExternalRelaysConfiguredTlsPortIsListed()
    {
        await using var server = await VisitServer.StartAsync(new Dictionary<string, string?>
        {
            ["Turn:RelayAddress"] = "203.0.113.10",
            ["Turn:TlsHost"] = "relay.example.org",
            ["Turn:SharedSecret"] = "external-relay-secret",
            ["Turn:TlsPort"] = "443",
            ["Turn:CertificatePath"] = "/not/read/by/this/process.pem",
            ["Turn:KeyPath"] = "/not/read/by/this/process.key",
        });
        var ice = await server.GetJsonAsync("/api/ice-servers", await server.TokenAsync("patient-1"));
        Assert.Equal("turns:relay.example.org:443?transport=tcp", ice[1].GetProperty("urls").EnumerateArray().Last().GetString());
    }

    [Fact]
    public async Task IceServersListNoTurnsWithoutATlsPort()
    {
        await using var server = await VisitServer.StartAsync();
        var ice = await server.GetJsonAsync("/api/ice-servers", await server.TokenAsync("patient-1"));
        Assert.DoesNotContain(ice[1].GetProperty("urls").EnumerateArray(), u => u.GetString()!.StartsWith("turns:", StringComparison.Ordinal));
    }
}
