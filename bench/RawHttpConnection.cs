using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SubsidyEngine.Bench;

/// <summary>
/// The http scenario's load client: one keep-alive HTTP/1.1 connection that writes a request the caller formatted
/// and reads the response (status, headers, a body with Content-Length or chunked transfer coding). It exists to
/// keep the load generator's own CPU small. On this 2-core machine the client shares the cores with the service and
/// PostgreSQL, and <see cref="HttpClient"/> cost 60-70 us per request, about 7 % of what a transition costs in all
/// (docs/benchmarks.md, http). It is no general HTTP client: no TLS, no redirects, no 1xx, no trailers, and the
/// server must answer every request (Kestrel does).
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private byte[] _body = new byte[4 * 1024];

    private RawHttpConnection(Socket socket) => _socket = socket;

    public static async Task<RawHttpConnection> OpenAsync(Uri server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(server.Host), server.Port));
            return new RawHttpConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Formats a request with the given headers; the body, if any, is sent as UTF-8 JSON.</summary>
    public static byte[] Format(string method, string pathAndQuery, string host, IEnumerable<(string Name, string Value)> headers, string? jsonBody)
    {
        var text = new StringBuilder();
        text.Append(method).Append(' ').Append(pathAndQuery).Append(" HTTP/1.1\r\nHost: ").Append(host).Append("\r\n");
        foreach (var (name, value) in headers)
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        var body = jsonBody is null ? [] : Encoding.UTF8.GetBytes(jsonBody);
        if (jsonBody is not null)
        {
            text.Append("Content-Type: application/json; charset=utf-8\r\n");
        }

        text.Append("Content-Length: ").Append(body.Length).Append("\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(text.ToString()), .. body];
    }

    /// <summary>Sends one request and reads its response. The body is valid until the next call.</summary>
    public async Task<(int Status, ReadOnlyMemory<byte> Body)> SendAsync(ReadOnlyMemory<byte> request)
    {
        while (!request.IsEmpty)
        {
            var sent = await _socket.SendAsync(request, SocketFlags.None);
            request = request[sent..];
        }

        int headerEnd;
        while ((headerEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(HeaderEnd)) < 0)
        {
            await FillAsync();
        }

        var head = _buffer.AsSpan(_start, headerEnd);
        if (head.Length < 12 || !head.StartsWith("HTTP/1.1 "u8) || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out _))
        {
            throw new InvalidDataException($"not an HTTP/1.1 status line: {Encoding.ASCII.GetString(head[..Math.Min(head.Length, 40)])}");
        }

        long contentLength = -1;
        var chunked = false;
        foreach (var range in head.Split("\r\n"u8))
        {
            var line = head[range];
            var colon = line.IndexOf((byte)':');
            if (colon < 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out var used) || used != value.Length)
                {
                    throw new InvalidDataException("bad Content-Length");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) && Ascii.EqualsIgnoreCase(value, "chunked"u8))
            {
                chunked = true;
            }
        }

        _start += headerEnd + HeaderEnd.Length;
        var length = 0;
        if (chunked)
        {
            while (true)
            {
                var lineEnd = await LineAsync();
                if (!Utf8Parser.TryParse(_buffer.AsSpan(_start, lineEnd - _start), out int size, out _, 'x'))
                {
                    throw new InvalidDataException("bad chunk size");
                }

                _start = lineEnd + 2;
                if (size == 0)
                {
                    _start = await LineAsync() + 2; // the empty line after the last chunk (no trailers)
                    break;
                }

                await CopyBodyAsync(size, length);
                length += size;
                _start = await LineAsync() + 2; // the CRLF after the chunk's data
            }
        }
        else if (contentLength > 0)
        {
            await CopyBodyAsync(checked((int)contentLength), 0);
            length = (int)contentLength;
        }

        return (status, _body.AsMemory(0, length));
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>Reads until a CRLF is buffered; returns the index of its CR.</summary>
    private async ValueTask<int> LineAsync()
    {
        int at;
        while ((at = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
        {
            await FillAsync();
        }

        return _start + at;
    }

    private async ValueTask CopyBodyAsync(int count, int offset)
    {
        if (_body.Length < offset + count)
        {
            Array.Resize(ref _body, Math.Max(_body.Length * 2, offset + count));
        }

        while (count > 0)
        {
            if (_start == _end)
            {
                await FillAsync();
            }

            var take = Math.Min(count, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(_body.AsSpan(offset));
            _start += take;
            offset += take;
            count -= take;
        }
    }

    private async ValueTask FillAsync()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None);
        if (read == 0)
        {
            throw new IOException("the server closed the connection");
        }

        _end += read;
    }
}
