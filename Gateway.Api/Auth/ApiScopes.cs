namespace Gateway.Api.Auth;

/// <summary>What an API key may do. A key configured without scopes (<c>ApiKeySha256</c>) has all of them.</summary>
[Flags]
public enum ApiScopes
{
    None = 0,

    /// <summary><c>read</c>: GET requests, and subscribing on the hub.</summary>
    Read = 1,

    /// <summary><c>send</c>: sending messages, presence, IQs and raw stanzas, changing the roster (REST and hub).</summary>
    Send = 2,

    /// <summary><c>admin</c>: opening and closing sessions.</summary>
    Admin = 4,

    All = Read | Send | Admin,
}

/// <summary>Wire names of <see cref="ApiScopes"/>, in configuration, claims and policy names.</summary>
public static class ApiScopeNames
{
    public const string Read = "read";
    public const string Send = "send";
    public const string Admin = "admin";

    /// <summary>The claim carrying one scope (one claim per scope).</summary>
    public const string Claim = "gateway:scope";

    /// <summary>Policy names are <c>scope:</c> plus the scope's name.</summary>
    public const string PolicyPrefix = "scope:";

    public const string Rule = "must be read, send or admin";

    /// <summary>The single scopes, each with its name.</summary>
    public static readonly IReadOnlyList<(ApiScopes Scope, string Name)> All =
        [(ApiScopes.Read, Read), (ApiScopes.Send, Send), (ApiScopes.Admin, Admin)];

    public static bool TryParse(string? name, out ApiScopes scope)
    {
        (var ok, scope) = name switch
        {
            Read => (true, ApiScopes.Read),
            Send => (true, ApiScopes.Send),
            Admin => (true, ApiScopes.Admin),
            _ => (false, ApiScopes.None),
        };
        return ok;
    }

    /// <summary>The name of a single scope.</summary>
    public static string NameOf(ApiScopes scope) => scope switch
    {
        ApiScopes.Read => Read,
        ApiScopes.Send => Send,
        ApiScopes.Admin => Admin,
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "Not a single scope."),
    };

    public static string PolicyFor(ApiScopes scope) => PolicyPrefix + NameOf(scope);
}
