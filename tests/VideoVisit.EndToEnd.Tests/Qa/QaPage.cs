using System.Text.Json;
using Microsoft.Playwright;
using OpenQA.Selenium;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// The few things a QA scenario does to a page, the same on every engine: Playwright pages for
/// Chromium and Firefox, a WebDriver session for WebKit.
/// </summary>
public interface IQaPage : IAsyncDisposable
{
    string Engine { get; }

    Task GotoAsync(Uri url);

    /// <summary>Evaluates a JavaScript expression and returns its value as a string ("" for null).</summary>
    Task<string> EvalAsync(string expression);

    /// <summary>Runs JavaScript statements in the page.</summary>
    Task RunAsync(string statements);

    /// <summary>A real user click (trusted input, so it carries user activation).</summary>
    Task ClickAsync(string css);

    Task ScreenshotAsync(string path);
}

public sealed class PlaywrightQaPage(string engine, IBrowserContext context, IPage page, IBrowser? ownedBrowser = null) : IQaPage
{
    public string Engine { get; } = engine;

    public IPage Page { get; } = page;

    /// <summary>A new context and page in <paramref name="browser"/>; <paramref name="ownBrowser"/> (if any) closes with it.</summary>
    public static async Task<PlaywrightQaPage> OpenAsync(string engine, IBrowser browser, BrowserNewContextOptions options, IBrowser? ownBrowser = null)
    {
        options.ViewportSize ??= new ViewportSize { Width = 1024, Height = 900 };
        var context = await browser.NewContextAsync(options);
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        return new PlaywrightQaPage(engine, context, page, ownBrowser);
    }

    public async Task GotoAsync(Uri url) => await Page.GotoAsync(url.ToString(), new() { Timeout = 30_000 });

    public async Task<string> EvalAsync(string expression) =>
        await Page.EvaluateAsync<string?>("() => { const v = (" + expression + "); return v == null ? '' : String(v); }") ?? "";

    public Task RunAsync(string statements) => Page.EvaluateAsync("() => { " + statements + " }");

    public Task ClickAsync(string css) => Page.Locator(css).ClickAsync(new() { Timeout = 15_000 });

    public Task ScreenshotAsync(string path) => Page.ScreenshotAsync(new() { Path = path, FullPage = true, Timeout = 15_000 });

    public async ValueTask DisposeAsync()
    {
        await context.CloseAsync();
        if (ownedBrowser is not null)
        {
            await ownedBrowser.CloseAsync();
        }
    }
}

public sealed class WebDriverQaPage(IWebDriver driver) : IQaPage
{
    public string Engine => "WebKit";

    public Task GotoAsync(Uri url)
    {
        driver.Navigate().GoToUrl(url);
        return Task.CompletedTask;
    }

    public Task<string> EvalAsync(string expression)
    {
        var value = ((IJavaScriptExecutor)driver).ExecuteScript("const v = (" + expression + "); return v == null ? '' : String(v);");
        return Task.FromResult(value?.ToString() ?? "");
    }

    public Task RunAsync(string statements)
    {
        ((IJavaScriptExecutor)driver).ExecuteScript(statements);
        return Task.CompletedTask;
    }

    public Task ClickAsync(string css)
    {
        driver.FindElement(By.CssSelector(css)).Click();
        return Task.CompletedTask;
    }

    public Task ScreenshotAsync(string path)
    {
        ((ITakesScreenshot)driver).GetScreenshot().SaveAsFile(path);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        driver.Quit();
        driver.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>What the precheck showed: its machine-readable state and what the patient was told.</summary>
public sealed record PrecheckOutcome(
    string State,
    string Verdict,
    IReadOnlyList<string> Problems,
    string BeginState,
    bool BeginDisabled,
    IReadOnlyDictionary<string, string> Checks,
    IReadOnlyDictionary<string, string> Guidance,
    string ReportJson)
{
    public static PrecheckOutcome Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        return new PrecheckOutcome(
            root.GetProperty("state").GetString() ?? "",
            root.GetProperty("verdict").GetString() ?? "",
            (root.GetProperty("problems").GetString() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            root.GetProperty("begin").GetString() ?? "",
            root.GetProperty("beginDisabled").GetBoolean(),
            root.GetProperty("checks").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            root.GetProperty("guidance").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? ""),
            root.GetProperty("report").GetString() ?? "");
    }
}
