using System.Runtime.InteropServices;

namespace Gateway.Bench.Load;

/// <summary>
/// The open-files limit (RLIMIT_NOFILE). Raised for this process before the servers start, so Prosody and the
/// gateway inherit it: each holds one socket per session.
/// </summary>
internal static class FileLimits
{
    private const int RlimitNofile = 7;

    /// <summary>
    /// Raises the soft limit to the hard limit and, where allowed (root), both to at least <paramref name="wanted"/>.
    /// Returns the limit now in force and what it was.
    /// </summary>
    public static (ulong Now, ulong Before) Raise(ulong wanted)
    {
        if (GetRLimit(RlimitNofile, out var limit) != 0)
        {
            return (0, 0);
        }

        var before = limit.Current;
        var raised = new RLimit { Current = Math.Max(limit.Maximum, wanted), Maximum = Math.Max(limit.Maximum, wanted) };
        if (SetRLimit(RlimitNofile, ref raised) != 0)
        {
            raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            _ = SetRLimit(RlimitNofile, ref raised);
        }

        return GetRLimit(RlimitNofile, out limit) == 0 ? (limit.Current, before) : (before, before);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    // DllImport, like ProsodyServer's kill(2): LibraryImport's stub needs AllowUnsafeBlocks.
    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetRLimit(int resource, out RLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetRLimit(int resource, ref RLimit limit);
}
