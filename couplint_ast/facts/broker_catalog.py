"""The message-broker catalog, as plain data (no libcst): producers and consumers by library.

Publishing to a broker is asynchronous coupling: recorded as facts for the audit, never a
synchronous call, unless the publisher then waits for the reply (`facts.replies`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from couplint_ast.facts.values import Value


@dataclass(frozen=True)
class BrokerOp:
    """A message-broker operation and where its topic, queue or subject is written."""

    library: str
    operation: str  # "publish", "consume" or "request"
    label: str
    arg: int = 0  # positional index of the destination (-1: none)
    keyword: str = ""  # its keyword; "A|B" for alternatives
    shape: str = "one"  # one string, "many" (a list), "all" (every positional), "keys"
    # (a dict's keys), "ctor" (given when the object was built), "pika", "kombu", "exchange",
    # "nameko_event" (`<service>.<event type>`, as nameko routes events)


def _ops(
    library: str, kind: str, operation: str, shape: str = "one", **apis: str
) -> dict[str, BrokerOp]:
    """`method="arg,keyword"` pairs -> BrokerOps of one kind."""
    out = {}
    for method, where in apis.items():
        arg, _, keyword = where.partition(",")
        label = f"{kind}.{method}"
        out[method] = BrokerOp(library, operation, label, int(arg), keyword, shape)
    return out


BROKER_CONSTRUCTORS: dict[str, str] = {
    "confluent_kafka.Producer": "confluent_kafka.Producer",
    "confluent_kafka.Consumer": "confluent_kafka.Consumer",
    "kafka.KafkaProducer": "kafka.KafkaProducer",
    "kafka.KafkaConsumer": "kafka.KafkaConsumer",
    "aiokafka.AIOKafkaProducer": "aiokafka.AIOKafkaProducer",
    "aiokafka.AIOKafkaConsumer": "aiokafka.AIOKafkaConsumer",
    "pika.BlockingConnection": "pika.Connection",
    "pika.adapters.BlockingConnection": "pika.Connection",
    "pika.adapters.blocking_connection.BlockingConnection": "pika.Connection",
    "aio_pika.connect": "aio_pika.Connection",
    "aio_pika.connect_robust": "aio_pika.Connection",
    "kombu.Connection": "kombu.Connection",
    "kombu.Producer": "kombu.Producer",
    "kombu.Consumer": "kombu.Consumer",
    "celery.Celery": "celery.Celery",
    "nameko.events.EventDispatcher": "nameko.EventDispatcher",
    "nats.connect": "nats.Client",
    "nats.NATS": "nats.Client",
    "nats.aio.client.Client": "nats.Client",
    "redis.Redis": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.from_url": "redis.Redis",
    "redis.Redis.from_url": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "redis.asyncio.Redis": "redis.Redis",
    "redis.asyncio.StrictRedis": "redis.Redis",
    "redis.asyncio.from_url": "redis.Redis",
    "boto3.Session": "boto3.Session",
    "boto3.session.Session": "boto3.Session",
}
BROKER_INSTANCES: dict[str, str] = {"celery.current_app": "celery.Celery"}
# `boto3.client("sqs")` and `session.client("sns")`: the kind depends on the service name.
BOTO3_CLIENTS = frozenset({"boto3.client"})
BOTO3_SERVICES = frozenset({"sqs", "sns"})

BROKER_FACTORIES: dict[tuple[str, str], str] = {
    ("pika.Connection", "channel"): "pika.Channel",
    ("kombu.Connection", "Producer"): "kombu.Producer",
    ("kombu.Connection", "Consumer"): "kombu.Consumer",
    ("kombu.Connection", "SimpleQueue"): "kombu.SimpleQueue",
    ("kombu.Connection", "SimpleBuffer"): "kombu.SimpleQueue",
    ("nats.Client", "jetstream"): "nats.JetStream",
    ("redis.Redis", "pubsub"): "redis.PubSub",
    ("aio_pika.Connection", "channel"): "aio_pika.Channel",
    ("aio_pika.Channel", "declare_queue"): "aio_pika.Queue",
    ("aio_pika.Channel", "get_queue"): "aio_pika.Queue",
    ("aio_pika.Channel", "declare_exchange"): "aio_pika.Exchange",
    ("aio_pika.Channel", "get_exchange"): "aio_pika.Exchange",
}

# Building one of these objects already consumes: `KafkaConsumer("orders", ...)`.
BROKER_CTOR_OPS: dict[str, BrokerOp] = {
    # `@event_handler("orders", "order_created")`: consumes what that service dispatches.
    "nameko.events.event_handler": BrokerOp(
        "nameko", "consume", "nameko.events.event_handler", shape="nameko_event"
    ),
    "kafka.KafkaConsumer": BrokerOp("kafka", "consume", "kafka.KafkaConsumer", 0, "", "all"),
    "aiokafka.AIOKafkaConsumer": BrokerOp(
        "aiokafka", "consume", "aiokafka.AIOKafkaConsumer", 0, "", "all"
    ),
    "kombu.Consumer": BrokerOp("kombu", "consume", "kombu.Consumer", 1, "queues", "many"),
}
# `conn.Consumer(queues=[...])`: the connection's factory takes the queues first.
BROKER_FACTORY_OPS: dict[tuple[str, str], BrokerOp] = {
    ("kombu.Connection", "Consumer"): BrokerOp(
        "kombu", "consume", "kombu.Connection.Consumer", 0, "queues", "many"
    ),
}

BROKER_OPS: dict[str, dict[str, BrokerOp]] = {
    # `self.dispatch("order_created", payload)`: an event named by the dispatching service.
    "nameko.EventDispatcher": {
        "__call__": BrokerOp(
            "nameko", "publish", "nameko.events.EventDispatcher", 0, "event_type", "nameko_event"
        )
    },
    "confluent_kafka.Producer": _ops(
        "confluent_kafka", "confluent_kafka.Producer", "publish", produce="0,topic"
    ),
    "confluent_kafka.Consumer": _ops(
        "confluent_kafka", "confluent_kafka.Consumer", "consume", "many", subscribe="0,topics"
    ),
    "kafka.KafkaProducer": _ops("kafka", "kafka.KafkaProducer", "publish", send="0,topic"),
    "kafka.KafkaConsumer": _ops(
        "kafka", "kafka.KafkaConsumer", "consume", "many", subscribe="0,topics"
    ),
    "aiokafka.AIOKafkaProducer": _ops(
        "aiokafka",
        "aiokafka.AIOKafkaProducer",
        "publish",
        send="0,topic",
        send_and_wait="0,topic",
        send_batch="1,topic",
    ),
    "aiokafka.AIOKafkaConsumer": _ops(
        "aiokafka", "aiokafka.AIOKafkaConsumer", "consume", "many", subscribe="0,topics"
    ),
    "pika.Channel": {
        **_ops("pika", "pika.channel", "publish", "pika", basic_publish="1,routing_key"),
        **_ops("pika", "pika.channel", "consume", basic_consume="0,queue", basic_get="0,queue"),
    },
    "kombu.Producer": _ops("kombu", "kombu.Producer", "publish", "kombu", publish="-1,"),
    "kombu.SimpleQueue": {
        **_ops("kombu", "kombu.SimpleQueue", "publish", "ctor", put="0,name"),
        **_ops("kombu", "kombu.SimpleQueue", "consume", "ctor", get="0,name", get_nowait="0,name"),
    },
    "celery.Celery": _ops("celery", "celery.Celery", "publish", send_task="0,name"),
    "nats.Client": {
        **_ops("nats", "nats.Client", "publish", publish="0,subject"),
        **_ops("nats", "nats.Client", "consume", subscribe="0,subject"),
        **_ops("nats", "nats.Client", "request", request="0,subject"),
    },
    "nats.JetStream": {
        **_ops("nats", "nats.JetStream", "publish", publish="0,subject"),
        **_ops(
            "nats", "nats.JetStream", "consume", subscribe="0,subject", pull_subscribe="0,subject"
        ),
    },
    "redis.Redis": {
        **_ops("redis", "redis.Redis", "publish", publish="0,channel", xadd="0,name"),
        **_ops(
            "redis", "redis.Redis", "consume", "keys", xread="0,streams", xreadgroup="2,streams"
        ),
    },
    "redis.PubSub": _ops(
        "redis", "redis.PubSub", "consume", "all", subscribe="0,", psubscribe="0,"
    ),
    "boto3.sqs": {
        **_ops(
            "boto3.sqs",
            "boto3.sqs",
            "publish",
            send_message="-1,QueueUrl",
            send_message_batch="-1,QueueUrl",
        ),
        **_ops("boto3.sqs", "boto3.sqs", "consume", receive_message="-1,QueueUrl"),
    },
    "boto3.sns": _ops(
        "boto3.sns",
        "boto3.sns",
        "publish",
        publish="-1,TopicArn|TargetArn",
        publish_batch="-1,TopicArn",
    ),
    "aio_pika.Exchange": _ops(
        "aio_pika", "aio_pika.Exchange", "publish", "exchange", publish="1,routing_key"
    ),
    "aio_pika.Queue": _ops(
        "aio_pika",
        "aio_pika.Queue",
        "consume",
        "ctor",
        consume="0,name",
        iterator="0,name",
        get="0,name",
    ),
}

# Libraries whose request/reply is a `CallFact` (client = the library): its target is a
# destination, owned through `topics`/`queues`, not a host. nameko RPC is addressed by
# service name like a host (`clientparts`), so it is not one of them.
REQUEST_LIBRARIES = frozenset(
    {op.library for ops in BROKER_OPS.values() for op in ops.values()} - {"nameko"}
)


def choose(targets: Sequence[Value], keys: Sequence[Value]) -> tuple[Value, ...]:
    """The destinations: an exchange named "" (AMQP's default one) routes by routing key."""
    out = []
    for target in targets:
        if literal(target) == "" and keys:
            out.append(Value.either(keys))
        else:
            out.append(target)
    return tuple(out)


def literal(value: Value) -> str | None:
    """The one literal text `value` always is, else None."""
    if len(value.alternatives) != 1 or not value.alternatives[0].is_text():
        return None
    return value.alternatives[0].text()
