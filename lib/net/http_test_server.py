#!/usr/bin/env python3
"""A loopback HTTP server for the download tests: misbehaves on request, logs every request.

Usage: http_test_server.py --root=DIR --port_file=FILE --log=FILE [--lifetime_s=300]

Binds an ephemeral port on 127.0.0.1 and writes it to --port_file atomically once it
accepts connections, so a test waits for that file instead of sleeping. Each request is
appended to --log as "GET PATH RANGE" (RANGE is the Range header or "-") before the answer
is sent, so a client that has its answer can read its request in the log. It stops by
itself after --lifetime_s, in case a test dies without stopping it.

Paths (NAME is a file under --root; a query string is ignored but keeps paths apart):
  /files/NAME     the file; honours "Range: bytes=START-[END]" with 206, or 416
  /norange/NAME   the file, always whole with 200 (a server that ignores Range)
  /cut/NAME       the first request for this path gets the headers of its answer and only
                  half of its body, then the connection closes; later ones as /files/
  /stall/NAME     the headers and 100 bytes, then nothing until the lifetime ends
  /status/CODE    an error answer with that status code and a short HTML body
"""
import argparse
import http.server
import os
import re
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    # HTTP/1.0: one request per connection, so a cut answer ends with the connection.
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args):  # keep the test's stderr for the client
        pass

    def do_GET(self):
        server = self.server
        range_header = self.headers.get("Range")
        with server.lock:
            with open(server.log_path, "a") as log:
                log.write(f"GET {self.path} {range_header or '-'}\n")
            server.seen[self.path] = server.seen.get(self.path, 0) + 1
            first = server.seen[self.path] == 1
        # The query only makes a path distinct (for /cut/ and the log); it names no file.
        parts = self.path.split("?", 1)[0].split("/", 2)
        if len(parts) != 3:
            return self.fail(404)
        mode, name = parts[1], parts[2]
        if mode == "status":
            return self.fail(int(name))
        path = os.path.join(server.root, name)
        if mode not in ("files", "norange", "cut", "stall") or not os.path.isfile(path):
            return self.fail(404)
        with open(path, "rb") as f:
            data = f.read()
        start, end, status = 0, len(data), 200
        if range_header and mode != "norange":
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header)
            if not m:
                return self.fail(400)
            start = int(m.group(1))
            if m.group(2):
                end = min(end, int(m.group(2)) + 1)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end]
        self.send_response(status)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if mode == "cut" and first:
            self.wfile.write(body[: len(body) // 2])
        elif mode == "stall":
            self.wfile.write(body[:100])
            self.wfile.flush()
            server.stop.wait()
        else:
            self.wfile.write(body)

    def fail(self, code):
        body = f"<html><body>error {code}</body></html>\n".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port_file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--lifetime_s", type=float, default=300)
    args = parser.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.root = args.root
    server.log_path = args.log
    server.lock = threading.Lock()
    server.seen = {}
    server.stop = threading.Event()
    open(args.log, "w").close()

    def stop_after_lifetime():
        server.stop.wait(args.lifetime_s)
        server.stop.set()
        server.shutdown()

    threading.Thread(target=stop_after_lifetime, daemon=True).start()
    # The socket listens already (the constructor binds and listens): publish the port.
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
