"""The fake Twilio server speaks the Messages API and signs its webhooks as Twilio does
(cartera/channels/fake_twilio.py)."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from twilio.request_validator import RequestValidator

from cartera.channels.fake_twilio import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio

MESSAGES = f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
AUTH = "Basic " + base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:{DEFAULT_AUTH_TOKEN}".encode()).decode()
SENDER, DEBTOR = "+525500000001", "+525550000123"  # made up


class Receiver:
    """A webhook endpoint that keeps what was posted to it: (url, headers, form)."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {k: v[-1] for k, v in urllib.parse.parse_qs(body).items()}
                url = f"http://{self.headers['Host']}{self.path}"
                receiver.posts.append((url, dict(self.headers), form))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=3) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def call(fake: FakeTwilio, method: str, path: str, form: dict[str, str] | None = None, auth: str = AUTH) -> Any:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(
        f"{fake.base_url}{path}", data=data, method=method, headers={"Authorization": auth}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def send(fake: FakeTwilio, to: str = DEBTOR, **extra: str) -> Any:
    return call(fake, "POST", MESSAGES, {"To": to, "From": SENDER, "Body": "Hola", **extra})


def test_a_created_message_has_twilios_shape(fake: FakeTwilio) -> None:
    status, body = send(fake, Body="a" * 161)
    assert status == 201
    assert body["sid"].startswith("SM") and len(body["sid"]) == 34
    assert (body["status"], body["num_segments"], body["direction"], body["to"]) == (
        "queued",
        "2",
        "outbound-api",
        DEBTOR,
    )
    assert body["date_created"].endswith("+0000") and body["date_sent"] is None
    assert body["uri"] == MESSAGES.replace(".json", f"/{body['sid']}.json")
    assert call(fake, "GET", body["uri"]) == (200, body)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": SENDER, "Body": "x"}, 21604),
        ({"To": DEBTOR, "Body": "x"}, 21603),
        ({"To": "5550000123", "From": SENDER, "Body": "x"}, 21211),
        ({"To": DEBTOR, "From": SENDER}, 21602),
    ],
)
def test_invalid_requests_get_twilio_shaped_400s(fake: FakeTwilio, form: dict[str, str], code: int) -> None:
    status, body = call(fake, "POST", MESSAGES, form)
    assert status == 400 and body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }
    assert fake.messages == []


def test_wrong_credentials_get_401_with_code_20003(fake: FakeTwilio) -> None:
    wrong = "Basic " + base64.b64encode(f"{DEFAULT_ACCOUNT_SID}:nope".encode()).decode()
    assert call(fake, "POST", MESSAGES, {"To": DEBTOR}, auth=wrong)[1]["code"] == 20003


def test_the_list_filters_by_to_and_from_newest_first_and_pages_like_twilio(fake: FakeTwilio) -> None:
    sids = [send(fake)[1]["sid"] for _ in range(3)]
    send(fake, to="+525550000999")
    status, page = call(fake, "GET", f"{MESSAGES}?{urllib.parse.urlencode({'To': DEBTOR, 'PageSize': 2})}")
    assert status == 200 and [m["sid"] for m in page["messages"]] == sids[:0:-1]
    assert page["page"] == 0 and page["page_size"] == 2 and page["previous_page_uri"] is None
    status, second = call(fake, "GET", page["next_page_uri"])
    assert [m["sid"] for m in second["messages"]] == sids[:1] and second["next_page_uri"] is None


def test_date_sent_filters_skip_messages_not_yet_sent(fake: FakeTwilio) -> None:
    send(fake)
    query = urllib.parse.urlencode({"To": DEBTOR, "DateSent>": "2000-01-01"})
    assert call(fake, "GET", f"{MESSAGES}?{query}")[1]["messages"] == []
    fake.post_status_callbacks()  # sent (or failed) now
    sent = [m for m in fake.messages if m["date_sent"]]
    assert len(call(fake, "GET", f"{MESSAGES}?{query}")[1]["messages"]) == len(sent)


def test_status_callbacks_follow_twilios_lifecycle_and_validate(fake: FakeTwilio, receiver: Receiver) -> None:
    callback = f"{receiver.url}/twilio/status"
    numbers = [f"+5255500{i:05d}" for i in range(40)]
    for number in numbers:
        send(fake, to=number, StatusCallback=callback)
    deliveries = fake.post_status_callbacks()
    validator = RequestValidator(DEFAULT_AUTH_TOKEN)
    assert len(receiver.posts) == len(deliveries) and all(d.http_status == 204 for d in deliveries)
    for url, headers, form in receiver.posts:
        assert url == callback and validator.validate(url, form, headers["X-Twilio-Signature"])
        assert not validator.validate(url, {**form, "MessageStatus": "delivered!"}, headers["X-Twilio-Signature"])
    by_sid: dict[str, list[str]] = {}
    for _, _, form in receiver.posts:
        by_sid.setdefault(form["MessageSid"], []).append(form["MessageStatus"])
    lifecycles = set(map(tuple, by_sid.values()))
    assert ("sent", "delivered") in lifecycles and lifecycles <= {
        ("sent", "delivered"),
        ("failed",),
        ("sent", "undelivered"),
    }
    assert {m["status"] for m in fake.messages} <= {"delivered", "failed", "undelivered"}
    assert fake.post_status_callbacks() == []  # each status is posted once
    # The same seed fails the same numbers.
    with FakeTwilio(seed=3) as again:
        for number in numbers:
            send(again, to=number)
        again.post_status_callbacks()
        assert [m["status"] for m in again.messages] == [m["status"] for m in fake.messages]


def test_an_inbound_message_is_signed_and_opens_the_whatsapp_window(fake: FakeTwilio, receiver: Receiver) -> None:
    delivery = fake.post_inbound(
        f"whatsapp:{DEBTOR}", f"whatsapp:{SENDER}", "Ya pagué", url=f"{receiver.url}/twilio/inbound"
    )
    ((url, headers, form),) = receiver.posts
    assert delivery.http_status == 204 and form["Body"] == "Ya pagué" and form["SmsStatus"] == "received"
    assert RequestValidator(DEFAULT_AUTH_TOKEN).validate(url, form, headers["X-Twilio-Signature"])
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    send(fake, to=f"whatsapp:{DEBTOR}")  # free text inside the window
    send(fake, to="whatsapp:+525550000999")  # free text to a number that never wrote
    fake.post_status_callbacks()
    inside, outside = fake.messages
    assert inside["status"] in {"read", "failed", "undelivered"} and inside["error_code"] != 63016
    assert (outside["status"], outside["error_code"]) == ("failed", 63016)


def test_injected_faults_come_in_order(fake: FakeTwilio) -> None:
    fake.fail_next(429, retry_after=3)
    fake.fail_next(503)
    assert send(fake)[1]["code"] == 20429
    assert send(fake)[0] == 503
    assert send(fake)[0] == 201
    fake.reject_numbers.add(DEBTOR)
    assert send(fake)[1]["code"] == 21610
