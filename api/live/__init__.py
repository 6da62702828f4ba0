"""Live updates for subscriptions: one Hub per API process tails the event and log tables and fans out."""

from api.live.hub import Hub, SlowSubscriber, Subscriber

__all__ = ["Hub", "SlowSubscriber", "Subscriber"]
