using System.Buffers;

namespace VideoVisit.Media.Transports;

/// <summary>
/// The stream under a relay's <see cref="System.Net.Security.SslStream"/>: while corked, what is
/// written (whole TLS records) is gathered in a pooled buffer and sent with one call when uncorked, so
/// a burst of ChannelData messages for one client costs one send system call instead of one per
/// message, while each message keeps a TLS record of its own (coturn's own client, turnutils_uclient,
/// takes one message from each record, as coturn sends them). Uncorked, writes pass straight through
/// (the handshake). Reads always pass through.
/// </summary>
internal sealed class CorkedStream(Stream inner) : Stream
{
    private const int Capacity = 32 * 1024;
    private byte[]? _buffer;
    private int _filled;

    /// <summary>Gather writes until <see cref="UncorkAsync"/>. Called by the client's one writer.</summary>
    public void Cork() => _buffer ??= ArrayPool<byte>.Shared.Rent(Capacity);

    /// <summary>Sends what was gathered and lets writes pass through again.</summary>
    public async ValueTask UncorkAsync()
    {
        if (_buffer is not { } buffer)
        {
            return;
        }

        try
        {
            await SendGatheredAsync(CancellationToken.None);
        }
        finally
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask SendGatheredAsync(CancellationToken cancellationToken)
    {
        if (_filled > 0)
        {
            var filled = _filled;
            _filled = 0;
            await inner.WriteAsync(_buffer.AsMemory(0, filled), cancellationToken);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_buffer is null)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        if (buffer.Length > _buffer.Length - _filled)
        {
            await SendGatheredAsync(cancellationToken);
            if (buffer.Length > _buffer.Length)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }
        }

        buffer.Span.CopyTo(_buffer.AsSpan(_filled));
        _filled += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _buffer is null ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override void Flush()
    {
        if (_buffer is null)
        {
            inner.Flush();
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
