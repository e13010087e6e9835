"""The pure parts of the notification mails: the SMTP URL, the address check, the digest
day, and what a mail says."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from server.notifications.addresses import InvalidAddress, checked_address
from server.notifications.mails import digest_mail, immediate_mail, item_key, utc_text
from server.notifications.settings import MailSettings, SmtpSecurity, SmtpServer, parse_smtp_url


def test_smtp_urls_name_the_server_its_protection_and_credentials() -> None:
    assert parse_smtp_url("smtp://127.0.0.1:2525") == SmtpServer("127.0.0.1", 2525)
    plain = parse_smtp_url("smtp://mail.example")
    assert (plain.port, plain.security) == (25, SmtpSecurity.NONE)
    tls = parse_smtp_url("smtps://concord%40example.org:p%3Ass@mail.example")
    assert (tls.port, tls.security, tls.username, tls.password) == (
        465,
        SmtpSecurity.TLS,
        "concord@example.org",
        "p:ss",
    )
    assert "p:ss" not in repr(tls)
    starttls = parse_smtp_url("smtp+starttls://mail.example")
    assert (starttls.port, starttls.security) == (587, SmtpSecurity.STARTTLS)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://mail.example", "not a mail server URL"),
        ("mail.example:25", "not a mail server URL"),
        ("smtp://mail.example:99999", "port"),
        ("smtp://:25", "no host"),
        ("smtp://mail.example/inbox", "no path"),
    ],
)
def test_a_bad_smtp_url_says_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_smtp_url(url)


@pytest.mark.parametrize(
    "address", ["pat@example.org", "pat.okafor+concord@mail.breathe-easy.org", "P_O@x.co"]
)
def test_plain_addresses_are_accepted(address: str) -> None:
    assert checked_address(f"  {address} ") == address


@pytest.mark.parametrize(
    "address",
    [
        "",
        "pat",
        "pat@example",
        "Pat <pat@example.org>",
        "pat@example.org, sam@example.org",
        "pat okafor@example.org",
        ".pat@example.org",
        "pat..o@example.org",
        "pat@example.org\r\nBcc: x@example.org",
        "p" * 250 + "@example.org",
    ],
)
def test_anything_but_one_plain_address_is_refused(address: str) -> None:
    with pytest.raises(InvalidAddress):
        checked_address(address)


def test_mail_settings_refuse_a_bad_sender_hour_or_public_url() -> None:
    smtp = SmtpServer("127.0.0.1", 25)
    with pytest.raises(ValueError, match="mail-from"):
        MailSettings(smtp, "concord <x@y.org>", "http://concord.example/")
    with pytest.raises(ValueError, match="0 to 23"):
        MailSettings(smtp, "concord@example.org", "http://concord.example/", digest_hour=24)
    with pytest.raises(ValueError, match="public URL"):
        MailSettings(smtp, "concord@example.org", "concord.example")


@dataclass(frozen=True)
class Item:
    kind: str
    trial_id: str
    trial_title: str
    title: str
    link: str
    since: str | None


VOTE = Item(
    "vote", "t1", "Asthma 301", "Vote on M-1: Adopt?", "#/t/t1/motions/M-1", "2026-12-04T16:20:45Z"
)
SIGN = Item("signature", "t1", "Asthma 301", "Sign A-2", "#/t/t1/amendments/A-2", None)
ERASURE = Item("erasure", "", "", "Approve the erasure of X", "#/accounts/u-1", None)


def test_times_read_as_the_log_s_utc_to_the_second() -> None:
    assert utc_text("2026-12-04T17:20:45+01:00") == "2026-12-04 16:20:45 UTC"
    assert utc_text("not a time") == "not a time"


def test_an_item_is_news_again_when_it_waits_since_another_moment() -> None:
    assert item_key(VOTE) == item_key(replace(VOTE, title="Vote on M-1: Adopt it?"))
    assert item_key(VOTE) != item_key(replace(VOTE, since="2026-12-05T00:00:00Z"))


def test_an_immediate_mail_names_the_trial_and_what_waits_and_links_to_it() -> None:
    mail = immediate_mail("Pat Okafor", "Asthma 301", [VOTE, SIGN], "https://concord.example")
    assert mail.subject == "[Concord] Asthma 301: Vote on M-1: Adopt? (and 1 more)"
    assert "Hello Pat Okafor," in mail.text
    assert "https://concord.example/#/t/t1/motions/M-1" in mail.text
    assert "waiting since 2026-12-04 16:20:45 UTC" in mail.text
    assert "https://concord.example/#/account" in mail.text
    assert '<a href="https://concord.example/#/t/t1/amendments/A-2">Sign A-2</a>' in mail.html


def test_a_digest_counts_what_waits_across_trials_and_escapes_titles() -> None:
    odd = Item("vote", "t2", "<b>Trial</b>", "Vote\r\non it", "#/t/t2/motions/M-9", None)
    mail = digest_mail("Sam", [VOTE, ERASURE, odd], "https://concord.example/")
    assert mail.subject == "[Concord] 3 things await you in 3 trials"
    assert "- Accounts: Approve the erasure of X" in mail.text
    assert "<b>Trial</b>" not in mail.html
    assert "&lt;b&gt;Trial&lt;/b&gt;" in mail.html
    one = digest_mail("Sam", [VOTE], "https://concord.example/")
    assert one.subject == "[Concord] 1 thing awaits you in Asthma 301"
