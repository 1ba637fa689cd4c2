"""Delivery of the nightly summary: e-mail through a real SMTP server on loopback (STARTTLS,
a password file, a self-signed certificate made by the test), directory copy, the retry the
next night, and the opt-in attention e-mail."""
from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from station.config import ConfigError, load_station_config
from station.usage.delivery import AttentionMailer, DeliveryError, Outbox, send_email
from station.usage.generate import generate_days, write_events
from station.usage.nightly import run_summary
from station.usage.store import UsageLog, connect
from tests.usage.smtp_server import LoopbackSMTP, free_port

DAY = date(2026, 11, 20)
USER, PASSWORD = "mirror", "s3cret horse battery"


def _config(tmp_path: Path, usage: str, port: int | None = None, ca: Path | None = None) -> Path:
    (tmp_path / "smtp-password").write_text(PASSWORD + "\n")
    os.chmod(tmp_path / "smtp-password", 0o600)
    email = ""
    if port is not None:
        email = f"""
[usage.email]
smtp_host = "127.0.0.1"
smtp_port = {port}
username = "{USER}"
password_file = "smtp-password"
ca_file = "{ca or ''}"
sender = "mirror@gym.example"
recipients = ["manager@gym.example", "desk@gym.example"]
"""
    p = tmp_path / "station.toml"
    p.write_text(f"""
[station]
id = "floor1-a"
name = "Hinge mirror by the window"
[hours]
timezone = "Europe/Berlin"
[usage]
log_path = "usage.sqlite3"
summary_dir = "summaries"
retention_days = 400
{usage}
{email}
""")
    return p


@pytest.fixture
def station_log(tmp_path):
    ev = generate_days(DAY - timedelta(days=10), 12, ZoneInfo("Europe/Berlin"), seed=3, station_id="floor1-a")
    write_events(tmp_path / "usage.sqlite3", ev)
    return ev


def test_the_summary_is_e_mailed_over_starttls_with_the_csv_attached(tmp_path, station_log, capsys):
    with LoopbackSMTP(tmp_path, USER, PASSWORD) as srv:
        cfg = load_station_config(_config(tmp_path, 'delivery = "email"', srv.port, srv.ca_file))
        assert run_summary(cfg, day=DAY.isoformat(), nightly=True) == 0
    assert srv.inbox.logins == [(USER, True)]
    assert srv.inbox.tls_at_data == [True]
    (env, msg), = srv.inbox.messages
    assert env.rcpt_tos == ["manager@gym.example", "desk@gym.example"]
    assert msg["Subject"].startswith(f"Mirror station usage {DAY}: Hinge mirror by the window")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    summaries = tmp_path / "summaries"
    assert html == (summaries / f"summary-{DAY}.html").read_text()
    assert "Busiest hour" in html
    text = msg.get_body(("plain",)).get_content()
    assert "visits" in text and "reps" in text
    att, page = list(msg.iter_attachments())
    assert att.get_filename() == f"summary-{DAY}.csv" and att.get_content_type() == "text/csv"
    assert att.get_content().replace("\r\n", "\n") == (summaries / f"summary-{DAY}.csv").read_text()
    assert page.get_filename() == f"summary-{DAY}.html" and page.get_content().replace("\r\n", "\n") == html
    assert (summaries / f"usage-floor1-a-{DAY}.json").exists()          # the nightly export
    assert Outbox(summaries).pending() == []
    out = capsys.readouterr().out
    assert "e-mailed to manager@gym.example, desk@gym.example" in out and "retention 400 days" in out


def test_a_failed_delivery_shows_in_health_and_is_retried_the_next_night(tmp_path, station_log, capsys):
    port = free_port()                                    # nobody listens here tonight
    cfg_path = _config(tmp_path, 'delivery = "email"', port, tmp_path / "smtp-cert.pem")
    (tmp_path / "smtp-cert.pem").write_text("")           # replaced by the server's cert below
    cfg = load_station_config(cfg_path)
    assert run_summary(cfg, day=(DAY - timedelta(days=1)).isoformat(), nightly=True) == 1
    err = capsys.readouterr().err
    assert "delivery failed, will retry tomorrow night" in err and f"127.0.0.1:{port}" in err
    summaries = tmp_path / "summaries"
    (pending,) = Outbox(summaries).pending()
    assert pending["date"] == str(DAY - timedelta(days=1)) and pending["attempts"] == 1
    doc = json.loads((summaries / f"summary-{DAY - timedelta(days=1)}.json").read_text())
    assert doc["deliveries_pending"][0]["date"] == str(DAY - timedelta(days=1))
    assert "could not be delivered by email" in (summaries / f"summary-{DAY - timedelta(days=1)}.html").read_text()

    with LoopbackSMTP(tmp_path, USER, PASSWORD, port=port) as srv:   # the server is back the next night
        assert run_summary(cfg, day=DAY.isoformat(), nightly=True) == 0
    subjects = sorted(m["Subject"] for _, m in srv.inbox.messages)
    assert len(subjects) == 2
    assert str(DAY - timedelta(days=1)) in subjects[0] and str(DAY) in subjects[1]
    assert Outbox(summaries).pending() == []
    doc = json.loads((summaries / f"summary-{DAY}.json").read_text())
    assert doc["deliveries_pending"] == []


def test_wrong_password_untrusted_certificate_and_missing_password_file_are_named(tmp_path):
    with LoopbackSMTP(tmp_path, USER, "another password") as srv:
        cfg = load_station_config(_config(tmp_path, 'delivery = "email"', srv.port, srv.ca_file))
        with pytest.raises(DeliveryError, match="refused the login of 'mirror'"):
            send_email(cfg.usage.email, "s", "t")
        cfg = load_station_config(_config(tmp_path, 'delivery = "email"', srv.port, None))
        with pytest.raises(DeliveryError, match="certificate is not trusted"):
            send_email(cfg.usage.email, "s", "t")
        cfg = load_station_config(_config(tmp_path, 'delivery = "email"', srv.port, srv.ca_file))
        (tmp_path / "smtp-password").unlink()
        with pytest.raises(DeliveryError, match="password_file .*smtp-password: cannot read the SMTP password"):
            send_email(cfg.usage.email, "s", "t")
    assert srv.inbox.messages == []


def test_directory_delivery_copies_the_three_files(tmp_path, station_log):
    share = tmp_path / "share"
    cfg = load_station_config(_config(tmp_path, f'delivery = "directory"\ndelivery_dir = "{share}"'))
    assert run_summary(cfg, day=DAY.isoformat(), nightly=True) == 1      # the share is not mounted yet
    assert Outbox(tmp_path / "summaries").pending()[0]["error"].endswith("no such directory (is the share mounted?)")
    share.mkdir()
    assert run_summary(cfg, day=(DAY + timedelta(days=1)).isoformat(), nightly=True) == 0
    names = sorted(p.name for p in share.iterdir())
    assert names == sorted(f"summary-{d}.{ext}" for d in (DAY, DAY + timedelta(days=1)) for ext in ("html", "json", "csv"))
    assert (share / f"summary-{DAY}.csv").read_bytes() == (tmp_path / "summaries" / f"summary-{DAY}.csv").read_bytes()


def test_attention_e_mail_at_most_one_per_problem_per_hour(tmp_path):
    now = [1_800_000_000.0]
    with LoopbackSMTP(tmp_path, USER, PASSWORD) as srv:
        cfg = load_station_config(_config(tmp_path, "attention_email = true", srv.port, srv.ca_file))
        log = UsageLog(tmp_path / "usage.sqlite3", "floor1-a")
        mailer = AttentionMailer(cfg.usage, "floor1-a", "Window mirror", usage_log=log, clock=lambda: now[0])
        assert mailer.notify("camera_lost", "camera gone for 61 s")
        assert not mailer.notify("camera_lost", "camera gone for 120 s")        # same hour: no
        assert mailer.notify("config_refused", "bad file")                      # another problem
        now[0] += 3599
        assert not mailer.notify("camera_lost", "still gone")
        now[0] += 2
        assert mailer.notify("camera_lost", "still gone after an hour")
        mailer.join()
        log.flush()
        # a restarted station remembers: no second e-mail within the hour
        again = AttentionMailer(cfg.usage, "floor1-a", usage_log=UsageLog(tmp_path / "usage.sqlite3", "floor1-a"),
                                clock=lambda: now[0] + 60)
        assert not again.notify("camera_lost", "after a restart")
        log.close()
    subjects = [m["Subject"] for _, m in srv.inbox.messages]
    assert sorted(subjects) == sorted(["Mirror station Window mirror needs attention: camera lost",
                                       "Mirror station Window mirror needs attention: config refused",
                                       "Mirror station Window mirror needs attention: camera lost"])
    conn = connect(tmp_path / "usage.sqlite3", readonly=True)
    assert conn.execute("SELECT count(*) FROM health_events WHERE kind = 'attention_mail'").fetchone()[0] == 3


def test_delivery_settings_are_validated_with_the_key_named(tmp_path):
    with pytest.raises(ConfigError, match=r"usage.email.smtp_host .*usage.delivery = \"email\" needs"):
        load_station_config(_config(tmp_path, 'delivery = "email"'))
    with pytest.raises(ConfigError, match=r"usage.delivery_dir .*needs delivery_dir"):
        load_station_config(_config(tmp_path, 'delivery = "directory"'))
    with pytest.raises(ConfigError, match=r"usage.delivery = \"post\" — not one of the allowed values"):
        load_station_config(_config(tmp_path, 'delivery = "post"'))
