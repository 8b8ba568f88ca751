"""A local HTTP server for the download tests: files by name on 127.0.0.1, with HTTP Range, and faults to order."""

from __future__ import annotations

import http.server
import threading


class RangeServer:
    """Serves ``files`` by the last part of the URL path (``{url}/{name}``), answering Range requests.

    Faults for the tests: ``cut[name]`` sends that many bytes of the next response for ``name`` and drops the
    connection; ``honour_range = False`` sends the whole file whatever was asked; ``status`` answers every
    request with that error. ``requests`` records (name, Range header) in order.
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.cut: dict[str, int] = {}
        self.honour_range = True
        self.status = 200
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                name = self.path.rsplit("/", 1)[-1]
                rng = self.headers.get("Range")
                server.requests.append((name, rng))
                body = server.files.get(name)
                if server.status != 200 or body is None:
                    self.send_error(server.status if server.status != 200 else 404)
                    return
                start = int(rng.split("=")[1].rstrip("-")) if rng and server.honour_range else 0
                if start >= len(body) and rng:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.end_headers()
                    return
                payload = body[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if name in server.cut:
                    self.wfile.write(payload[: server.cut.pop(name)])
                    self.close_connection = True
                    return
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/files"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> RangeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
