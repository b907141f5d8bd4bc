using System.Text.Json;
using VideoVisit.EndToEnd.Tests.Browsers;

namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>
/// One scenario on one engine: sign a demo patient in, install the scenario's simulation (if any),
/// open the visit's precheck, wait until it has finished, and keep a screenshot and the precheck's
/// JSON report under test-results/qa/&lt;engine&gt;/.
/// </summary>
public sealed class QaRun(IQaPage page, QaServerFixture server, string scenario)
{
    public static readonly TimeSpan PrecheckTimeout = TimeSpan.FromSeconds(30);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const string OutcomeScript = """
        (() => {
          const root = document.querySelector('[data-precheck-state]');
          if (!root) return '';
          const begin = document.querySelector('[data-begin-state]');
          const button = document.querySelector('[data-testid=begin-video-visit]');
          const checks = {};
          document.querySelectorAll('[data-check]').forEach(e => { checks[e.getAttribute('data-check')] = e.getAttribute('data-status') || ''; });
          const guidance = {};
          document.querySelectorAll('[data-guidance]').forEach(e => { guidance[e.getAttribute('data-guidance')] = (e.textContent || '').trim(); });
          return JSON.stringify({
            state: root.getAttribute('data-precheck-state'),
            verdict: root.getAttribute('data-precheck-verdict') || '',
            problems: root.getAttribute('data-precheck-problems') || '',
            begin: begin ? begin.getAttribute('data-begin-state') : '',
            beginDisabled: button ? button.disabled : true,
            checks, guidance,
            report: root.getAttribute('data-precheck-report') || ''
          });
        })()
        """;

    /// <summary>A run of <paramref name="scenario"/> on <paramref name="page"/>, signed in.</summary>
    public static async Task<(IQaPage Page, QaRun Run)> SignedInAsync(IQaPage page, QaServerFixture server, string scenario)
    {
        var run = new QaRun(page, server, scenario);
        await run.SignInAsync();
        return (page, run);
    }

    /// <summary>A plain scenario: the precheck under its simulation (if any), artifacts kept, page closed.</summary>
    public static async Task<PrecheckOutcome> PrecheckAsync((IQaPage Page, QaRun Run) opened, string? simulation)
    {
        var (page, run) = opened;
        await using var _ = page;
        var outcome = await run.OpenPrecheckAsync(simulation);
        await run.SaveAsync();
        return outcome;
    }

    public string AppointmentId { get; init; } = "appt-1";

    public string PersonId { get; init; } = "patient-1";

    /// <summary>Signs in and lands on the patient's upcoming events (a full page load).</summary>
    public async Task SignInAsync()
    {
        var (_, session) = await server.SignInAsync(PersonId);
        await page.GotoAsync(server.BaseAddress);
        await page.RunAsync($"sessionStorage.setItem('videovisit.auth', {JsonSerializer.Serialize(session)});");
        await page.GotoAsync(new Uri(server.BaseAddress, "/upcoming"));
        await WaitForAsync("document.querySelector('[data-screen=upcoming]') ? 'yes' : ''", TimeSpan.FromSeconds(20), "the upcoming events screen");
    }

    /// <summary>Installs a simulation, then opens the visit inside the app so the precheck runs under it.</summary>
    public async Task<PrecheckOutcome> OpenPrecheckAsync(string? simulation = null)
    {
        if (simulation is not null)
        {
            await page.RunAsync(simulation);
        }

        await page.RunAsync($"history.pushState(null, '', '/visit/{AppointmentId}'); dispatchEvent(new PopStateEvent('popstate'));");
        return await WaitForFinishedAsync();
    }

    public Task<PrecheckOutcome> WaitForFinishedAsync() => OutcomeAsync(PrecheckTimeout);

    /// <summary>
    /// The outcome once the precheck has settled: finished, and the Begin section showing its
    /// verdict (it follows one render later).
    /// </summary>
    public async Task<PrecheckOutcome> OutcomeAsync(TimeSpan? timeout = null)
    {
        await WaitForAsync(
            """
            (() => {
              const r = document.querySelector('[data-precheck-state]');
              const b = document.querySelector('[data-begin-state]');
              return r && r.getAttribute('data-precheck-state') !== 'checking'
                && (!b || b.getAttribute('data-begin-state') === r.getAttribute('data-precheck-verdict')) ? 'done' : '';
            })()
            """,
            timeout ?? TimeSpan.FromSeconds(10),
            "the precheck to settle");
        return PrecheckOutcome.Parse(await page.EvalAsync(OutcomeScript));
    }

    /// <summary>Polls a JavaScript expression until it is non-empty; fails with what it waited for.</summary>
    public async Task<string> WaitForAsync(string expression, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await page.EvalAsync(expression);
            if (!string.IsNullOrEmpty(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                await SaveAsync("timeout");
                throw new TimeoutException($"{page.Engine}/{scenario}: waited {timeout.TotalSeconds:0} s for {what}");
            }

            await Task.Delay(150);
        }
    }

    /// <summary>Keeps the screenshot and the precheck's JSON report for this scenario and engine.</summary>
    public async Task SaveAsync(string suffix = "")
    {
        var folder = Artifacts.Directory("qa", page.Engine.ToLowerInvariant());
        var name = scenario + (suffix.Length > 0 ? "-" + suffix : "");
        await page.ScreenshotAsync(Path.Combine(folder, name + ".png"));
        var report = await page.EvalAsync("(() => { const r = document.querySelector('[data-precheck-report]'); return r ? r.getAttribute('data-precheck-report') : (window.__precheckReport ? JSON.stringify(window.__precheckReport) : ''); })()");
        if (report.Length > 0)
        {
            using var doc = JsonDocument.Parse(report);
            await File.WriteAllTextAsync(Path.Combine(folder, name + ".json"), JsonSerializer.Serialize(doc.RootElement, Indented));
        }
    }
}
