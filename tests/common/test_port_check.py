"""The launcher's port check: a port whose last connections are in TIME_WAIT is free.

Reproduces the defect of ``make run`` refusing to start for a minute after a run that
served traffic ("port 8001 for submission is taken" while nothing listened).
"""

from __future__ import annotations

import socket

from sdi_common.stack import free_port, port_is_free


def test_time_wait_does_not_make_a_port_taken():
    port = free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server closes first: its side of the connection enters TIME_WAIT
    client.recv(1)
    client.close()
    assert not port_is_free(port)  # still listening
    server.close()
    assert port_is_free(port)  # only TIME_WAIT is left


def test_a_listening_port_is_taken():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not port_is_free(server.getsockname()[1])
