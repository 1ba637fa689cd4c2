"""A real SMTP server on the loopback address for the e-mail tests: aiosmtpd with STARTTLS
required before AUTH, and a self-signed certificate made here (cryptography)."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed_cert(dir_: Path) -> tuple[Path, Path]:
    """(certificate PEM, key PEM) for 127.0.0.1 / localhost, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem, key_pem = dir_ / "smtp-cert.pem", dir_ / "smtp-key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert_pem, key_pem


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []        # (envelope, email.message.EmailMessage)
        self.logins = []
        self.tls_at_data = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope, message_from_bytes(envelope.content, policy=policy.default)))
        self.tls_at_data.append(session.ssl is not None)
        return "250 OK"


class LoopbackSMTP:
    """with LoopbackSMTP(tmp_path, user, password) as srv: ... srv.port, srv.inbox, srv.ca_file"""

    def __init__(self, dir_: Path, user: str, password: str, port: int | None = None):
        self.user, self.password = user, password
        self.ca_file, key = self_signed_cert(dir_)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.ca_file, key)
        self.inbox = Inbox()
        self.port = port or free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, tls_context=ctx,
                                     require_starttls=True, auth_require_tls=True, authenticator=self._auth)

    def _auth(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user \
            and auth_data.password.decode() == self.password
        self.inbox.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else None, ok))
        return AuthResult(success=ok, handled=False)   # handled=False: aiosmtpd answers 535 itself

    def __enter__(self) -> "LoopbackSMTP":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
