using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Tests.Integration.Prosody;

/// <summary>
/// What the harnesses that run servers as child processes (Prosody, the gateway; the load tool links this file) need
/// alike: a free loopback port, a graceful stop signal, and a kill that leaves no orphans.
/// </summary>
internal static class LocalProcesses
{
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

    // DllImport, not LibraryImport: the generated stub needs AllowUnsafeBlocks, and kill(2) takes only blittable ints.
    [DllImport("libc", EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);
}
