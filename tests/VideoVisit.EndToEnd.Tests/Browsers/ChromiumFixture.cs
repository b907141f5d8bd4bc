using Microsoft.Playwright;

namespace VideoVisit.EndToEnd.Tests.Browsers;

/// <summary>
/// Debian's Chromium driven by Microsoft.Playwright's bundled driver (never a downloaded browser).
/// One browser per test class; each case opens its own context. Fake camera and microphone are
/// built in; a context grants them with <c>Permissions = ["camera", "microphone"]</c>, without
/// which getUserMedia is denied.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is not started");

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        _browser = await LaunchAsync([]);
    }

    /// <summary>
    /// Another Chromium with extra command-line switches (the caller closes it), e.g. a fake camera
    /// file, or with Playwright's <c>--disable-popup-blocking</c> left out so the blocker is on.
    /// </summary>
    public Task<IBrowser> LaunchAsync(IEnumerable<string> extraArgs, IEnumerable<string>? ignoreDefaultArgs = null)
    {
        var playwright = _playwright ?? throw new InvalidOperationException("Playwright is not started");
        return playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Timeout = 60_000,
            IgnoreDefaultArgs = ignoreDefaultArgs,
            Args =
            [
                "--use-fake-device-for-media-stream",
                // The microphone level meter's AudioContext may start without a click, as after one.
                "--autoplay-policy=no-user-gesture-required",
                // This machine's network is closed: without these Chromium keeps dialling Google.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                .. extraArgs,
            ],
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
