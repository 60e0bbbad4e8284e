using System.Net;
using System.Text;
using Gateway.Tests.Api.Fakes;
using Gateway.Xmpp;

namespace Gateway.Tests.Api;

/// <summary>
/// Throws malformed, hostile and absurd input at every endpoint: nothing may produce a 500, every error is problem
/// details, and nothing is logged at Error.
/// </summary>
[Trait("Tier", "Api")]
public sealed class GarbageInputTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    /// <summary>Every operation of the API: method, path (session s1 exists), content type of its body (null: none).</summary>
    public static TheoryData<string, string, string?> Endpoints => new()
    {
        { "POST", "/api/v1/sessions", "application/json" },
        { "GET", "/api/v1/sessions", null },
        { "GET", "/api/v1/sessions/s1", null },
        { "PATCH", "/api/v1/sessions/s1", "application/json" },
        { "DELETE", "/api/v1/sessions/s1", null },
        { "POST", "/api/v1/sessions/s1/messages", "application/json" },
        { "POST", "/api/v1/sessions/s1/messages/batch", "application/json" },
        { "POST", "/api/v1/sessions/s1/presence", "application/json" },
        { "POST", "/api/v1/sessions/s1/iq", "application/json" },
        { "GET", "/api/v1/sessions/s1/roster", null },
        { "PUT", "/api/v1/sessions/s1/roster/bob@example.com", "application/json" },
        { "DELETE", "/api/v1/sessions/s1/roster/bob@example.com", null },
        { "POST", "/api/v1/sessions/s1/stanzas", "application/xmpp+xml" },
        { "GET", "/api/v1/sessions/s1/rooms", null },
        { "PUT", "/api/v1/sessions/s1/rooms/dev@conference.example.com", "application/json" },
        { "DELETE", "/api/v1/sessions/s1/rooms/dev@conference.example.com", null },
        { "GET", "/api/v1/sessions/s1/rooms/dev@conference.example.com/occupants", null },
        { "POST", "/api/v1/sessions/s1/rooms/dev@conference.example.com/messages", "application/json" },
        { "PUT", "/api/v1/sessions/s1/rooms/dev@conference.example.com/subject", "application/json" },
        { "POST", "/api/v1/sessions/s1/rooms/dev@conference.example.com/invitations", "application/json" },
        { "POST", "/api/v1/sessions/s1/rooms/dev@conference.example.com/occupants/bob/messages", "application/json" },
        { "PUT", "/api/v1/sessions/s1/rooms/dev@conference.example.com/occupants/bob/role", "application/json" },
        { "PUT", "/api/v1/sessions/s1/rooms/dev@conference.example.com/affiliations/bob@example.com", "application/json" },
    };

    private static readonly string[] JsonBodies =
    [
        "", " ", "null", "[]", "{}", "{", "}", "\"text\"", "123", "true", "{\"a\":}", "{'to':'x'}", "{\"to\":\"x\",}",
        "{\"to\":null,\"body\":null}", "{\"to\":123}", "{\"to\":[]}", "{\"to\":{}}", "{\"to\":\"\"}", "{\"to\":\"@\"}",
        "{\"to\":\"a@b\",\"body\":\"\\u0000\"}", "{\"to\":\"a@b\",\"body\":\"\\ud800\"}", "{\"to\":\"a@b\",\"body\":\"\\udc00\\ud800\"}",
        "{\"to\":\"a@b\",\"body\":\"\\uffff\"}", "{\"to\":\"a@b\",\"body\":\"x\",\"type\":\"error\"}",
        "{\"to\":\"a@b\",\"subject\":\"\\u001b[31m\"}", "{\"to\":\"a@b\",\"lang\":\"\\u0000\",\"body\":\"x\"}",
        "{\"to\":\"a@b\",\"payloads\":null}", "{\"to\":\"a@b\",\"payloads\":[null]}", "{\"to\":\"a@b\",\"payloads\":[\"\"]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<a\"]}", "{\"to\":\"a@b\",\"payloads\":[\"<a xmlns='u'>&e;</a>\"]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x xmlns='u'>&e;</x>\"]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<!DOCTYPE l [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><l xmlns='u'>&c;</l>\"]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<x:a xmlns:x='u'><x:b/></x:a>\", 5]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>\"]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<body xmlns='jabber:client'>x</body>\"]}",
        "{\"to\":\"a@b\",\"payloads\":[\"<a xmlns='u'><![CDATA[]]></a>\"]}",
        "{\"type\":\"get\",\"payload\":\"<q xmlns='x'/>\",\"timeoutSeconds\":1e400}",
        "{\"type\":\"get\",\"payload\":\"<q xmlns='x'/>\",\"timeoutSeconds\":99999999999999999999}",
        "{\"type\":\"get\",\"payload\":\"<q xmlns='x'/>\",\"timeoutSeconds\":-5}", "{\"type\":\"get\",\"payload\":\"<q xmlns='x'/>\",\"timeoutSeconds\":\"5\"}",
        "{\"type\":\"set\",\"payload\":\"<query xmlns='jabber:iq:roster'/>\",\"to\":\"\\u0000@x\"}",
        "{\"type\":\"error\",\"id\":\"\\u0000\",\"error\":{\"condition\":\"\\u0000\",\"type\":null,\"text\":\"\\ud800\"}}",
        "{\"type\":\"error\",\"id\":\"x\",\"error\":{}}", "{\"type\":\"error\",\"id\":\"x\",\"error\":[]}",
        "{\"type\":\"result\",\"id\":\"x\",\"payload\":\"<a xmlns='u'/>\",\"error\":null}",
        "{\"jid\":\"a@b\",\"password\":\"p\",\"port\":-1}", "{\"jid\":\"a@b\",\"password\":\"p\",\"port\":1.5}",
        "{\"jid\":\"a@b\",\"password\":\"p\",\"host\":\"\\u0000\"}", "{\"jid\":\"a@b\",\"password\":\"p\",\"host\":\"http://evil/\"}",
        "{\"jid\":\"a@b\",\"password\":\"p\",\"id\":\"../../etc\"}", "{\"jid\":\"a@b\",\"password\":\"p\",\"resource\":\"\\u0000\"}",
        "{\"jid\":\"a@b\",\"password\":\"\\u0000\"}", "{\"jid\":\"" + new string('a', 5000) + "@b\",\"password\":\"p\"}",
        "{\"jid\":\"a@b\",\"password\":\"p\",\"tlsMode\":\"disabled\",\"pinnedCertificateSha256\":[\"zz\", null]}",
        "{\"messages\":null}", "{\"messages\":[]}", "{\"messages\":[null]}", "{\"messages\":{}}", "{\"messages\":[1,\"x\",true]}",
        "{\"messages\":[[]]}", "{\"messages\":[{}]}", "{\"messages\":[{\"to\":null}]}", "{\"messages\":[{\"to\":\"a@b\",\"body\":\"\\u0000\"}]}",
        "{\"messages\":[{\"to\":\"a@b\",\"body\":\"x\"},{\"to\":\"@\"},null]}", "{\"messages\":[{\"to\":\"a@b\",\"body\":\"x\"}],\"messages\":[]}",
        "{\"messages\":[" + string.Join(",", Enumerable.Repeat("{\"to\":\"a@b\",\"body\":\"x\"}", 1001)) + "]}",
        "{\"messages\":[" + string.Join(",", Enumerable.Repeat("{\"to\":\"@\",\"payloads\":[\"<a\"]}", 300)) + "]}",
        "{\"messages\":" + new string('[', 5000) + new string(']', 5000) + "}",
        "{\"show\":\"away\",\"type\":\"unavailable\",\"priority\":300}", "{\"priority\":\"high\"}", "{\"type\":\"probe\",\"to\":\"a@b\"}",
        "{\"name\":\"\\u0000\",\"groups\":[\"\", null, \"\\ud800\"]}", "{\"groups\":\"not-a-list\"}",
        new string('[', 5000) + new string(']', 5000),
        "{\"to\":" + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200) + "}",
        "{\"to\":\"a@b\",\"body\":\"" + new string('x', 200_000) + "\"}",
        "{\"to\":\"a@b\",\"payloads\":[" + string.Join(",", Enumerable.Repeat("\"<a xmlns='u'/>\"", 40)) + "]}",
    ];

    private static readonly string[] XmlBodies =
    [
        "", " ", "<", "<message", "<message/>", "<message><body>x</message>", "text", "<?xml version='1.0'?>",
        "<message to='@@'/>", "<message to='a@b' from='admin@b'><body>x</body></message>", "<message type='error'/>",
        "<presence type='invalid'/>", "<iq/>", "<iq type='get'/>", "<iq type='get' id='1'/>", "<iq type='get' id='1'><a xmlns='u'/><b xmlns='u'/></iq>",
        "<iq type='result' id=''/>", "<iq type='error' id='x'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>",
        "<stream:error xmlns:stream='http://etherx.jabber.org/streams'/>", "<a xmlns='urn:xmpp:sm:3'/>", "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
        "<!DOCTYPE message [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><message>&e;</message>", "<message><!-- x --></message>",
        "<?pi x?><message/>", "<message>&#1;</message>", "<message xmlns='jabber:server'/>", "<html><body/></html>",
        "<message to='a@b'>" + string.Concat(Enumerable.Repeat("<x xmlns='u'>", 100)) + string.Concat(Enumerable.Repeat("</x>", 100)) + "</message>",
        "<message to='a@b'><body>" + new string('x', 300_000) + "</body></message>",
    ];

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_GarbageBodies_NeverAnswer5xx(string method, string path, string? contentType)
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        var bodies = contentType == "application/xmpp+xml" ? XmlBodies : JsonBodies;
        string[] contentTypes = contentType is null ? ["application/json"] : [contentType, "application/json", "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=latin1"];

        foreach (var type in contentTypes)
        {
            foreach (var body in bodies)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8) };
                request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type);
                await AssertNot5xxAsync(client, request, $"{type} {Shorten(body)}");
            }

            // Bytes that are not UTF-8.
            using var binary = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent([0xFF, 0xFE, 0x00, 0xC3, 0x28, 0xA0, 0xA1]) };
            binary.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type);
            await AssertNot5xxAsync(client, binary, $"{type} invalid UTF-8");
        }

        app.Logs.AssertNoErrors();
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_GarbageQueryAndHeaders_NeverAnswer5xx(string method, string path, string? contentType)
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        string[] queries = ["?wait=", "?wait=sometimes", "?wait=server&wait=queued", "?wait=%00", "?access_token=x", "?%ZZ=1", "?" + new string('q', 4000)];
        foreach (var query in queries)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path + query);
            if (contentType is not null)
            {
                request.Content = new StringContent(contentType.Contains("xml", StringComparison.Ordinal) ? "<message to='a@b'><body>x</body></message>" : "{\"to\":\"a@b\",\"body\":\"x\",\"type\":\"get\",\"payload\":\"<q xmlns='x'/>\",\"jid\":\"a@b\",\"password\":\"p\"}", Encoding.UTF8);
                request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            }

            request.Headers.TryAddWithoutValidation("Accept", "text/html, application/xml;q=0.9");
            await AssertNot5xxAsync(client, request, query);
        }

        app.Logs.AssertNoErrors();
    }

    public static TheoryData<string> GarbagePaths => new()
    {
        "/api/v1/sessions/%2e%2e",
        "/api/v1/sessions/a%2Fb",
        "/api/v1/sessions/" + new string('x', 3000),
        "/api/v1/sessions/%C3%BC%F0%9F%98%80",
        "/api/v1/sessions/%FF%FE",
        "/api/v1/sessions/s1/roster/%40%40",
        "/api/v1/sessions/s1/roster/bob%40example.com%2Fphone",
        "/api/v1/sessions/s1/roster/" + new string('a', 3000) + "@example.com",
        "/api/v1/sessions/s1/roster/a@%5B::1",
        "/api/v1/sessions//messages",
        "/api/v1/sessions/s1/messages/extra",
        "/api/v1/sessions/s1/messages/batch/extra",
        "/api/v1/sessions/%2e%2e/messages/batch",
        "/api/v1/../../etc/passwd",
    };

    [Theory]
    [MemberData(nameof(GarbagePaths))]
    public async Task GarbagePaths_AllMethods_NeverAnswer5xx(string path)
    {
        var (app, _) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();
        foreach (var method in new[] { "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method is "POST" or "PUT" or "PATCH")
            {
                request.Content = new StringContent("{\"to\":\"a@b\",\"body\":\"x\"}", Encoding.UTF8, "application/json");
            }

            await AssertNot5xxAsync(client, request, method);
        }

        app.Logs.AssertNoErrors();
    }

    /// <summary>NUL and broken percent-encoding in the path: the in-memory test server cannot even build such requests, Kestrel refuses them.</summary>
    [Fact]
    public async Task MalformedPaths_OverRealSocket_NeverAnswer5xx()
    {
        var (app, _) = Start();
        await using var __ = app.UseRealSocket();
        using var client = new HttpClient { BaseAddress = app.ServerAddress };
        client.DefaultRequestHeaders.Add("X-Api-Key", GatewayApiFactory.AlphaKey);
        foreach (var path in new[] { "/api/v1/sessions/%00", "/api/v1/sessions/s1/roster/%00", "/api/v1/sessions/%FF", "/api/v1/sessions/%", "/api/v1/sessions/s1/roster/a%00b@c" })
        {
            var response = await client.GetAsync(new Uri(path, UriKind.Relative), Token);
            Assert.True((int)response.StatusCode < 500, $"{path} answered {(int)response.StatusCode}");
        }

        app.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task ValidRequests_AgainstFakePool_Succeed()
    {
        var (app, session) = Start();
        await using var __ = app;
        using var client = app.CreateAlphaClient();

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostRawAsync("/api/v1/sessions/s1/messages", "{\"to\":\"a@b\",\"body\":\"x\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostRawAsync("/api/v1/sessions/s1/presence", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostRawAsync("/api/v1/sessions/s1/iq", "{\"type\":\"get\",\"payload\":\"<q xmlns='x'/>\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostRawAsync("/api/v1/sessions/s1/stanzas", "<message to='a@b'><body>x</body></message>", "application/xmpp+xml")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostRawAsync("/api/v1/sessions/s1/messages/batch", "{\"messages\":[{\"to\":\"a@b\",\"body\":\"x\"},{\"to\":\"a@b\",\"body\":\"y\"}]}")).StatusCode);
        Assert.Equal(5, session.Enqueued.Count);
    }

    private static (GatewayApiFactory App, FakeSession Session) Start()
    {
        var pool = new FakeSessionPool();
        var session = pool.Add(GatewayApiFactory.AlphaTenant, "s1");
        session.OnIq = iq => iq.ResultReply() with { From = iq.To };
        return (new GatewayApiFactory { Pool = pool }, session);
    }

    private static async Task AssertNot5xxAsync(HttpClient client, HttpRequestMessage request, string what)
    {
        var response = await client.SendAsync(request, Token);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(Token);
        Assert.True(status < 500, $"{request.Method} {Shorten(request.RequestUri!.OriginalString)} [{what}] answered {status}: {Shorten(text)}");
        if (status >= 400 && request.Method != HttpMethod.Head)
        {
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{request.Method} {Shorten(request.RequestUri!.OriginalString)} [{what}] answered {status} without problem details: {Shorten(text)}");
        }
    }

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..120] + "…";
}
