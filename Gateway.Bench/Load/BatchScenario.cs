using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench.Load;

/// <summary>
/// Scenario 4: <c>POST /api/v1/sessions/{id}/messages/batch</c> with <c>{"messages":[…]}</c>, many messages per
/// request, a few requests in flight. A probe first checks the endpoint exists and answers 202 with one result per
/// message in request order; without it the row says so and the run goes on. Only the messages the results accept
/// are expected at the receiver; refused ones (a full outbound queue) are counted by status, and the connection
/// that got them pauses before its next batch (the refusals' retry hint) instead of sending into the full queue.
/// </summary>
internal sealed class BatchScenario
{
    public const string Name = "batch";
    private readonly LoadContext _context;

    public BatchScenario(LoadContext context) => _context = context;

    public async Task<IReadOnlyList<PhaseResult>> RunAsync(CancellationToken cancellationToken)
    {
        var options = _context.Options;
        var load = $"{options.BatchSize} × c{options.BatchConcurrency}";
        var gateway = _context.RequireGateway();
        var accounts = await _context.Prosody.CreateAccountsAsync(2, "batch", cancellationToken);
        const string SessionId = "load-batch";
        await _context.RequireApi().CreateSessionOrThrowAsync(SessionId, accounts[0], cancellationToken);
        await using var receiver = await XmppReceiver.ConnectAsync(_context.Prosody, accounts[1], cancellationToken);
        var path = $"/api/v1/sessions/{SessionId}/messages/batch";

        var (problem, remark) = await ProbeAsync(path, receiver.Account.Bare, cancellationToken);
        if (problem is not null)
        {
            return [PhaseResult.NotRun(Name, load, problem)];
        }

        var phase = _context.NextPhase();
        var messages = Enumerable.Range(0, options.BatchSize)
            .Select(_ => GatewayMessageJson.Create(receiver.Account.Bare, MessageBody.Create(phase, 0, 0), options.RequestReceipts));
        var template = RequestTemplate.Post(
            $"127.0.0.1:{gateway.Endpoint.Port.ToString(CultureInfo.InvariantCulture)}",
            path,
            "application/json",
            $$"""{"messages":[{{string.Join(',', messages)}}]}""",
            [new("X-Api-Key", gateway.ApiKey)]);
        if (template.Messages != options.BatchSize)
        {
            // Every message needs a sequence number of its own, or the results cannot be matched to the receipts.
            throw new InvalidOperationException($"The batch request has {template.Messages} numbered bodies for {options.BatchSize} messages.");
        }

        var window = new MeasurementWindow();
        var log = new DeliveryLog(phase);
        receiver.Track(log);
        var client = new HttpLoadClient(gateway.Endpoint, template, batch: true);
        var timing = await new PhaseRunner(_context).RunAsync(
            window, stop => client.RunAsync(options.BatchConcurrency, log, window, stop), () => log.InFlight, cancellationToken);
        return [new PhaseResult { Scenario = Name, Load = load, Timing = timing, Delivery = log.Summarize(window), GatewayInvolved = true, Note = remark }];
    }

    /// <summary>
    /// Sends a batch of two messages with known ids. Returns why the scenario cannot run (null when it can) and a
    /// remark on an answer that works but differs from the expected one.
    /// </summary>
    private async Task<(string? Problem, string? Remark)> ProbeAsync(string path, string to, CancellationToken cancellationToken)
    {
        var probe = MessageBody.Create(0, 0, 0); // phase 0: no receiver tracks it
        var (status, body) = await _context.RequireApi().PostJsonAsync(
            path.TrimStart('/'),
            $$"""{"messages":[{"id":"probe-1","to":"{{to}}","type":"chat","body":"{{probe}}"},{"id":"probe-2","to":"{{to}}","type":"chat","body":"{{probe}}"}]}""",
            cancellationToken);
        if (status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            return ($"n/a (endpoint missing: the probe got {(int)status})", null);
        }

        if ((int)status is < 200 or > 299)
        {
            return ($"n/a (the probe got {(int)status}: {Excerpt(body)})", null);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var ids = document.RootElement.GetProperty("results").EnumerateArray()
                .Select(result => result.GetProperty("id").GetString())
                .ToArray();
            if (!ids.SequenceEqual(["probe-1", "probe-2"]))
            {
                return ($"n/a (the probe's results are not one per message in request order: {Excerpt(body)})", null);
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ($"n/a (the probe's answer is not {{\"results\":[{{\"id\":…}}]}}: {Excerpt(body)})", null);
        }

        return (null, status == HttpStatusCode.Accepted ? null : $"answers {(int)status}, not 202");
    }

    private static string Excerpt(string text)
    {
        var flat = new StringBuilder(text.Length).Append(text.ReplaceLineEndings(" ")).Replace('|', '/').ToString();
        return flat.Length <= 200 ? flat : flat[..200] + "…";
    }
}
