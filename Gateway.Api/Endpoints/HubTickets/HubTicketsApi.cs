using Gateway.Api.Auth;
using Gateway.Api.Contracts;
using Gateway.Api.Errors;
using Gateway.Api.OpenApi;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Endpoints.HubTickets;

/// <summary><c>/api/v1/hub-tickets</c>: short-lived tickets that open a hub connection without the API key in the URL.</summary>
internal static class HubTicketsApi
{
    public const string BasePath = "/api/v1/hub-tickets";

    public static IEndpointRouteBuilder MapHubTickets(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(BasePath, Issue)
            .RequireScope(ScopeAuthorization.AnyScopePolicy)
            .WithTags("Hub")
            .Documented(
                "CreateHubTicket",
                "Get a hub ticket",
                "Issues an opaque ticket for `/hubs/xmpp`, valid for `Gateway:HubTickets:Lifetime` (60 s by default), with the " +
                "tenant and scopes of the calling key. Browsers cannot set headers on WebSockets, so they send a credential " +
                "in the URL (`access_token`), where proxies and servers log it: a ticket there is worth one connection for a " +
                "minute, the long-lived key forever. A ticket opens one connection (SignalR's negotiate request and the " +
                "transport requests of that connection may all carry it); give `accessTokenFactory` a function that fetches " +
                "a new ticket each time it is called, so reconnects get one too. Removing or changing the key invalidates " +
                "its tickets and closes their connections. 429 `rate-limited` when too many tickets are outstanding.",
                responseExamples: new Dictionary<int, object> { [201] = new HubTicketDto("ght_hM3q0v6l3rQ2m9Yx1c8ZkPp4nW7aE5sT0bUoJiLgRfA", Examples.Since.AddSeconds(60)) })
            .ProducesProblems(429);
        return endpoints;
    }

    /// <param name="httpContext">The request.</param>
    /// <param name="tickets">The ticket store.</param>
    /// <param name="loggers">Loggers.</param>
    internal static Results<Created<HubTicketDto>, ProblemHttpResult> Issue(HttpContext httpContext, HubTicketStore tickets, ILoggerFactory loggers)
    {
        // The policy guarantees an ApiKey principal, and only keys (not tickets) reach /api.
        var identity = httpContext.User.GetKeyIdentity()
            ?? throw new InvalidOperationException($"The request is not authenticated with the {ApiKeyDefaults.Scheme} scheme.");
        if (tickets.Issue(identity) is not { } issued)
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status429TooManyRequests, ProblemCodes.RateLimited,
                "Too many hub tickets are outstanding (Gateway:HubTickets:MaxOutstanding); use the ones issued, or retry once they expire.");
        }

        AuthLog.TicketIssued(loggers.CreateLogger(typeof(HubTicketsApi)), identity.Tenant, issued.ExpiresAt);
        httpContext.Response.Headers[HeaderNames.CacheControl] = "no-store";
        return TypedResults.Created((string?)null, new HubTicketDto(issued.Ticket, issued.ExpiresAt));
    }
}
