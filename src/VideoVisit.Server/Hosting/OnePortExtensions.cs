using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using VideoVisit.Media;
using VideoVisit.Media.Hosting;
using VideoVisit.Media.Transports;

namespace VideoVisit.Server.Hosting;

/// <summary>
/// One port for everything (<c>Turn:OnePort</c>): the server listens with HTTPS on <c>Turn:TlsPort</c>
/// with the relay's certificate (<c>Turn:CertificatePath</c>/<c>Turn:KeyPath</c>, reloaded when the
/// files change) and, after each TLS handshake, a connection middleware decides who is calling: ALPN
/// <c>stun.turn</c> (RFC 7443), or a first message that is STUN (RFC 8489 §5: two zero bits, then the
/// magic cookie at bytes 4–7), goes to the relay; anything else (HTTP/1.1 starts with an ASCII method,
/// HTTP/2 with its preface) goes on to HTTP untouched. A clinic then opens exactly one port, 443.
/// </summary>
internal static class OnePortExtensions
{
    private const int StunPeekLength = 8;
    private const uint MagicCookie = 0x2112A442;

    public static WebApplicationBuilder AddTurnOnHttpsPort(this WebApplicationBuilder builder)
    {
        var turn = builder.Configuration.GetSection(TurnOptions.SectionName).Get<TurnOptions>() ?? new TurnOptions();
        if (!turn.OnePort || !turn.Enabled)
        {
            return builder;
        }

        if (turn.TlsPort is not { } port || string.IsNullOrWhiteSpace(turn.CertificatePath) || string.IsNullOrWhiteSpace(turn.KeyPath))
        {
            throw new OptionsValidationException(TurnOptions.SectionName, typeof(TurnOptions),
                ["Turn:OnePort needs Turn:TlsPort (the HTTPS port to share, e.g. 443), Turn:CertificatePath and Turn:KeyPath."]);
        }

        var certificate = new TlsCertificateSource(turn.CertificatePath, turn.KeyPath);
        var address = IPAddress.Parse(turn.ListenAddress);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.UseHttps(new TlsHandshakeCallbackOptions
            {
                HandshakeTimeout = TimeSpan.FromSeconds(turn.TlsHandshakeTimeoutSeconds),
                OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                {
                    ServerCertificateContext = certificate.Current,
                    ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11, TlsCertificateSource.StunTurn],
                }),
            });
            // After UseHttps: the middleware sees the decrypted stream.
            listen.Use(next => connection => RouteAsync(connection, next, listen.ApplicationServices, turn));
        }));
        return builder;
    }

    private static async Task RouteAsync(ConnectionContext connection, ConnectionDelegate next, IServiceProvider services, TurnOptions turn)
    {
        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        var isTurn = alpn.Span.SequenceEqual(TlsCertificateSource.StunTurn.Protocol.Span);
        if (!isTurn && alpn.IsEmpty)
        {
            var first = await PeekAsync(connection, TimeSpan.FromSeconds(turn.TcpIdleTimeoutSeconds));
            if (first is null)
            {
                return; // closed, or silent for the idle timeout: nothing to serve
            }

            isTurn = first.Value.IsStun;
        }

        if (!isTurn)
        {
            await next(connection);
            return;
        }

        if (connection.RemoteEndPoint is not IPEndPoint remote || connection.LocalEndPoint is not IPEndPoint local)
        {
            return;
        }

        var status = services.GetRequiredService<TurnRelayStatus>();
        await using var stream = new DuplexPipeStream(connection.Transport);
        await status.ServeTlsClientAsync(stream, remote, local, connection.ConnectionClosed);
    }

    /// <summary>
    /// Waits for the first <see cref="StunPeekLength"/> bytes without consuming them (HTTP reads them
    /// again); null when the client closed or stayed silent.
    /// </summary>
    private static async Task<(bool IsStun, bool Unused)?> PeekAsync(ConnectionContext connection, TimeSpan silence)
    {
        var input = connection.Transport.Input;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(silence);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(timeout.Token);
                var buffer = result.Buffer;
                if (buffer.Length >= StunPeekLength || (result.IsCompleted && buffer.Length > 0))
                {
                    var isStun = IsStun(buffer);
                    input.AdvanceTo(buffer.Start); // consumed nothing, examined nothing: the next reader sees it all
                    return (isStun, false);
                }

                if (result.IsCompleted)
                {
                    input.AdvanceTo(buffer.End);
                    return null;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private static bool IsStun(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < StunPeekLength)
        {
            return false;
        }

        Span<byte> head = stackalloc byte[StunPeekLength];
        buffer.Slice(0, StunPeekLength).CopyTo(head);
        return (head[0] & 0xC0) == 0 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head[4..]) == MagicCookie;
    }

    /// <summary>A Kestrel connection's pipes as one Stream, for the relay's stream reader.</summary>
    private sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
    {
        private readonly Stream _input = pipe.Input.AsStream(leaveOpen: true);
        private readonly Stream _output = pipe.Output.AsStream(leaveOpen: true);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _input.ReadAsync(buffer, offset, count, cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => _input.Read(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _output.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => _output.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

        public override void Flush() => _output.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // Closing the relay's side completes the pipes, which closes the connection.
                pipe.Input.Complete();
                pipe.Output.Complete();
            }

            base.Dispose(disposing);
        }
    }
}
