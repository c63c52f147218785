# A backend whose listen backlog is the Python standard library's 5: single-threaded, one
# connection per request (HTTP/1.0). A burst of 20 overflows the backlog, as in issue 15's soak.
import http.server
import os


class Server(http.server.HTTPServer):
    request_queue_size = 5


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


Server(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
