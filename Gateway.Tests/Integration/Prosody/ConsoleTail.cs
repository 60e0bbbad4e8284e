using System.Diagnostics;

namespace Gateway.Tests.Integration.Prosody;

/// <summary>The last lines a child process wrote to stdout and stderr, kept for the message of a failed start or stop.</summary>
internal sealed class ConsoleTail(int capacity)
{
    private readonly Queue<string> _lines = new();

    /// <summary>For <see cref="Process.OutputDataReceived"/> and <see cref="Process.ErrorDataReceived"/>.</summary>
    public void OnLine(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Enqueue(e.Data);
            while (_lines.Count > capacity)
            {
                _lines.Dequeue();
            }
        }
    }

    public void Clear()
    {
        lock (_lines)
        {
            _lines.Clear();
        }
    }

    public override string ToString()
    {
        lock (_lines)
        {
            return string.Join('\n', _lines);
        }
    }
}
