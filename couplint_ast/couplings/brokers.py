"""Whom a broker publish or consume couples to: its destination's name, and its owner.

A destination is named by its literal text (an SQS queue URL by the queue at its end, an
SNS topic ARN by the topic after its last colon), or by the env var it is read from
(`os.environ["ORDERS_QUEUE_URL"]`, through its literal default when no service lists the
env var). A service owns it when its `topics` or `queues` (globs) name it: then the
publishers and consumers elsewhere depend on that service, asynchronously. A request/reply
(`facts.replies`) is a `CallFact` whose target is decided here too (`calls.resolve`), so
that it is a synchronous call to the queue's owner. What cannot be named is unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from couplint_ast.config import Config
from couplint_ast.facts.broker_catalog import choose
from couplint_ast.facts.types import BrokerFact, FileFacts
from couplint_ast.facts.values import Alternative, Part, Value


@dataclass(frozen=True)
class Destination:
    """What one alternative of a destination value names, and who owns it."""

    name: str | None  # as the graph shows it; None when unknown
    owner: str | None = None  # the service whose `topics` or `queues` name it
    missing: Part | None = None  # what leaves it unknown


@dataclass(frozen=True)
class BrokerUse:
    """One destination of one broker fact, decided under the config."""

    fact: BrokerFact
    destination: Destination

    @property
    def foreign_owner(self) -> str | None:
        """The owning service when it is another one than the file's."""
        return self.destination.owner

    def describe(self) -> str:
        """`publishes 'orders.created' via pika.channel.basic_publish through 'publish'`."""
        verb = "publishes" if self.fact.operation == "publish" else "consumes"
        name = f" '{self.destination.name}'" if self.destination.name is not None else ""
        through = f" through '{self.fact.via}'" if self.fact.via else ""
        return f"{verb}{name} via {self.fact.api}{through}"


def broker_uses(facts: FileFacts, config: Config, service: str | None) -> Iterator[BrokerUse]:
    """Each destination of each broker fact of a file; a wrapper's own publish, whose
    callers in this file choose its destination, is left to them."""
    for fact in facts.brokers:
        if fact.forwarded:
            continue
        for target in choose(fact.targets, fact.keys):
            for found in destinations(target, fact.library, config, service):
                yield BrokerUse(fact, found)


def destinations(
    value: Value, library: str, config: Config, service: str | None
) -> list[Destination]:
    """What each alternative of a destination value names (unknown: one unknown)."""
    if not value.alternatives:
        return [Destination(None)]
    found: dict[tuple[str | None, str | None], Destination] = {}
    for alternative in value.alternatives:
        decided = _alternative(alternative, library, config, service)
        found.setdefault((decided.name, decided.owner), decided)
    return list(found.values())


def _alternative(
    alt: Alternative, library: str, config: Config, service: str | None
) -> Destination:
    parts = alt.parts
    if alt.is_text():
        return _named(_queue_name(alt.text(), library), config, service)
    last = parts[-1] if parts else None
    if library == "boto3.sqs" and last is not None and last.kind == "text" and "/" in last.text:
        return _named(_queue_name(last.text, library), config, service)  # f"{BASE}/orders"
    if len(parts) == 1 and parts[0].kind in ("env", "setting", "config"):
        part = parts[0]
        owner = _owner(config, part.text.rsplit(".", 1)[-1], service)
        if owner is not None:
            return Destination(alt.shown(), owner, part)
        if part.kind == "env" and part.default:
            return _named(_queue_name(part.default, library), config, service)
        return Destination(None, missing=part)
    missing = next((p for p in parts if p.kind != "text"), None)
    return Destination(None, missing=missing)


def _named(name: str, config: Config, service: str | None) -> Destination:
    if not name or not name.isprintable():
        return Destination(None)
    return Destination(name, _owner(config, name, service))


def _owner(config: Config, name: str, service: str | None) -> str | None:
    owner = config.destination_owner(name, service)
    return owner if owner != service else None


def _queue_name(text: str, library: str) -> str:
    """An SQS queue URL names its queue last; an SNS ARN its topic after the last colon."""
    if library == "boto3.sqs" and "/" in text:
        return text.rstrip("/").rsplit("/", 1)[-1]
    if library == "boto3.sns" and text.startswith("arn:"):
        return text.rsplit(":", 1)[-1]
    return text


def request_owner(
    alt: Alternative, library: str, config: Config, service: str | None
) -> tuple[str | None, Part | None]:
    """Who answers a request/reply sent to one alternative of its destination: the owner
    (the file's own service included), or None and what leaves it unknown. A Celery task
    name also names the service whose `packages` hold its module (`orders.tasks.total`)."""
    found = _alternative(alt, library, config, None)
    if found.name is None:
        if found.owner is not None:
            return found.owner, found.missing
        return None, found.missing
    owner = found.owner
    if owner is None and library == "celery":
        package = config.package_owner(found.name, None)
        owner = package.service if package is not None else None
    if owner is None:
        return None, Part("text", found.name)
    return owner, None
