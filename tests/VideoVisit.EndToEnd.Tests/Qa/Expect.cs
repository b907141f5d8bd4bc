namespace VideoVisit.EndToEnd.Tests.Qa;

/// <summary>What every scenario asserts: the state, the guidance shown, and whether Begin video visit is allowed, warned or blocked.</summary>
public static class Expect
{
    public static void Outcome(PrecheckOutcome outcome, string state, string begin, params string[] guidance)
    {
        var context = $"state={outcome.State} verdict={outcome.Verdict} problems=[{string.Join(' ', outcome.Problems)}] guidance=[{string.Join(' ', outcome.Guidance.Keys)}]";
        Assert.True(state == outcome.State, $"expected state {state}; {context}");
        Assert.True(begin == outcome.BeginState, $"expected begin {begin}; {context}");
        Assert.Equal(begin == "blocked", outcome.BeginDisabled);
        foreach (var key in guidance)
        {
            Assert.True(outcome.Guidance.TryGetValue(key, out var text) && text.Length > 0, $"expected guidance '{key}' with text; {context}");
        }

        if (begin == "allowed")
        {
            Assert.Empty(outcome.Problems);
        }
    }

    public static void Problem(PrecheckOutcome outcome, string problem) =>
        Assert.True(outcome.Problems.Contains(problem), $"expected problem {problem}; problems=[{string.Join(' ', outcome.Problems)}]");

    public static void NoProblem(PrecheckOutcome outcome, string problem) =>
        Assert.False(outcome.Problems.Contains(problem), $"unexpected problem {problem}; problems=[{string.Join(' ', outcome.Problems)}]");

    public static void Check(PrecheckOutcome outcome, string check, string status) =>
        Assert.True(outcome.Checks.TryGetValue(check, out var actual) && actual == status, $"expected {check} check {status}, was {actual ?? "(none)"}");
}
