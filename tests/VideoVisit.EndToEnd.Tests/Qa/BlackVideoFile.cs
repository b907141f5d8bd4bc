using System.Text;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>A Y4M file of black frames for Chromium's <c>--use-file-for-fake-video-capture</c>: a covered camera.</summary>
public static class BlackVideoFile
{
    public static string Create()
    {
        const int width = 320;
        const int height = 240;
        var path = Path.Combine(Path.GetTempPath(), "videovisit-black-320x240.y4m");
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420jpeg\n"));
        var luma = Enumerable.Repeat((byte)16, width * height).ToArray();
        var chroma = Enumerable.Repeat((byte)128, width * height / 2).ToArray();
        for (var frame = 0; frame < 15; frame++)
        {
            file.Write("FRAME\n"u8);
            file.Write(luma);
            file.Write(chroma);
        }

        return path;
    }
}
