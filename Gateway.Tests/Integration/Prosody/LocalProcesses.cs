using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Gateway.Tests.Integration.Prosody;

/// <summary>
/// What the harnesses that run servers as child processes (Prosody, the gateway; the load tool links this file) need
/// alike: a free loopback port, a graceful stop signal, a kill that leaves no orphans, and the tail of a log file.
/// </summary>
internal static class LocalProcesses
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    /// <summary>A TCP port free on 127.0.0.1 right now (the OS picks it; another process may take it before use).</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Sends SIGTERM, the graceful stop an orchestrator sends; false when it could not be sent (e.g. the process is gone).</summary>
    /// <remarks>.NET has no API for it: Process.Kill is SIGKILL.</remarks>
    public static bool SendSigterm(int pid) => SendSignal(pid, SigTerm) == 0;

    /// <summary>Sends SIGINT (PostgreSQL's fast shutdown); false when it could not be sent.</summary>
    public static bool SendSigint(int pid) => SendSignal(pid, SigInt) == 0;

    /// <summary>Kills the process and its children (SIGKILL); nothing when it has exited already.</summary>
    public static void KillTree(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of a text file another process may still be writing (empty if there is none yet).</summary>
    public static string ReadFileTail(string path, int lines)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lines);
        if (lines == 0 || !File.Exists(path))
        {
            return "";
        }

        // A debug log can grow large under load: read backwards in growing chunks instead of the whole file.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var chunk = 64 * 1024L;
        while (true)
        {
            var start = Math.Max(0, stream.Length - chunk);
            stream.Position = start;
            var buffer = new byte[stream.Length - start];
            stream.ReadExactly(buffer);
            var all = Encoding.UTF8.GetString(buffer).Split('\n');

            // Drop a possibly cut first line unless we read from the beginning, and the empty tail after the last '\n'.
            var usable = all.AsSpan(start == 0 ? 0 : 1);
            if (usable.Length > 0 && usable[^1].Length == 0)
            {
                usable = usable[..^1];
            }

            if (usable.Length >= lines || start == 0)
            {
                return string.Join('\n', usable[Math.Max(0, usable.Length - lines)..].ToArray());
            }

            chunk *= 4;
        }
    }

    // DllImport, not LibraryImport: the generated stub needs AllowUnsafeBlocks, and kill(2) takes only blittable ints.
    [DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);
}
