using Microsoft.Playwright;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;

namespace VideoVisit.EndToEnd.Tests;

/// <summary>Each engine loads <c>/</c> from the real server and renders the app shell.</summary>
[Trait("Category", "Smoke")]
public sealed class ChromiumSmokeTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    [Trait("Engine", "Chromium")]
    public async Task ChromiumRendersTheAppShell()
    {
        await using var server = await RunningServer.StartAsync();
        await using var context = await chromium.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(server.BaseAddress.ToString(), new() { Timeout = 30_000 });
        var shell = page.Locator("[data-app-shell]");
        await shell.WaitForAsync(new() { Timeout = 15_000 });

        Assert.True(await shell.IsVisibleAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("smoke"), "chromium.png") });
    }
}

[Trait("Category", "Smoke")]
public sealed class FirefoxSmokeTests(FirefoxFixture firefox) : IClassFixture<FirefoxFixture>
{
    [Fact]
    [Trait("Engine", "Firefox")]
    public async Task FirefoxRendersTheAppShell()
    {
        await using var server = await RunningServer.StartAsync();
        await using var context = await firefox.Browser.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync(server.BaseAddress.ToString(), new() { Timeout = 30_000 });
        var shell = page.Locator("[data-app-shell]");
        await shell.WaitForAsync(new() { Timeout = 15_000 });

        Assert.True(await shell.IsVisibleAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("smoke"), "firefox.png") });
    }
}

[Trait("Category", "Smoke")]
public sealed class WebKitSmokeTests(WebKitFixture webkit) : IClassFixture<WebKitFixture>
{
    [Fact]
    [Trait("Engine", "WebKit")]
    public async Task WebKitRendersTheAppShell()
    {
        await using var server = await RunningServer.StartAsync();
        using var driver = webkit.NewSession();
        try
        {
            driver.Navigate().GoToUrl(server.BaseAddress);
            var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(15));
            var shell = wait.Until(d => d.FindElements(By.CssSelector("[data-app-shell]")).FirstOrDefault());

            Assert.NotNull(shell);
            Assert.True(shell.Displayed);
            ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(Path.Combine(Artifacts.Directory("smoke"), "webkit.png"));
        }
        finally
        {
            driver.Quit();
        }
    }
}
