using System.Diagnostics;
using OpenQA.Selenium;
using OpenQA.Selenium.Remote;
using VideoVisit.Testing;

namespace VideoVisit.EndToEnd.Tests.Browsers;

/// <summary>
/// Safari's engine: Debian's WebKitGTK MiniBrowser through <c>/usr/bin/WebKitWebDriver</c> and
/// Selenium, under an Xvfb display this fixture starts (Playwright's own WebKit build is not
/// obtainable). Mock capture devices are on; WebKit under automation always grants getUserMedia.
/// Debian's WebKitGTK has no RTCPeerConnection, so this lane tests the device precheck, not calls.
/// </summary>
public sealed class WebKitFixture : IAsyncLifetime
{
    public const string DriverPath = "/usr/bin/WebKitWebDriver";
    public const string MiniBrowserPath = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

    private Process? _xvfb;
    private Process? _driver;

    public Uri DriverUri { get; private set; } = new("http://127.0.0.1:0");

    public async Task InitializeAsync()
    {
        var display = await StartXvfbAsync();
        var port = FreePorts.One();
        var start = new ProcessStartInfo(DriverPath, $"--port={port}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DISPLAY"] = display;
        _driver = Process.Start(start) ?? throw new InvalidOperationException("WebKitWebDriver did not start");
        _driver.OutputDataReceived += (_, _) => { };
        _driver.ErrorDataReceived += (_, _) => { };
        _driver.BeginOutputReadLine();
        _driver.BeginErrorReadLine();
        DriverUri = new Uri($"http://127.0.0.1:{port}");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var status = await http.GetAsync(new Uri(DriverUri, "/status"));
                if (status.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            catch (TaskCanceledException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("WebKitWebDriver did not answer /status within 30 s");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>
    /// A new MiniBrowser session; each scenario gets its own. Extra MiniBrowser arguments (for
    /// example <c>--javascript-can-open-windows-automatically=true</c>) are appended.
    /// </summary>
    public IWebDriver NewSession(params string[] extraBrowserArgs)
    {
        var options = new WebKitGtkOptions(MiniBrowserPath,
            ["--automation", "--enable-media-stream=true", "--enable-mock-capture-devices=true", .. extraBrowserArgs]);
        // Now and then (seen under heavy load) MiniBrowser never answers the new-session request;
        // a fresh attempt gets a fresh MiniBrowser. Three attempts, then the error stands.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var driver = new RemoteWebDriver(DriverUri, options.ToCapabilities(), TimeSpan.FromSeconds(30));
                driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
                driver.Manage().Timeouts().AsynchronousJavaScript = TimeSpan.FromSeconds(30);
                return driver;
            }
            catch (WebDriverException) when (attempt < 3)
            {
            }
        }
    }

    private async Task<string> StartXvfbAsync()
    {
        var start = new ProcessStartInfo("Xvfb", "-displayfd 1 -screen 0 1280x1024x24 -nolisten tcp")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _xvfb = Process.Start(start) ?? throw new InvalidOperationException("Xvfb did not start");
        _xvfb.ErrorDataReceived += (_, _) => { };
        _xvfb.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var line = await _xvfb.StandardOutput.ReadLineAsync(timeout.Token);
        if (string.IsNullOrWhiteSpace(line))
        {
            throw new InvalidOperationException("Xvfb did not report a display number");
        }

        return ":" + line.Trim();
    }

    public Task DisposeAsync()
    {
        foreach (var process in new[] { _driver, _xvfb })
        {
            if (process is { HasExited: false })
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }

            process?.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>Capabilities for WebKitGTK's driver: which MiniBrowser binary and its arguments.</summary>
    private sealed class WebKitGtkOptions : DriverOptions
    {
        private readonly string _binary;
        private readonly string[] _args;

        public WebKitGtkOptions(string binary, string[] args)
        {
            _binary = binary;
            _args = args;
        }

        public override ICapabilities ToCapabilities()
        {
            var capabilities = GenerateDesiredCapabilities(true);
            capabilities.SetCapability("webkitgtk:browserOptions", new Dictionary<string, object>
            {
                ["binary"] = _binary,
                ["args"] = _args,
            });
            return capabilities.AsReadOnly();
        }
    }
}
