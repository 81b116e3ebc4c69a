"""Sends N chat requests over one keep-alive connection and reads every answer whole.

    send_requests.py <host> <port> <provider/model> <stream: true|false> <N> [virtual key]

Used by bench/inference.sh to drive a data plane under callgrind with an exact request count.
"""
import http.client
import json
import sys

host, port, model, stream, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "true", int(sys.argv[5])
headers = {"Content-Type": "application/json"}
if len(sys.argv) > 6:
    headers["x-bf-vk"] = sys.argv[6]
body = json.dumps({"model": model, "stream": stream,
                   "messages": [{"role": "user", "content": "Hello!"}]})
connection = http.client.HTTPConnection(host, port, timeout=120)
for _ in range(count):
    connection.request("POST", "/v1/chat/completions", body, headers)
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        sys.exit("status %d for %s" % (response.status, model))
