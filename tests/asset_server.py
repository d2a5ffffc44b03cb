#!/usr/bin/env python3
"""asset_server.py ROOT PORTFILE LOG - a misbehaving HTTP server on 127.0.0.1
for tests/integration/install_asset.sh. Writes its port to PORTFILE and one
line per request ("PATH range=RANGE") to LOG. Paths, NAME a file of ROOT:

  /file/NAME     the file, with Range support (206, 416)
  /cut/NAME      without Range: the full Content-Length, half the body,
                 then the connection closes; with Range: the rest (206)
  /stall/NAME    the full Content-Length and 10 bytes, then nothing
  /huge/N/NAME   N bytes of zeros, no Content-Length (ends at close)
  /huge-cl/N/NAME  the same with a Content-Length
  /redir/NAME    302 to http://localhost:PORT/file/NAME (another host name)
  /loop/NAME     302 to itself
"""
import http.server
import os
import re
import sys
import time

ROOT, PORTFILE, LOG = sys.argv[1], sys.argv[2], sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def log(self):
        with open(LOG, "a") as f:
            f.write("%s range=%s\n" % (self.path, self.headers.get("Range", "-")))

    def body(self, data, length=None, code=200, extra=()):
        self.send_response(code)
        self.send_header("Content-Length" if length is not None else "X-No-Length",
                         str(length if length is not None else 0))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def ranged(self, data):
        m = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        if not m:
            return self.body(data, len(data))
        start = int(m.group(1))
        if start >= len(data):
            return self.body(b"", 0, 416, [("Content-Range", "bytes */%d" % len(data))])
        self.body(data[start:], len(data) - start, 206,
                  [("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))])

    def do_GET(self):
        self.log()
        parts = self.path.split("/")
        kind, name = parts[1], parts[-1]
        path = os.path.join(ROOT, os.path.basename(name))
        try:
            if kind == "huge" or kind == "huge-cl":
                n = int(parts[2])
                self.send_response(200)
                if kind == "huge-cl":
                    self.send_header("Content-Length", str(n))
                else:
                    self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"\0" * 16384
                while n > 0:
                    self.wfile.write(chunk[:min(n, len(chunk))])
                    n -= len(chunk)
                return
            with open(path, "rb") as f:
                data = f.read()
            if kind == "file":
                self.ranged(data)
            elif kind == "cut":
                if "Range" in self.headers:
                    return self.ranged(data)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif kind == "stall":
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[:10])
                self.wfile.flush()
                time.sleep(30)
            elif kind == "loop":
                self.body(b"again\n", 6, 302, [("Location", self.path)])
            elif kind == "redir":
                port = self.server.server_address[1]
                self.body(b"moved\n", 6, 302,
                          [("Location", "http://localhost:%d/file/%s" % (port, name))])
            else:
                self.body(b"no\n", 3, 404)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
