using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Cluster;

/// <summary>
/// The XMPP server's own account of resource binding: a small Prosody module (<c>mod_bind_witness</c>, written into a
/// plugin directory for a private <see cref="Integration.Prosody.ProsodyServer"/>) that logs, at every resource bind
/// (RFC 6120 §7), which sessions the account already has and in what state: <c>live</c> (a connection),
/// <c>hibernating</c> (XEP-0198: the connection is gone, the session waits to be resumed) or <c>closed</c>. A bind
/// while another session of the account is live means the account was logged in twice at that moment, whatever the
/// resources are called; with Prosody's default <c>conflict_resolve = "kick_old"</c> the older one is then thrown out
/// with <c>conflict</c>, which this shows even when both used the same resource.
/// </summary>
internal static partial class BindWitness
{
    public const string ModuleName = "bind_witness";

    private const string Module = """
        -- Test witness (Gateway.Tests BindWitness): at every resource bind, the account's sessions as the server holds them.
        module:hook("pre-resource-bind", function(event)
            local session = event.session;
            local user = prosody.hosts[session.host].sessions[session.username];
            local others = {};
            if user and user.sessions then
                for resource, other in pairs(user.sessions) do
                    local state = other.hibernating and "hibernating" or (other.conn and "live" or "closed");
                    others[#others + 1] = resource .. "=" .. state;
                end
            end
            module:log("warn", "bind-witness %s@%s binds %s; others [%s]", session.username, session.host,
                tostring(event.resource), table.concat(others, " "));
        end);
        """;

    /// <summary>Writes the module into <paramref name="directory"/> (a Prosody <c>plugin_paths</c> entry) and returns the directory.</summary>
    public static string WriteModule(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"mod_{ModuleName}.lua"), Module);
        return directory;
    }

    /// <summary>Every bind the module logged in <paramref name="prosodyLog"/>, oldest first.</summary>
    public static IReadOnlyList<Bind> Read(string prosodyLog)
    {
        if (!File.Exists(prosodyLog))
        {
            return [];
        }

        using var stream = new FileStream(prosodyLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var binds = new List<Bind>();
        while (reader.ReadLine() is { } line)
        {
            var match = BindLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var others = match.Groups["others"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(o => o.Split('=', 2))
                .Select(p => new OtherSession(p[0], p.Length > 1 ? p[1] : "?"))
                .ToList();
            binds.Add(new Bind(match.Groups["time"].Value.Trim(), match.Groups["account"].Value, match.Groups["resource"].Value, others));
        }

        return binds;
    }

    [GeneratedRegex(@"^(?<time>.*?)\S*bind_witness\s.*bind-witness (?<account>\S+) binds (?<resource>\S+); others \[(?<others>[^\]]*)\]")]
    private static partial Regex BindLine();

    /// <summary>One resource bind: the account, the resource asked for, and the account's other sessions at that moment.</summary>
    public sealed record Bind(string Time, string Account, string Resource, IReadOnlyList<OtherSession> Others)
    {
        /// <summary>Another session of the account still had its connection: the account was logged in twice.</summary>
        public bool WhileAnotherIsLive => Others.Any(o => o.State == "live");

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Time} {Account} binds {Resource}; others [{string.Join(' ', Others.Select(o => $"{o.Resource}={o.State}"))}]");
    }

    public sealed record OtherSession(string Resource, string State);
}
