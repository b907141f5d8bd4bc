using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using VideoVisit.Media.Stun;

namespace VideoVisit.Media.Transports;

/// <summary>
/// One thread that waits on every UDP socket of the relay (the client listener and all relay
/// sockets) with epoll and drains each ready socket with non-blocking <c>recvfrom</c>, as coturn's
/// event loop does: no thread-pool hop, no per-socket pending operation, many datagrams per wake-up,
/// and one shared receive buffer instead of one per allocation. Linux x64 only (the epoll_event
/// layout is packed there); elsewhere the relay uses .NET's asynchronous sockets.
/// </summary>
internal sealed unsafe partial class LinuxEventLoop : IDisposable
{
    private const int EpollIn = 0x001;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int EAgain = 11;
    private const int EIntr = 4;
    private const int MsgDontWait = 0x40;
    private const int MsgTrunc = 0x20;
    private const int MaxEvents = 256;

    /// <summary>Batches read from one socket per wake-up before the others get their turn.</summary>
    private const int Budget = 4;

    private const ulong WakeMarker = ulong.MaxValue;
    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private volatile IReadable?[] _handlers = new IReadable?[4096];
    private volatile bool _stopped;

    public LinuxEventLoop(int index)
    {
        _epoll = epoll_create1(0x80000); // EPOLL_CLOEXEC
        if (_epoll < 0)
        {
            throw new InvalidOperationException("epoll_create1 failed: errno " + Marshal.GetLastPInvokeError());
        }

        // An eventfd in the set lets Dispose wake the loop at once instead of waiting out a timeout.
        _wake = eventfd(0, 0x80000 | 0x800); // EFD_CLOEXEC | EFD_NONBLOCK
        var ev = new EpollEvent { Events = EpollIn, Data = WakeMarker };
        if (_wake < 0 || epoll_ctl(_epoll, EpollCtlAdd, _wake, &ev) != 0)
        {
            throw new InvalidOperationException("eventfd failed: errno " + Marshal.GetLastPInvokeError());
        }

        SetUpBatch();
        _thread = new Thread(Run) { IsBackground = true, Name = "turn-epoll-" + index };
        _thread.Start();
    }

    /// <summary>The loop running on this thread, if any.</summary>
    [ThreadStatic]
    private static LinuxEventLoop? t_current;

    public static LinuxEventLoop? Current => t_current;

    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;


    /// <summary>What the loop calls when a socket is readable.</summary>
    public interface IReadable
    {
        void OnReadable(LinuxEventLoop loop);
    }

    public void Register(Socket socket, IReadable handler)
    {
        socket.Blocking = false;
        var fd = (int)socket.SafeHandle.DangerousGetHandle();
        lock (_lock)
        {
            var handlers = _handlers;
            if (fd >= handlers.Length)
            {
                Array.Resize(ref handlers, Math.Max(fd + 1, handlers.Length * 2));
            }

            handlers[fd] = handler;
            _handlers = handlers;
        }

        var ev = new EpollEvent { Events = EpollIn, Data = (ulong)fd };
        if (epoll_ctl(_epoll, EpollCtlAdd, fd, &ev) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }
    }

    /// <summary>Stops watching a socket; call before disposing it.</summary>
    public void Unregister(Socket socket, IReadable handler)
    {
        int fd;
        try
        {
            fd = (int)socket.SafeHandle.DangerousGetHandle();
        }
        catch (ObjectDisposedException)
        {
            return;
        }

        _ = epoll_ctl(_epoll, EpollCtlDel, fd, null);
        lock (_lock)
        {
            if (fd < _handlers.Length && ReferenceEquals(_handlers[fd], handler))
            {
                _handlers[fd] = null;
            }
        }
    }

    /// <summary>
    /// Reads up to <see cref="BatchSize"/> datagrams from <paramref name="socket"/> with one
    /// <c>recvmmsg</c> into <see cref="Slots"/> (data at <see cref="SlotHeadroom"/>). Returns how many;
    /// fewer than a full batch means the socket is drained, so no extra call is needed to learn it.
    /// </summary>
    public int ReceiveBatch(SafeHandle socket)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added); // the descriptor cannot be closed (and reused) under our read
            var fd = (int)socket.DangerousGetHandle();
            for (var i = 0; i < BatchSize; i++)
            {
                _headers[i].Header.NameLength = AddressCapacity;
                _headers[i].Header.Flags = 0;
                _headers[i].Length = 0;
            }

            int n;
            do
            {
                n = recvmmsg(fd, _headers, BatchSize, MsgDontWait, null);
            }
            while (n < 0 && Marshal.GetLastPInvokeError() == EIntr);

            if (n <= 0)
            {
                return 0; // EAGAIN (drained), or an error such as a queued ICMP report: nothing to relay this turn
            }

            for (var i = 0; i < n; i++)
            {
                var slot = Slots[i];
                var length = (int)Math.Min(AddressCapacity, _headers[i].Header.NameLength);
                new ReadOnlySpan<byte>(_addresses + (i * AddressCapacity), length).CopyTo(slot.Source.Buffer.Span);
                slot.Source.Size = length;
                slot.Length = (int)_headers[i].Length;
                slot.Truncated = (_headers[i].Header.Flags & MsgTrunc) != 0;
            }

            return n;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    /// <summary>Datagrams one <see cref="ReceiveBatch"/> call can return.</summary>
    public const int BatchSize = 16;

    /// <summary>Room in front of each slot's data for the header the relay writes there.</summary>
    public const int SlotHeadroom = 48;

    /// <summary>Largest datagram a slot holds; larger ones arrive truncated and are dropped.</summary>
    public const int SlotCapacity = 4096;

    private const int AddressCapacity = 28; // sockaddr_in6

    /// <summary>One received datagram: its buffer (data at <see cref="SlotHeadroom"/>), length and source.</summary>
    public sealed class Slot
    {
        public byte[] Buffer { get; } = GC.AllocateUninitializedArray<byte>(SlotHeadroom + SlotCapacity + 4, pinned: true);

        public SocketAddress Source { get; } = new(AddressFamily.InterNetworkV6);

        public int Length { get; set; }

        public bool Truncated { get; set; }
    }

    /// <summary>The receive slots, shared because only the loop thread reads into them.</summary>
    public Slot[] Slots { get; } = Enumerable.Range(0, BatchSize).Select(_ => new Slot()).ToArray();

    private MMsgHdr* _headers;
    private IoVec* _vectors;
    private byte* _addresses;

    private void SetUpBatch()
    {
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(BatchSize * sizeof(MMsgHdr)));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(BatchSize * sizeof(IoVec)));
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(BatchSize * AddressCapacity));
        for (var i = 0; i < BatchSize; i++)
        {
            // The slot buffers are pinned for the life of the process: their addresses never change.
            _vectors[i].Base = (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(Slots[i].Buffer, SlotHeadroom);
            _vectors[i].Length = SlotCapacity;
            _headers[i].Header.Name = _addresses + (i * AddressCapacity);
            _headers[i].Header.Vectors = _vectors + i;
            _headers[i].Header.VectorCount = 1;
        }
    }

    public static int DrainBudget => Budget;

    /// <summary>
    /// Sends one datagram without blocking, straight to <c>sendto</c>; false when the socket's buffer
    /// is full or the send failed (UDP: the packet is lost, as on the wire).
    /// </summary>
    public static bool TrySend(SafeHandle socket, ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
            var fd = (int)socket.DangerousGetHandle();
            fixed (byte* buffer = datagram)
            fixed (byte* address = destination.Buffer.Span)
            {
                nint n;
                do
                {
                    n = sendto(fd, buffer, datagram.Length, MsgDontWait, address, destination.Size);
                }
                while (n < 0 && Marshal.GetLastPInvokeError() == EIntr);

                return n >= 0;
            }
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }

    private void Run()
    {
        t_current = this;
        var events = stackalloc EpollEvent[MaxEvents];
        while (!_stopped)
        {
            var n = epoll_wait(_epoll, events, MaxEvents, 500);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr)
                {
                    continue;
                }

                return;
            }

            var handlers = _handlers;
            for (var i = 0; i < n; i++)
            {
                if (events[i].Data == WakeMarker)
                {
                    return;
                }

                var fd = (int)events[i].Data;
                var handler = fd < handlers.Length ? handlers[fd] : null;
                try
                {
                    handler?.OnReadable(this);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Handlers catch what a packet can cause; this only keeps the loop (and every other socket) alive.
                }
            }
        }
    }

    public void Dispose()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        ulong one = 1;
        _ = write(_wake, &one, sizeof(ulong));
        if (Thread.CurrentThread != _thread && _thread.Join(TimeSpan.FromSeconds(2)))
        {
            // Closed only once the loop has left epoll_wait, so it never waits on a reused descriptor.
            _ = close(_epoll);
            _ = close(_wake);
            NativeMemory.Free(_headers);
            NativeMemory.Free(_vectors);
            NativeMemory.Free(_addresses);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public byte* Name;
        public int NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, EpollEvent* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int recvmmsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendto(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport("libc")]
    private static partial nint write(int fd, void* buffer, nint count);

    [LibraryImport("libc")]
    private static partial int close(int fd);
}
