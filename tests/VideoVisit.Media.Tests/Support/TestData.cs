namespace VideoVisit.Media.Tests.Support;

/// <summary>Hex files under TestData/, copied beside the test binaries.</summary>
public static class TestData
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData");

    public static byte[] Hex(string relativePath) =>
        Convert.FromHexString(string.Concat(File.ReadAllText(Path.Combine(Folder, relativePath)).Where(c => !char.IsWhiteSpace(c))));

    /// <summary>Every message of a capture file: one hex message per line; lines starting with # are comments.</summary>
    public static IEnumerable<(string Direction, byte[] Bytes)> Capture(string relativePath)
    {
        foreach (var line in File.ReadLines(Path.Combine(Folder, relativePath)))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            var parts = trimmed.Split(' ', 2);
            yield return (parts[0], Convert.FromHexString(parts[1]));
        }
    }
}
