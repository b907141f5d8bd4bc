using Microsoft.Playwright;

namespace VideoVisit.EndToEnd.Tests.Browsers;

/// <summary>
/// Debian's Firefox ESR driven by Microsoft.Playwright over WebDriver BiDi (channel
/// <c>moz-firefox</c>). Camera and microphone permissions are browser preferences there, not
/// context permissions, so a scenario that needs other prefs launches its own browser with
/// <see cref="LaunchAsync"/>.
/// </summary>
public sealed class FirefoxFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/firefox-esr";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Firefox is not started");

    /// <summary>Fake media devices, camera and microphone granted.</summary>
    public static Dictionary<string, object> GrantedMediaPrefs() => new()
    {
        ["media.navigator.streams.fake"] = true,
        ["permissions.default.camera"] = 1,
        ["permissions.default.microphone"] = 1,
        // The microphone level meter's AudioContext may start without a click, as after one.
        ["media.autoplay.default"] = 0,
        ["media.autoplay.block-webaudio"] = false,
        // No sound card here: a null audio backend still runs Web Audio graphs (the level meter).
        ["media.cubeb.force_null_context"] = true,
        // The test relay listens on 127.0.0.1; Firefox leaves loopback out of ICE unless told.
        ["media.peerconnection.ice.loopback"] = true,
    };

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await LaunchAsync(GrantedMediaPrefs());
    }

    /// <summary>Another Firefox with the given preferences (the caller closes it).</summary>
    public Task<IBrowser> LaunchAsync(IEnumerable<KeyValuePair<string, object>> prefs)
    {
        var playwright = _playwright ?? throw new InvalidOperationException("Playwright is not started");
        return playwright.Firefox.LaunchAsync(new BrowserTypeLaunchOptions
        {
            Channel = "moz-firefox",
            ExecutablePath = ExecutablePath,
            Headless = true,
            Timeout = 60_000,
            FirefoxUserPrefs = prefs.ToDictionary(p => p.Key, p => p.Value),
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
