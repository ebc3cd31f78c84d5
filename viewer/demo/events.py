"""Realistic HMPPS-style demo events, about one in ten broken in a different way."""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

PRISONS = ["MDI", "LEI", "BXI", "WWI", "PVI", "HMI", "SWI"]
FIRST = ["Jon", "Ada", "Sam", "Kim", "Lee", "Ali", "Eve", "Tom"]


def noms(rng: random.Random) -> str:
    """A prison number such as A1234BC."""
    return (rng.choice(string.ascii_uppercase) + f"{rng.randrange(10_000):04d}"
            + "".join(rng.choices(string.ascii_uppercase, k=2)))


def crn(rng: random.Random) -> str:
    """A probation case reference number such as X123456."""
    return rng.choice(string.ascii_uppercase) + f"{rng.randrange(1_000_000):06d}"


def _when(rng: random.Random, now: datetime) -> str:
    return (now - timedelta(milliseconds=rng.randrange(50, 3000))).isoformat(
        timespec="microseconds")


def _event(event_type: str, description: str, info: dict[str, Any],
           identifiers: list[tuple[str, str]], now: datetime, rng: random.Random,
           detail: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": event_type,
        "version": 1,
        "description": description,
        "occurredAt": _when(rng, now),
        "additionalInformation": info,
        "personReference": {"identifiers": [{"type": t, "value": v} for t, v in identifiers]},
    }
    if detail:
        body["detailUrl"] = detail
    return body


def received(rng: random.Random, now: datetime) -> dict[str, Any]:
    n = noms(rng)
    return _event("prison-offender-events.prisoner.received",
                  "A prisoner has been received into prison",
                  {"nomsNumber": n, "prisonId": rng.choice(PRISONS),
                   "reason": rng.choice(["ADMISSION", "TRANSFERRED", "RETURN_FROM_COURT"]),
                   "details": "ACTIVE IN:ADM-N", "currentLocation": "IN_PRISON",
                   "currentPrisonStatus": "UNDER_PRISON_CARE", "nomisMovementReasonCode": "N"},
                  [("NOMS", n)], now, rng)


def released(rng: random.Random, now: datetime) -> dict[str, Any]:
    n = noms(rng)
    return _event("prison-offender-events.prisoner.released",
                  "A prisoner has been released from prison",
                  {"nomsNumber": n, "prisonId": rng.choice(PRISONS),
                   "reason": rng.choice(["RELEASED", "SENT_TO_COURT", "TRANSFERRED"]),
                   "details": "Movement reason code CR", "currentLocation": "OUTSIDE_PRISON",
                   "currentPrisonStatus": "NOT_UNDER_PRISON_CARE",
                   "nomisMovementReasonCode": "CR"},
                  [("NOMS", n)], now, rng)


def search_updated(rng: random.Random, now: datetime) -> dict[str, Any]:
    n = noms(rng)
    return _event("prisoner-offender-search.prisoner.updated",
                  "A prisoner record has been updated",
                  {"nomsNumber": n, "categoriesChanged": rng.sample(
                      ["PERSONAL_DETAILS", "LOCATION", "SENTENCE", "STATUS", "ALERTS"], 2)},
                  [("NOMS", n)], now, rng)


def iep_review(rng: random.Random, now: datetime) -> dict[str, Any]:
    n = noms(rng)
    body = _event("incentives.iep-review.inserted", "An IEP review has been added",
                  {"id": rng.randrange(1, 10**6), "nomsNumber": n,
                   "reason": "USER_CREATED_NOMIS"}, [("NOMS", n)], now, rng,
                  detail=f"https://incentives-api.hmpps.service.justice.gov.uk/iep/reviews/id/"
                         f"{rng.randrange(1, 10**6)}")
    return body


def alert_created(rng: random.Random, now: datetime) -> dict[str, Any]:
    n = noms(rng)
    alert = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    body = _event("person.alert.created", "An alert has been created in the alerts service",
                  {"alertUuid": alert, "alertCode": rng.choice(["XA", "HA", "XEL", "PEEP"]),
                   "source": "ALERTS_SERVICE"}, [("NOMS", n)], now, rng,
                  detail=f"https://alerts-api.hmpps.service.justice.gov.uk/alerts/{alert}")
    # The demo's self-inconsistent spec says version is the string "1.0"; this publisher
    # follows the spec, so these messages are the spec's fault, not the publisher's.
    body["version"] = "1.0"
    return body


def engagement_created(rng: random.Random, now: datetime) -> dict[str, Any]:
    c = crn(rng)
    return _event("probation-case.engagement.created", "A probation case has been created",
                  {}, [("CRN", c)], now, rng,
                  detail=f"https://domain-events.hmpps.service.justice.gov.uk/cases/{c}")


def registration_added(rng: random.Random, now: datetime) -> dict[str, Any]:
    c = crn(rng)
    return _event("probation-case.registration.added",
                  "A registration has been added to the probation case",
                  {"registerTypeCode": rng.choice(["MAPP", "RSOR", "DASO", "WEAP"]),
                   "registerTypeDescription": "Risk to Others", "registrationId": rng.randrange(
                       10**5, 10**6)}, [("CRN", c)], now, rng)


def tier_changed(rng: random.Random, now: datetime) -> dict[str, Any]:
    c = crn(rng)
    return _event("tier.calculation.complete", "Tier calculation complete",
                  {"calculationId": str(uuid.UUID(int=rng.getrandbits(128), version=4))},
                  [("CRN", c)], now, rng,
                  detail=f"https://hmpps-tier.hmpps.service.justice.gov.uk/crn/{c}/tier")


def licence_activated(rng: random.Random, now: datetime) -> dict[str, Any]:
    n, c = noms(rng), crn(rng)
    return _event("create-and-vary-a-licence.licence.activated", "Licence activated",
                  {"licenceId": str(rng.randrange(10**4, 10**5))},
                  [("NOMS", n), ("CRN", c)], now, rng)


GENERATORS: tuple[Callable[[random.Random, datetime], dict[str, Any]], ...] = (
    received, released, search_updated, iep_review, alert_created, engagement_created,
    registration_added, tier_changed, licence_activated,
)
WEIGHTS = (4, 3, 6, 2, 2, 2, 2, 2, 1)


def _drop(key: str) -> Callable[[dict[str, Any]], dict[str, Any] | str]:
    def breaker(body: dict[str, Any]) -> dict[str, Any]:
        body.pop(key, None)
        return body
    return breaker


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], dict[str, Any] | str]:
    def breaker(body: dict[str, Any]) -> dict[str, Any]:
        body[key] = value
        return body
    return breaker


def _no_offset(body: dict[str, Any]) -> dict[str, Any]:
    body["occurredAt"] = body["occurredAt"][:19]
    return body


def _identifier_without_value(body: dict[str, Any]) -> dict[str, Any]:
    body["personReference"]["identifiers"][0].pop("value")
    return body


def _truncated(body: dict[str, Any]) -> str:
    text = json.dumps(body)
    return text[: len(text) // 2]


def _bad_prison_number(body: dict[str, Any]) -> dict[str, Any]:
    info = body.get("additionalInformation", {})
    if "nomsNumber" in info:
        info["nomsNumber"] = info["nomsNumber"].lower()
    else:
        body.pop("occurredAt")
    return body


BREAKERS: tuple[Callable[[dict[str, Any]], dict[str, Any] | str], ...] = (
    _drop("version"), _set("version", "one"), _no_offset, _identifier_without_value,
    _truncated, _set("additionalInformation", "see detailUrl"), _bad_prison_number,
    _drop("occurredAt"),
)


class DemoTraffic:
    """Makes (eventType, JSON text) pairs; ``broken_share`` of them break the schema."""

    def __init__(self, seed: int | None = None, broken_share: float = 0.1,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.rng = random.Random(seed)
        self.broken_share = broken_share
        self.clock = clock

    def next(self) -> tuple[str, str]:
        """The next event's type and text."""
        generator = self.rng.choices(GENERATORS, WEIGHTS)[0]
        body: dict[str, Any] | str = generator(self.rng, self.clock())
        assert isinstance(body, dict)
        event_type = body["eventType"]
        if self.rng.random() < self.broken_share:
            body = self.rng.choice(BREAKERS)(body)
        text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        return event_type, text
