using Microsoft.Playwright;
using VideoVisit.EndToEnd.Tests.Browsers;
using VideoVisit.Testing;
using static VideoVisit.EndToEnd.Tests.WebApp.WebAppDriver;

namespace VideoVisit.EndToEnd.Tests.SignIn;

/// <summary>
/// Sign-in as a clinic runs it: the browser goes through a real OpenID provider's login page
/// (authorization code + PKCE, public client), lands on Upcoming events, begins a visit and waits;
/// signing out ends the session at the provider, so the next sign-in asks for the login again.
/// </summary>
internal static class OidcFlow
{
    public static readonly IReadOnlyDictionary<string, string> Accounts = new Dictionary<string, string>
    {
        ["patient-1"] = "Paula Patient",
        ["nurse-1"] = "Nina Nurse",
    };

    /// <summary>The server on a port chosen first (the provider registers its redirect URIs), signing in only through the provider.</summary>
    public static async Task<(RunningServer Server, OidcProvider Provider)> StartAsync(int accessTokenSeconds = 3600)
    {
        var appPort = RunningServer.FreeUdpAndTcpPort();
        var appOrigin = new Uri($"http://127.0.0.1:{appPort}");
        var provider = await OidcProvider.StartAsync(appOrigin, Accounts, accessTokenSeconds: accessTokenSeconds);
        var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["urls"] = appOrigin.ToString(),
            ["Auth:DevIssuer:Enabled"] = "false",
            ["Auth:Authority"] = provider.Issuer.ToString(),
            ["Auth:Audience"] = "videovisit",
            ["Auth:ClientId"] = "videovisit-web",
            ["Auth:RequireHttpsMetadata"] = "false",
            ["Demo:Seed"] = "true",
        });
        return (server, provider);
    }

    /// <summary>From the app's sign-in page through the provider's login form and back.</summary>
    public static async Task SignInAsync(IPage page, string login)
    {
        await page.ClickAsync("[data-testid=oidc-sign-in]", new() { Timeout = WaitMs });
        await page.Locator("input[name=login]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.StartsWith("http://127.0.0.1:", page.Url, StringComparison.Ordinal);
        await page.Locator("input[name=login]").PressSequentiallyAsync(login);
        await page.Locator("input[name=password]").PressSequentiallyAsync("any password: the test provider checks the account");
        await page.ClickAsync("button[type=submit]", new() { Timeout = WaitMs });
        await page.Locator("[data-testid=signed-in-as]").WaitForAsync(new() { Timeout = WaitMs });
    }

    public static async Task SignInBeginAndSignOutAsync(IBrowser browser, string engine)
    {
        var (server, provider) = await StartAsync();
        await using var _ = provider;
        await using var __ = server;
        await using var context = await NewContextAsync(browser);
        var page = await context.NewPageAsync();

        await page.GotoAsync(server.BaseAddress.ToString(), new() { Timeout = WaitMs });
        Assert.Equal(0, await page.Locator("textarea, [data-testid=token-input]").CountAsync());
        await SignInAsync(page, "patient-1");

        await page.Locator("[data-screen=upcoming]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Contains("Paula Patient", await page.Locator("[data-testid=signed-in-as]").TextContentAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("code=", page.Url, StringComparison.Ordinal);
        await page.Locator("[data-testid=appointment-appt-1] [data-testid=begin-visit]").ClickAsync(new() { Timeout = WaitMs });
        await BeginVideoVisitAsync(page);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts.Directory("signin"), engine + "-waiting.png") });

        // Sign out: the provider asks to confirm, ends its session and sends the browser back.
        await page.GotoAsync(new Uri(server.BaseAddress, "/upcoming").ToString(), new() { Timeout = WaitMs });
        await page.ClickAsync("[data-testid=sign-out]", new() { Timeout = WaitMs });
        await page.ClickAsync("button[name=logout][value=yes]", new() { Timeout = WaitMs });
        await page.Locator("[data-testid=oidc-sign-in]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.StartsWith(server.BaseAddress.GetLeftPart(UriPartial.Authority), page.Url, StringComparison.Ordinal);

        // The provider's session is over: signing in again asks for the login.
        await page.ClickAsync("[data-testid=oidc-sign-in]", new() { Timeout = WaitMs });
        await page.Locator("input[name=login]").WaitForAsync(new() { Timeout = WaitMs });
    }
}

[Trait("Category", "SignIn")]
[Trait("Engine", "Chromium")]
public sealed class ChromiumOidcSignInTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    [Fact]
    public Task PatientSignsInThroughTheProviderBeginsAVisitAndSignsOutAtTheProviderInChromium() =>
        OidcFlow.SignInBeginAndSignOutAsync(chromium.Browser, "chromium");

    [Fact]
    public async Task ACallbackThisTabDidNotStartAndATokenInTheAddressAreRefused()
    {
        var (server, provider) = await OidcFlow.StartAsync();
        await using var _ = provider;
        await using var __ = server;
        await using var context = await NewContextAsync(chromium.Browser);
        var page = await context.NewPageAsync();

        // Login CSRF: a code and state the attacker obtained for their own account.
        await page.GotoAsync(new Uri(server.BaseAddress, "/auth/callback?code=attackers-code&state=attackers-state&iss=" + Uri.EscapeDataString(provider.Issuer.ToString().TrimEnd('/'))).ToString(), new() { Timeout = WaitMs });
        await page.Locator("[data-testid=auth-callback-error]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.DoesNotContain("code=", page.Url, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("[data-testid=signed-in-as]").CountAsync());

        // The old fragment sign-in is gone: a token in the address is never taken.
        await page.GotoAsync(new Uri(server.BaseAddress, "/#access_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJwYXRpZW50LTEifQ.").ToString(), new() { Timeout = WaitMs });
        await page.Locator("[data-testid=oidc-sign-in]").WaitForAsync(new() { Timeout = WaitMs });
        Assert.Equal(0, await page.Locator("[data-testid=signed-in-as]").CountAsync());
        Assert.Equal("null", await page.EvaluateAsync<string>("() => String(sessionStorage.getItem('videovisit.auth'))"));
    }
}

[Trait("Category", "SignIn")]
[Trait("Engine", "Firefox")]
public sealed class FirefoxOidcSignInTests(FirefoxFixture firefox) : IClassFixture<FirefoxFixture>
{
    [Fact]
    public Task PatientSignsInThroughTheProviderBeginsAVisitAndSignsOutAtTheProviderInFirefox() =>
        OidcFlow.SignInBeginAndSignOutAsync(firefox.Browser, "firefox");
}
