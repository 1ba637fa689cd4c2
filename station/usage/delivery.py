"""Getting the summary to staff: e-mail (SMTP with STARTTLS) or a copy into a directory.

    send_summary(usage_cfg, paths, report)     # raises DeliveryError with a plain reason
    Outbox(summary_dir).failed(date, method, error) / .pending() / .done(date)
    AttentionMailer(usage_cfg, station_id).notify("camera_lost", text)   # at most 1 per problem per hour

E-mail: the HTML page is the message body (with a plain-text part for mail readers without
HTML); the CSV is attached, and the page too (mail programs that do not draw inline SVG still
open it in a browser). The connection is upgraded with STARTTLS before the password is
sent; the password is read from ``usage.email.password_file`` (never from the config itself),
and the server's certificate is checked against the system's CAs or ``usage.email.ca_file``.
Directory: the three files are copied into ``usage.delivery_dir`` (a network share, say), each
written to a temporary name and renamed, so a reader never sees half a file.

A delivery that fails is written to the outbox in summary_dir and retried by the next night's
job; the pending ones are listed in the summary's health section until they go through.
"""
from __future__ import annotations

import json
import logging
import smtplib
import socket
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from station import fileio
from station.fileio import FileWriteError

log = logging.getLogger(__name__)

ATTENTION_INTERVAL_S = 3600.0


class DeliveryError(Exception):
    """A summary (or an attention e-mail) could not be delivered; the message says why."""


def _password(email_cfg) -> str | None:
    pf = email_cfg.password_file
    if pf is None:
        return None
    try:
        return Path(pf).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as e:
        raise DeliveryError(f"usage.email.password_file {pf}: cannot read the SMTP password: "
                            f"{e.strerror or e}") from None


def _ssl_context(email_cfg) -> ssl.SSLContext:
    ca = email_cfg.ca_file
    try:
        return ssl.create_default_context(cafile=str(ca) if ca else None)
    except (OSError, ssl.SSLError) as e:
        raise DeliveryError(f"usage.email.ca_file {ca}: cannot load the CA certificates: {e}") from None


def send_email(email_cfg, subject: str, text: str, html: str | None = None,
               attachments: list[tuple[str, str | bytes, str]] = (), timeout_s: float = 30.0) -> None:
    """Send one message over SMTP with STARTTLS; raises DeliveryError."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = email_cfg.sender
    msg["To"] = ", ".join(email_cfg.recipients)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=email_cfg.sender.rpartition("@")[2] or None)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        if isinstance(data, str):      # text: sent as UTF-8 with its charset named
            msg.add_attachment(data, subtype=subtype, filename=name)
        else:
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    where = f"{email_cfg.smtp_host}:{email_cfg.smtp_port}"
    try:
        with smtplib.SMTP(email_cfg.smtp_host, email_cfg.smtp_port, timeout=timeout_s) as smtp:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise DeliveryError(f"SMTP server {where} does not offer STARTTLS; the summary is not sent "
                                    "unencrypted")
            smtp.starttls(context=_ssl_context(email_cfg))
            smtp.ehlo()
            password = _password(email_cfg)
            if email_cfg.username:
                smtp.login(email_cfg.username, password or "")
            smtp.send_message(msg)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as e:
        raise DeliveryError(f"SMTP server {where} refused the login of {email_cfg.username!r} "
                            f"({e.smtp_code}); check usage.email.username and the password file") from None
    except ssl.SSLCertVerificationError as e:
        raise DeliveryError(f"SMTP server {where}: its certificate is not trusted ({e.verify_message}); "
                            "set usage.email.ca_file to the CA that signed it") from None
    except (smtplib.SMTPException, OSError, socket.timeout) as e:
        raise DeliveryError(f"SMTP server {where}: {type(e).__name__}: {e}") from None


def _plain_text(report: dict) -> str:
    lines = [f"Mirror station usage summary for {report['date']} (the HTML version has the charts)."]
    blocks = report["stations"] + ([report["gym"]] if report.get("gym") else [])
    for b in blocks:
        f = b["figures"]
        if f is None or b["status"] not in ("ok",):
            lines.append(f"- {b['name']}: {b['status']} {b['message']}".rstrip())
            continue
        cs = "—" if f["clean_share"] is None else f"{100 * f['clean_share']:.0f}%"
        lines.append(f"- {b['name']}: {f['sessions']} visits, {f['sets']} sets, {f['reps']} reps, {cs} clean")
        for p in b["problems"]:
            lines.append(f"  needs staff: {p}")
    return "\n".join(lines) + "\n"


def send_summary(usage_cfg, paths: dict[str, Path], report: dict) -> str:
    """Deliver one night's files by the configured method; returns a line saying where."""
    method = usage_cfg.delivery
    if method == "email":
        e = usage_cfg.email
        names = [b["name"] for b in report["stations"]]
        subject = f"Mirror station usage {report['date']}: " + (names[0] if len(names) == 1 else f"{len(names)} stations")
        problems = sum(len(b["problems"]) for b in report["stations"])
        if problems:
            subject += f" — {problems} need{'s' if problems == 1 else ''} staff"
        html = Path(paths["html"]).read_text(encoding="utf-8")
        # the page is the body; it is attached too, because many mail programs do not draw inline
        # SVG charts (opened from the attachment, any browser does)
        send_email(e, subject, _plain_text(report), html=html,
                   attachments=[(Path(paths["csv"]).name, Path(paths["csv"]).read_text(encoding="utf-8"), "text/csv"),
                                (Path(paths["html"]).name, html, "text/html")])
        return f"e-mailed to {', '.join(e.recipients)} via {e.smtp_host}:{e.smtp_port}"
    if method == "directory":
        target = Path(usage_cfg.delivery_dir)
        try:
            if not target.is_dir():
                raise DeliveryError(f"usage.delivery_dir {target}: no such directory (is the share mounted?)")
            for p in paths.values():
                fileio.write_bytes(target / Path(p).name, Path(p).read_bytes())
        except (OSError, FileWriteError) as e:
            raise DeliveryError(f"usage.delivery_dir {target}: cannot copy: {getattr(e, 'strerror', None) or e}") from None
        return f"copied to {target}"
    return "not delivered (usage.delivery = \"none\"); the files are in usage.summary_dir"


class Outbox:
    """Failed deliveries waiting for the next night: one JSON file per day in summary_dir/outbox."""

    def __init__(self, summary_dir: Path):
        self.dir = Path(summary_dir) / "outbox"

    def _path(self, day: str) -> Path:
        return self.dir / f"{day}.json"

    def failed(self, day: str, method: str, error: str) -> dict:
        prev = self.get(day) or {}
        entry = {"date": day, "method": method, "error": error, "attempts": int(prev.get("attempts", 0)) + 1,
                 "first_failed_utc": prev.get("first_failed_utc") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "last_failed_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        self.dir.mkdir(parents=True, exist_ok=True)
        fileio.write_text(self._path(day), json.dumps(entry) + "\n")
        return entry

    def get(self, day: str) -> dict | None:
        try:
            return json.loads(self._path(day).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def done(self, day: str) -> None:
        try:
            self._path(day).unlink()
        except FileNotFoundError:
            pass

    def pending(self) -> list[dict]:
        if not self.dir.is_dir():
            return []
        out = []
        for p in sorted(self.dir.glob("*.json")):
            try:
                out.append(json.loads(p.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return out


class AttentionMailer:
    """Opt-in e-mail when the station needs attention, at most one per problem per hour.

    notify() never blocks the caller: the message goes out from a short-lived thread. The
    time of each e-mail is recorded in the usage log (health event "attention_mail"), which
    also seeds the limit after a restart, so a station restarting in a loop cannot flood
    anyone's inbox.
    """

    def __init__(self, usage_cfg, station_id: str, station_name: str = "", usage_log=None,
                 clock=time.time, interval_s: float = ATTENTION_INTERVAL_S):
        self.cfg = usage_cfg
        self.station_id = station_id
        self.station_name = station_name or station_id
        self.usage_log = usage_log
        self.clock = clock
        self.interval_s = interval_s
        self._last: dict[str, float] = dict(getattr(usage_log, "last_attention", {}) or {})
        self._lock = threading.Lock()
        self.sent: list[str] = []
        self.errors: list[str] = []
        self._threads: list[threading.Thread] = []

    def notify(self, problem: str, text: str) -> bool:
        """Send (in the background) unless this problem was mailed within the hour."""
        now = self.clock()
        with self._lock:
            last = self._last.get(problem)
            if last is not None and now - last < self.interval_s:
                return False
            self._last[problem] = now
        if self.usage_log is not None:
            self.usage_log.health("attention_mail", now, detail=problem)
        th = threading.Thread(target=self._send, args=(problem, text), name="attention-mail", daemon=True)
        self._threads.append(th)
        th.start()
        return True

    def _send(self, problem: str, text: str) -> None:
        subject = f"Mirror station {self.station_name} needs attention: {problem.replace('_', ' ')}"
        body = (f"Station {self.station_name} ({self.station_id}) needs attention:\n\n{text}\n\n"
                "You get at most one e-mail per problem per hour. The nightly summary lists every problem.\n")
        try:
            send_email(self.cfg.email, subject, body)
            self.sent.append(problem)
        except DeliveryError as e:
            self.errors.append(str(e))
            log.error("attention e-mail not sent: %s", e)

    def join(self, timeout_s: float = 30.0) -> None:
        for th in self._threads:
            th.join(timeout_s)
