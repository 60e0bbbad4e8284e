using System.Net;
using Gateway.Api.Cluster.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Cluster.Forwarding;

[Trait("Tier", "Unit")]
public sealed class ForwardedHeadersTests
{
    [Fact]
    public void CopyToRequest_KeepsTheCallersCredentialsAndIdempotencyKey_DropsHopByHopAndOwnHeaders()
    {
        var source = new HeaderDictionary
        {
            ["X-Api-Key"] = "alpha-key",
            ["Authorization"] = "Bearer token",
            ["Idempotency-Key"] = "order-17",
            ["Accept"] = "application/json",
            ["Content-Type"] = "application/json",
            ["Content-Length"] = "12",
            ["Host"] = "front.example",
            ["Connection"] = "keep-alive, X-Hop",
            ["X-Hop"] = "only for the next hop",
            ["Keep-Alive"] = "timeout=5",
            ["Transfer-Encoding"] = "chunked",
            ["Upgrade"] = "websocket",
            ["TE"] = "trailers",
            ["Proxy-Authorization"] = "Basic cHJveHk=",
            ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            [ForwardingMarker.HeaderName] = "forged",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://owner.example/api/v1/sessions/s/messages")
        {
            Content = new StreamContent(Stream.Null),
        };

        ForwardedHeaders.CopyToRequest(source, request);

        Assert.Equal(["alpha-key"], request.Headers.GetValues("X-Api-Key"));
        Assert.Equal("Bearer token", request.Headers.Authorization?.ToString());
        Assert.Equal(["order-17"], request.Headers.GetValues("Idempotency-Key"));
        Assert.Equal("application/json", request.Headers.Accept.Single().MediaType);
        Assert.Equal("application/json", request.Content.Headers.ContentType?.MediaType);
        Assert.Equal(12, request.Content.Headers.ContentLength);
        foreach (var dropped in new[] { "Host", "Connection", "X-Hop", "Keep-Alive", "Transfer-Encoding", "Upgrade", "TE", "Proxy-Authorization", "traceparent", ForwardingMarker.HeaderName })
        {
            Assert.False(request.Headers.Contains(dropped), dropped);
        }
    }

    [Fact]
    public void CopyToRequest_WithoutBody_PutsNoContentHeaderAnywhere()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://owner.example/api/v1/sessions/s");

        ForwardedHeaders.CopyToRequest(new HeaderDictionary { ["X-Api-Key"] = "k", ["Content-Type"] = "text/plain" }, request);

        Assert.Null(request.Content);
        Assert.True(request.Headers.Contains("X-Api-Key"));
    }

    [Fact]
    public void CopyToResponse_ReturnsTheOwnersHeaders_WithoutItsFraming()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
        {
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/problem+json"),
        };
        response.Headers.TryAddWithoutValidation("Retry-After", "2");
        response.Headers.TryAddWithoutValidation("Location", "/api/v1/sessions/s");
        response.Headers.TryAddWithoutValidation("Connection", "close, X-Hop");
        response.Headers.TryAddWithoutValidation("X-Hop", "1");
        response.Headers.TransferEncodingChunked = true;
        var target = new HeaderDictionary();

        ForwardedHeaders.CopyToResponse(response, target);

        Assert.Equal("2", target["Retry-After"]);
        Assert.Equal("/api/v1/sessions/s", target["Location"]);
        Assert.StartsWith("application/problem+json", target["Content-Type"].ToString(), StringComparison.Ordinal);
        Assert.False(target.ContainsKey("Connection"));
        Assert.False(target.ContainsKey("X-Hop"));
        Assert.False(target.ContainsKey("Transfer-Encoding"));
    }

    [Theory]
    [InlineData("http://10.0.0.5:8080/", "/api/v1/sessions/a%20b/messages", "?wait=server", "http://10.0.0.5:8080/api/v1/sessions/a%20b/messages?wait=server")]
    [InlineData("http://10.0.0.5:8080", "/api/v1/sessions/s", "", "http://10.0.0.5:8080/api/v1/sessions/s")]
    [InlineData("https://node-b.internal/gateway/", "/api/v1/sessions/s/roster", "", "https://node-b.internal/gateway/api/v1/sessions/s/roster")]
    public void TargetUri_KeepsTheOwnersPrefixAndTheCallersPathAndQuery(string owner, string path, string query, string expected)
    {
        var target = SessionForwarder.TargetUri(new Uri(owner), PathString.FromUriComponent(path), new QueryString(query.Length == 0 ? null : query));

        Assert.Equal(expected, target.AbsoluteUri);
    }
}
