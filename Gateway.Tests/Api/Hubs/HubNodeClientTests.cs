using System.Diagnostics;
using System.Text.Json;
using Gateway.Tests.Integration.Client;
using Gateway.Tests.Integration.Prosody;
using Gateway.Xmpp;

namespace Gateway.Tests.Api.Hubs;

/// <summary>
/// The hub as a JavaScript application sees it: Gateway.Tests/js/signalr-client.mjs (@microsoft/signalr on Node)
/// against a real Kestrel socket. scripts/test.sh installs its packages (npm ci); without them the test fails loudly.
/// </summary>
[Trait("Tier", "Api")]
public sealed class HubNodeClientTests(ProsodyFixture prosody) : IAsyncLifetime
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private readonly GatewayApiFactory _app = new GatewayApiFactory(prosody.Server).UseRealSocket();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task NodeClient_ContactSendsMessage_PrintsEnvelopeAsJsonLine()
    {
        var account = await prosody.CreateAccountAsync("hubjs", Token);
        var session = await HubTestKit.CreateSessionAsync(_app, prosody.Server, account, "js-" + account.User);
        await using var bob = await TestClients.ConnectOnlineAsync(prosody.Server, await prosody.CreateAccountAsync("bob", Token));
        var url = new Uri(_app.ServerAddress, "hubs/xmpp").ToString();
        using var node = NodeClient.Start(url, GatewayApiFactory.AlphaKey, session.Id, count: 1, timeout: TimeSpan.FromSeconds(30));

        await node.Subscribed.WaitAsync(HubTestKit.Patience, Token);
        await bob.SendAsync(new Message { To = Jid.Parse(session.BoundJid!), Type = MessageType.Chat, Body = "hello node <&>", Id = "js-1" }, Token);
        var (exitCode, lines) = await node.CompleteAsync();

        Assert.True(exitCode == 0, $"node exited with {exitCode}: {node.Stderr}");
        using var envelope = JsonDocument.Parse(Assert.Single(lines));
        var root = envelope.RootElement;
        Assert.Equal("message", root.GetProperty("kind").GetString());
        Assert.Equal(session.Id, root.GetProperty("sessionId").GetString());
        Assert.True(root.GetProperty("eventId").GetInt64() > 0);
        Assert.True(root.TryGetProperty("receivedAt", out _));
        Assert.Equal("js-1", root.GetProperty("data").GetProperty("id").GetString());
        Assert.Equal("hello node <&>", root.GetProperty("data").GetProperty("body").GetString());
        Assert.Equal(bob.Jid.ToString(), root.GetProperty("data").GetProperty("from").GetString());
    }

    [Fact]
    public async Task NodeClient_UnknownSession_ExitsWithSessionNotFound()
    {
        using var node = NodeClient.Start(new Uri(_app.ServerAddress, "hubs/xmpp").ToString(), GatewayApiFactory.AlphaKey, "no-such-session", count: 1, timeout: TimeSpan.FromSeconds(30));

        var (exitCode, lines) = await node.CompleteAsync();

        Assert.Equal(1, exitCode);
        Assert.Empty(lines);
        Assert.Contains("session-not-found: Session not found", node.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeClient_WrongKey_ExitsRefused()
    {
        using var node = NodeClient.Start(new Uri(_app.ServerAddress, "hubs/xmpp").ToString(), "wrong-key", "s1", count: 1, timeout: TimeSpan.FromSeconds(30));

        var (exitCode, _) = await node.CompleteAsync();

        Assert.Equal(1, exitCode);
        Assert.Contains("401", node.Stderr, StringComparison.Ordinal);
    }

    /// <summary>One run of signalr-client.mjs: stdout lines collected, "subscribed" on stderr signalled.</summary>
    private sealed class NodeClient : IDisposable
    {
        private readonly Process _process;
        private readonly List<string> _stdout = [];
        private readonly System.Text.StringBuilder _stderr = new();
        private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private NodeClient(Process process) => _process = process;

        public Task Subscribed => _subscribed.Task;

        public string Stderr
        {
            get
            {
                lock (_stderr)
                {
                    return _stderr.ToString();
                }
            }
        }

        public static NodeClient Start(string url, string token, string sessionId, int count, TimeSpan timeout)
        {
            var directory = ScriptDirectory();
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "signalr-client.mjs", "--url", url, "--token", token, "--session", sessionId, "--count", $"{count}", "--timeout-ms", $"{(int)timeout.TotalMilliseconds}" })
            {
                start.ArgumentList.Add(argument);
            }

            var client = new NodeClient(new Process { StartInfo = start });
            client._process.OutputDataReceived += (_, e) =>
            {
                if (!string.IsNullOrEmpty(e.Data))
                {
                    lock (client._stdout)
                    {
                        client._stdout.Add(e.Data);
                    }
                }
            };
            client._process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (client._stderr)
                {
                    client._stderr.AppendLine(e.Data);
                }

                if (e.Data.StartsWith("subscribed ", StringComparison.Ordinal))
                {
                    client._subscribed.TrySetResult();
                }
            };
            client._process.Start();
            client._process.BeginOutputReadLine();
            client._process.BeginErrorReadLine();
            return client;
        }

        /// <summary>Waits for the script to exit on its own (it is bounded by its --timeout-ms).</summary>
        public async Task<(int ExitCode, IReadOnlyList<string> Lines)> CompleteAsync()
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            await _process.WaitForExitAsync(cts.Token);
            lock (_stdout)
            {
                return (_process.ExitCode, [.. _stdout]);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }

        private static string ScriptDirectory()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "Gateway.Tests", "js");
                if (File.Exists(Path.Combine(candidate, "signalr-client.mjs")))
                {
                    Assert.True(
                        Directory.Exists(Path.Combine(candidate, "node_modules", "@microsoft", "signalr")),
                        $"Run 'npm ci' in {candidate} (scripts/test.sh does it) before the hub's Node client tests.");
                    return candidate;
                }
            }

            throw new InvalidOperationException($"Gateway.Tests/js/signalr-client.mjs not found above {AppContext.BaseDirectory}.");
        }
    }
}
