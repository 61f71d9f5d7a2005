"""Live queries: subscriptions multiplexed into pollers and cohorts, refreshed by a change
feed of statement-level triggers (or by interval polling). See ``registry`` for the flow."""

from livegres.live.registry import LiveQueries, LiveSettings, Subscription
from livegres.live.sink import Message, Sink

__all__ = ["LiveQueries", "LiveSettings", "Message", "Sink", "Subscription"]
