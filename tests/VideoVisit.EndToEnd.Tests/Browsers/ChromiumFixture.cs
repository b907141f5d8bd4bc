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
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Timeout = 60_000,
            Args =
            [
                "--use-fake-device-for-media-stream",
                // This machine's network is closed: without these Chromium keeps dialling Google.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
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
