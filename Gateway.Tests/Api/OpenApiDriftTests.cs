using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Tests.Api.Fakes;

namespace Gateway.Tests.Api;

/// <summary>
/// openapi/gateway.v1.json is the committed copy of the document the gateway serves. This test fails on any
/// difference; run it with UPDATE_OPENAPI=1 to rewrite the file instead (then review and commit the diff).
/// </summary>
[Trait("Tier", "Api")]
public sealed class OpenApiDriftTests
{
    private const string RegenerateHint =
        "Regenerate it with: UPDATE_OPENAPI=1 dotnet test Gateway.Tests --filter \"FullyQualifiedName~Gateway.Tests.Api.OpenApiDriftTests\" " +
        "then review and commit openapi/gateway.v1.json.";

    [Fact]
    public async Task Document_MatchesCommittedCopy()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Http:EnableSwagger"] = "true";
        using var client = app.CreateClient(apiKey: null);
        var served = await client.GetStringAsync("/swagger/v1/swagger.json", TestContext.Current.CancellationToken);
        var actual = Normalize(served);
        var path = Path.Combine(RepositoryRoot(), "openapi", "gateway.v1.json");

        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(path, actual, TestContext.Current.CancellationToken);
            return;
        }

        Assert.True(File.Exists(path), $"{path} does not exist. {RegenerateHint}");
        var expected = Normalize(await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
        if (expected != actual)
        {
            Assert.Fail($"openapi/gateway.v1.json differs from the document the gateway serves ({FirstDifference(expected, actual)}). {RegenerateHint}");
        }
    }

    [Fact]
    public async Task Document_EveryOperation_HasSummaryDescriptionExamplesAndProblemResponses()
    {
        await using var app = new GatewayApiFactory { Pool = new FakeSessionPool() };
        app.Settings["Gateway:Http:EnableSwagger"] = "true";
        using var client = app.CreateClient(apiKey: null);
        var document = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json", TestContext.Current.CancellationToken))!;

        var operations = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (Name: $"{o.Key.ToUpperInvariant()} {p.Key}", Operation: o.Value!))).ToList();
        Assert.True(operations.Count >= 11, $"Only {operations.Count} operations documented.");
        foreach (var (name, operation) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]), $"{name}: no summary");
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["description"]), $"{name}: no description");
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["operationId"]), $"{name}: no operationId");
            if (operation["requestBody"] is { } body)
            {
                Assert.All(body["content"]!.AsObject(), c => Assert.True(c.Value!["example"] is not null, $"{name}: no request example for {c.Key}"));
            }

            var responses = operation["responses"]!.AsObject();
            Assert.Contains("401", responses.Select(r => r.Key));
            foreach (var (status, response) in responses)
            {
                foreach (var (mediaType, content) in response!["content"]?.AsObject() ?? [])
                {
                    Assert.True(content!["example"] is not null, $"{name}: no example for {status} {mediaType}");
                    if (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture) >= 400)
                    {
                        Assert.Equal("application/problem+json", mediaType);
                        Assert.Equal("#/components/schemas/GatewayProblemDetails", (string?)content["schema"]!["$ref"]);
                    }
                }
            }
        }

        var problem = document["components"]!["schemas"]!["GatewayProblemDetails"]!["properties"]!.AsObject();
        Assert.All(new[] { "code", "traceId", "xmppCondition", "xmppErrorType", "xmppText" }, p => Assert.True(problem.ContainsKey(p), p));
        Assert.Equal("X-Api-Key", (string?)document["components"]!["securitySchemes"]!["ApiKey"]!["name"]);
    }

    /// <summary>Keys sorted at every level, two-space indentation, \n line ends: stable whatever the serializer's order.</summary>
    internal static string Normalize(string json)
    {
        var node = Sort(JsonNode.Parse(json));
        return node!.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping })
            .ReplaceLineEndings("\n") + "\n";
    }

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value?.DeepClone())))),
        JsonArray array => new JsonArray([.. array.Select(item => Sort(item?.DeepClone()))]),
        _ => node?.DeepClone(),
    };

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (var i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var left = i < e.Length ? e[i] : "<end of file>";
            var right = i < a.Length ? a[i] : "<end of file>";
            if (left != right)
            {
                return $"first difference at line {i + 1}: committed '{left.Trim()}', served '{right.Trim()}'";
            }
        }

        return "no line differs";
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gateway.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Gateway.slnx above {AppContext.BaseDirectory}.");
    }
}
