namespace VideoVisit.Media;

/// <summary>Marker for the relay assembly.</summary>
public static class MediaAssembly
{
}
