using System.Net;
using System.Net.Sockets;

namespace VideoVisit.Testing;

/// <summary>TCP ports free on 127.0.0.1 now, for the servers and services the tests start.</summary>
public static class FreePorts
{
    public static int One() => Many(1)[0];

    /// <summary><paramref name="count"/> distinct ports (held together while chosen, so they differ).</summary>
    public static int[] Many(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Stop();
            }
        }
    }
}
