using Gateway.Api.Auth;
using Gateway.Api.Cluster.Forwarding;
using Gateway.Api.Contracts;
using Gateway.Api.Diagnostics;
using Gateway.Api.Errors;
using Gateway.Api.Limits;
using Gateway.Api.OpenApi;
using Gateway.Xmpp;
using Gateway.Xmpp.Pool;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Gateway.Api.Endpoints.Sessions;

/// <summary><c>/api/v1/sessions</c>: open, list, inspect and close pooled XMPP sessions.</summary>
internal static class SessionsApi
{
    /// <summary>Where the sessions live; <c>Location</c> headers point below it.</summary>
    public const string BasePath = "/api/v1/sessions";

    public const string Tag = "Sessions";

    public static RouteGroupBuilder MapSessions(this RouteGroupBuilder group)
    {
        group.MapPost("", Create)
            .RequireScope(ApiScopes.Admin)
            .WithTags(Tag)
            .Documented(
                "CreateSession",
                "Open a session",
                "Logs in to the XMPP account and answers once the session is online (authenticated, bound, initial presence " +
                "sent unless sendInitialPresence is false); the gateway then keeps it online, reconnecting with backoff, until " +
                "it is deleted. The `Location` header names the new session. Failures carry the XMPP cause: a refused " +
                "password is 422 with `xmppCondition` `not-authorized` (401 is reserved for a bad API key), an unreachable " +
                "server 502 `xmpp-connection-failed` (also when the JID's domain leads to a loopback or private address, which " +
                "only `Gateway:Pool:AllowHostOverride` allows; the detail names only the domain), a refused certificate 502 " +
                "`xmpp-tls-failed`, a stream error 502 with its condition, a slow server 504. `host`, `port` and `tlsMode: " +
                "disabled` are refused with 400 `host-override-not-allowed`, and `pinnedCertificateSha256` with 400, unless the " +
                "gateway sets `Gateway:Pool:AllowHostOverride`. A session id already " +
                "in use is 409 `session-exists`; a full pool or tenant 429 `session-limit-reached`. A failed attempt keeps nothing. " +
                "Refused logins count against a budget per account and per tenant (`Gateway:LoginBudget`): past it, creates are " +
                "refused with 429 `login-budget-exhausted` and `Retry-After` before any connection is made.",
                Examples.CreateSession,
                new Dictionary<int, object>
                {
                    [201] = Examples.Session,
                    [409] = Examples.Make(409, ProblemCodes.SessionExists, "A session with id 'support-bot' already exists."),
                    [429] = Examples.Make(429, ProblemCodes.SessionLimitReached, "This tenant holds its maximum of 100 sessions (Gateway:Pool:MaxSessionsPerTenant)."),
                    [502] = Examples.Make(502, ProblemCodes.XmppConnectionFailed, "Could not connect to the XMPP server for example.com."),
                    [503] = Examples.Make(503, ProblemCodes.XmppAuthFailed, "SASL authentication failed with 'temporary-auth-failure'.") with { XmppCondition = "temporary-auth-failure" },
                })
            .ProducesProblems(400, 409, 413, 415, 422, 429, 502, 503, 504);

        group.MapGet("", List)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "ListSessions",
                "List sessions",
                "The caller's sessions, ordered by id, in whatever state they are. Sessions of other tenants are never listed. " +
                "On a clustered gateway the list spans every node: a session that runs on another node has state `remote` " +
                "(its own GET gives its live state).",
                responseExamples: new Dictionary<int, object> { [200] = Examples.Sessions });

        group.MapGet("/{id}", Get)
            .RequireScope(ApiScopes.Read)
            .WithTags(Tag)
            .Documented(
                "GetSession",
                "Get a session",
                "The session's state, bound JID, stream management status, outbound queue length and last event id. " +
                "Another tenant's session answers 404 exactly like an unknown one.",
                responseExamples: new Dictionary<int, object> { [200] = Examples.Session })
            .ProducesProblems(404);

        group.MapPatch("/{id}", Update)
            .RequireScope(ApiScopes.Admin)
            .WithTags(Tag)
            .Documented(
                "UpdateSession",
                "Change a session's settings",
                "Changes what the request names (a new password after it was changed on the server, the resource, host, port, " +
                "TLS mode, pins, initial presence, carbons, requestReceipts); what it leaves out stays. The account and the id " +
                "cannot change. A new password, host, port, TLS mode or pins are first tried with a login of their own (under a " +
                "resource of its own, without presence): refused, they answer as a create would (422 `not-authorized`, 502, " +
                "504) and the session runs on unchanged. Then the session moves to the new settings as it would to a restarted " +
                "gateway, with nothing lost: what is queued is sent on the new connection, event ids continue, and the XMPP " +
                "stream is resumed (XEP-0198) unless the resource, carbons or initial presence change, which need a new stream " +
                "(messages that arrive meanwhile are caught up from the server's archive). A failed session (e.g. after its " +
                "password was changed on the server) comes back online this way and sends what it had accepted. While it moves (about one login), sends are " +
                "answered 503 `session-unavailable` with `Retry-After`. 200 with the session once it is online again (or its " +
                "first attempt failed: see `state`); 409 `session-busy` while it is being created or changed already; 404 for " +
                "an unknown (or foreign) session. A new password counts against the login budget as on create.",
                Examples.UpdateSession,
                new Dictionary<int, object>
                {
                    [200] = Examples.Session,
                    [409] = Examples.Make(409, ProblemCodes.SessionBusy, "Session 'support-bot' is being created or changed right now; try again once that has finished."),
                    [422] = Examples.Make(422, ProblemCodes.XmppAuthFailed, "SASL authentication failed with 'not-authorized'.") with { XmppCondition = "not-authorized" },
                })
            .ProducesProblems(400, 404, 409, 413, 415, 422, 429, 502, 503, 504);

        group.MapDelete("/{id}", Delete)
            .RequireScope(ApiScopes.Admin)
            .WithTags(Tag)
            .Documented(
                "DeleteSession",
                "Close a session",
                "Closes the session gracefully (unavailable presence, then stream close) and forgets it; its id can be reused. " +
                "Stanzas still queued are dropped. 204, or 404 for an unknown (or foreign) session.")
            .ProducesProblems(404);
        return group;
    }

    /// <param name="body">The account and how to connect.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="poolOptions">The pool's settings.</param>
    /// <param name="loginBudget">Refused logins so far.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Created<SessionDto>, ProblemHttpResult>> Create(
        CreateSessionRequest body, HttpContext httpContext, ISessionPool pool, SessionPoolOptions poolOptions, LoginBudget loginBudget, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        if (RequestMapper.OverridesHost(body) && !poolOptions.AllowHostOverride)
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status400BadRequest, ProblemCodes.HostOverrideNotAllowed,
                "This gateway does not let callers choose the XMPP host or port (Gateway:Pool:AllowHostOverride is false): " +
                "leave host and port out, and the server is found through the DNS SRV records of the JID's domain.");
        }

        if (!RequestMapper.TryCreateSpec(body, poolOptions.AllowHostOverride, out var spec, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        // Checked before connecting: past the budget, no login reaches the server, so wrong passwords cannot be tried
        // through the gateway faster than the budget allows.
        var account = spec.Jid.Bare.ToString().ToLowerInvariant();
        if (LoginBudgetExhausted(httpContext, loginBudget, tenant, account, loggers) is { } exhausted)
        {
            return exhausted;
        }

        SessionInfo info;
        try
        {
            info = await pool.CreateAsync(tenant, spec, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            // The pool's last word on a spec this API let through; its message names what is wrong, never the password.
            return GatewayProblems.Result(httpContext, StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, ex.Message);
        }
        catch (SaslFailedException ex) when (ex.IsCredentialFailure)
        {
            loginBudget.RecordFailure(tenant, account);
            throw;
        }

        loginBudget.RecordSuccess(account);

        Log.SessionCreated(loggers.CreateLogger(typeof(SessionsApi)), tenant, info.Id);
        return TypedResults.Created(Location(info.Id), SessionMapper.ToDto(info));
    }

    /// <param name="id">The session id.</param>
    /// <param name="body">What to change.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="poolOptions">The pool's settings.</param>
    /// <param name="loginBudget">Refused logins so far.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<Ok<SessionDto>, ProblemHttpResult>> Update(
        string id, UpdateSessionRequest body, HttpContext httpContext, ISessionPool pool, SessionPoolOptions poolOptions, LoginBudget loginBudget, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        if (RequestMapper.OverridesHost(body) && !poolOptions.AllowHostOverride)
        {
            return GatewayProblems.Result(httpContext, StatusCodes.Status400BadRequest, ProblemCodes.HostOverrideNotAllowed,
                "This gateway does not let callers choose the XMPP host or port (Gateway:Pool:AllowHostOverride is false).");
        }

        if (!RequestMapper.TryCreateChange(body, poolOptions.AllowHostOverride, out var change, out var errors))
        {
            return GatewayProblems.Validation(httpContext, errors);
        }

        if (!SessionLookup.TryFind(httpContext, pool, id, out var session))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        // A new password is a login like a create's: it spends the same budget.
        var account = session.Info.Jid.Bare.ToString().ToLowerInvariant();
        var newPassword = change.Password is not null;
        if (newPassword && LoginBudgetExhausted(httpContext, loginBudget, tenant, account, loggers) is { } exhausted)
        {
            return exhausted;
        }

        SessionInfo? info;
        try
        {
            info = await pool.UpdateAsync(tenant, id, change, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            // The pool's last word on a change this API let through; its message names what is wrong, never the password.
            return GatewayProblems.Result(httpContext, StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, ex.Message);
        }
        catch (SaslFailedException ex) when (ex.IsCredentialFailure && newPassword)
        {
            loginBudget.RecordFailure(tenant, account);
            throw;
        }

        if (info is null)
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        if (newPassword)
        {
            loginBudget.RecordSuccess(account);
        }

        Log.SessionUpdated(loggers.CreateLogger(typeof(SessionsApi)), tenant, id, newPassword);
        return TypedResults.Ok(SessionMapper.ToDto(info));
    }

    /// <summary>429 <c>login-budget-exhausted</c> when the account or tenant has spent its refused logins; null otherwise.</summary>
    private static ProblemHttpResult? LoginBudgetExhausted(HttpContext httpContext, LoginBudget loginBudget, string tenant, string account, ILoggerFactory loggers)
    {
        if (loginBudget.Check(tenant, account) is not { } exhausted)
        {
            return null;
        }

        AuthLog.LoginBudgetExhausted(loggers.CreateLogger(typeof(SessionsApi)), tenant, exhausted.Setting, exhausted.RetryAfter);
        httpContext.Response.Headers[HeaderNames.RetryAfter] = XmppExceptionHandler.RetryAfterSeconds(exhausted.RetryAfter);
        var problem = GatewayProblems.FromMapping(httpContext, new ProblemMapping(StatusCodes.Status429TooManyRequests, ProblemCodes.LoginBudgetExhausted,
            $"Too many refused logins ({exhausted.Limit} within {LoginBudgetOptions.Section}:Window; {exhausted.Setting}): " +
            "no login is attempted until the Retry-After delay has passed.")
        {
            RetryAfter = exhausted.RetryAfter,
        });
        return TypedResults.Problem(problem);
    }

    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Ok<SessionDto[]>> List(HttpContext httpContext, ISessionPool pool, CancellationToken cancellationToken)
    {
        // A clustered node lists the tenant's sessions on every node (docs/scale-out.md); a single node its pool's.
        var tenant = httpContext.User.GetTenant();
        return httpContext.RequestServices.GetService<ClusterSessionList>() is { } cluster
            ? TypedResults.Ok(await cluster.ListAsync(tenant, cancellationToken))
            : TypedResults.Ok(pool.List(tenant).Select(SessionMapper.ToDto).ToArray());
    }

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    internal static Results<Ok<SessionDto>, ProblemHttpResult> Get(string id, HttpContext httpContext, ISessionPool pool) =>
        SessionLookup.TryFind(httpContext, pool, id, out var session)
            ? TypedResults.Ok(SessionMapper.ToDto(session.Info))
            : GatewayProblems.SessionNotFound(httpContext, id);

    /// <param name="id">The session id.</param>
    /// <param name="httpContext">The request.</param>
    /// <param name="pool">The session pool.</param>
    /// <param name="loggers">Loggers.</param>
    /// <param name="cancellationToken">Request aborted.</param>
    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, HttpContext httpContext, ISessionPool pool, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var tenant = httpContext.User.GetTenant();
        if (!await pool.RemoveAsync(tenant, id, cancellationToken))
        {
            return GatewayProblems.SessionNotFound(httpContext, id);
        }

        Log.SessionRemoved(loggers.CreateLogger(typeof(SessionsApi)), tenant, id);
        return TypedResults.NoContent();
    }

    public static string Location(string id) => $"{BasePath}/{Uri.EscapeDataString(id)}";
}
