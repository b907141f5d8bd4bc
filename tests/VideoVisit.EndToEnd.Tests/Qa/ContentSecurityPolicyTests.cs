using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Server.Apis;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// The app works under the server's Content-Security-Policy in each engine: sign-in, upcoming events,
/// the whole device check (camera, microphone, the hub's WebSocket, the relay) run, and the browser
/// reports no violation to the policy's <c>report-uri</c>. A probe the policy must block (an image
/// from another origin) proves the reports arrive, so silence means the app really kept to the policy.
/// </summary>
internal static class CspCheck
{
    private const string Probe = "csp-probe.invalid";

    public static async Task AppKeepsToThePolicyAsync(IQaPage page, QaServerFixture server)
    {
        var (_, run) = await QaRun.SignedInAsync(page, server, "ContentSecurityPolicy");
        await using var _ = page;
        var outcome = await run.OpenPrecheckAsync();
        await run.SaveAsync();
        Assert.NotEqual("offline", outcome.State);

        await page.RunAsync($"const probe = new Image(); probe.src = 'https://{Probe}/blocked.png'; document.body.appendChild(probe);");
        var violations = server.Server.Services.GetRequiredService<CspViolations>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!violations.Latest.Any(v => v.BlockedOrigin.Contains(Probe, StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        var reported = violations.Latest;
        Assert.Contains(reported, v => v.BlockedOrigin.Contains(Probe, StringComparison.Ordinal) && v.Directive.StartsWith("img-src", StringComparison.Ordinal));
        Assert.All(reported, v => Assert.Contains(Probe, v.BlockedOrigin, StringComparison.Ordinal));
    }
}

[Trait("Category", "Security")]
[Trait("Engine", "Chromium")]
public sealed class ChromiumContentSecurityPolicyTests(ChromiumFixture chromium, QaServerFixture server)
    : IClassFixture<ChromiumFixture>, IClassFixture<QaServerFixture>
{
    [Fact]
    public async Task TheAppRunsUnderTheContentSecurityPolicyInChromium() =>
        await CspCheck.AppKeepsToThePolicyAsync(
            await PlaywrightQaPage.OpenAsync("Chromium", chromium.Browser, new BrowserNewContextOptions { Permissions = ["camera", "microphone"] }),
            server);
}

[Trait("Category", "Security")]
[Trait("Engine", "Firefox")]
public sealed class FirefoxContentSecurityPolicyTests(FirefoxFixture firefox, QaServerFixture server)
    : IClassFixture<FirefoxFixture>, IClassFixture<QaServerFixture>
{
    [Fact]
    public async Task TheAppRunsUnderTheContentSecurityPolicyInFirefox() =>
        await CspCheck.AppKeepsToThePolicyAsync(await PlaywrightQaPage.OpenAsync("Firefox", firefox.Browser, new BrowserNewContextOptions()), server);
}

[Trait("Category", "Security")]
[Trait("Engine", "WebKit")]
public sealed class WebKitContentSecurityPolicyTests(WebKitFixture webkit, QaServerFixture server)
    : IClassFixture<WebKitFixture>, IClassFixture<QaServerFixture>
{
    [Fact]
    public async Task TheAppRunsUnderTheContentSecurityPolicyInWebKit() =>
        await CspCheck.AppKeepsToThePolicyAsync(new WebDriverQaPage(webkit.NewSession()), server);
}
